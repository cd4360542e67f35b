/**
 * Access tokens: created, listed and revoked through the state store, checked on every API request from a mirror
 * in memory, and held to their limits across instances.
 *
 * - The store keeps, per token, a record in namespace `token` (key = the name): the SHA-256 of the token, never
 *   the token. When it was last used is kept apart, in namespace `token-used`, written at most once a minute per
 *   token and instance: a write of the whole record could land after a revocation on another instance and bring
 *   the token back.
 * - The mirror is filled by `kvList` at start and kept current by the store's change events (every instance
 *   hears every change; on Redis, the change feed), so a revocation anywhere stops the token everywhere within
 *   the feed's latency. The instance that writes a change applies it at once. A `resync` reloads everything.
 * - Limits (rpm: a sliding minute; rpd and daily_tokens: the UTC day) are booked with `store.reserve` on the key
 *   `token:<name>`, atomic across instances on Redis. daily_tokens books 1 before the call (refused once the day's
 *   total reached the limit) and is corrected to the answer's real total after it.
 */
import { randomBytes } from 'node:crypto';
import type { StateStore, WindowSpec } from '../store/types.js';
import type { GeminiUsageMetadata } from '../types/gemini.js';
import type { Logger } from '../util/log.js';
import type { UsageRow } from '../store/types.js';
import { tokensOf, totalsByToken } from '../observe/usage.js';
import {
  generateToken,
  hashToken,
  nextUtcMidnight,
  parseExpires,
  parseRecord,
  TokenInputError,
  validateInput,
  type TokenInput,
  type TokenRecord,
} from './token.js';

export const TOKEN_NS = 'token';
export const TOKEN_USED_NS = 'token-used';
/** `last_used` is written at most this often per token (by each instance). */
export const LAST_USED_WRITE_MS = 60_000;
/** A last-use record outlives its token's last use by this long (an orphan left by a race then goes too). */
const LAST_USED_TTL_MS = 400 * 86_400_000;

export type TokenAuth =
  | { kind: 'ok'; name: string }
  | { kind: 'expired'; name: string; expires: string }
  /** Not a token this store knows (never issued, or revoked). */
  | { kind: 'unknown' };

/** A request the token may not make: 403 (model) or 429 (limit); the message names the limit or the models. */
export class TokenRefusal extends Error {
  override readonly name = 'TokenRefusal';
  constructor(
    readonly status: 401 | 403 | 429,
    message: string,
    readonly code: string,
    /** 429: when the limit has room again. */
    readonly retryAfterMs?: number,
    /** 429: the window that is full (`rpm`, `rpd`, `daily_tokens`). */
    readonly limit?: string,
  ) {
    super(message);
  }
}

/** What a booked request must report back. Each method may be called at most once; later calls do nothing. */
export interface TokenLease {
  /** The answer's usage is known (the whole answer, or the stream's end): the day's token count is corrected. */
  settle(usage: GeminiUsageMetadata | undefined): void;
  /** Rotor could not serve the request (no credential took it): its bookings are given back. */
  release(): void;
}

const NO_LEASE: TokenLease = { settle() {}, release() {} };

export interface TokenServiceOptions {
  store: StateStore;
  now?: () => number;
  logger?: Logger;
  /** After a create or revoke reached the store: e.g. write the memory store's snapshot at once. */
  persist?: () => Promise<void>;
  /** A request refused by a token's limits or model list (for usage counts). */
  onRefusal?: (token: string, model: string, status: number) => void;
  /** Keep the mirror current from the store's change events (default true; a one-shot CLI passes false). */
  live?: boolean;
  /** Length of the rpm window (default 60 s). */
  minuteMs?: number;
}

/** A token's list entry (the admin API's shape, without today's usage). */
export interface TokenInfo {
  name: string;
  created: string;
  expires: string | null;
  last_used: string | null;
  limits: { rpm: number | null; rpd: number | null; daily_tokens: number | null; models: string[] | null };
}

export class TokenService {
  private readonly store: StateStore;
  private readonly now: () => number;
  private readonly minuteMs: number;
  private byName = new Map<string, TokenRecord>();
  private byHash = new Map<string, TokenRecord>();
  /** name → last use seen (this instance's own, or the store's). */
  private readonly lastUsed = new Map<string, number>();
  /** name → when this instance last wrote its last use. */
  private readonly lastWritten = new Map<string, number>();
  /** Per key: a counter, so only the latest read of a changed record is applied. */
  private readonly reads = new Map<string, number>();
  /** Keys changed while a full reload was running (re-read after it). */
  private changedDuringReload: Set<string> | undefined;
  private readonly unsubscribe: () => void;
  private readonly idPrefix = randomBytes(6).toString('hex');
  private seq = 0;

  private constructor(private readonly options: TokenServiceOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.minuteMs = options.minuteMs ?? 60_000;
    this.unsubscribe =
      options.live === false
        ? () => {}
        : this.store.subscribe((c) => {
            if (c.type === 'resync') void this.reload();
            else if (c.type === 'kv' && c.ns === TOKEN_NS) this.changed(c.key);
            else if (c.type === 'kv' && c.ns === TOKEN_USED_NS) void this.readLastUsed(c.key);
          });
  }

  /** Opens the service over a store: the mirror is loaded before it answers. */
  static async open(options: TokenServiceOptions): Promise<TokenService> {
    const s = new TokenService(options);
    await s.reload();
    return s;
  }

  close(): void {
    this.unsubscribe();
  }

  // --- the mirror ---------------------------------------------------------------------------------------------

  /** Reloads every token from the store (start, and after the store lost and regained its backend). */
  async reload(): Promise<void> {
    this.changedDuringReload = new Set();
    try {
      const [records, used] = await Promise.all([this.store.kvList(TOKEN_NS), this.store.kvList(TOKEN_USED_NS)]);
      const byName = new Map<string, TokenRecord>();
      const byHash = new Map<string, TokenRecord>();
      for (const { key, value } of records) {
        const rec = parseRecord(key, value);
        if (!rec) {
          this.options.logger?.warn(`access token record "${key.slice(0, 64)}" in the state store is not valid; ignored`);
          continue;
        }
        byName.set(rec.name, rec);
        byHash.set(rec.hash, rec);
      }
      this.byName = byName;
      this.byHash = byHash;
      for (const { key, value } of used) this.setLastUsed(key, value);
    } catch (err) {
      this.options.logger?.warn(`access tokens could not be reloaded from the state store (${(err as Error).message}); the previous list stays in force`);
    } finally {
      const again = this.changedDuringReload;
      this.changedDuringReload = undefined;
      for (const key of again ?? []) this.changed(key);
    }
  }

  /** A record changed (here or on another instance): read it again; the latest read wins. */
  private changed(name: string): void {
    this.changedDuringReload?.add(name);
    const n = (this.reads.get(name) ?? 0) + 1;
    this.reads.set(name, n);
    this.store.kvGet(TOKEN_NS, name).then(
      (value) => {
        if (this.reads.get(name) !== n) return;
        this.reads.delete(name);
        this.apply(name, value === undefined ? undefined : parseRecord(name, value));
      },
      (err: unknown) => {
        if (this.reads.get(name) === n) this.reads.delete(name);
        this.options.logger?.warn(`access token "${name}" could not be re-read after a change (${(err as Error).message})`);
      },
    );
  }

  /** A change this instance made: applied now, and any read of the record still under way is ignored. */
  private applyOwn(name: string, rec: TokenRecord | undefined): void {
    this.reads.set(name, (this.reads.get(name) ?? 0) + 1);
    this.apply(name, rec);
  }

  private apply(name: string, rec: TokenRecord | undefined): void {
    const old = this.byName.get(name);
    if (old) {
      this.byName.delete(name);
      if (this.byHash.get(old.hash) === old) this.byHash.delete(old.hash);
    }
    if (rec) {
      this.byName.set(name, rec);
      this.byHash.set(rec.hash, rec);
    } else {
      this.lastUsed.delete(name);
      this.lastWritten.delete(name);
    }
  }

  private async readLastUsed(name: string): Promise<void> {
    const value = await this.store.kvGet(TOKEN_USED_NS, name).catch(() => undefined);
    if (value !== undefined) this.setLastUsed(name, value);
  }

  private setLastUsed(name: string, value: string): void {
    const at = Date.parse(value);
    if (Number.isFinite(at) && at > (this.lastUsed.get(name) ?? 0)) this.lastUsed.set(name, at);
  }

  // --- checking -----------------------------------------------------------------------------------------------

  /** Whether any token exists (expired ones included). */
  get size(): number {
    return this.byName.size;
  }

  /** Looks a presented secret up by its hash (a map lookup: nothing to time). Notes the token's use. */
  authenticate(secret: string): TokenAuth {
    const rec = this.byHash.get(hashToken(secret));
    if (!rec) return { kind: 'unknown' };
    const now = this.now();
    if (rec.expires !== undefined && Date.parse(rec.expires) <= now) return { kind: 'expired', name: rec.name, expires: rec.expires };
    this.used(rec.name, now);
    return { kind: 'ok', name: rec.name };
  }

  /** Notes a use; the store hears of it at most once a minute per token. */
  private used(name: string, now: number): void {
    this.lastUsed.set(name, now);
    if (now - (this.lastWritten.get(name) ?? -Infinity) < LAST_USED_WRITE_MS) return;
    this.lastWritten.set(name, now);
    void this.store.kvSet(TOKEN_USED_NS, name, new Date(now).toISOString(), LAST_USED_TTL_MS).catch(() => undefined);
  }

  /** The windows a request books for a token, with the limits in force (a share of each while the shared store is away). */
  private windows(rec: TokenRecord, now: number): WindowSpec[] {
    const health = this.store.health();
    const peers = health.ok ? 1 : Math.max(1, health.peers ?? 1);
    const share = (limit: number) => (peers > 1 ? Math.max(1, Math.floor(limit / peers)) : limit);
    const out: WindowSpec[] = [];
    if (rec.rpm !== undefined) out.push({ name: 'rpm', kind: 'sliding', windowMs: this.minuteMs, limit: share(rec.rpm), amount: 1 });
    const midnight = nextUtcMidnight(now);
    if (rec.rpd !== undefined) out.push({ name: 'rpd', kind: 'fixed', resetAt: midnight, limit: share(rec.rpd), amount: 1 });
    if (rec.daily_tokens !== undefined) out.push({ name: 'daily_tokens', kind: 'fixed', resetAt: midnight, limit: share(rec.daily_tokens), amount: 1 });
    return out;
  }

  /**
   * Before a request goes out: may the token use `model` (the upstream model, after aliases), and has it room
   * under its limits? `book: false` checks the model only (countTokens costs no quota). Throws TokenRefusal.
   */
  async admit(name: string, model: string, options: { book?: boolean } = {}): Promise<TokenLease> {
    const rec = this.byName.get(name);
    if (!rec) throw new TokenRefusal(401, `access token "${name}" was revoked`, 'invalid_api_key');
    if (rec.models && !rec.models.includes(model)) {
      this.options.onRefusal?.(name, model, 403);
      throw new TokenRefusal(403, `token ${name} may not use model ${model}; it may use ${rec.models.join(', ')}`, 'model_not_allowed');
    }
    if (options.book === false) return NO_LEASE;
    const now = this.now();
    const windows = this.windows(rec, now);
    if (windows.length === 0) return NO_LEASE;
    const id = `${this.idPrefix}.${(++this.seq).toString(36)}`;
    const key = `token:${name}`;
    const result = await this.store.reserve({ id, key, windows, now });
    if (!result.ok) {
      this.options.onRefusal?.(name, model, 429);
      const limit = windows.find((w) => w.name === result.window)?.limit ?? 0;
      const retryAfterMs = Number.isFinite(result.retryAt) ? Math.max(0, result.retryAt - now) : undefined;
      throw new TokenRefusal(429, `token ${name}: ${result.window} limit of ${limit} reached`, 'token_limit_reached', retryAfterMs, result.window);
    }
    const daily = windows.some((w) => w.name === 'daily_tokens');
    let done = false;
    return {
      settle: (usage) => {
        if (done) return;
        done = true;
        if (daily) void this.store.adjust(id, key, 'daily_tokens', tokensOf(usage)).catch(() => undefined);
      },
      release: () => {
        if (done) return;
        done = true;
        void this.store.release(id, key, windows).catch(() => undefined);
      },
    };
  }

  // --- managing -----------------------------------------------------------------------------------------------

  /** Creates a token; the token itself is returned here and never kept. Throws TokenInputError (field `name` with `exists` when taken). */
  async create(input: TokenInput | unknown): Promise<{ token: string; record: TokenRecord }> {
    const valid = validateInput(input);
    const now = this.now();
    const expires = valid.expires === undefined ? undefined : parseExpires(valid.expires, now);
    // The store, not only the mirror: another instance may have created it a moment ago.
    if (this.byName.has(valid.name) || (await this.store.kvGet(TOKEN_NS, valid.name)) !== undefined) {
      throw new TokenInputError('name', `a token named "${valid.name}" already exists; revoke it first or choose another name`, true);
    }
    const token = generateToken();
    const record: TokenRecord = { name: valid.name, hash: hashToken(token), created: new Date(now).toISOString() };
    if (expires !== undefined) record.expires = new Date(expires).toISOString();
    if (valid.rpm !== undefined) record.rpm = valid.rpm;
    if (valid.rpd !== undefined) record.rpd = valid.rpd;
    if (valid.daily_tokens !== undefined) record.daily_tokens = valid.daily_tokens;
    if (valid.models !== undefined) record.models = valid.models;
    await this.store.kvDelete(TOKEN_USED_NS, record.name);
    await this.store.kvSet(TOKEN_NS, record.name, JSON.stringify(record));
    this.applyOwn(record.name, record);
    await this.options.persist?.();
    return { token, record };
  }

  /** Revokes a token at once (this instance now, the others as the change reaches them); false when there is none. */
  async revoke(name: string): Promise<boolean> {
    const known = this.byName.has(name) || (await this.store.kvGet(TOKEN_NS, name)) !== undefined;
    if (!known) return false;
    await this.store.kvDelete(TOKEN_NS, name);
    this.applyOwn(name, undefined);
    await this.store.kvDelete(TOKEN_USED_NS, name);
    await this.options.persist?.();
    return true;
  }

  get(name: string): TokenRecord | undefined {
    return this.byName.get(name);
  }

  /** Every token, by name. */
  list(): TokenRecord[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** A token as the admin API and the CLI show it (never the token, never its hash). */
  info(rec: TokenRecord): TokenInfo {
    const used = this.lastUsed.get(rec.name);
    return {
      name: rec.name,
      created: rec.created,
      expires: rec.expires ?? null,
      last_used: used === undefined ? null : new Date(used).toISOString(),
      limits: { rpm: rec.rpm ?? null, rpd: rec.rpd ?? null, daily_tokens: rec.daily_tokens ?? null, models: rec.models ?? null },
    };
  }
}

/** A list entry with today's usage: the admin API's `GET /admin/tokens` item. */
export interface TokenListItem extends TokenInfo {
  today: { requests: number; tokens: number };
}

/** Every token with today's requests and tokens (from today's usage rows). */
export function tokenList(service: TokenService, todayRows: readonly UsageRow[]): TokenListItem[] {
  const totals = totalsByToken(todayRows);
  return service.list().map((rec) => ({ ...service.info(rec), today: totals.get(rec.name) ?? { requests: 0, tokens: 0 } }));
}
