/**
 * The credential pool: membership, health with reasons, per (quota bucket, model) cooldowns, and picking
 * the next usable member. Knows nothing of HTTP, formats or tokens; time comes from a Clock.
 */
import type { UpstreamError } from '../upstream/errors.js';
import { createRoundRobinSelector, type Selector } from './selector.js';
import type { Clock, Cooldown, MemberStatus, PoolMember, PoolState, PoolSummary } from './types.js';

export type PickResult<M> =
  | { ok: true; member: M }
  | { ok: false; reason: 'empty' | 'disabled' | 'cooling' | 'tried'; retryAfterMs?: number };

interface FreeView {
  version: number;
  validUntil: number;
  free: number[];
}

const MAX_CACHED_MODELS = 64;

/** Caches keyed by model: models come from clients, so a full cache starts over rather than grow. */
function cacheBounded<V>(cache: Map<string, V>, model: string, value: V): void {
  if (!cache.has(model) && cache.size >= MAX_CACHED_MODELS) cache.clear();
  cache.set(model, value);
}

/**
 * Sets a cooldown, or lengthens the one running: reports arrive out of order (two requests in flight on one
 * quota), and a short "retry in 5s" must not cut a daily quota's cooldown to five seconds.
 */
function extend(book: Map<string, Cooldown>, key: string, until: number, reason: string): void {
  const running = book.get(key);
  if (running && running.until >= until) return;
  book.set(key, { until, reason: reason.slice(0, 300) });
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

export interface PoolOptions {
  clock: Clock;
  selector?: Selector;
  /** Cooldown for a credential after a transient failure, doubled per consecutive failure. */
  transientBaseMs?: number;
  transientMaxMs?: number;
  /** Cooldown after an auth or permission failure that is not known to be permanent. */
  authCooldownMs?: number;
}

export class CredentialPool<M extends PoolMember> {
  private members: M[] = [];
  private readonly byId = new Map<string, M>();
  /** Disabled by the pool: for good (`until` undefined) or until a re-check (a condition the user can fix). */
  private readonly disabled = new Map<string, { reason: string; until: number | undefined }>();
  private readonly credCooldowns = new Map<string, Cooldown>();
  private readonly modelCooldowns = new Map<string, Map<string, Cooldown>>();
  private readonly failures = new Map<string, number>();
  private readonly selector: Selector;
  /** Bumped on every change that can make a member usable or not; validates `noneFree`. */
  private version = 0;
  /** model → when the first member frees, remembered after a full scan found none (O(1) while quota is out). */
  private readonly noneFree = new Map<string, { until: number; retryAt: number; version: number; first: M }>();
  /** model → the members free for it (see freeFor), so a pick with most members cooling skips them all at once. */
  private readonly freeViews = new Map<string, FreeView>();

  constructor(private readonly options: PoolOptions) {
    this.selector = options.selector ?? createRoundRobinSelector();
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
      this.disabled.delete(member.id);
      this.credCooldowns.delete(member.id);
      this.failures.delete(member.id);
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
    this.disabled.delete(id);
    this.credCooldowns.delete(id);
    this.failures.delete(id);
  }

  /** Takes a member out: for good, or until `until` (then one request tries it again). */
  disable(id: string, reason: string, until?: number): void {
    this.version++;
    if (this.byId.has(id)) this.disabled.set(id, { reason, until });
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
      return { ok: false, reason: 'cooling', retryAfterMs: known.retryAt - now };
    }
    const start = this.selector.start(n);
    if (accept === undefined) {
      // The members free for this model, in pool order: the first usable one at or after `start` (cyclically)
      // is the one the scan below would find, without walking past every member that is cooling down.
      const free = this.freeFor(model, now);
      for (let k = 0, at = lowerBound(free, start); k < free.length; k++, at++) {
        const idx = free[at % free.length]!;
        const m = this.members[idx]!;
        if (m.disabledReason !== undefined || exclude?.has(m.id)) continue;
        this.selector.chosen(idx, n);
        return { ok: true, member: m };
      }
    }
    // None free (or a filtered pick): the full scan, which also says why nothing can serve.
    let earliest = Infinity;
    let first: M | undefined;
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
      const until = this.coolingUntil(m, model, now);
      if (until > 0) {
        anyCooling = true;
        if (until < earliest) {
          earliest = until;
          first = m;
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
    if (plain && first !== undefined) cacheBounded(this.noneFree, model, { until: Math.min(earliest, recheck), retryAt: earliest, version: this.version, first });
    return { ok: false, reason: 'cooling', retryAfterMs: Number.isFinite(earliest) ? Math.max(0, earliest - now) : undefined };
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
      const until = this.coolingUntil(m, model, now);
      if (until > 0) validUntil = Math.min(validUntil, until);
      else free.push(idx);
    });
    cacheBounded(this.freeViews, model, { version: this.version, validUntil, free });
    return free;
  }

  /** When the member's cooldown for the model ends, or 0 when it has none running. */
  private coolingUntil(m: M, model: string, now: number): number {
    const cd = this.credCooldowns.get(m.id);
    const mcd = this.modelCooldowns.get(m.quotaKey)?.get(model);
    return Math.max(cd && cd.until > now ? cd.until : 0, mcd && mcd.until > now ? mcd.until : 0);
  }

  reportSuccess(m: M): void {
    if (this.failures.has(m.id)) this.failures.delete(m.id);
  }

  /** Learns from a credential- or model-scoped failure. Request-scoped errors must not be reported. */
  reportFailure(m: M, model: string, err: UpstreamError): void {
    this.version++;
    const now = this.options.clock.now();
    if (err.fatal) {
      // A fatal error with a delay is one the user can fix (verify the account, enable the API): re-checked then.
      this.disable(m.id, err.message, err.retryAfterMs === undefined ? undefined : now + err.retryAfterMs);
      return;
    }
    switch (err.kind) {
      case 'rate':
      case 'quota':
      case 'capacity': {
        const ms = err.retryAfterMs ?? 1000;
        let book = this.modelCooldowns.get(m.quotaKey);
        if (!book) this.modelCooldowns.set(m.quotaKey, (book = new Map()));
        const label = err.kind === 'rate' ? 'rate limited' : err.kind === 'quota' ? 'quota exhausted' : 'no capacity';
        extend(book, model, now + ms, `${label}: ${err.message}`);
        return;
      }
      case 'auth':
      case 'permission':
        extend(
          this.credCooldowns,
          m.id,
          now + (this.options.authCooldownMs ?? 5 * 60_000),
          `${err.kind === 'auth' ? 'authentication failed' : 'permission denied'}: ${err.message}`,
        );
        return;
      default: {
        // Requests that were in flight together fail together: one outage counts once, not once per request.
        const running = this.credCooldowns.get(m.id);
        const count = running && running.until > now ? (this.failures.get(m.id) ?? 1) : (this.failures.get(m.id) ?? 0) + 1;
        this.failures.set(m.id, count);
        const base = this.options.transientBaseMs ?? 1000;
        const max = this.options.transientMaxMs ?? 60_000;
        const ms = err.retryAfterMs ?? Math.min(base * 2 ** (count - 1), max);
        extend(this.credCooldowns, m.id, now + ms, `upstream error: ${err.message}`);
      }
    }
  }

  /** A counter that moves whenever health or cooldowns change (for snapshotting only when needed). */
  get changes(): number {
    return this.version;
  }

  /** The cooldowns and disables still in force, to save across restarts. */
  exportState(): PoolState {
    const now = this.options.clock.now();
    const live = <T extends Cooldown>(entries: Iterable<[string, T]>) =>
      Object.fromEntries([...entries].filter(([, c]) => c.until > now).map(([k, c]) => [k, { until: c.until, reason: c.reason }]));
    const models: PoolState['modelCooldowns'] = {};
    for (const [key, book] of this.modelCooldowns) {
      const entries = live(book);
      if (Object.keys(entries).length) models[key] = entries;
    }
    // Only disables with a re-check time are kept: one for good (a revoked token, an invalid key) is found again
    // by the first attempt after a restart, and a file replaced meanwhile (a new login) must not inherit it.
    const disabled: PoolState['disabled'] = {};
    for (const [id, d] of this.disabled) if (d.until !== undefined && d.until > now) disabled[id] = { until: d.until, reason: d.reason };
    return { version: 1, credentialCooldowns: live(this.credCooldowns), modelCooldowns: models, disabled };
  }

  /** Restores saved state; entries for credentials no longer present are dropped, expired ones ignored. */
  importState(state: PoolState): void {
    const now = this.options.clock.now();
    const keys = new Set(this.members.map((m) => m.quotaKey));
    for (const [id, cd] of Object.entries(state.credentialCooldowns ?? {})) {
      if (this.byId.has(id) && cd.until > now) this.credCooldowns.set(id, { until: cd.until, reason: cd.reason });
    }
    for (const [key, book] of Object.entries(state.modelCooldowns ?? {})) {
      if (!keys.has(key)) continue;
      const map = this.modelCooldowns.get(key) ?? new Map<string, Cooldown>();
      for (const [model, cd] of Object.entries(book)) if (cd.until > now) map.set(model, { until: cd.until, reason: cd.reason });
      if (map.size) this.modelCooldowns.set(key, map);
    }
    for (const [id, d] of Object.entries(state.disabled ?? {})) {
      // An older file kept disables as bare reasons, for good: those are learned again instead.
      if (typeof d === 'object' && this.byId.has(id) && d.until > now) this.disabled.set(id, { reason: d.reason, until: d.until });
    }
    this.version++;
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
