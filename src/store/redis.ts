/**
 * The Redis StateStore (ioredis), shared by every Rotor instance on one Redis. Atomic steps are Lua scripts
 * (redis-scripts.ts, EVALSHA through ioredis's defineCommand); each mutation publishes its change from inside its
 * script, and every instance (its own included) hears the changes on one pub/sub channel, in the order Redis
 * applied them. A lost subscription, once back, is announced as `resync` (changes may have been missed).
 *
 * Key layout, every key under the prefix P (REDIS_PREFIX, default `rotor:`); names from outside (namespaces,
 * keys, scopes, models, reservation keys, window names, days) are percent-encoded by `enc` first, so they never
 * hold `:`, `|`, glob characters or braces, and two different names never meet in one key:
 *
 *   P cooldowns               hash   enc(scope)|enc(model) → entry (JSON)
 *   P cooldowns-end           zset   same field → until (extend-only compare-and-set, pruning)
 *   P disables                hash   enc(id) → entry (JSON)
 *   P disables-end            zset   enc(id) → when it may be dropped (until + grace; for good: 6 h)
 *   P win:<key>:<name>        hash   #t total, #r resetAt (fixed), i<id> → amount per booking
 *   P win-t:<key>:<name>      zset   id → booking time (sliding windows)
 *   P usage:<day>             hash   JSON [dims, count] → sum (HINCRBYFLOAT)
 *   P usage-days              zset   day (all scores 0: ranges by name)
 *   P kv:<ns>:<key>           string the value (PX when it has a TTL)
 *   P kv-index:<ns>           zset   enc(key) → expiry (Redis time; +inf for none), pruned on write and list
 *   P changes                 channel of the change feed (JSON StateChange)
 *
 * Nothing grows for ever: cooldowns expire after their `until`, disables after theirs (for good: after 6 h, as a
 * restart would forget them: the first attempt finds such a credential out again), windows after their window or
 * reset, usage days `usageRetentionDays` after their last count, kv entries with their TTL (an entry without one
 * is kept until deleted, as the interface says). Expiries are computed from the store's clock plus a minute of
 * grace, so instances whose clocks differ a little never lose state early.
 */
import { append } from '../util/append.js';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../util/log.js';
import * as lua from './redis-scripts.js';
import type {
  CooldownEntry,
  DisableEntry,
  KvEntry,
  ReserveRequest,
  ReserveResult,
  StateChange,
  StateStore,
  StoreHealth,
  UsageKey,
  UsageRow,
  WindowSpec,
  WindowUsage,
  Correction,
} from './types.js';

export interface RedisStoreOptions {
  /** redis://[user:password@]host[:port][/db], or rediss:// for TLS. */
  url: string;
  /** Of every key and of the change channel (default `rotor:`). */
  prefix?: string;
  /** The store's clock (expiries are computed from it). */
  now?: () => number;
  /** Days a day's usage counters are kept after its last count (default 30). */
  usageRetentionDays?: number;
  logger?: Logger;
  /** How long one connection attempt may take (default 2 s). */
  connectTimeoutMs?: number;
  /** The longest pause between reconnection attempts (default 1 s). */
  maxReconnectDelayMs?: number;
  /** Bookings a daily (fixed) window keeps by id (default 10,000), as the memory store's option of that name. */
  maxFixedIds?: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Added to every expiry: keys outlive what they hold by this much (clock differences between instances). */
const GRACE_MS = MINUTE;
/** How long a disable for good is kept (a restart forgets it too; the first attempt finds it again). */
const FOREVER_DISABLE_MS = 6 * 60 * MINUTE;
/** No expiry beyond this (Redis refuses absurd ones; an Infinity cooldown is then forgotten after a year). */
const MAX_TTL_MS = 400 * DAY;
const MAX_REASON = 300;

/**
 * Percent-encoding of a name into a key part: letters, digits and `._-@+=,;~!$&'()/` stay; every other UTF-16
 * unit becomes `%XX` (below 0x100) or `%uXXXX`. Injective, and the output never holds `:`, `|`, `*?[]\`, `{}`,
 * spaces or control characters (lone surrogates survive too: they are encoded before UTF-8 could mangle them).
 */
export function enc(name: string): string {
  return name.replace(/[^A-Za-z0-9._\-@+=,;~!$&'()/]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? '%' + n.toString(16).toUpperCase().padStart(2, '0') : '%u' + n.toString(16).toUpperCase().padStart(4, '0');
  });
}

export function dec(part: string): string {
  return part.replace(/%u([0-9A-F]{4})|%([0-9A-F]{2})/g, (_, wide: string | undefined, narrow: string | undefined) => String.fromCharCode(parseInt(wide ?? narrow!, 16)));
}

/** A number for Lua and Redis (scores accept `inf`, not `Infinity`). */
function num(x: number): string {
  return x === Infinity ? 'inf' : x === -Infinity ? '-inf' : String(x);
}

/** A number from a script (formatted `%.17g`; `inf` for Infinity). */
function parseNum(s: unknown): number {
  const t = String(s);
  return t === 'inf' ? Infinity : t === '-inf' ? -Infinity : Number(t);
}

/** A relative expiry in whole milliseconds: what is left of `ms`, plus grace, bounded. */
function ttl(ms: number): number {
  return Math.ceil(Math.min(Math.max(ms, 0) + GRACE_MS, MAX_TTL_MS));
}

/** JSON has no Infinity: a time that never ends travels as the string "Infinity". */
const jsonTime = (t: number | undefined) => (t === undefined || Number.isFinite(t) ? t : String(t));
const readTime = (t: unknown): number | undefined => (typeof t === 'number' ? t : typeof t === 'string' ? Number(t) : undefined);

function cooldownFrom(v: unknown): CooldownEntry | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const until = readTime(o.until);
  if (typeof o.scope !== 'string' || typeof o.model !== 'string' || until === undefined || typeof o.reason !== 'string' || typeof o.kind !== 'string') return undefined;
  return { scope: o.scope, model: o.model, until, reason: o.reason, kind: o.kind };
}

function disableFrom(v: unknown): DisableEntry | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || typeof o.reason !== 'string') return undefined;
  return { id: o.id, reason: o.reason, until: readTime(o.until) };
}

const cooldownJson = (c: CooldownEntry) => ({ scope: c.scope, model: c.model, until: jsonTime(c.until), reason: c.reason, kind: c.kind });
const disableJson = (d: DisableEntry) => ({ id: d.id, reason: d.reason, until: jsonTime(d.until) });

/** A change as the feed carries it, and back (anything else on the channel is ignored). */
export function encodeChange(change: StateChange): string {
  switch (change.type) {
    case 'cooldown':
      return JSON.stringify({ type: 'cooldown', entry: cooldownJson(change.entry) });
    case 'disable':
      return JSON.stringify({ type: 'disable', entry: disableJson(change.entry) });
    default:
      return JSON.stringify(change);
  }
}

export function decodeChange(message: string): StateChange | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(message) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  switch (v.type) {
    case 'cooldown': {
      const entry = cooldownFrom(v.entry);
      return entry && { type: 'cooldown', entry };
    }
    case 'cooldown-cleared':
      return typeof v.scope === 'string' ? { type: 'cooldown-cleared', scope: v.scope, model: typeof v.model === 'string' ? v.model : undefined } : undefined;
    case 'disable': {
      const entry = disableFrom(v.entry);
      return entry && { type: 'disable', entry };
    }
    case 'disable-cleared':
      return typeof v.id === 'string' ? { type: 'disable-cleared', id: v.id } : undefined;
    case 'kv':
      return typeof v.ns === 'string' && typeof v.key === 'string' ? { type: 'kv', ns: v.ns, key: v.key } : undefined;
    case 'resync':
      return { type: 'resync' };
    default:
      return undefined;
  }
}

/** The URL without its user and password, for logs and status. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'redis (unparsable URL)';
  }
}

type Script = (...args: Array<string | number>) => Promise<unknown>;
/**
 * Scripts nothing waits for, held and sent with the next urgent command (hold): a restamp (a booking moved later,
 * with its tokens corrected) and usage counts. A token's daily correction or a release is not held: the client's
 * next request, through another instance, must find it there.
 */
const HELD = new Set(['rotorRestamp', 'rotorAddUsage']);
/** How long a held call may wait for an urgent command to carry it (a restamp carries its own time). */
const HOLD_MS = 10;
const SCRIPTS = {
  rotorReserve: lua.RESERVE,
  rotorWindowUsage: lua.WINDOW_USAGE,
  rotorAdjust: lua.ADJUST,
  rotorRelease: lua.RELEASE,
  rotorRestamp: lua.RESTAMP,
  rotorExtendCooldown: lua.EXTEND_COOLDOWN,
  rotorClearCooldown: lua.CLEAR_COOLDOWN,
  rotorSetDisable: lua.SET_DISABLE,
  rotorClearDisable: lua.CLEAR_DISABLE,
  rotorAddUsage: lua.ADD_USAGE,
  rotorKvSet: lua.KV_SET,
  rotorKvDelete: lua.KV_DELETE,
  rotorKvMembers: lua.KV_MEMBERS,
} as const;

/** How often an instance says it is alive; one unheard for three beats is gone. */
const HEARTBEAT_MS = 2_000;

export class RedisStore implements StateStore {
  readonly kind = 'redis';
  readonly prefix: string;
  /** The change feed's channel. */
  readonly channel: string;
  /** The URL without credentials. */
  readonly where: string;
  private readonly now: () => number;
  private readonly retentionMs: number;
  private readonly maxFixedIds: number;
  private readonly logger: Logger | undefined;
  /** Commands and scripts. */
  private readonly client: Redis;
  /** The change feed (a connection in subscriber mode). */
  private readonly sub: Redis;
  /** The change feed came back after a loss: `resync` is announced once commands are answered too. */
  private resyncPending = false;
  private readonly run: Record<keyof typeof SCRIPTS, Script>;
  private readonly listeners = new Set<(change: StateChange) => void>();
  private readonly connectionListeners = new Set<(up: boolean) => void>();
  private subscribed = false;
  private subscribedBefore = false;
  private lastUp = false;
  private closed = false;
  /** This instance, in the set of instances sharing the prefix (heartbeats every few seconds). */
  private readonly instanceId = `${process.pid}.${Math.random().toString(36).slice(2, 10)}`;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Instances seen sharing the store at the last heartbeat, this one included. */
  private peerCount = 1;

  /** Calls that nothing waits for, not yet built: sent together with the next urgent command, or after HOLD_MS. */
  private held: Array<() => void> = [];
  private holdTimer: NodeJS.Timeout | undefined;

  /**
   * Holds calls that nothing waits for (restamps, usage) until the next command that must not wait (a booking,
   * a read) or HOLD_MS, and sends them in the same write: the answer goes to the client before its bookkeeping
   * is even built, and the next request's booking carries it to Redis (at concurrency 1 a restamp of its own
   * cost a write, a reply and a wake-up on the next request's way out; p50 +0.3 ms). The times they carry were
   * taken when they were made. A booking is never held: the time it is made is the time it counts from, and a
   * request waiting for it must not wait longer (on a loaded host that pushed requests past the quota margin).
   * ioredis's own auto-pipelining checks scripts per batch, which cost more than it saved.
   */
  private hold<T>(call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.held.push(() => {
        try {
          call().then(resolve, reject);
        } catch (err) {
          reject(err as Error);
        }
      });
      if (this.held.length === 1) {
        this.holdTimer = setTimeout(() => this.flushWrites(), HOLD_MS);
        this.holdTimer.unref();
      }
    });
  }

  /** Sends what is held now, then `next` (a command that must not wait), in one write and in that order. */
  private flushWrites(): void;
  private flushWrites<T>(next: () => Promise<T>): Promise<T>;
  private flushWrites<T>(next?: () => Promise<T>): Promise<T> | void {
    if (this.held.length === 0) return next?.();
    clearTimeout(this.holdTimer);
    const calls = this.held;
    this.held = [];
    const stream = (this.client as unknown as { stream?: { cork?(): void; uncork?(): void; writable?: boolean } }).stream;
    const cork = stream?.cork && stream.uncork && stream.writable;
    if (cork) stream.cork!();
    try {
      for (const call of calls) call();
      return next?.();
    } finally {
      if (cork) stream.uncork!();
    }
  }

  /** The client for a command outside the scripts (reads): after what this turn holds, as one connection would have it. */
  private direct(): Redis {
    this.flushWrites();
    return this.client;
  }

  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix ?? 'rotor:';
    this.channel = `${this.prefix}changes`;
    this.where = describeRedisUrl(options.url);
    this.now = options.now ?? Date.now;
    this.retentionMs = (options.usageRetentionDays ?? 30) * DAY;
    this.maxFixedIds = options.maxFixedIds ?? 10_000;
    this.logger = options.logger;
    const maxDelay = options.maxReconnectDelayMs ?? 1_000;
    // Fail fast: nothing waits for a connection (no offline queue), in-flight commands fail when it drops
    // (no retries, no resending), and reconnection goes on in the background for as long as it takes.
    const common: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times - 1, 10), maxDelay),
      connectionName: 'rotor',
    };
    this.client = new Redis(options.url, common);
    this.sub = new Redis(options.url, { ...common, autoResubscribe: false, connectionName: 'rotor-feed' });
    for (const [name, script] of Object.entries(SCRIPTS)) this.client.defineCommand(name, { lua: script });
    const client = this.client as unknown as Record<string, Script>;
    this.run = Object.fromEntries(
      Object.keys(SCRIPTS).map((name) => {
        const script = client[name]!.bind(this.client);
        const urgent = !HELD.has(name);
        return [name, (...args: Array<string | number>) => (urgent ? this.flushWrites(() => script(...args)) : this.hold(() => script(...args)))];
      }),
    ) as Record<keyof typeof SCRIPTS, Script>;

    const quiet = (err: Error) => this.logger?.debug(`redis ${this.where}: ${err.message}`);
    this.client.on('error', quiet);
    this.sub.on('error', quiet);
    this.client.on('ready', () => {
      // Every script loaded before its first use (and again after a Redis restart, which forgets them): an
      // EVALSHA that meets NOSCRIPT costs a second round trip, which can let a later call from another instance
      // overtake it (a token's daily_tokens correction arriving after the next request was admitted).
      for (const script of Object.values(SCRIPTS)) void this.client.script('LOAD', script).catch(quiet);
      this.notify();
      this.announceResync();
      void this.beat();
    });
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
    this.client.on('close', () => this.notify());
    this.sub.on('ready', () => this.resubscribe());
    this.sub.on('close', () => {
      this.subscribed = false;
      this.notify();
    });
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const change = decodeChange(message);
      if (change) this.emit(change);
    });
    this.client.connect().catch(() => {});
    this.sub.connect().catch(() => {});
  }

  /** Whether both connections are up (commands answered, the change feed subscribed). */
  get up(): boolean {
    return !this.closed && this.client.status === 'ready' && this.subscribed;
  }

  /** Resolves true once up, or false after `timeoutMs` (reconnection goes on either way). */
  whenUp(timeoutMs: number): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(this.up);
      }, timeoutMs);
      const off = this.onConnection((up) => {
        if (!up) return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
    });
  }

  /** Hears the store go down (either connection lost) and up (both back, the feed subscribed again). */
  onConnection(listener: (up: boolean) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  private announceResync(): void {
    if (!this.resyncPending || !this.up) return;
    this.resyncPending = false;
    this.emit({ type: 'resync' });
  }

  private notify(): void {
    const up = this.up;
    if (up === this.lastUp) return;
    this.lastUp = up;
    for (const l of this.connectionListeners) l(up);
  }

  private resubscribe(): void {
    this.sub.subscribe(this.channel).then(
      () => {
        if (this.closed) return;
        this.subscribed = true;
        const again = this.subscribedBefore;
        this.subscribedBefore = true;
        // Changes published while the feed was down were missed: listeners reload everything, once commands
        // are answered too (the two connections come back in either order).
        if (again) this.resyncPending = true;
        this.notify();
        this.announceResync();
      },
      (err: Error) => this.logger?.debug(`redis ${this.where}: subscribe failed: ${err.message}`),
    );
  }

  /** Forces both connections to reconnect (an answerless connection that still looks open). */
  reconnect(): void {
    if (this.closed) return;
    this.client.disconnect(true);
    this.sub.disconnect(true);
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  /** Instances sharing the store, this one included, as last seen. */
  get peers(): number {
    return this.peerCount;
  }

  /** Says this instance is alive and counts the others that said so lately. */
  private async beat(): Promise<void> {
    if (this.closed || this.client.status !== 'ready') return;
    const key = `${this.prefix}instances`;
    const now = this.now();
    try {
      const r = await this.client
        .multi()
        .zadd(key, num(now), this.instanceId)
        .zremrangebyscore(key, '-inf', num(now - 3 * HEARTBEAT_MS))
        .zcard(key)
        .pexpire(key, 6 * HEARTBEAT_MS)
        .exec();
      const count = Number(r?.[2]?.[1]);
      if (Number.isInteger(count) && count > 0) this.peerCount = count;
    } catch {
      /* the next beat tries again */
    }
  }

  /** The last health answered, kept while nothing it says changes: the quota book asks for it several times a request. */
  private healthMemo: { up: boolean; peers: number; health: StoreHealth } | undefined;

  health(): StoreHealth {
    const memo = this.healthMemo;
    if (memo && memo.up === this.up && memo.peers === this.peerCount) return memo.health;
    const health: StoreHealth = this.up
      ? { kind: 'redis', ok: true, detail: `${this.where} (prefix ${this.prefix}), shared by ${this.peerCount} instance(s)`, peers: this.peerCount }
      : { kind: 'redis', ok: false, detail: `${this.where} unreachable`, peers: this.peerCount };
    this.healthMemo = { up: this.up, peers: this.peerCount, health };
    return health;
  }

  private emit(change: StateChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.logger?.warn(`a state change listener failed: ${(err as Error).message}`);
      }
    }
  }

  subscribe(listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- keys -----------------------------------------------------------------------------------------------

  private get cooldownsKey() {
    return `${this.prefix}cooldowns`;
  }
  private get cooldownEndsKey() {
    return `${this.prefix}cooldowns-end`;
  }
  private get disablesKey() {
    return `${this.prefix}disables`;
  }
  private get disableEndsKey() {
    return `${this.prefix}disables-end`;
  }
  private get usageDaysKey() {
    return `${this.prefix}usage-days`;
  }
  private usageKey(day: string) {
    return `${this.prefix}usage:${enc(day)}`;
  }
  /** Window keys repeat for every booking of a bucket: encoded once (bounded: cleared when it grows large). */
  private readonly windowKeyCache = new Map<string, [string, string]>();

  private windowKeys(key: string, name: string): [string, string] {
    const cacheKey = `${key}\0${name}`;
    let keys = this.windowKeyCache.get(cacheKey);
    if (!keys) {
      const id = `${enc(key)}:${enc(name)}`;
      keys = [`${this.prefix}win:${id}`, `${this.prefix}win-t:${id}`];
      if (this.windowKeyCache.size >= 10_000) this.windowKeyCache.clear();
      this.windowKeyCache.set(cacheKey, keys);
    }
    return keys;
  }
  private kvKey(ns: string, key: string) {
    return `${this.prefix}kv:${enc(ns)}:${enc(key)}`;
  }
  private kvIndexKey(ns: string) {
    return `${this.prefix}kv-index:${enc(ns)}`;
  }

  // --- health ---------------------------------------------------------------------------------------------

  async extendCooldown(entry: CooldownEntry): Promise<boolean> {
    const stored: CooldownEntry = { scope: entry.scope, model: entry.model, until: entry.until, reason: entry.reason.slice(0, MAX_REASON), kind: entry.kind };
    const now = this.now();
    const changed = await this.run.rotorExtendCooldown(
      2,
      this.cooldownsKey,
      this.cooldownEndsKey,
      `${enc(entry.scope)}|${enc(entry.model)}`,
      num(entry.until),
      JSON.stringify(cooldownJson(stored)),
      ttl(entry.until - now),
      num(now - GRACE_MS),
      this.channel,
      encodeChange({ type: 'cooldown', entry: stored }),
    );
    return changed === 1;
  }

  async clearCooldown(scope: string, model?: string): Promise<void> {
    await this.run.rotorClearCooldown(
      2,
      this.cooldownsKey,
      this.cooldownEndsKey,
      model === undefined ? '' : `${enc(scope)}|${enc(model)}`,
      `${enc(scope)}|`,
      this.channel,
      encodeChange({ type: 'cooldown-cleared', scope, model }),
    );
  }

  async setDisable(entry: DisableEntry): Promise<void> {
    const stored: DisableEntry = { id: entry.id, reason: entry.reason, until: entry.until };
    const now = this.now();
    const dropAt = entry.until === undefined ? now + FOREVER_DISABLE_MS : entry.until + GRACE_MS;
    await this.run.rotorSetDisable(
      2,
      this.disablesKey,
      this.disableEndsKey,
      enc(entry.id),
      JSON.stringify(disableJson(stored)),
      num(dropAt),
      ttl(dropAt - now - GRACE_MS),
      num(now),
      this.channel,
      encodeChange({ type: 'disable', entry: stored }),
    );
  }

  async clearDisable(id: string): Promise<void> {
    await this.run.rotorClearDisable(2, this.disablesKey, this.disableEndsKey, enc(id), this.channel, encodeChange({ type: 'disable-cleared', id }));
  }

  async liveHealth(now: number): Promise<{ cooldowns: CooldownEntry[]; disables: DisableEntry[] }> {
    const [c, d] = await Promise.all([this.direct().hgetall(this.cooldownsKey), this.client.hgetall(this.disablesKey)]);
    const cooldowns: CooldownEntry[] = [];
    for (const json of Object.values(c)) {
      const entry = cooldownFrom(safeParse(json));
      if (entry && entry.until > now) cooldowns.push(entry);
    }
    const disables: DisableEntry[] = [];
    for (const json of Object.values(d)) {
      const entry = disableFrom(safeParse(json));
      if (entry && (entry.until === undefined || entry.until > now)) disables.push(entry);
    }
    return { cooldowns, disables };
  }

  // --- quota windows --------------------------------------------------------------------------------------

  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    if (req.windows.length === 0) return { ok: true, used: [] };
    const clock = this.now();
    const keys: string[] = [];
    const args: string[] = [req.id, num(req.now)];
    for (const w of req.windows) {
      keys.push(...this.windowKeys(req.key, w.name));
      if (w.kind === 'sliding') args.push('s', num(w.windowMs), num(w.limit), num(w.amount), String(ttl(Math.max(req.now - clock, 0) + w.windowMs)));
      else args.push('f', num(w.resetAt), num(w.limit), num(w.amount), String(ttl(w.resetAt - clock)));
    }
    args.push(String(this.maxFixedIds));
    const r = (await this.run.rotorReserve(keys.length, ...keys, ...args)) as unknown[];
    if (r[0] === 1) return { ok: true, used: r.slice(1).map(parseNum) };
    return { ok: false, window: req.windows[Number(r[1]) - 1]!.name, retryAt: parseNum(r[2]) };
  }

  async adjust(id: string, key: string, window: string, amount: number): Promise<void> {
    await this.run.rotorAdjust(1, this.windowKeys(key, window)[0], id, num(amount));
  }

  async restamp(id: string, key: string, windows: readonly WindowSpec[], at: number, correction?: Correction): Promise<void> {
    const sliding = windows.filter((w) => w.kind === 'sliding');
    if (sliding.length === 0) return correction && this.adjust(id, key, correction.window, correction.amount);
    const clock = this.now();
    const keys: string[] = [];
    const ttls: string[] = [];
    for (const w of sliding) {
      keys.push(...this.windowKeys(key, w.name));
      // The keys live until the window has passed, counted from the new time.
      ttls.push(String(ttl(Math.max(at - clock, 0) + (w as { windowMs: number }).windowMs)));
    }
    // A correction's hash goes last among the keys, its amount last among the arguments.
    if (correction) await this.run.rotorRestamp(keys.length + 1, ...keys, this.windowKeys(key, correction.window)[0], id, num(at), ...ttls, num(correction.amount));
    else await this.run.rotorRestamp(keys.length, ...keys, id, num(at), ...ttls);
  }

  async release(id: string, key: string, windows: readonly WindowSpec[]): Promise<void> {
    if (windows.length === 0) return;
    const keys = windows.flatMap((w) => this.windowKeys(key, w.name));
    await this.run.rotorRelease(keys.length, ...keys, id);
  }

  async windowUsage(key: string, windows: readonly WindowSpec[], now: number): Promise<WindowUsage[]> {
    if (windows.length === 0) return [];
    const keys = windows.flatMap((w) => this.windowKeys(key, w.name));
    const args = windows.flatMap((w) => (w.kind === 'sliding' ? ['s', num(w.windowMs)] : ['f', num(w.resetAt)]));
    const r = (await this.run.rotorWindowUsage(keys.length, ...keys, num(now), ...args)) as unknown[];
    return windows.map((w, i) => ({ name: w.name, used: parseNum(r[i]) }));
  }

  // --- usage ----------------------------------------------------------------------------------------------

  async addUsage(key: UsageKey, counts: Record<string, number>): Promise<void> {
    // JSON, so no dimension name or value (both may come from clients) can pass for another.
    const dims = Object.keys(key.dims)
      .sort()
      .flatMap((d) => [d, key.dims[d]!]);
    const args: string[] = [];
    for (const name in counts) {
      const n = counts[name]!;
      if (Number.isFinite(n)) args.push(JSON.stringify([dims, name]), String(n));
    }
    if (args.length === 0) return;
    await this.run.rotorAddUsage(2, this.usageKey(key.day), this.usageDaysKey, key.day, String(Math.ceil(this.retentionMs)), ...args);
  }

  async usage(from: string, to: string): Promise<UsageRow[]> {
    if (from > to) return [];
    const days = await this.direct().zrangebylex(this.usageDaysKey, `[${from}`, `[${to}`);
    const hashes = await Promise.all(days.map((day) => this.client.hgetall(this.usageKey(day))));
    const rows: UsageRow[] = [];
    const gone: string[] = [];
    days.forEach((day, i) => {
      const h = hashes[i]!;
      const byDims = new Map<string, UsageRow>();
      for (const [field, value] of Object.entries(h)) {
        const parsed = safeParse(field) as [string[], string] | undefined;
        if (!Array.isArray(parsed) || !Array.isArray(parsed[0]) || typeof parsed[1] !== 'string') continue;
        const id = JSON.stringify(parsed[0]);
        let row = byDims.get(id);
        if (!row) {
          const dims: Record<string, string> = {};
          for (let j = 0; j + 1 < parsed[0].length; j += 2) dims[parsed[0][j]!] = parsed[0][j + 1]!;
          byDims.set(id, (row = { day, dims, counts: {} }));
        }
        row.counts[parsed[1]] = Number(value);
      }
      if (byDims.size === 0) gone.push(day);
      append(rows, byDims.values());
    });
    // Days whose counters have expired leave the index.
    if (gone.length > 0) void this.client.zrem(this.usageDaysKey, ...gone).catch(() => {});
    return rows;
  }

  // --- key-value ------------------------------------------------------------------------------------------

  async kvGet(ns: string, key: string): Promise<string | undefined> {
    return (await this.direct().get(this.kvKey(ns, key))) ?? undefined;
  }

  async kvGetMany(ns: string, keys: readonly string[]): Promise<Array<string | undefined>> {
    if (keys.length === 0) return [];
    const values = await this.direct().mget(keys.map((k) => this.kvKey(ns, k)));
    return values.map((v) => v ?? undefined);
  }

  async kvSet(ns: string, key: string, value: string, ttlMs?: number): Promise<void> {
    // A TTL of 0 or less: there and gone (as the memory store has it), which PX cannot say.
    const px = ttlMs === undefined || Number.isNaN(ttlMs) ? '' : String(Math.max(1, Math.ceil(Math.min(ttlMs, MAX_TTL_MS))));
    await this.run.rotorKvSet(2, this.kvKey(ns, key), this.kvIndexKey(ns), enc(key), value, px, String(GRACE_MS), this.channel, encodeChange({ type: 'kv', ns, key }));
  }

  async kvDelete(ns: string, key: string): Promise<void> {
    await this.run.rotorKvDelete(2, this.kvKey(ns, key), this.kvIndexKey(ns), enc(key), this.channel, encodeChange({ type: 'kv', ns, key }));
  }

  async kvList(ns: string): Promise<KvEntry[]> {
    const members = (await this.run.rotorKvMembers(1, this.kvIndexKey(ns))) as string[];
    const out: KvEntry[] = [];
    for (let i = 0; i < members.length; i += 1_000) {
      const chunk = members.slice(i, i + 1_000);
      const values = await this.direct().mget(chunk.map((m) => `${this.prefix}kv:${enc(ns)}:${m}`));
      chunk.forEach((m, j) => {
        const value = values[j];
        if (value !== null && value !== undefined) out.push({ key: dec(m), value });
      });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.flushWrites();
    if (this.client.status === 'ready') await this.client.zrem(`${this.prefix}instances`, this.instanceId).catch(() => undefined);
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.connectionListeners.clear();
    await Promise.all([quit(this.client), quit(this.sub)]);
  }
}

function safeParse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

/** QUIT (so commands already sent are answered first), bounded; then the socket is closed either way. */
async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.quit().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, 500)))]);
    clearTimeout(timer);
  }
  client.disconnect();
}

/** Opens a Redis store and waits until it is connected and its change feed subscribed (rejects after `timeoutMs`). */
export async function openRedisStore(options: RedisStoreOptions & { timeoutMs?: number }): Promise<RedisStore> {
  const store = new RedisStore(options);
  if (await store.whenUp(options.timeoutMs ?? 5_000)) return store;
  await store.close();
  throw new Error(`Redis at ${store.where} did not answer within ${options.timeoutMs ?? 5_000} ms`);
}
