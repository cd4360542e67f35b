/**
 * The credential pool: membership, health with reasons, per (quota bucket, model) cooldowns, and picking the
 * next usable member. Health lives in the StateStore (shared by every instance); the pool keeps a mirror of it,
 * fed by the store's change events, so a pick reads memory only. Knows nothing of HTTP, formats or tokens;
 * time comes from a Clock.
 */
import type { CooldownEntry, StateChange, StateStore } from '../store/types.js';
import { createRoundRobinSelector, type Selector } from './selector.js';
import type { Clock, MemberStatus, Outcome, PoolMember, PoolSummary } from './types.js';

export type PickResult<M> =
  | { ok: true; member: M }
  | {
      ok: false;
      reason: 'empty' | 'disabled' | 'cooling' | 'tried';
      retryAfterMs?: number;
      /** For `cooling`: what the cooldown ending first is about (rate, quota, transient…). */
      coolingKind?: string;
    };

interface FreeView {
  version: number;
  validUntil: number;
  free: number[];
}

interface Cooling {
  until: number;
  reason: string;
  kind: string;
}

const MAX_CACHED_MODELS = 64;
export const CRED = 'cred:';
export const BUCKET = 'bucket:';

/** Caches keyed by model: models come from clients, so a full cache starts over rather than grow. */
function cacheBounded<V>(cache: Map<string, V>, model: string, value: V): void {
  if (!cache.has(model) && cache.size >= MAX_CACHED_MODELS) cache.clear();
  cache.set(model, value);
}

/** The first position in the ascending `sorted` whose value is ≥ `value` (sorted.length when none). */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface PoolOptions<M extends PoolMember = PoolMember> {
  clock: Clock;
  store: StateStore;
  selector?: Selector;
  /** Cooldown for a credential that keeps failing transiently, doubled per further failure. */
  transientBaseMs?: number;
  transientMaxMs?: number;
  /** Cooldown after an auth or permission failure that is not known to be permanent. */
  authCooldownMs?: number;
  /** Suspect failures from this many requests in a row (no success between) cool a credential. Default 2. */
  outlierThreshold?: number;
  /**
   * Prefers, among the members free for a model, the one with the highest score (ties: round-robin order);
   * without it, the selector's order decides. With many free members, the 64 after the round-robin position
   * are compared, so a pick stays cheap on a pool of thousands.
   */
  score?: (member: M, model: string) => number;
}

const SCORED = 64;

export class CredentialPool<M extends PoolMember> {
  private members: M[] = [];
  private readonly byId = new Map<string, M>();
  // The mirror of the store's health state.
  private readonly disabled = new Map<string, { reason: string; until: number | undefined }>();
  private readonly credCooldowns = new Map<string, Cooling>();
  private readonly modelCooldowns = new Map<string, Map<string, Cooling>>();
  /** Suspect failures per credential since its last success (outlier detection; this instance's own view). */
  private readonly strikes = new Map<string, number>();
  private readonly selector: Selector;
  /** Bumped on every change that can make a member usable or not; validates the caches below. */
  private version = 0;
  /** model → when the first member frees, remembered after a full scan found none (O(1) while quota is out). */
  private readonly noneFree = new Map<string, { until: number; retryAt: number; version: number; first: M; kind: string }>();
  /** model → the members free for it, so a pick with most members cooling skips them all at once. */
  private readonly freeViews = new Map<string, FreeView>();
  private readonly unsubscribe: () => void;

  constructor(private readonly options: PoolOptions<M>) {
    this.selector = options.selector ?? createRoundRobinSelector();
    this.unsubscribe = options.store.subscribe((change) => this.apply(change));
  }

  /** Loads the health state already in the store (other instances', or a snapshot's). */
  async load(): Promise<void> {
    const { cooldowns, disables } = await this.options.store.liveHealth(this.options.clock.now());
    for (const c of cooldowns) this.applyCooldown(c);
    for (const d of disables) this.disabled.set(d.id, { reason: d.reason, until: d.until });
    this.version++;
  }

  /** Replaces the mirror with the store's state (after an outage), with no moment in which picks see nothing. */
  private async resync(): Promise<void> {
    const { cooldowns, disables } = await this.options.store.liveHealth(this.options.clock.now());
    this.disabled.clear();
    this.credCooldowns.clear();
    this.modelCooldowns.clear();
    for (const c of cooldowns) this.applyCooldown(c);
    for (const d of disables) this.disabled.set(d.id, { reason: d.reason, until: d.until });
    this.version++;
  }

  close(): void {
    this.unsubscribe();
  }

  /** A change from the store, made here or by another instance. Idempotent. */
  private apply(change: StateChange): void {
    switch (change.type) {
      case 'cooldown':
        this.applyCooldown(change.entry);
        break;
      case 'cooldown-cleared':
        if (change.scope.startsWith(CRED)) this.credCooldowns.delete(change.scope.slice(CRED.length));
        else if (change.model === undefined) this.modelCooldowns.delete(change.scope.slice(BUCKET.length));
        else this.modelCooldowns.get(change.scope.slice(BUCKET.length))?.delete(change.model);
        break;
      case 'disable':
        this.disabled.set(change.entry.id, { reason: change.entry.reason, until: change.entry.until });
        break;
      case 'disable-cleared':
        this.disabled.delete(change.id);
        break;
      case 'resync':
        void this.resync();
        return;
      default:
        return;
    }
    this.version++;
  }

  private applyCooldown(c: CooldownEntry): void {
    const cooling: Cooling = { until: c.until, reason: c.reason, kind: c.kind };
    if (c.scope.startsWith(CRED)) return extend(this.credCooldowns, c.scope.slice(CRED.length), cooling);
    const key = c.scope.slice(BUCKET.length);
    let book = this.modelCooldowns.get(key);
    if (!book) this.modelCooldowns.set(key, (book = new Map()));
    extend(book, c.model, cooling);
  }

  get size(): number {
    return this.members.length;
  }

  list(): readonly M[] {
    return this.members;
  }

  get(id: string): M | undefined {
    return this.byId.get(id);
  }

  /** Adds or replaces (same id) a member; a replaced credential starts healthy again. */
  upsert(member: M): void {
    this.version++;
    const existing = this.byId.get(member.id);
    if (existing) {
      this.members[this.members.indexOf(existing)] = member;
      this.forget(member.id);
    } else {
      this.members.push(member);
    }
    this.byId.set(member.id, member);
  }

  remove(id: string): void {
    this.version++;
    const m = this.byId.get(id);
    if (!m) return;
    this.members = this.members.filter((x) => x !== m);
    this.byId.delete(id);
    this.forget(id);
  }

  private forget(id: string): void {
    this.strikes.delete(id);
    if (this.disabled.has(id)) void this.options.store.clearDisable(id);
    if (this.credCooldowns.has(id)) void this.options.store.clearCooldown(CRED + id);
    this.disabled.delete(id);
    this.credCooldowns.delete(id);
  }

  /** Takes a member out: for good, or until `until` (then one request tries it again). */
  disable(id: string, reason: string, until?: number): void {
    if (!this.byId.has(id)) return;
    this.version++;
    this.disabled.set(id, { reason, until });
    void this.options.store.setDisable({ id, reason, until });
  }

  /** Puts a member the pool disabled back in service (an operator's action). */
  enable(id: string): void {
    this.version++;
    this.disabled.delete(id);
    void this.options.store.clearDisable(id);
  }

  /** Ends a member's cooldowns, for every model (an operator's action). */
  clearCooldowns(id: string): void {
    const m = this.byId.get(id);
    if (!m) return;
    this.version++;
    this.strikes.delete(id);
    this.credCooldowns.delete(id);
    this.modelCooldowns.delete(m.quotaKey);
    void this.options.store.clearCooldown(CRED + id);
    void this.options.store.clearCooldown(BUCKET + m.quotaKey);
  }

  disabledReason(m: M, now = this.options.clock.now()): string | undefined {
    return m.disabledReason ?? this.poolDisable(m, now)?.reason;
  }

  /** The pool's own disable of `m` still in force (not the credential's self-disable), with its re-check time. */
  private poolDisable(m: M, now: number): { reason: string; until: number | undefined } | undefined {
    const d = this.disabled.get(m.id);
    return d && (d.until === undefined || d.until > now) ? d : undefined;
  }

  /** The next usable member for the model, skipping those in `exclude`. */
  pick(model: string, exclude?: ReadonlySet<string>, accept?: (m: M) => boolean): PickResult<M> {
    const n = this.members.length;
    if (n === 0) return { ok: false, reason: 'empty' };
    const now = this.options.clock.now();
    const plain = (exclude === undefined || exclude.size === 0) && accept === undefined;
    const known = plain ? this.noneFree.get(model) : undefined;
    // `first`, the member whose cooldown ends first, must still be enabled: a credential can disable itself
    // (a token revoked during a background refresh) without telling the pool.
    if (known && known.version === this.version && known.until > now && known.first.disabledReason === undefined) {
      return { ok: false, reason: 'cooling', retryAfterMs: known.retryAt - now, coolingKind: known.kind };
    }
    const start = this.selector.start(n);
    if (accept === undefined) {
      // The members free for this model, in pool order: the first usable one at or after `start` (cyclically)
      // is the one the scan below would find, without walking past every member that is cooling down.
      const free = this.freeFor(model, now);
      const score = this.options.score;
      let best = -1;
      let bestScore = -Infinity;
      for (let k = 0, at = lowerBound(free, start), seen = 0; k < free.length; k++, at++) {
        const idx = free[at % free.length]!;
        const m = this.members[idx]!;
        if (m.disabledReason !== undefined || exclude?.has(m.id)) continue;
        if (!score) {
          best = idx;
          break;
        }
        const s = score(m, model);
        if (s > bestScore) {
          best = idx;
          bestScore = s;
        }
        if (++seen >= SCORED) break;
      }
      if (best >= 0) {
        this.selector.chosen(best, n);
        return { ok: true, member: this.members[best]! };
      }
    }
    // None free (or a filtered pick): the full scan, which also says why nothing can serve.
    let earliest = Infinity;
    let first: M | undefined;
    let firstKind = '';
    let anyNotDisabled = false;
    let anyCooling = false;
    let recheck = Infinity;
    for (let i = 0; i < n; i++) {
      const idx = (start + i) % n;
      const m = this.members[idx]!;
      if (accept && !accept(m)) continue;
      if (m.disabledReason !== undefined) continue;
      const disable = this.poolDisable(m, now);
      if (disable) {
        if (disable.until !== undefined) recheck = Math.min(recheck, disable.until);
        continue;
      }
      anyNotDisabled = true;
      // Cooldowns are read before the exclusion so the earliest free time covers every member.
      const cooling = this.coolingOf(m, model, now);
      if (cooling) {
        anyCooling = true;
        if (cooling.until < earliest) {
          earliest = cooling.until;
          first = m;
          firstKind = cooling.kind;
        }
        continue;
      }
      if (exclude?.has(m.id)) continue;
      this.selector.chosen(idx, n);
      return { ok: true, member: m };
    }
    if (!anyNotDisabled) return { ok: false, reason: accept && !this.members.some(accept) ? 'empty' : 'disabled' };
    if (!anyCooling) return { ok: false, reason: 'tried' };
    // Valid until the earliest cooldown ends, the pool changes or that member disables itself.
    // A member whose disable is re-checked sooner ends the answer then too.
    if (plain && first !== undefined) {
      cacheBounded(this.noneFree, model, { until: Math.min(earliest, recheck), retryAt: earliest, version: this.version, first, kind: firstKind });
    }
    return { ok: false, reason: 'cooling', retryAfterMs: Number.isFinite(earliest) ? Math.max(0, earliest - now) : undefined, coolingKind: firstKind };
  }

  /**
   * Indexes of the members that are neither disabled by the pool nor cooling down for `model`, ascending.
   * Exact until the pool changes (every change bumps `version`) or the earliest of the skipped cooldowns ends;
   * a credential that disables itself is left in and skipped by pick.
   */
  private freeFor(model: string, now: number): number[] {
    const view = this.freeViews.get(model);
    if (view && view.version === this.version && now < view.validUntil) return view.free;
    const free: number[] = [];
    let validUntil = Infinity;
    this.members.forEach((m, idx) => {
      const disable = this.poolDisable(m, now);
      if (disable) {
        if (disable.until !== undefined) validUntil = Math.min(validUntil, disable.until); // the re-check frees it
        return;
      }
      const cooling = this.coolingOf(m, model, now);
      if (cooling) validUntil = Math.min(validUntil, cooling.until);
      else free.push(idx);
    });
    cacheBounded(this.freeViews, model, { version: this.version, validUntil, free });
    return free;
  }

  /** The member's cooldown for the model that ends last, or undefined when none is running. */
  private coolingOf(m: M, model: string, now: number): Cooling | undefined {
    const cd = this.credCooldowns.get(m.id);
    const book = this.modelCooldowns.get(m.quotaKey);
    const mcd = book?.get(model) ?? book?.get('*');
    const a = cd && cd.until > now ? cd : undefined;
    const b = mcd && mcd.until > now ? mcd : undefined;
    return a && b ? (a.until >= b.until ? a : b) : (a ?? b);
  }

  /**
   * The bucket's quota is booked out for the model until `until` (this instance's view, from the quota book):
   * skipped by picks like a cooldown, but not shared, and ended as soon as room reappears (unbook).
   */
  markBooked(m: M, model: string, until: number, window: string): void {
    this.version++;
    this.applyCooldown({ scope: BUCKET + m.quotaKey, model, until, reason: `quota booked out (${window}) until the window frees`, kind: 'booked' });
  }

  /** Room reappeared in a bucket (a booking was taken back): its booked-out marks end. */
  unbook(quotaKey: string, model: string): void {
    const book = this.modelCooldowns.get(quotaKey);
    if (book?.get(model)?.kind !== 'booked') return;
    book.delete(model);
    this.version++;
  }

  /** Whether the member could serve the model now (not disabled, not cooling, not booked out). */
  isFree(m: M, model: string): boolean {
    const now = this.options.clock.now();
    return this.byId.get(m.id) === m && this.disabledReason(m, now) === undefined && this.coolingOf(m, model, now) === undefined;
  }

  /** When the member may serve the model again (0: now). */
  coolingUntil(m: M, model: string): number {
    return this.coolingOf(m, model, this.options.clock.now())?.until ?? 0;
  }

  reportSuccess(m: M): void {
    if (this.strikes.has(m.id)) this.strikes.delete(m.id);
  }

  /** Learns from a credential- or model-scoped failure. Request-scoped errors must not be reported. */
  reportFailure(m: M, model: string, o: Outcome): void {
    const now = this.options.clock.now();
    if (o.fatal) {
      // A fatal outcome with a delay is one the user can fix (verify the account, enable the API): re-checked then.
      this.disable(m.id, o.message, o.retryAfterMs === undefined ? undefined : now + o.retryAfterMs);
      return;
    }
    switch (o.kind) {
      case 'rate':
      case 'quota':
      case 'capacity': {
        const label = o.kind === 'rate' ? 'rate limited' : o.kind === 'quota' ? 'quota exhausted' : 'no capacity';
        this.cool({ scope: BUCKET + m.quotaKey, model, until: now + (o.retryAfterMs ?? 1000), reason: `${label}: ${o.message}`, kind: o.kind });
        return;
      }
      case 'auth':
      case 'permission':
        if (!o.suspect) {
          const label = o.kind === 'auth' ? 'authentication failed' : 'permission denied';
          this.cool({ scope: CRED + m.id, model: '*', until: now + (this.options.authCooldownMs ?? 5 * 60_000), reason: `${label}: ${o.message}`, kind: o.kind });
          return;
        }
        this.strike(m, o, now);
        return;
      default:
        this.strike(m, o, now);
    }
  }

  /**
   * Outlier detection: a suspect failure cools the credential only once requests in a row have failed on it
   * (no success between), then backs off exponentially. Failures while a cooldown runs (requests that were in
   * flight together, one outage) count once.
   */
  private strike(m: M, o: Outcome, now: number): void {
    const threshold = this.options.outlierThreshold ?? 2;
    const running = this.credCooldowns.get(m.id);
    const count = running && running.until > now ? (this.strikes.get(m.id) ?? threshold) : (this.strikes.get(m.id) ?? 0) + 1;
    this.strikes.set(m.id, count);
    if (count < threshold) return;
    const base = this.options.transientBaseMs ?? 1000;
    const max = this.options.transientMaxMs ?? 60_000;
    const ms = o.retryAfterMs ?? Math.min(base * 2 ** (count - threshold), max);
    this.cool({ scope: CRED + m.id, model: '*', until: now + ms, reason: `failing: ${o.message}`, kind: o.kind });
  }

  private cool(entry: CooldownEntry): void {
    this.applyCooldown(entry);
    this.version++;
    void this.options.store.extendCooldown(entry);
  }

  status(): { credentials: MemberStatus[]; summary: PoolSummary } {
    const now = this.options.clock.now();
    const iso = (t: number) => new Date(t).toISOString();
    const summary: PoolSummary = { total: this.members.length, available: 0, cooling_down: 0, disabled: 0 };
    const credentials = this.members.map((m): MemberStatus => {
      const models: MemberStatus['models'] = {};
      for (const [model, cd] of this.modelCooldowns.get(m.quotaKey) ?? []) {
        if (cd.until > now) models[model] = { state: 'cooling_down', until: iso(cd.until), reason: cd.reason };
      }
      const base = { id: m.id, email: m.email ?? null, project: m.projectId ?? null, route: m.route, models };
      const dis = this.disabledReason(m, now);
      if (dis !== undefined) {
        summary.disabled++;
        const recheck = m.disabledReason === undefined ? this.poolDisable(m, now)?.until : undefined;
        return { ...base, state: 'disabled', reason: dis, until: recheck === undefined ? null : iso(recheck) };
      }
      const cd = this.credCooldowns.get(m.id);
      if (cd && cd.until > now) {
        summary.cooling_down++;
        return { ...base, state: 'cooling_down', reason: cd.reason, until: iso(cd.until) };
      }
      summary.available++;
      return { ...base, state: 'available', reason: null, until: null };
    });
    return { credentials, summary };
  }
}

/**
 * Sets a cooldown, or lengthens the one running: reports arrive out of order (two requests in flight on one
 * quota), and a short "retry in 5s" must not cut a daily quota's cooldown to five seconds.
 */
function extend(book: Map<string, Cooling>, key: string, c: Cooling): void {
  const running = book.get(key);
  if (running && running.until >= c.until) return;
  book.set(key, { until: c.until, reason: c.reason.slice(0, 300), kind: c.kind });
}
