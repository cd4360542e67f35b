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
  private readonly disabled = new Map<string, string>();
  private readonly credCooldowns = new Map<string, Cooldown>();
  private readonly modelCooldowns = new Map<string, Map<string, Cooldown>>();
  private readonly failures = new Map<string, number>();
  private readonly selector: Selector;
  /** Bumped on every change that can make a member usable or not; validates `noneFree`. */
  private version = 0;
  /** model → when the first member frees, remembered after a full scan found none (O(1) while quota is out). */
  private readonly noneFree = new Map<string, { until: number; version: number }>();

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

  disable(id: string, reason: string): void {
    this.version++;
    if (this.byId.has(id)) this.disabled.set(id, reason);
  }

  disabledReason(m: M): string | undefined {
    return m.disabledReason ?? this.disabled.get(m.id);
  }

  /** The next usable member for the model, skipping those in `exclude`. */
  pick(model: string, exclude?: ReadonlySet<string>, accept?: (m: M) => boolean): PickResult<M> {
    const n = this.members.length;
    if (n === 0) return { ok: false, reason: 'empty' };
    const now = this.options.clock.now();
    const plain = (exclude === undefined || exclude.size === 0) && accept === undefined;
    const known = plain ? this.noneFree.get(model) : undefined;
    if (known && known.version === this.version && known.until > now) {
      return { ok: false, reason: 'cooling', retryAfterMs: known.until - now };
    }
    let earliest = Infinity;
    let anyNotDisabled = false;
    const start = this.selector.start(n);
    let anyCooling = false;
    for (let i = 0; i < n; i++) {
      const idx = (start + i) % n;
      const m = this.members[idx]!;
      if (accept && !accept(m)) continue;
      if (this.disabledReason(m) !== undefined) continue;
      anyNotDisabled = true;
      // Cooldowns are read before the exclusion so the earliest free time covers every member.
      const cd = this.credCooldowns.get(m.id);
      const mcd = this.modelCooldowns.get(m.quotaKey)?.get(model);
      const until = Math.max(cd && cd.until > now ? cd.until : 0, mcd && mcd.until > now ? mcd.until : 0);
      if (until > 0) {
        anyCooling = true;
        earliest = Math.min(earliest, until);
        continue;
      }
      if (exclude?.has(m.id)) continue;
      this.selector.chosen(idx, n);
      return { ok: true, member: m };
    }
    if (!anyNotDisabled) return { ok: false, reason: accept && !this.members.some(accept) ? 'empty' : 'disabled' };
    if (!anyCooling) return { ok: false, reason: 'tried' };
    // Valid until the earliest cooldown ends or the pool changes; a credential that disables itself
    // (revoked token) only makes fewer members usable, so the answer stays true.
    if (plain && Number.isFinite(earliest)) this.noneFree.set(model, { until: earliest, version: this.version });
    return { ok: false, reason: 'cooling', retryAfterMs: Number.isFinite(earliest) ? Math.max(0, earliest - now) : undefined };
  }

  reportSuccess(m: M): void {
    if (this.failures.has(m.id)) this.failures.delete(m.id);
  }

  /** Learns from a credential- or model-scoped failure. Request-scoped errors must not be reported. */
  reportFailure(m: M, model: string, err: UpstreamError): void {
    this.version++;
    const now = this.options.clock.now();
    if (err.fatal) {
      this.disable(m.id, err.message);
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
        book.set(model, { until: now + ms, reason: `${label}: ${err.message}`.slice(0, 300) });
        return;
      }
      case 'auth':
      case 'permission':
        this.credCooldowns.set(m.id, {
          until: now + (this.options.authCooldownMs ?? 5 * 60_000),
          reason: `${err.kind === 'auth' ? 'authentication failed' : 'permission denied'}: ${err.message}`.slice(0, 300),
        });
        return;
      default: {
        const count = (this.failures.get(m.id) ?? 0) + 1;
        this.failures.set(m.id, count);
        const base = this.options.transientBaseMs ?? 1000;
        const ms = Math.min(base * 2 ** (count - 1), this.options.transientMaxMs ?? 60_000);
        this.credCooldowns.set(m.id, { until: now + (err.retryAfterMs ?? ms), reason: `upstream error: ${err.message}`.slice(0, 300) });
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
    return { version: 1, credentialCooldowns: live(this.credCooldowns), modelCooldowns: models, disabled: Object.fromEntries(this.disabled) };
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
    for (const [id, reason] of Object.entries(state.disabled ?? {})) if (this.byId.has(id)) this.disabled.set(id, reason);
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
      const dis = this.disabledReason(m);
      if (dis !== undefined) {
        summary.disabled++;
        return { ...base, state: 'disabled', reason: dis, until: null };
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
