/**
 * The quota book: how much each quota bucket may still spend on each model, booked in the StateStore before a
 * request goes out, so a pool plans instead of learning from Google's 429s. A bucket is what Google counts
 * against: the Cloud project of a Gemini API key, the account of a Code Assist credential. Windows: requests
 * per minute (sliding), requests per day (until the route's daily reset), input tokens per minute (sliding).
 * Limits come from configuration and from what Google's 429 bodies say (learned; the lower of the two wins).
 */
import { randomBytes } from 'node:crypto';
import type { StateStore, WindowSpec } from '../store/types.js';
import type { Clock, PoolMember } from './types.js';

export type WindowName = 'rpm' | 'rpd' | 'tpm';
export const WINDOWS: readonly WindowName[] = ['rpm', 'rpd', 'tpm'];

export type Limits = Partial<Record<WindowName, number>>;

/** QUOTAS / rotor.config.json: route → tier → model → limits (`*` for any tier or model); bucket overrides. */
export interface QuotaConfig {
  routes?: Record<string, Record<string, Record<string, Limits>>>;
  /** A quota key (e.g. `project:my-project`, `user:me@example.com`) → model → limits. */
  buckets?: Record<string, Record<string, Limits>>;
}

export interface LimitInfo {
  readonly limit: number;
  readonly source: 'configured' | 'learned';
}

/** What the book needs of a member beyond the pool's view. */
export interface QuotaMember extends PoolMember {
  /** The account tier (`free-tier`, `standard-tier`…) or a key's declared tier; undefined when unknown. */
  readonly tier?: string | undefined;
}

export interface QuotaBookOptions {
  store: StateStore;
  clock: Clock;
  config: QuotaConfig;
  /** Length of the per-minute windows (default 60 s; tests shorten it with the simulator's). */
  minuteMs?: number;
  /** Added to each minute besides 0.5% of it: how much later than its booking Google may count a request. Default 50. */
  marginMs?: number;
  /** When a route's daily quota resets next, after `now`. */
  dayResetAt(route: string, now: number): number;
  /**
   * The store is across the network (Redis): a bucket far from every limit is booked without waiting for the
   * store's answer (see `ample`), so a request does not wait a round trip to Redis before it goes out.
   */
  optimistic?: boolean;
}

export interface Reservation {
  id: string;
  key: string;
  windows: WindowSpec[];
}

export type ReserveOutcome = { ok: true; reservation: Reservation | undefined } | { ok: false; window: string; retryAt: number };

/** Nothing to book (no limit known for the bucket and model): one shared answer. */
const NOT_BOOKED: ReserveOutcome = Object.freeze({ ok: true, reservation: undefined });

const LEARNED_NS = 'limit';
/** Reservation ids: unique across instances (in containers every instance may be pid 1). */
const INSTANCE = randomBytes(6).toString('base64url');
const LEARNED_TTL_MS = 7 * 86_400_000;
let nextId = 0;
/**
 * Optimistic booking: the store's last figures must be at most a sixtieth of the window old (a second a minute),
 * and leave, after this request and those booked without an answer yet (as many again for every other instance),
 * half the limit and ten requests' worth.
 */
const AMPLE_SHARE = 0.5;
const AMPLE_REQUESTS = 10;
/** A limit no booking reaches: what a booking made without waiting is sent with, so the store never refuses it. */
const NO_LIMIT = Infinity;
/** How many bookings a learned minute's window is seeded with (they free one after another). */
const SEED_PARTS = 10;

export class QuotaBook {
  private readonly learned = new Map<string, number>();
  /** key → window → [used, valid until, when the store said so]: the store's last figures, for choosing buckets. */
  private readonly seen = new Map<string, Map<string, [number, number, number]>>();
  /** key → bookings sent without waiting whose answer has not come back yet. */
  private readonly unanswered = new Map<string, number>();
  /** Optimistic bookings not yet sent to the store, by reservation id: anything else done with one sends it first. */
  private readonly unsent = new Map<string, () => void>();
  /** key → [requests booked by this instance today, when the day ends]: `least-used` without known limits. */
  private readonly counted = new Map<string, [number, number]>();
  private readonly minuteMs: number;
  private readonly freshMs: number;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: QuotaBookOptions) {
    // A booking is made before the request reaches Google, which counts it on arrival: Rotor's window must not end
    // before Google's does, so it is a little longer (0.5% + QUOTA_MARGIN_MS, 50 by default: 350 ms a minute).
    const minute = options.minuteMs ?? 60_000;
    this.minuteMs = minute + Math.ceil(minute * 0.005) + (options.marginMs ?? 50);
    this.freshMs = minute / 60;
    this.unsubscribe = options.store.subscribe((c) => {
      if (c.type === 'kv' && c.ns === LEARNED_NS) void this.reloadLearned(c.key);
      if (c.type === 'resync') void this.load();
    });
  }

  /** Loads the limits learned so far (by this instance before a restart, or by others). */
  async load(): Promise<void> {
    for (const { key, value } of await this.options.store.kvList(LEARNED_NS)) this.setLearned(key, value);
  }

  close(): void {
    this.unsubscribe();
  }

  private async reloadLearned(key: string): Promise<void> {
    const value = await this.options.store.kvGet(LEARNED_NS, key).catch(() => undefined);
    if (value === undefined) this.learned.delete(key);
    else this.setLearned(key, value);
  }

  private setLearned(key: string, value: string): void {
    const n = Number((JSON.parse(value) as { limit?: unknown }).limit);
    if (Number.isInteger(n) && n >= 0) this.learned.set(key, n);
  }

  private configured(m: QuotaMember, model: string, window: WindowName): number | undefined {
    const { buckets, routes } = this.options.config;
    const own = buckets?.[m.quotaKey];
    const fromBucket = own?.[model]?.[window] ?? own?.['*']?.[window];
    if (fromBucket !== undefined) return fromBucket;
    const route = routes?.[m.route];
    if (!route) return undefined;
    for (const tier of m.tier !== undefined ? [m.tier, '*'] : ['*']) {
      const v = route[tier]?.[model]?.[window] ?? route[tier]?.['*']?.[window];
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /**
   * The limit in force for one window: the lower of the configured and the learned one. While the shared store
   * is away, instances cannot see each other's bookings: each keeps to its share of the limit.
   */
  limit(m: QuotaMember, model: string, window: WindowName): LimitInfo | undefined {
    // Nothing configured or learned (the usual case before Google's first 429): no key to build.
    if (this.learned.size === 0 && !this.options.config.buckets && !this.options.config.routes) return undefined;
    const configured = this.configured(m, model, window);
    const learned = this.learned.size === 0 ? undefined : this.learned.get(`${m.quotaKey}|${model}|${window}`);
    const info: LimitInfo | undefined =
      learned !== undefined && (configured === undefined || learned < configured)
        ? { limit: learned, source: 'learned' }
        : configured === undefined
          ? undefined
          : this.configuredInfo(configured);
    if (!info || info.limit === 0) return info;
    const health = this.options.store.health();
    const peers = health.ok ? 1 : (health.peers ?? 1);
    return peers > 1 ? { ...info, limit: Math.max(1, Math.floor(info.limit / peers)) } : info;
  }

  /** One shared answer per configured value (a few distinct numbers): limit() is asked many times a request. */
  private readonly configuredInfos = new Map<number, LimitInfo>();

  private configuredInfo(limit: number): LimitInfo {
    let info = this.configuredInfos.get(limit);
    if (!info) this.configuredInfos.set(limit, (info = Object.freeze({ limit, source: 'configured' as const })));
    return info;
  }

  /**
   * The windows a request on `m` for `model` books, with `tokens` estimated input tokens (a function: estimated
   * only when a tokens-per-minute limit is in force).
   */
  windows(m: QuotaMember, model: string, tokens: number | (() => number)): WindowSpec[] {
    const out: WindowSpec[] = [];
    const now = this.options.clock.now();
    for (const name of WINDOWS) {
      const info = this.limit(m, model, name);
      if (!info) continue;
      if (name === 'rpd') out.push({ name, kind: 'fixed', resetAt: this.options.dayResetAt(m.route, now), limit: info.limit, amount: 1 });
      else out.push({ name, kind: 'sliding', windowMs: this.minuteMs, limit: info.limit, amount: name !== 'tpm' ? 1 : typeof tokens === 'number' ? tokens : tokens() });
    }
    return out;
  }

  /**
   * Books one request (and its estimated tokens) in the bucket, or says when it would fit. Answered at once, not
   * in a promise, when nothing is booked (no limit known) or the booking need not wait for the store: most
   * requests, and a promise a request less.
   */
  reserve(m: QuotaMember, model: string, tokens: number | (() => number)): ReserveOutcome | Promise<ReserveOutcome> {
    const windows = this.windows(m, model, tokens);
    const key = `${m.quotaKey}|${model}`;
    if (windows.length === 0) {
      this.count(m, key);
      return NOT_BOOKED;
    }
    const id = `${INSTANCE}.${++nextId}`;
    const now = this.options.clock.now();
    if (this.options.optimistic && this.ample(key, windows, now)) {
      // Far from every limit: booked without waiting, and without limits (the request is on its way, so it must
      // be on the book). The answer refreshes the figures the next request is judged by.
      this.unanswered.set(key, (this.unanswered.get(key) ?? 0) + 1);
      const unlimited = windows.map((w) => ({ ...w, limit: NO_LIMIT }));
      this.unsent.set(id, () => {
        this.unsent.delete(id);
        void this.options.store
          .reserve({ id, key, windows: unlimited, now })
          .then((r) => r.ok && this.remember(key, windows, r.used, this.options.clock.now()))
          .catch(() => undefined)
          .finally(() => {
            const n = (this.unanswered.get(key) ?? 1) - 1;
            if (n > 0) this.unanswered.set(key, n);
            else this.unanswered.delete(key);
          });
      });
      // Sent after the request to Google has left: building a Redis command on the way out cost as much latency as
      // the round trip it saves. undici writes a request on a reused keep-alive connection in the check phase (it
      // first reads what the idle socket may hold), after any immediate set now: hence a second one. A restamp or
      // a release of this booking sends it first (`sendNow`), so the store always sees them in order.
      setImmediate(() => setImmediate(() => this.sendNow(id)));
      this.count(m, key);
      return { ok: true, reservation: { id, key, windows } };
    }
    return this.bookInStore(m, key, id, windows, now);
  }

  /** A booking the store must answer before the request goes (near a limit, small limits, or Redis away). */
  private async bookInStore(m: QuotaMember, key: string, id: string, windows: WindowSpec[], now: number): Promise<ReserveOutcome> {
    const result = await this.options.store.reserve({ id, key, windows, now });
    if (result.ok) {
      this.remember(key, windows, result.used, now);
      this.count(m, key);
    }
    if (!result.ok) this.remember(key, windows, windows.map((w) => w.limit), now);
    return result.ok ? { ok: true, reservation: { id, key, windows } } : { ok: false, window: result.window, retryAt: result.retryAt };
  }

  /** Sends an optimistic booking still waiting to go (a no-op once it has). */
  private sendNow(id: string): void {
    this.unsent.get(id)?.();
  }

  private count(m: QuotaMember, key: string): void {
    const now = this.options.clock.now();
    const c = this.counted.get(key);
    if (c && c[1] > now) c[0]++;
    else {
      if (this.counted.size > 10_000) this.counted.clear();
      this.counted.set(key, [1, this.options.dayResetAt(m.route, now)]);
    }
  }

  private remember(key: string, windows: readonly WindowSpec[], used: readonly number[], now: number): void {
    let m = this.seen.get(key);
    if (!m) {
      if (this.seen.size > 10_000) this.seen.clear();
      this.seen.set(key, (m = new Map()));
    }
    windows.forEach((w, i) => m!.set(w.name, [used[i]!, w.kind === 'fixed' ? w.resetAt : now + w.windowMs, now]));
  }

  /**
   * Whether a booking can go without waiting for the store: its last figures for every window are fresh and leave,
   * after this booking and those still unanswered, half the limit and ten requests' worth. Every other instance
   * is assumed to be doing the same (its unanswered bookings are counted as many as ours), and the margin is what
   * they may book in between before the next answer corrects the figures. Near a limit, every booking waits for
   * the store, which refuses what does not fit.
   */
  private ample(key: string, windows: readonly WindowSpec[], now: number): boolean {
    const seen = this.seen.get(key);
    if (!seen) return false;
    const health = this.options.store.health();
    if (!health.ok) return false;
    const pending = ((this.unanswered.get(key) ?? 0) + 1) * Math.max(1, health.peers ?? 1);
    for (const w of windows) {
      const s = seen.get(w.name);
      if (!s || now - s[2] > this.freshMs) return false;
      const used = s[1] > now ? s[0] : 0;
      if (w.limit - used - pending * w.amount < Math.max(w.limit * AMPLE_SHARE, AMPLE_REQUESTS * w.amount)) return false;
    }
    return true;
  }

  /**
   * How much room the bucket has left for the model, 0..1 (the fullest window decides); 1 with no known limits.
   * From the last figures the store gave: a guide for choosing, the booking itself is exact.
   */
  headroom(m: QuotaMember, model: string): number {
    const seen = this.seen.get(`${m.quotaKey}|${model}`);
    const now = this.options.clock.now();
    let room = 1;
    for (const name of WINDOWS) {
      const info = this.limit(m, model, name);
      if (!info) continue;
      if (info.limit === 0) return 0;
      const [used, until] = seen?.get(name) ?? [0, 0];
      const current = until > now ? used : 0;
      room = Math.min(room, Math.max(0, (info.limit - current) / info.limit));
    }
    return room;
  }

  /** Requests booked today in the bucket for the model: the store's count when a daily limit is known, else this instance's. */
  usedToday(m: QuotaMember, model: string): number {
    const key = `${m.quotaKey}|${model}`;
    const now = this.options.clock.now();
    const [used, until] = this.seen.get(key)?.get('rpd') ?? [0, 0];
    const [mine, dayEnd] = this.counted.get(key) ?? [0, 0];
    return Math.max(until > now ? used : 0, dayEnd > now ? mine : 0);
  }

  /**
   * Google has received the request by now: its per-minute bookings count from now, not from when they were made.
   * With the answer's input tokens (a complete answer), the tokens are settled in the same store call. Handed to
   * the store at once (the Redis store sends it with its next booking or read, or within 10 ms).
   */
  async restamp(r: Reservation | undefined, promptTokens?: number): Promise<void> {
    if (!r || !r.windows.some((w) => w.kind === 'sliding')) return;
    this.sendNow(r.id);
    const tokens = promptTokens !== undefined && r.windows.some((w) => w.name === 'tpm') ? { window: 'tpm', amount: promptTokens } : undefined;
    await this.options.store.restamp(r.id, r.key, r.windows, this.options.clock.now(), tokens).catch(() => undefined);
  }

  /** After the answer: the real input tokens (Google counted the request). */
  async settle(r: Reservation | undefined, promptTokens: number | undefined): Promise<void> {
    if (!r || promptTokens === undefined || !r.windows.some((w) => w.name === 'tpm')) return;
    this.sendNow(r.id);
    await this.options.store.adjust(r.id, r.key, 'tpm', promptTokens).catch(() => undefined);
  }

  /** Google did not count the request (it refused it): the booking is taken back. */
  async release(r: Reservation | undefined): Promise<void> {
    if (!r) return;
    // A refusal must not overtake the booking it takes back (which would then stand for a whole window).
    this.sendNow(r.id);
    await this.options.store.release(r.id, r.key, r.windows).catch(() => undefined);
  }

  /**
   * Keeps a limit Google named in a 429 (quotaValue), for every instance and across restarts. When no limit was
   * in force for that window, nothing was booked in it, yet Google's is full: it is seeded (`seed`) so the book
   * does not send the whole limit again into Google's full window as soon as the bucket's cooldown ends.
   */
  async learn(m: QuotaMember, model: string, window: WindowName, limit: number, quotaId: string, retryAfterMs?: number): Promise<void> {
    const key = `${m.quotaKey}|${model}|${window}`;
    // A refusal within a limit the book already keeps: the book holds less than Google counted.
    if (this.learned.get(key) === limit || this.limit(m, model, window)?.limit === limit) return this.fill(m, model, window, limit, retryAfterMs ?? 0);
    const unbooked = this.limit(m, model, window) === undefined;
    this.learned.set(key, limit);
    const seeding = unbooked && limit > 0 ? this.seed(m, model, window, limit, retryAfterMs ?? 0) : undefined;
    await this.options.store.kvSet(LEARNED_NS, key, JSON.stringify({ limit, quotaId, at: this.options.clock.now() }), LEARNED_TTL_MS).catch(() => undefined);
    await seeding;
  }

  /**
   * Books a window Google just said is full as full: the day until its reset; a minute as SEED_PARTS bookings that
   * free evenly from Google's retry delay (when its oldest request leaves) to a minute from now, since the
   * requests that filled it were never booked here and when they were made is unknown. Booked with the real
   * limit, so instances that learn it together seed it once between them.
   */
  private async seed(m: QuotaMember, model: string, window: WindowName, limit: number, retryAfterMs: number, total = limit): Promise<void> {
    const key = `${m.quotaKey}|${model}`;
    const now = this.options.clock.now();
    const book = (spec: WindowSpec, at: number) =>
      this.options.store.reserve({ id: `seed.${INSTANCE}.${++nextId}`, key, windows: [spec], now: at }).catch(() => undefined);
    if (window === 'rpd') {
      await book({ name: window, kind: 'fixed', resetAt: this.options.dayResetAt(m.route, now), limit, amount: total }, now);
      return;
    }
    const minute = this.minuteMs;
    const first = Math.min(Math.max(0, retryAfterMs), minute);
    const parts = Math.min(total, SEED_PARTS);
    for (let i = 0; i < parts; i++) {
      // Amounts that add up to the total; part i leaves the window at now + first + i/parts of the rest of it.
      const amount = Math.floor((total * (i + 1)) / parts) - Math.floor((total * i) / parts);
      const freesAt = now + first + ((minute - first) * i) / parts;
      await book({ name: window, kind: 'sliding', windowMs: minute, limit, amount }, Math.round(freesAt - minute));
    }
  }

  /**
   * Google refused a request within a limit the book already keeps, so its window holds more than the book does:
   * a seed's guess freed sooner than Google's window, or requests Rotor never booked (another program on the same
   * project, another Rotor on another store). What the book lacks is booked the way a seed is, freeing from
   * Google's retry delay to a window on. Without it the refused booking is taken back, the book shows room again,
   * and every retry delay another request goes out to be refused. One fill at a time per bucket and window.
   */
  private async fill(m: QuotaMember, model: string, window: WindowName, limit: number, retryAfterMs: number): Promise<void> {
    const key = `${m.quotaKey}|${model}`;
    const filling = `${key}|${window}`;
    if (this.filling.has(filling)) return;
    this.filling.add(filling);
    try {
      const spec = this.windows(m, model, 0).find((w) => w.name === window);
      if (!spec) return;
      const [usage] = await this.options.store.windowUsage(key, [spec], this.options.clock.now());
      const missing = limit - (usage?.used ?? limit);
      if (missing > 0) await this.seed(m, model, window, limit, retryAfterMs, missing);
    } catch {
      /* the store is away: the cooldown Google asked for stands */
    } finally {
      this.filling.delete(filling);
    }
  }

  /** Buckets and windows being filled (`fill`), so a burst of refusals fills once. */
  private readonly filling = new Set<string>();

  /** Per window: used (from the store) and the limit with where it came from, for the status page. */
  async status(m: QuotaMember, model: string): Promise<Record<string, { used: number; limit: number; source: LimitInfo['source'] }>> {
    const windows = this.windows(m, model, 0);
    if (windows.length === 0) return {};
    const key = `${m.quotaKey}|${model}`;
    const usage = await this.options.store.windowUsage(key, windows, this.options.clock.now());
    const out: Record<string, { used: number; limit: number; source: LimitInfo['source'] }> = {};
    windows.forEach((w, i) => {
      out[w.name] = { used: usage[i]?.used ?? 0, limit: w.limit, source: this.limit(m, model, w.name as WindowName)!.source };
    });
    return out;
  }

  /** Models with a limit for this member (configured or learned), for the status page. */
  modelsWithLimits(m: QuotaMember): string[] {
    const models = new Set<string>();
    const add = (book: Record<string, Limits> | undefined) => Object.keys(book ?? {}).forEach((k) => k !== '*' && models.add(k));
    add(this.options.config.buckets?.[m.quotaKey]);
    const route = this.options.config.routes?.[m.route];
    add(route?.['*']);
    if (m.tier !== undefined) add(route?.[m.tier]);
    for (const key of this.learned.keys()) if (key.startsWith(`${m.quotaKey}|`)) models.add(key.split('|')[1]!);
    // Models booked under a limit for any model (`*`): what they used is worth showing too.
    for (const key of this.seen.keys()) if (key.startsWith(`${m.quotaKey}|`)) models.add(key.slice(m.quotaKey.length + 1));
    return [...models];
  }
}
