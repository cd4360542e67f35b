import { describe, expect, it } from 'vitest';
import { CredentialPool, type PoolOptions } from '../../src/pool/pool.js';
import { runWithFailover } from '../../src/dispatch/failover.js';
import { NoCredentialError } from '../../src/dispatch/errors.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import type { Outcome, PoolMember } from '../../src/pool/types.js';
import { MemoryStore } from '../../src/store/memory.js';

function member(id: string, extra: Partial<PoolMember> = {}): PoolMember {
  return { id, email: `${id}@x`, projectId: 'p', route: 'code-assist', quotaKey: `user:${id}`, disabledReason: undefined, ...extra };
}

function fixedClock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

/** A pool over a fresh memory store on the given clock. */
function newPool<M extends PoolMember>(options: Omit<PoolOptions, 'store'>): CredentialPool<M> {
  return new CredentialPool<M>({ ...options, store: new MemoryStore({ now: options.clock.now }) });
}

const outcome = (o: Partial<Outcome> & Pick<Outcome, 'kind'>): Outcome => ({ message: o.kind, retryAfterMs: undefined, fatal: false, suspect: false, ...o });
const rate = (ms: number) => outcome({ kind: 'rate', message: 'rate limited', retryAfterMs: ms });
const transient = () => outcome({ kind: 'transient', message: 'boom', suspect: true });
const upstreamRate = (ms: number) => new UpstreamError('rate limited', 429, 'model', 'rate', ms, undefined);
const upstream500 = () => new UpstreamError('boom', 500, 'credential', 'transient', undefined, undefined);

describe('CredentialPool', () => {
  it('picks round-robin and skips excluded members', () => {
    const pool = newPool({ clock: fixedClock() });
    ['a', 'b', 'c'].forEach((id) => pool.upsert(member(id)));
    const picks = Array.from({ length: 6 }, () => (pool.pick('m') as { member: PoolMember }).member.id);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect((pool.pick('m', new Set(['a', 'b'])) as { member: PoolMember }).member.id).toBe('c');
  });

  it('cools a (quota bucket, model) pair until the delay passes, other models unaffected', () => {
    const clock = fixedClock();
    const pool = newPool({ clock });
    pool.upsert(member('a'));
    pool.reportFailure(member('a'), 'flash', rate(5000));
    expect(pool.pick('flash')).toEqual({ ok: false, reason: 'cooling', retryAfterMs: 5000, coolingKind: 'rate' });
    expect(pool.pick('pro').ok).toBe(true);
    clock.t += 5001;
    expect(pool.pick('flash').ok).toBe(true);
  });

  it('shares a cooldown between members of one quota bucket', () => {
    const pool = newPool({ clock: fixedClock() });
    pool.upsert(member('k1', { quotaKey: 'project:p1' }));
    pool.upsert(member('k2', { quotaKey: 'project:p1' }));
    pool.upsert(member('k3', { quotaKey: 'project:p2' }));
    pool.reportFailure(member('k1', { quotaKey: 'project:p1' }), 'flash', rate(60_000));
    for (let i = 0; i < 3; i++) expect((pool.pick('flash') as { member: PoolMember }).member.id).toBe('k3');
  });

  it('cools a credential for suspect failures only once requests in a row fail on it, then backs off', () => {
    const clock = fixedClock();
    const pool = newPool({ clock, transientBaseMs: 100, transientMaxMs: 1000 });
    const a = member('a');
    pool.upsert(a);
    pool.reportFailure(a, 'm', transient()); // one request failed: it may have been the request's fault
    expect(pool.pick('m').ok).toBe(true);
    pool.reportFailure(a, 'm', transient()); // another request failed on it too: an outlier
    expect(pool.pick('m')).toMatchObject({ ok: false, retryAfterMs: 100, coolingKind: 'transient' });
    clock.t += 100;
    pool.reportFailure(a, 'm', transient());
    expect(pool.pick('m')).toMatchObject({ ok: false, retryAfterMs: 200 });
    clock.t += 200;
    pool.reportSuccess(a);
    pool.reportFailure(a, 'm', transient());
    expect(pool.pick('m').ok).toBe(true); // a success in between starts the count again
  });

  it('counts failures of requests that were in flight together once', () => {
    const clock = fixedClock();
    const pool = newPool({ clock, transientBaseMs: 100, transientMaxMs: 10_000 });
    const a = member('a');
    pool.upsert(a);
    for (let i = 0; i < 6; i++) {
      pool.reportFailure(a, 'm', transient()); // six concurrent requests fail in one outage
      clock.t += 10;
    }
    expect(pool.pick('m')).toMatchObject({ ok: false, retryAfterMs: 90 }); // 100 ms from the last report, not 3.2 s
    clock.t += 100;
    pool.reportFailure(a, 'm', transient()); // a new failure after the cooldown: the backoff doubles
    expect(pool.pick('m')).toMatchObject({ ok: false, retryAfterMs: 200 });
  });

  it('never shortens a cooldown that is running: a later, shorter 429 does not cut a daily quota', () => {
    const clock = fixedClock();
    const pool = newPool({ clock });
    const k1 = member('k1', { quotaKey: 'project:p' });
    const k2 = member('k2', { quotaKey: 'project:p' });
    [k1, k2].forEach((m) => pool.upsert(m));
    const daily = outcome({ kind: 'quota', message: 'quota', retryAfterMs: 10 * 3_600_000 });
    pool.reportFailure(k1, 'flash', daily);
    pool.reportFailure(k2, 'flash', rate(5000)); // answered later, from a request sent before the first 429
    clock.t += 60_000;
    expect(pool.pick('flash')).toMatchObject({ ok: false, reason: 'cooling' });
    expect(pool.status().credentials[0]!.models.flash!.reason).toMatch(/quota exhausted/);
    // And a credential cooling for an auth failure keeps it through a short transient backoff.
    const c = member('c');
    pool.upsert(c);
    pool.reportFailure(c, 'flash', outcome({ kind: 'auth', message: 'no' }));
    pool.reportFailure(c, 'flash', transient());
    pool.reportFailure(c, 'flash', transient());
    clock.t += 2000;
    expect(pool.pick('pro', new Set(['k1', 'k2']))).toMatchObject({ ok: false, reason: 'cooling' });
  });

  it('answers "all cooling" from memory until the first frees or the pool changes', () => {
    const clock = fixedClock();
    const pool = newPool({ clock });
    const members = ['a', 'b', 'c'].map((id) => member(id));
    members.forEach((m) => pool.upsert(m));
    members.forEach((m, i) => pool.reportFailure(m, 'flash', rate(1000 * (i + 1))));
    expect(pool.pick('flash')).toEqual({ ok: false, reason: 'cooling', retryAfterMs: 1000, coolingKind: 'rate' });
    clock.t += 400;
    expect(pool.pick('flash')).toEqual({ ok: false, reason: 'cooling', retryAfterMs: 600, coolingKind: 'rate' });
    pool.upsert(member('d'));
    expect((pool.pick('flash') as { member: PoolMember }).member.id).toBe('d');
    pool.remove('d');
    clock.t += 600;
    expect((pool.pick('flash') as { member: PoolMember }).member.id).toBe('a');
  });

  it('re-checks a member disabled for something the user can fix; the store keeps both kinds', async () => {
    const clock = fixedClock();
    const store = new MemoryStore({ now: clock.now });
    const pool = new CredentialPool<PoolMember>({ clock, store });
    const a = member('a');
    const b = member('b');
    [a, b].forEach((m) => pool.upsert(m));
    pool.reportFailure(a, 'flash', outcome({ kind: 'permission', message: 'verify at https://x', retryAfterMs: 60_000, fatal: true }));
    pool.reportFailure(b, 'flash', outcome({ kind: 'auth', message: 'revoked', fatal: true }));
    expect(pool.pick('flash')).toEqual({ ok: false, reason: 'disabled' });
    const st = pool.status().credentials;
    expect(st[0]).toMatchObject({ state: 'disabled', reason: 'verify at https://x', until: new Date(clock.t + 60_000).toISOString() });
    expect(st[1]).toMatchObject({ state: 'disabled', reason: 'revoked', until: null });
    // Another pool on the same store (another instance) sees the same.
    const other = new CredentialPool<PoolMember>({ clock, store });
    [a, b].forEach((m) => other.upsert(m));
    await other.load();
    expect(other.status().summary).toMatchObject({ disabled: 2, available: 0 });
    // Only the re-checked disable is worth a snapshot: one for good is found again by the first attempt.
    expect(store.snapshot(() => true).disables).toEqual([{ id: 'a', until: clock.t + 60_000, reason: 'verify at https://x' }]);
    clock.t += 60_000; // the user verified meanwhile: the next request tries it again
    expect((pool.pick('flash') as { member: PoolMember }).member.id).toBe('a');
  });

  it('reports disabled members and a summary', () => {
    const pool = newPool({ clock: fixedClock() });
    pool.upsert(member('a', { disabledReason: 'revoked' }));
    pool.upsert(member('b'));
    pool.reportFailure(member('b'), 'flash', rate(1000));
    const st = pool.status();
    expect(st.summary).toEqual({ total: 2, available: 1, cooling_down: 0, disabled: 1 });
    expect(st.credentials[0]).toMatchObject({ state: 'disabled', reason: 'revoked' });
    expect(st.credentials[1]!.models.flash).toMatchObject({ state: 'cooling_down' });
  });
});

describe('runWithFailover', () => {
  const signal = new AbortController().signal;

  it('moves to the next member on a credential-scoped error and returns the value', async () => {
    const pool = newPool({ clock: fixedClock() });
    ['a', 'b'].forEach((id) => pool.upsert(member(id)));
    const seen: string[] = [];
    const { value, member: m } = await runWithFailover(pool, { model: 'm', signal, maxAttempts: 5 }, async (mm) => {
      seen.push(mm.id);
      if (mm.id === 'a') throw upstream500();
      return 'ok';
    });
    expect([value, m.id, seen]).toEqual(['ok', 'b', ['a', 'b']]);
  });

  it('returns a request-scoped error at once without cooling anything', async () => {
    const pool = newPool({ clock: fixedClock() });
    ['a', 'b'].forEach((id) => pool.upsert(member(id)));
    let calls = 0;
    const bad = new UpstreamError('bad', 400, 'request', 'invalid', undefined, undefined);
    await expect(runWithFailover(pool, { model: 'm', signal, maxAttempts: 5 }, async () => { calls++; throw bad; })).rejects.toBe(bad);
    expect(calls).toBe(1);
    expect(pool.status().summary.available).toBe(2);
  });

  it('gives 429 with the earliest free time when all are cooling, 503 when none exist', async () => {
    const pool = newPool({ clock: fixedClock() });
    ['a', 'b'].forEach((id) => pool.upsert(member(id)));
    let n = 0;
    const err = await runWithFailover(pool, { model: 'm', signal, maxAttempts: 5 }, async () => {
      throw upstreamRate(++n === 1 ? 9000 : 4000);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoCredentialError);
    expect(err).toMatchObject({ status: 429, retryAfterMs: 4000 });
    const empty = newPool({ clock: fixedClock() });
    await expect(runWithFailover(empty, { model: 'm', signal, maxAttempts: 5 }, async () => 1)).rejects.toMatchObject({ status: 503, retryable: false });
  });

  it('stops a request that fails the same suspect way on two credentials, and cools none of them', async () => {
    const pool = newPool({ clock: fixedClock() });
    ['a', 'b', 'c', 'd'].forEach((id) => pool.upsert(member(id)));
    const seen: string[] = [];
    const poison = () => new UpstreamError('Internal error encountered.', 500, 'credential', 'transient', undefined, undefined, false, true);
    for (let i = 0; i < 3; i++) {
      const err = await runWithFailover(pool, { model: 'm', signal, maxAttempts: 10 }, async (m) => {
        seen.push(m.id);
        throw poison();
      }).catch((e: unknown) => e);
      // Google's own error goes back, not a 429 and not "every credential failed".
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err).toMatchObject({ status: 500 });
    }
    expect(seen).toHaveLength(6); // two credentials a request, never the whole pool
    expect(pool.status().summary).toMatchObject({ available: 4, cooling_down: 0 });
  });

  it('goes on past suspect failures that differ, and tells the pool once the request is served elsewhere', async () => {
    const pool = newPool({ clock: fixedClock(), outlierThreshold: 1 });
    ['a', 'b', 'c'].forEach((id) => pool.upsert(member(id)));
    const { member: served } = await runWithFailover(pool, { model: 'm', signal, maxAttempts: 10 }, async (m) => {
      if (m.id === 'a') throw new UpstreamError('Unavailable', 503, 'credential', 'transient', undefined, undefined, false, true);
      if (m.id === 'b') throw new UpstreamError('Internal error', 500, 'credential', 'transient', undefined, undefined, false, true);
      return 'ok';
    });
    expect(served.id).toBe('c');
    expect(pool.status().credentials.map((c) => c.state)).toEqual(['cooling_down', 'cooling_down', 'available']);
  });

  it('answers an outage as a 502/504, never as a 429', async () => {
    const pool = newPool({ clock: fixedClock() });
    ['a', 'b'].forEach((id) => pool.upsert(member(id)));
    let n = 0;
    const err = await runWithFailover(pool, { model: 'm', signal, maxAttempts: 10 }, async () => {
      throw new UpstreamError(`fault ${n++}`, n === 1 ? 504 : 502, 'credential', 'transient', undefined, undefined);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoCredentialError);
    expect((err as NoCredentialError).status).toBe(502);
  });

  it('refreshes once on an auth error and retries the same member', async () => {
    const pool = newPool({ clock: fixedClock() });
    pool.upsert(member('a'));
    let refreshed = 0;
    let attempts = 0;
    const { value } = await runWithFailover(
      pool,
      { model: 'm', signal, maxAttempts: 5, hooks: { refresh: async () => void refreshed++ } },
      async () => {
        if (++attempts === 1) throw new UpstreamError('expired', 401, 'credential', 'auth', undefined, undefined);
        return 'fresh';
      },
    );
    expect([value, refreshed, attempts]).toEqual(['fresh', 1, 2]);
  });

  it('tells the refresh which token was rejected: the one the attempt started with', async () => {
    const pool = newPool({ clock: fixedClock() });
    pool.upsert(member('a'));
    let current = 'token-1';
    const rejected: Array<string | undefined> = [];
    const hooks = {
      tokenOf: () => current,
      refresh: async (_m: PoolMember, _s: unknown, token: string | undefined) => {
        rejected.push(token);
        current = 'token-2'; // meanwhile another request already renewed it
      },
    };
    let attempts = 0;
    await runWithFailover(pool, { model: 'm', signal, maxAttempts: 5, hooks }, async () => {
      if (++attempts === 1) throw new UpstreamError('expired', 401, 'credential', 'auth', undefined, undefined);
      return 'ok';
    });
    expect(rejected).toEqual(['token-1']);
  });
});

describe('CredentialPool.pick with most members cooling', () => {
  it('finds the one free member among many cooling ones, in round-robin order', () => {
    const clock = fixedClock();
    const pool = newPool({ clock });
    const members = Array.from({ length: 1000 }, (_, i) => member(`m${i}`));
    members.forEach((m) => pool.upsert(m));
    members.forEach((m, i) => i !== 500 && i !== 900 && pool.reportFailure(m, 'flash', rate(60_000)));
    const picks = Array.from({ length: 4 }, () => (pool.pick('flash') as { member: PoolMember }).member.id);
    expect(picks).toEqual(['m500', 'm900', 'm500', 'm900']);
    expect((pool.pick('flash', new Set(['m500'])) as { member: PoolMember }).member.id).toBe('m900');
    expect(pool.pick('flash', new Set(['m500', 'm900']))).toEqual({ ok: false, reason: 'cooling', retryAfterMs: 60_000, coolingKind: 'rate' });
    clock.t += 60_000; // the cooldowns end: everyone is free again, and the round goes on after m900
    expect((pool.pick('flash') as { member: PoolMember }).member.id).toBe('m901');
  });

  // A differential check: the cached free list (plain picks) must choose exactly what the full scan
  // (forced by an accept filter) chooses, through random joins, leaves, failures, self-disables and time.
  it('chooses what the full scan chooses, over random histories', () => {
    type Mutable = { -readonly [K in keyof PoolMember]: PoolMember[K] };
    for (let seed = 1; seed <= 40; seed++) {
      let x = seed * 2654435761;
      const rnd = (n: number) => {
        x = (x ^ (x << 13)) >>> 0;
        x = (x ^ (x >>> 17)) >>> 0;
        x = (x ^ (x << 5)) >>> 0;
        return x % n;
      };
      const clock = fixedClock();
      const fast = newPool<Mutable>({ clock });
      const scan = newPool<Mutable>({ clock });
      const live: Mutable[] = [];
      let next = 0;
      const models = ['flash', 'pro', 'lite'];
      for (let step = 0; step < 400; step++) {
        const op = rnd(10);
        if (op === 0 || live.length === 0) {
          const m: Mutable = { ...member(`c${next++}`), quotaKey: `bucket${rnd(6)}` };
          live.push(m);
          fast.upsert(m);
          scan.upsert(m);
        } else if (op === 1 && live.length > 1) {
          const [m] = live.splice(rnd(live.length), 1);
          fast.remove(m!.id);
          scan.remove(m!.id);
        } else if (op === 2) {
          const m = live[rnd(live.length)]!;
          const model = models[rnd(3)]!;
          const err = [
            rate(1000 + rnd(20_000)),
            transient(),
            outcome({ kind: 'auth', message: 'no' }),
            outcome({ kind: 'permission', message: 'verify your account', retryAfterMs: 5000 + rnd(20_000), fatal: true }),
          ][rnd(4)]!;
          fast.reportFailure(m, model, err);
          scan.reportFailure(m, model, err);
        } else if (op === 3 && rnd(4) === 0) {
          live[rnd(live.length)]!.disabledReason = 'revoked'; // the credential disables itself: no pool event
        } else if (op === 4) {
          clock.t += rnd(8000);
        } else {
          const model = models[rnd(3)]!;
          const exclude = new Set(live.filter(() => rnd(5) === 0).map((m) => m.id));
          const a = fast.pick(model, exclude);
          const b = scan.pick(model, exclude, () => true);
          const show = (r: typeof a) => (r.ok ? `member ${r.member.id}` : `${r.reason} ${r.retryAfterMs ?? ''}`);
          expect(show(a), `seed ${seed}, step ${step}`).toBe(show(b));
        }
      }
    }
  });
});
