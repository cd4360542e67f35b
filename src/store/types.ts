/**
 * StateStore: the state several Rotor instances must agree on, behind one interface with two engines — memory
 * (the embedded default, snapshotted to a file) and Redis (shared by every instance). The pool, the quota
 * book, access tokens, usage and the thought-signature cache keep their state here and nowhere else.
 * Every method is async (a network store needs it); the memory store answers at once.
 */

/** A period during which a scope (a credential, or a quota bucket for one model) must not be used. */
export interface Cooldown {
  until: number;
  reason: string;
  /** What caused it: rate | quota | capacity | auth | permission | transient. */
  kind: string;
}

export interface CooldownEntry extends Cooldown {
  /** `cred:<id>` or `bucket:<quota key>`. */
  scope: string;
  /** A model, or `*` for every model. */
  model: string;
}

/** A credential taken out of service: for good (`until` undefined) or until a re-check. */
export interface Disable {
  reason: string;
  until: number | undefined;
}

export interface DisableEntry extends Disable {
  id: string;
}

/**
 * One window of a quota: `sliding` counts what was booked in the last `windowMs`; `fixed` counts what was booked
 * since the last reset and empties at `resetAt`.
 */
export type WindowSpec =
  | { name: string; kind: 'sliding'; windowMs: number; limit: number; amount: number }
  | { name: string; kind: 'fixed'; resetAt: number; limit: number; amount: number };

export interface ReserveRequest {
  /** Unique per reservation (a request attempt); settle() and release() name it. */
  id: string;
  /** The windows share this key (e.g. `bucket:project:p1|gemini-2.5-flash`); a window is `${key}|${name}`. */
  key: string;
  windows: readonly WindowSpec[];
  now: number;
}

export type ReserveResult =
  /** Booked: `used` is what each window holds now, this booking included (same order as the request's). */
  | { ok: true; used: number[] }
  /** Refused: `retryAt` is when the fullest window has room for this amount again (Infinity if never). */
  | { ok: false; window: string; retryAt: number };

export interface WindowUsage {
  name: string;
  used: number;
}

/** Counters per day and dimension (token, credential, bucket, model…), summed by addUsage. */
export interface UsageKey {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  /** Dimension name → value, e.g. `{ credential: 'cred-1', model: 'gemini-2.5-flash', token: 'cursor' }`. */
  dims: Record<string, string>;
}

export interface UsageRow extends UsageKey {
  counts: Record<string, number>;
}

/** Namespaced records, for the things instances share by id: access tokens, learned limits, stored responses. */
export interface KvEntry {
  key: string;
  value: string;
}

/** What changed, as every instance learns it (its own changes included). */
export type StateChange =
  | { type: 'cooldown'; entry: CooldownEntry }
  | { type: 'cooldown-cleared'; scope: string; model: string | undefined }
  | { type: 'disable'; entry: DisableEntry }
  | { type: 'disable-cleared'; id: string }
  | { type: 'kv'; ns: string; key: string }
  /** The store lost or regained its backend: reload everything. */
  | { type: 'resync' };

/** Shared, not copied, by the stores that answer it (it is asked for several times a request): read-only. */
export interface StoreHealth {
  /** The engine in use: `memory` or `redis`. */
  readonly kind: string;
  /** Whether the shared backend is reachable (always true for memory). */
  readonly ok: boolean;
  readonly detail: string;
  /**
   * How many instances share the store, this one included, as last seen: while the shared backend is away,
   * each instance keeps to its share of every limit. Absent for the memory store (one instance).
   */
  readonly peers?: number;
}

/** What a booking's amount in one window turned out to be (the real tokens), sent with a restamp. */
export interface Correction {
  window: string;
  amount: number;
}

export interface StateStore {
  readonly kind: string;
  health(): StoreHealth;

  /** Sets a cooldown, or lengthens the running one (never shortens it); resolves true when it changed. */
  extendCooldown(entry: CooldownEntry): Promise<boolean>;
  /** Clears one scope's cooldown for a model, or every model's when `model` is undefined. */
  clearCooldown(scope: string, model?: string): Promise<void>;
  setDisable(entry: DisableEntry): Promise<void>;
  clearDisable(id: string): Promise<void>;
  /** Everything still in force at `now`. */
  liveHealth(now: number): Promise<{ cooldowns: CooldownEntry[]; disables: DisableEntry[] }>;

  /** Books every window at once, or none: atomic across instances. */
  reserve(req: ReserveRequest): Promise<ReserveResult>;
  /** Corrects what a reservation booked (e.g. the tokens once usageMetadata is known). */
  adjust(id: string, key: string, window: string, amount: number): Promise<void>;
  /**
   * The request reached Google no later than `at` (its answer came): its sliding-window bookings count from then,
   * never earlier. A booking is made before the request leaves, so without this Rotor's window could end before
   * Google's and let the next request in too soon. A correction is applied as adjust() would, in the same step.
   */
  restamp(id: string, key: string, windows: readonly WindowSpec[], at: number, correction?: Correction): Promise<void>;
  /** Takes a reservation back (Google did not count the request). */
  release(id: string, key: string, windows: readonly WindowSpec[]): Promise<void>;
  /** How much each window of `key` holds at `now`. */
  windowUsage(key: string, windows: readonly WindowSpec[], now: number): Promise<WindowUsage[]>;

  addUsage(key: UsageKey, counts: Record<string, number>): Promise<void>;
  /** Rows for the days in [from, to] (inclusive, `YYYY-MM-DD`). */
  usage(from: string, to: string): Promise<UsageRow[]>;

  kvGet(ns: string, key: string): Promise<string | undefined>;
  kvGetMany(ns: string, keys: readonly string[]): Promise<Array<string | undefined>>;
  /** `ttlMs` undefined: kept until deleted. */
  kvSet(ns: string, key: string, value: string, ttlMs?: number): Promise<void>;
  kvDelete(ns: string, key: string): Promise<void>;
  kvList(ns: string): Promise<KvEntry[]>;

  /** Every change, from this instance or another. Returns the unsubscribe. */
  subscribe(listener: (change: StateChange) => void): () => void;
  close(): Promise<void>;
}
