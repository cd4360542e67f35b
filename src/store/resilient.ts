/**
 * Redis with a memory fallback: no request fails or hangs because Redis is away. Every call goes to Redis,
 * bounded by a short timeout; when Redis cannot be reached (a dropped connection, a call without an answer in
 * time) the store switches to a MemoryStore and serves from it, says so once in the log and in health(), and
 * probes Redis until it answers again. Then it switches back, writes back what it learned meanwhile, and emits
 * `resync`, so the pool and the quota book reload the shared state. Written back: every cooldown it knows
 * (extend-only, so this never shortens one), the disables it set or cleared, the usage it counted, its bookings
 * in daily (fixed) windows still running (by reservation id, so a booking Redis did get is not counted twice),
 * and the key-value entries it wrote or deleted (the latest 10,000, with what is left of their TTL). Not written
 * back: bookings in sliding windows (a minute long; each instance counted its own meanwhile).
 *
 * The memory store is kept warm while Redis serves: every cooldown and disable heard on the change feed is
 * applied to it, so a fallback starts from what every instance knew, not from nothing (and a Redis restarted
 * empty gets those cooldowns back from each instance). Quota bookings and key-value entries are not mirrored:
 * in a fallback each instance books its own windows, and cached signatures and affinities start empty.
 *
 * A Redis that answers with an error (out of memory, read-only replica, a script error) is not "away": that one
 * call is answered from memory and the error logged (once per message), without switching.
 */
import { randomUUID } from 'node:crypto';
import { ReplyError } from 'ioredis';
import type { Logger } from '../util/log.js';
import { MemoryStore } from './memory.js';
import type { RedisStore } from './redis.js';
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

export interface ResilientStoreOptions {
  redis: RedisStore;
  logger: Logger;
  /** The store's clock (the memory fallback's too). */
  now?: () => number;
  /** How long one Redis call may take before it is answered from memory (default 1 s). */
  timeoutMs?: number;
  /** How often Redis is tried again while serving from memory (default 500 ms). */
  probeIntervalMs?: number;
}

class Timeout extends Error {}

/** Timed-out calls in a row (on a connection that looks up) before the store switches to memory. */
const TIMEOUTS_BEFORE_DOWN = 3;

/** Key-value writes remembered for the write-back, at most. */
const MAX_PENDING_KV = 10_000;

export class ResilientStore implements StateStore {
  readonly kind = 'redis';
  readonly redis: RedisStore;
  private memory: MemoryStore;
  private mode: 'redis' | 'memory' = 'redis';
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  /**
   * Calls waiting for Redis, each with its deadline, swept by one timer: a timer and a race per call cost more
   * CPU than the call itself (three calls a request when quotas are booked).
   */
  private readonly waiting = new Set<{ deadline: number; reject: (err: Error) => void }>();
  private sweeper: NodeJS.Timeout | undefined;
  private timeoutsInRow = 0;
  private readonly probeIntervalMs: number;
  private readonly listeners = new Set<(change: StateChange) => void>();
  private readonly offRedis: () => void;
  private readonly offConnection: () => void;
  private offMemory: () => void;
  /** Wall-clock time Redis was lost, and why. */
  private downSince = 0;
  private downReason = '';
  private probeTimer: NodeJS.Timeout | undefined;
  private failedProbes = 0;
  private restoring: Promise<void> | undefined;
  private closed = false;
  /** Written to memory while Redis was away, to write back when it returns (usage and daily bookings are read back from memory). */
  private pendingDisables = new Map<string, DisableEntry | null>();
  /** ns NUL key → when the value written expires (undefined: kept; null: deleted). */
  private pendingKv = new Map<string, { ns: string; key: string; expires: number | undefined | null }>();
  /** Reply errors already logged (each once). */
  private readonly loggedErrors = new Set<string>();

  constructor(options: ResilientStoreOptions) {
    this.redis = options.redis;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.probeIntervalMs = options.probeIntervalMs ?? 500;
    this.memory = new MemoryStore({ now: this.now });
    this.offMemory = this.memory.subscribe((c) => this.fromMemory(c));
    this.offRedis = this.redis.subscribe((c) => this.fromRedis(c));
    this.offConnection = this.redis.onConnection((up) => {
      if (!up) this.lost('connection lost');
      else void this.restore();
    });
    if (!this.redis.up) this.lost('no connection at start');
  }

  /**
   * Wraps a Redis store, waiting up to `startTimeoutMs` for it: connected, the memory fallback is warmed with
   * the health state Redis holds; unreachable, the store starts serving from memory (and says so).
   */
  static async open(options: ResilientStoreOptions & { startTimeoutMs?: number }): Promise<ResilientStore> {
    await options.redis.whenUp(options.startTimeoutMs ?? 2_000);
    const store = new ResilientStore(options);
    if (store.mode === 'redis') {
      try {
        const seed = await store.bounded(store.redis.liveHealth(store.now()));
        store.warm(store.memory, seed);
      } catch (err) {
        store.failed(err);
      }
    }
    return store;
  }

  /** Where calls go now (tests, status). */
  get serving(): 'redis' | 'memory' {
    return this.mode;
  }

  /** The fallback's health, kept while nothing it says changes (the quota book asks several times a request). */
  private downHealth: { since: number; reason: string; peers: number; health: StoreHealth } | undefined;

  health(): StoreHealth {
    if (this.mode === 'redis') return this.redis.health();
    const memo = this.downHealth;
    if (memo && memo.since === this.downSince && memo.reason === this.downReason && memo.peers === this.redis.peers) return memo.health;
    const since = new Date(this.downSince).toISOString();
    const health: StoreHealth = { kind: 'redis', ok: false, detail: `${this.redis.where} unreachable since ${since} (${this.downReason}), serving from memory`, peers: this.redis.peers };
    this.downHealth = { since: this.downSince, reason: this.downReason, peers: this.redis.peers, health };
    return health;
  }

  subscribe(listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: StateChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.logger.warn(`a state change listener failed: ${(err as Error).message}`);
      }
    }
  }

  /** A change on the feed: mirrored into memory (health only), and passed on while Redis serves. */
  private fromRedis(change: StateChange): void {
    // The feed's own resync (its subscription came back): restore() announces one after writing back.
    if (change.type === 'resync') return;
    this.mirror(this.memory, change);
    if (this.mode === 'redis') this.emit(change);
  }

  /** A change made in memory: passed on only while memory serves (while Redis serves it is only a mirror). */
  private fromMemory(change: StateChange): void {
    if (this.mode === 'memory') this.emit(change);
  }

  private mirror(memory: MemoryStore, change: StateChange): void {
    switch (change.type) {
      case 'cooldown':
        memory.extendCooldownNow(change.entry);
        break;
      case 'cooldown-cleared':
        void memory.clearCooldown(change.scope, change.model);
        break;
      case 'disable':
        void memory.setDisable(change.entry);
        break;
      case 'disable-cleared':
        void memory.clearDisable(change.id);
        break;
      default:
    }
  }

  private warm(memory: MemoryStore, seed: { cooldowns: CooldownEntry[]; disables: DisableEntry[] }): void {
    for (const c of seed.cooldowns) memory.extendCooldownNow(c);
    for (const d of seed.disables) void memory.setDisable(d);
  }

  // --- switching ------------------------------------------------------------------------------------------

  private bounded<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call = { deadline: performance.now() + this.timeoutMs, reject };
      this.waiting.add(call);
      this.sweeper ??= setInterval(() => this.sweep(), Math.max(10, this.timeoutMs / 4)).unref();
      p.then(
        (value) => {
          this.waiting.delete(call);
          resolve(value);
        },
        (err: unknown) => {
          this.waiting.delete(call);
          reject(err);
        },
      );
    });
  }

  /**
   * Fails the calls past their deadline (within a quarter of the bound); stops while none wait. Not at once: after
   * the event loop stalled (a busy host, a long GC), timers run before the replies waiting in the socket are read,
   * so the calls are failed after this turn's I/O, and only those Redis still has not answered.
   */
  private sweep(): void {
    const now = performance.now();
    const late = [...this.waiting].filter((call) => call.deadline <= now);
    if (late.length > 0) {
      setImmediate(() => {
        for (const call of late) if (this.waiting.delete(call)) call.reject(new Timeout(`no answer within ${this.timeoutMs} ms`));
      });
    }
    if (this.waiting.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private failed(err: unknown): void {
    // One slow answer on a busy machine is not an outage: that call is served from memory, and only a dropped
    // connection or several timeouts in a row switch the store over.
    if (err instanceof Timeout && this.redis.up && ++this.timeoutsInRow < TIMEOUTS_BEFORE_DOWN) return;
    if (err instanceof ReplyError) {
      const message = String((err as Error).message);
      if (!this.loggedErrors.has(message) && this.loggedErrors.size < 100) {
        this.loggedErrors.add(message);
        this.logger.warn(`Redis at ${this.redis.where} answered with an error (${message}); that call was served from memory`);
      }
      return;
    }
    this.lost(err instanceof Error ? err.message : String(err));
  }

  /** Redis is away: serve from memory, say so once, and probe until it is back. */
  private lost(reason: string): void {
    if (this.mode === 'memory' || this.closed) return;
    this.mode = 'memory';
    this.timeoutsInRow = 0;
    this.downSince = Date.now();
    this.downReason = reason;
    this.failedProbes = 0;
    this.logger.warn(`Redis at ${this.redis.where} unreachable (${reason}); serving from memory until it is back`);
    this.probeTimer = setInterval(() => void this.probe(), this.probeIntervalMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (this.mode === 'redis' || this.restoring || this.closed || !this.redis.up) return;
    await this.restore();
    // A connection that looks open but does not answer: start it over.
    if (this.mode === 'memory' && ++this.failedProbes >= 3) {
      this.failedProbes = 0;
      this.redis.reconnect();
    }
  }

  /**
   * Redis answers again: switch back, write back what memory learned meanwhile, and tell the listeners to
   * reload. The memory store is replaced by one warmed from Redis, so the next fallback starts from the
   * shared state again.
   */
  private restore(): Promise<void> {
    if (this.mode === 'redis' || this.closed || !this.redis.up) return Promise.resolve();
    return (this.restoring ??= (async () => {
      try {
        await this.bounded(this.redis.ping());
        const seed = await this.bounded(this.redis.liveHealth(this.now()));
        // Gone again while we asked: the next reconnection tries again.
        if (this.closed || !this.redis.up) return;
        const old = this.memory;
        const disables = this.pendingDisables;
        const kv = this.pendingKv;
        const fresh = new MemoryStore({ now: this.now });
        this.warm(fresh, seed);
        this.offMemory();
        this.memory = fresh;
        this.offMemory = fresh.subscribe((c) => this.fromMemory(c));
        this.pendingDisables = new Map();
        this.pendingKv = new Map();
        this.mode = 'redis';
        if (this.probeTimer) clearInterval(this.probeTimer);
        this.probeTimer = undefined;
        const seconds = ((Date.now() - this.downSince) / 1000).toFixed(1);
        this.logger.info(`Redis at ${this.redis.where} reachable again after ${seconds} s; shared state resumed`);

        // Written back through this store: should Redis go again meanwhile, they land in memory (and are kept
        // for the next return). Cooldowns only ever lengthen, so writing back every one is safe.
        try {
          await this.writeBack(old, disables, kv);
        } catch (err) {
          this.logger.warn(`writing back to Redis what was kept in memory failed: ${(err as Error).message}`);
        }
        await old.close();
        if (this.mode === 'redis') this.emit({ type: 'resync' });
      } catch {
        // Not yet: the next probe (or reconnection) tries again.
      } finally {
        this.restoring = undefined;
      }
    })());
  }

  private async writeBack(old: MemoryStore, disables: Map<string, DisableEntry | null>, kv: ResilientStore['pendingKv']): Promise<void> {
    const now = this.now();
    const { cooldowns } = await old.liveHealth(now);
    await Promise.all(cooldowns.map((c) => this.extendCooldown(c)));
    for (const [id, d] of disables) await (d ? this.setDisable(d) : this.clearDisable(id));
    // Memory only ever counted usage while serving: all of it is this outage's.
    for (const row of await old.usage('', '\uffff')) await this.addUsage({ day: row.day, dims: row.dims }, row.counts);
    // Daily windows still running: booked again under the same ids, past any limit (they were spent); bookings
    // whose ids memory no longer kept (a long outage on a busy day) as one more, under an id of their own.
    for (const f of old.dailyBookings()) {
      const cut = f.window.lastIndexOf('|');
      const key = f.window.slice(0, cut);
      const name = f.window.slice(cut + 1);
      const book = (id: string, at: number, amount: number) => this.reserve({ id, key, windows: [{ name, kind: 'fixed', resetAt: f.resetAt, limit: Infinity, amount }], now: at });
      for (const [id, at, amount] of f.entries) await book(id, at, amount);
      if (f.earlier > 0) await book(`#earlier.${randomUUID()}`, now, f.earlier);
    }
    // Key-value: the latest write of each key wins, as it would have on Redis.
    for (const { ns, key, expires } of kv.values()) {
      const value = expires === null ? undefined : await old.kvGet(ns, key);
      if (value === undefined || expires === null) await this.kvDelete(ns, key);
      else await this.kvSet(ns, key, value, expires === undefined ? undefined : Math.max(1, expires - now));
    }
  }

  private rememberKv(ns: string, key: string, expires: number | undefined | null): void {
    const id = `${ns}\u0000${key}`;
    this.pendingKv.delete(id);
    this.pendingKv.set(id, { ns, key, expires });
    if (this.pendingKv.size > MAX_PENDING_KV) this.pendingKv.delete(this.pendingKv.keys().next().value as string);
  }

  /** Runs `op` on Redis, bounded; on memory when Redis is away or the call fails. */
  private async call<T>(op: (store: StateStore) => Promise<T>): Promise<T> {
    if (this.mode === 'redis') {
      try {
        const value = await this.bounded(op(this.redis));
        this.timeoutsInRow = 0;
        return value;
      } catch (err) {
        this.failed(err);
      }
    }
    return op(this.memory);
  }

  // --- StateStore -----------------------------------------------------------------------------------------

  extendCooldown(entry: CooldownEntry): Promise<boolean> {
    return this.call((s) => s.extendCooldown(entry));
  }

  clearCooldown(scope: string, model?: string): Promise<void> {
    return this.call((s) => s.clearCooldown(scope, model));
  }

  setDisable(entry: DisableEntry): Promise<void> {
    return this.call((s) => {
      if (s === this.memory) this.pendingDisables.set(entry.id, { ...entry });
      return s.setDisable(entry);
    });
  }

  clearDisable(id: string): Promise<void> {
    return this.call((s) => {
      if (s === this.memory) this.pendingDisables.set(id, null);
      return s.clearDisable(id);
    });
  }

  liveHealth(now: number): Promise<{ cooldowns: CooldownEntry[]; disables: DisableEntry[] }> {
    return this.call((s) => s.liveHealth(now));
  }

  reserve(req: ReserveRequest): Promise<ReserveResult> {
    return this.call((s) => s.reserve(req));
  }

  restamp(id: string, key: string, windows: readonly WindowSpec[], at: number, correction?: Correction): Promise<void> {
    return this.call((s) => s.restamp(id, key, windows, at, correction));
  }

  adjust(id: string, key: string, window: string, amount: number): Promise<void> {
    return this.call((s) => s.adjust(id, key, window, amount));
  }

  release(id: string, key: string, windows: readonly WindowSpec[]): Promise<void> {
    return this.call((s) => s.release(id, key, windows));
  }

  windowUsage(key: string, windows: readonly WindowSpec[], now: number): Promise<WindowUsage[]> {
    return this.call((s) => s.windowUsage(key, windows, now));
  }

  addUsage(key: UsageKey, counts: Record<string, number>): Promise<void> {
    return this.call((s) => s.addUsage(key, counts));
  }

  usage(from: string, to: string): Promise<UsageRow[]> {
    return this.call((s) => s.usage(from, to));
  }

  kvGet(ns: string, key: string): Promise<string | undefined> {
    return this.call((s) => s.kvGet(ns, key));
  }

  kvGetMany(ns: string, keys: readonly string[]): Promise<Array<string | undefined>> {
    return this.call((s) => s.kvGetMany(ns, keys));
  }

  kvSet(ns: string, key: string, value: string, ttlMs?: number): Promise<void> {
    return this.call((s) => {
      if (s === this.memory) this.rememberKv(ns, key, ttlMs === undefined ? undefined : this.now() + ttlMs);
      return s.kvSet(ns, key, value, ttlMs);
    });
  }

  kvDelete(ns: string, key: string): Promise<void> {
    return this.call((s) => {
      if (s === this.memory) this.rememberKv(ns, key, null);
      return s.kvDelete(ns, key);
    });
  }

  kvList(ns: string): Promise<KvEntry[]> {
    return this.call((s) => s.kvList(ns));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.listeners.clear();
    this.offRedis();
    this.offConnection();
    this.offMemory();
    await this.redis.close();
    await this.memory.close();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
