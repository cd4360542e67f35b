/**
 * The embedded StateStore: everything in this process's memory, answered at once. A snapshot (snapshot.ts)
 * keeps what must outlive a restart. Bounded: expired entries are dropped as they are met, and each key-value
 * namespace keeps at most `maxKvEntries` (the oldest written go first).
 */
import type {
  Cooldown,
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

export interface MemoryStoreOptions {
  now?: () => number;
  /** Per namespace (default 100,000). */
  maxKvEntries?: number;
  /** Per namespace, in bytes of keys and values (default 256 MiB): stored conversations can be large. */
  maxKvBytes?: number;
  /** Quota windows kept before a reservation sweeps out the empty ones (default 50,000). */
  maxWindows?: number;
  /**
   * Bookings a daily (fixed) window keeps by id (default 10,000). Older ones stay counted in its total but can no
   * longer be released or corrected: with a large daily limit, a busy day must not keep every request's id in
   * memory until midnight.
   */
  maxFixedIds?: number;
}

interface KvValue {
  value: string;
  expires: number | undefined;
}

/** One window's bookings: reservation id → [time, amount]; Map order is time order. */
interface Bookings {
  entries: Map<string, [number, number]>;
  total: number;
  /** Fixed windows: when the count goes back to 0. */
  resetAt?: number;
  /** Sliding windows: the length last asked for, and the latest booking's time (the sweep needs both). */
  windowMs?: number;
  last?: number;
}

/** The persistent part, as snapshot.ts saves it. */
export interface MemorySnapshot {
  cooldowns: CooldownEntry[];
  disables: DisableEntry[];
  usage: UsageRow[];
  kv: Record<string, Array<{ key: string; value: string; expires?: number }>>;
  /** Fixed windows (daily counts), so a restart does not forget what today already spent. */
  fixed: Array<{ window: string; resetAt: number; entries: Array<[string, number, number]> }>;
}

const sep = '\u0000';

/** The one booking a daily window is restored as (no reservation id starts with `#`). */
const RESTORED_ID = '#restored';

const MEMORY_HEALTH: StoreHealth = { kind: 'memory', ok: true, detail: 'in this process (snapshotted to PERSISTENT_STORAGE_PATH)' };

export class MemoryStore implements StateStore {
  readonly kind = 'memory';
  private readonly now: () => number;
  private readonly maxKv: number;
  private readonly maxKvBytes: number;
  /** Bytes held per key-value namespace (keys and values, as UTF-16 lengths × 2). */
  private readonly kvBytes = new Map<string, number>();
  private readonly maxWindows: number;
  private readonly maxFixedIds: number;
  /** The window count past which a reservation sweeps (kept ahead of what a sweep could not drop). */
  private sweepAbove: number;
  private readonly cooldowns = new Map<string, CooldownEntry>();
  private readonly disables = new Map<string, DisableEntry>();
  private readonly windows = new Map<string, Bookings>();
  private readonly usageRows = new Map<string, UsageRow>();
  private readonly kv = new Map<string, Map<string, KvValue>>();
  private readonly listeners = new Set<(change: StateChange) => void>();
  /** Bumped on every change the snapshot keeps. */
  version = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxKv = options.maxKvEntries ?? 100_000;
    this.maxKvBytes = options.maxKvBytes ?? 256 * 1024 * 1024;
    this.maxWindows = options.maxWindows ?? 50_000;
    this.maxFixedIds = options.maxFixedIds ?? 10_000;
    this.sweepAbove = this.maxWindows;
  }

  health(): StoreHealth {
    return MEMORY_HEALTH;
  }

  private emit(change: StateChange): void {
    for (const l of this.listeners) l(change);
  }

  subscribe(listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- health ---------------------------------------------------------------------------------------------

  async extendCooldown(entry: CooldownEntry): Promise<boolean> {
    return this.extendCooldownNow(entry);
  }

  /** Synchronous core, shared with the snapshot loader. */
  extendCooldownNow(entry: CooldownEntry): boolean {
    const key = entry.scope + sep + entry.model;
    const running = this.cooldowns.get(key);
    if (running && running.until >= entry.until) return false;
    const stored: CooldownEntry = { scope: entry.scope, model: entry.model, until: entry.until, reason: entry.reason.slice(0, 300), kind: entry.kind };
    this.cooldowns.set(key, stored);
    this.version++;
    this.emit({ type: 'cooldown', entry: stored });
    return true;
  }

  async clearCooldown(scope: string, model?: string): Promise<void> {
    for (const [key, c] of this.cooldowns) if (c.scope === scope && (model === undefined || c.model === model)) this.cooldowns.delete(key);
    this.version++;
    this.emit({ type: 'cooldown-cleared', scope, model });
  }

  async setDisable(entry: DisableEntry): Promise<void> {
    const stored = { id: entry.id, reason: entry.reason, until: entry.until };
    this.disables.set(entry.id, stored);
    this.version++;
    this.emit({ type: 'disable', entry: stored });
  }

  async clearDisable(id: string): Promise<void> {
    if (!this.disables.delete(id)) return;
    this.version++;
    this.emit({ type: 'disable-cleared', id });
  }

  async liveHealth(now: number): Promise<{ cooldowns: CooldownEntry[]; disables: DisableEntry[] }> {
    const cooldowns: CooldownEntry[] = [];
    for (const [key, c] of this.cooldowns) {
      if (c.until > now) cooldowns.push({ ...c });
      else this.cooldowns.delete(key);
    }
    const disables: DisableEntry[] = [];
    for (const d of this.disables.values()) if (d.until === undefined || d.until > now) disables.push({ ...d });
    return { cooldowns, disables };
  }

  // --- quota windows --------------------------------------------------------------------------------------

  private bookings(name: string, spec: WindowSpec, now: number): Bookings {
    let b = this.windows.get(name);
    if (spec.kind === 'fixed') {
      // A new day (or a reset time Google moved): count again from zero.
      if (!b || b.resetAt !== spec.resetAt || now >= b.resetAt) this.windows.set(name, (b = { entries: new Map(), total: 0, resetAt: spec.resetAt }));
      return b;
    }
    if (!b) this.windows.set(name, (b = { entries: new Map(), total: 0 }));
    b.windowMs = spec.windowMs;
    const cutoff = now - spec.windowMs;
    for (const [id, [at, amount]] of b.entries) {
      if (at > cutoff) break;
      b.entries.delete(id);
      b.total -= amount;
    }
    return b;
  }

  /**
   * Drops windows with nothing left in them: fixed ones past their reset, sliding ones whose every booking has
   * slid out (model names come from clients: the map must not only grow). The next sweep waits until the count
   * doubles what this one kept, so a map full of live windows is not scanned on every reservation.
   */
  private sweep(now: number): void {
    for (const [name, b] of this.windows) {
      const ended = b.resetAt !== undefined ? b.resetAt <= now : b.entries.size === 0 || (b.last ?? -Infinity) + (b.windowMs ?? 0) <= now;
      if (ended) this.windows.delete(name);
    }
    this.sweepAbove = Math.max(this.maxWindows, 2 * this.windows.size);
  }

  /** Quota windows held in memory (status and tests). */
  get windowCount(): number {
    return this.windows.size;
  }

  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    const now = req.now;
    if (this.windows.size > this.sweepAbove) this.sweep(now);
    const books = req.windows.map((w) => this.bookings(`${req.key}|${w.name}`, w, now));
    // Refused: name the window that frees last, since the reservation fits only once every window has room.
    let refused: { ok: false; window: string; retryAt: number } | undefined;
    for (let i = 0; i < req.windows.length; i++) {
      const w = req.windows[i]!;
      const b = books[i]!;
      if (b.total + w.amount <= w.limit) continue;
      const retryAt = freeAt(w, b, now);
      if (!refused || retryAt > refused.retryAt) refused = { ok: false, window: w.name, retryAt };
    }
    if (refused) return refused;
    for (let i = 0; i < req.windows.length; i++) {
      const w = req.windows[i]!;
      const b = books[i]!;
      b.entries.set(req.id, [now, w.amount]);
      b.total += w.amount;
      if (w.kind === 'fixed') {
        this.version++;
        // The oldest id goes (Map order is booking order); its amount stays in the total.
        if (b.entries.size > this.maxFixedIds) b.entries.delete(b.entries.keys().next().value!);
      } else if (b.last === undefined || now >= b.last) b.last = now;
      // Booked with an earlier time than the latest (another instance's clock, a time taken before another's
      // booking): put the entries back in time order, which pruning and freeAt rely on. Rare, so a re-sort.
      else b.entries = new Map([...b.entries].sort((x, y) => x[1][0] - y[1][0]));
    }
    return { ok: true, used: books.map((b) => b.total) };
  }

  async adjust(id: string, key: string, window: string, amount: number): Promise<void> {
    const b = this.windows.get(`${key}|${window}`);
    const e = b?.entries.get(id);
    if (!b || !e) return;
    b.total += amount - e[1];
    e[1] = amount;
    if (b.resetAt !== undefined) this.version++;
  }

  async restamp(id: string, key: string, windows: readonly WindowSpec[], at: number, correction?: Correction): Promise<void> {
    if (correction) await this.adjust(id, key, correction.window, correction.amount);
    for (const w of windows) {
      if (w.kind !== 'sliding') continue;
      const b = this.windows.get(`${key}|${w.name}`);
      const e = b?.entries.get(id);
      if (!b || !e || e[0] >= at) continue;
      // Moved to its new time: entries stay in time order, which pruning and freeAt rely on.
      b.entries.delete(id);
      e[0] = at;
      b.entries.set(id, e);
      // Re-inserted last, so still in order when nothing is later (the usual case: `at` is now); else a re-sort.
      if (b.last === undefined || at >= b.last) b.last = at;
      else b.entries = new Map([...b.entries].sort((x, y) => x[1][0] - y[1][0]));
    }
  }

  async release(id: string, key: string, windows: readonly WindowSpec[]): Promise<void> {
    for (const w of windows) {
      const b = this.windows.get(`${key}|${w.name}`);
      const e = b?.entries.get(id);
      if (!b || !e) continue;
      b.entries.delete(id);
      b.total -= e[1];
      if (w.kind === 'fixed') this.version++;
    }
  }

  /** A read: it neither creates, prunes nor resets a window (asking with another resetAt must not wipe one). */
  async windowUsage(key: string, windows: readonly WindowSpec[], now: number): Promise<WindowUsage[]> {
    return windows.map((w) => {
      const b = this.windows.get(`${key}|${w.name}`);
      if (!b) return { name: w.name, used: 0 };
      if (w.kind === 'fixed') return { name: w.name, used: b.resetAt === w.resetAt && now < w.resetAt ? b.total : 0 };
      // Entries are in time order: subtract what has slid out, oldest first, as pruning would.
      const cutoff = now - w.windowMs;
      let used = b.total;
      for (const [at, amount] of b.entries.values()) {
        if (at > cutoff) break;
        used -= amount;
      }
      return { name: w.name, used };
    });
  }

  // --- usage ----------------------------------------------------------------------------------------------

  async addUsage(key: UsageKey, counts: Record<string, number>): Promise<void> {
    // JSON, so no dimension name or value (both may come from clients) can pass for another.
    const id = JSON.stringify([key.day, ...Object.keys(key.dims).sort().flatMap((d) => [d, key.dims[d]])]);
    let row = this.usageRows.get(id);
    if (!row) this.usageRows.set(id, (row = { day: key.day, dims: { ...key.dims }, counts: {} }));
    for (const name in counts) row.counts[name] = (row.counts[name] ?? 0) + counts[name]!;
    this.version++;
  }

  async usage(from: string, to: string): Promise<UsageRow[]> {
    const out: UsageRow[] = [];
    for (const row of this.usageRows.values()) {
      if (row.day >= from && row.day <= to) out.push({ day: row.day, dims: { ...row.dims }, counts: { ...row.counts } });
    }
    return out;
  }

  /** Drops usage older than `day` (retention). */
  pruneUsage(beforeDay: string): void {
    for (const [id, row] of this.usageRows) if (row.day < beforeDay) this.usageRows.delete(id);
  }

  // --- key-value ------------------------------------------------------------------------------------------

  private space(ns: string): Map<string, KvValue> {
    let m = this.kv.get(ns);
    if (!m) this.kv.set(ns, (m = new Map()));
    return m;
  }

  /** Removes one entry and what it weighed. */
  private drop(ns: string, m: Map<string, KvValue>, key: string): boolean {
    const v = m.get(key);
    if (!v) return false;
    m.delete(key);
    this.kvBytes.set(ns, (this.kvBytes.get(ns) ?? 0) - 2 * (key.length + v.value.length));
    return true;
  }

  private put(ns: string, m: Map<string, KvValue>, key: string, v: KvValue): void {
    this.drop(ns, m, key); // re-inserted last: the Map's order is the eviction order
    m.set(key, v);
    this.kvBytes.set(ns, (this.kvBytes.get(ns) ?? 0) + 2 * (key.length + v.value.length));
    // The oldest go first, past either bound (the entry just written stays even when it alone is over).
    while (m.size > this.maxKv || (m.size > 1 && (this.kvBytes.get(ns) ?? 0) > this.maxKvBytes)) this.drop(ns, m, m.keys().next().value as string);
  }

  async kvGet(ns: string, key: string): Promise<string | undefined> {
    return this.kvGetNow(ns, key);
  }

  private kvGetNow(ns: string, key: string): string | undefined {
    const m = this.kv.get(ns);
    const v = m?.get(key);
    if (!v) return undefined;
    if (v.expires !== undefined && v.expires <= this.now()) {
      this.drop(ns, m!, key);
      return undefined;
    }
    return v.value;
  }

  async kvGetMany(ns: string, keys: readonly string[]): Promise<Array<string | undefined>> {
    return keys.map((k) => this.kvGetNow(ns, k));
  }

  async kvSet(ns: string, key: string, value: string, ttlMs?: number): Promise<void> {
    this.put(ns, this.space(ns), key, { value, expires: ttlMs === undefined ? undefined : this.now() + ttlMs });
    this.version++;
    this.emit({ type: 'kv', ns, key });
  }

  async kvDelete(ns: string, key: string): Promise<void> {
    const m = this.kv.get(ns);
    if (!m || !this.drop(ns, m, key)) return;
    this.version++;
    this.emit({ type: 'kv', ns, key });
  }

  async kvList(ns: string): Promise<KvEntry[]> {
    const m = this.kv.get(ns);
    if (!m) return [];
    const now = this.now();
    const out: KvEntry[] = [];
    for (const [key, v] of m) {
      if (v.expires !== undefined && v.expires <= now) this.drop(ns, m, key);
      else out.push({ key, value: v.value });
    }
    return out;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  // --- snapshot -------------------------------------------------------------------------------------------

  /** The persistent part; `durable(ns)` says which key-value namespaces to keep. */
  snapshot(durable: (ns: string) => boolean): MemorySnapshot {
    const now = this.now();
    const kv: MemorySnapshot['kv'] = {};
    for (const [ns, m] of this.kv) {
      if (!durable(ns)) continue;
      const list = [...m].filter(([, v]) => v.expires === undefined || v.expires > now).map(([key, v]) => (v.expires === undefined ? { key, value: v.value } : { key, value: v.value, expires: v.expires }));
      if (list.length > 0) kv[ns] = list;
    }
    // A daily window as its total alone: after a restart no booking is waiting for an answer, so no id will be
    // released or corrected again (and the file stays small however busy the day: it is written every few seconds).
    const fixed: MemorySnapshot['fixed'] = [];
    for (const [window, b] of this.windows) {
      if (b.resetAt !== undefined && b.resetAt > now && b.total > 0) fixed.push({ window, resetAt: b.resetAt, entries: [[RESTORED_ID, now, b.total]] });
    }
    return {
      cooldowns: [...this.cooldowns.values()].filter((c) => c.until > now),
      disables: [...this.disables.values()].filter((d) => d.until !== undefined && d.until > now),
      usage: [...this.usageRows.values()],
      kv,
      fixed,
    };
  }

  /**
   * The daily (fixed) windows still running, booking by booking (the resilient store writes them back to Redis
   * under the same ids, so a booking Redis did get is not counted twice), and `earlier`: what bookings whose ids
   * are no longer kept (maxFixedIds) add to the total.
   */
  dailyBookings(): Array<{ window: string; resetAt: number; entries: Array<[string, number, number]>; earlier: number }> {
    const now = this.now();
    const out: ReturnType<MemoryStore['dailyBookings']> = [];
    for (const [window, b] of this.windows) {
      if (b.resetAt === undefined || b.resetAt <= now || b.total <= 0) continue;
      const entries: Array<[string, number, number]> = [];
      let listed = 0;
      for (const [id, [at, n]] of b.entries) {
        entries.push([id, at, n]);
        listed += n;
      }
      out.push({ window, resetAt: b.resetAt, entries, earlier: b.total - listed });
    }
    return out;
  }

  /** Restores a snapshot (before serving); expired entries are skipped. */
  restore(s: MemorySnapshot): void {
    const now = this.now();
    for (const c of s.cooldowns) if (c.until > now) this.extendCooldownNow(c);
    for (const d of s.disables) if (d.until !== undefined && d.until > now) this.disables.set(d.id, { ...d });
    for (const row of s.usage) void this.addUsage({ day: row.day, dims: row.dims }, row.counts);
    for (const [ns, list] of Object.entries(s.kv)) {
      const m = this.space(ns);
      for (const e of list) if (e.expires === undefined || e.expires > now) this.put(ns, m, e.key, { value: e.value, expires: e.expires });
    }
    for (const f of s.fixed) {
      if (f.resetAt <= now) continue;
      const entries = new Map<string, [number, number]>(f.entries.map(([id, at, n]) => [id, [at, n]]));
      let total = 0;
      for (const [, n] of entries.values()) total += n;
      this.windows.set(f.window, { entries, total, resetAt: f.resetAt });
    }
    this.version++;
  }
}

/** When a refused booking of `w.amount` would fit: the oldest bookings slide out, or the fixed window resets. */
function freeAt(w: WindowSpec, b: Bookings, now: number): number {
  if (w.amount > w.limit) return Infinity;
  if (w.kind === 'fixed') return Math.max(now, w.resetAt);
  let excess = b.total + w.amount - w.limit;
  for (const [at, amount] of b.entries.values()) {
    excess -= amount;
    if (excess <= 0) return at + w.windowMs;
  }
  return now + w.windowMs;
}

export type { Cooldown };
