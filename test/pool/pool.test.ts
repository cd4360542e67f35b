import { describe, expect, it } from 'vitest';
import { CredentialPool } from '../../src/pool/pool.js';
import { runWithFailover, NoCredentialError } from '../../src/pool/failover.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import type { PoolMember } from '../../src/pool/types.js';

function member(id: string, extra: Partial<PoolMember> = {}): PoolMember {
  return { id, email: `${id}@x`, projectId: 'p', route: 'code-assist', quotaKey: `user:${id}`, disabledReason: undefined, ...extra };
}

function fixedClock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

const rate = (ms: number) => new UpstreamError('rate limited', 429, 'model', 'rate', ms, undefined);
const transient = () => new UpstreamError('boom', 500, 'credential', 'transient', undefined, undefined);

describe('CredentialPool', () => {
  it('picks round-robin and skips excluded members', () => {
    const pool = new CredentialPool({ clock: fixedClock() });
    ['a', 'b', 'c'].forEach((id) => pool.upsert(member(id)));
    const picks = Array.from({ length: 6 }, () => (pool.pick('m') as { member: PoolMember }).member.id);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect((pool.pick('m', new Set(['a', 'b'])) as { member: PoolMember }).member.id).toBe('c');
  });

  it('cools a (quota bucket, model) pair until the delay passes, other models unaffected', () => {
    const clock = fixedClock();
    const pool = new CredentialPool({ clock });
    pool.upsert(member('a'));
    pool.reportFailure(member('a'), 'flash', rate(5000));
    expect(pool.pick('flash')).toEqual({ ok: false, reason: 'cooling', retryAfterMs: 5000 });
    expect(pool.pick('pro').ok).toBe(true);
    clock.t += 5001;
    expect(pool.pick('flash').ok).toBe(true);
  });

  it('shares a cooldown between members of one quota bucket', () => {
    const pool = new CredentialPool({ clock: fixedClock() });
    pool.upsert(member('k1', { quotaKey: 'project:p1' }));
    pool.upsert(member('k2', { quotaKey: 'project:p1' }));
    pool.upsert(member('k3', { quotaKey: 'project:p2' }));
    pool.reportFailure(member('k1', { quotaKey: 'project:p1' }), 'flash', rate(60_000));
    for (let i = 0; i < 3; i++) expect((pool.pick('flash') as { member: PoolMember }).member.id).toBe('k3');
  });

  it('backs off transient failures exponentially and resets on success', () => {
    const clock = fixedClock();
    const pool = new CredentialPool({ clock, transientBaseMs: 100, transientMaxMs: 1000 });
    const a = member('a');
    pool.upsert(a);
    pool.reportFailure(a, 'm', transient());
    expect(pool.pick('m')).toMatchObject({ ok: false, retryAfterMs: 100 });
    clock.t += 100;
    pool.reportFailure(a, 'm', transient());
    expect(pool.pick('m')).toMatchObject({ ok: false, retryAfterMs: 200 });
    clock.t += 200;
    pool.reportSuccess(a);
    pool.reportFailure(a, 'm', transient());
    expect(pool.pick('m')).toMatchObject({ ok: false, retryAfterMs: 100 });
  });

  it('counts failures of requests that were in flight together once', () => {
    const clock = fixedClock();
    const pool = new CredentialPool({ clock, transientBaseMs: 100, transientMaxMs: 10_000 });
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
    const pool = new CredentialPool({ clock });
    const k1 = member('k1', { quotaKey: 'project:p' });
    const k2 = member('k2', { quotaKey: 'project:p' });
    [k1, k2].forEach((m) => pool.upsert(m));
    const daily = new UpstreamError('quota', 429, 'model', 'quota', 10 * 3_600_000, undefined);
    pool.reportFailure(k1, 'flash', daily);
    pool.reportFailure(k2, 'flash', rate(5000)); // answered later, from a request sent before the first 429
    clock.t += 60_000;
    expect(pool.pick('flash')).toMatchObject({ ok: false, reason: 'cooling' });
    expect(pool.status().credentials[0]!.models.flash!.reason).toMatch(/quota exhausted/);
    // And a credential cooling for an auth failure keeps it through a short transient backoff.
    const c = member('c');
    pool.upsert(c);
    pool.reportFailure(c, 'flash', new UpstreamError('no', 401, 'credential', 'auth', undefined, undefined));
    pool.reportFailure(c, 'flash', transient());
    clock.t += 2000;
    expect(pool.pick('pro', new Set(['k1', 'k2']))).toMatchObject({ ok: false, reason: 'cooling' });
  });

  it('answers "all cooling" from memory until the first frees or the pool changes', () => {
    const clock = fixedClock();
    const pool = new CredentialPool({ clock });
    const members = ['a', 'b', 'c'].map((id) => member(id));
    members.forEach((m) => pool.upsert(m));
    members.forEach((m, i) => pool.reportFailure(m, 'flash', rate(1000 * (i + 1))));
    expect(pool.pick('flash')).toEqual({ ok: false, reason: 'cooling', retryAfterMs: 1000 });
    clock.t += 400;
    expect(pool.pick('flash')).toEqual({ ok: false, reason: 'cooling', retryAfterMs: 600 });
    pool.upsert(member('d'));
    expect((pool.pick('flash') as { member: PoolMember }).member.id).toBe('d');
    pool.remove('d');
    clock.t += 600;
    expect((pool.pick('flash') as { member: PoolMember }).member.id).toBe('a');
  });

  it('re-checks a member disabled for something the user can fix, and saves only such disables', () => {
    const clock = fixedClock();
    const pool = new CredentialPool({ clock });
    const a = member('a');
    const b = member('b');
    [a, b].forEach((m) => pool.upsert(m));
    pool.reportFailure(a, 'flash', new UpstreamError('verify at https://x', 403, 'credential', 'permission', 60_000, undefined, true));
    pool.reportFailure(b, 'flash', new UpstreamError('revoked', 401, 'credential', 'auth', undefined, undefined, true));
    expect(pool.pick('flash')).toEqual({ ok: false, reason: 'disabled' });
    const st = pool.status().credentials;
    expect(st[0]).toMatchObject({ state: 'disabled', reason: 'verify at https://x', until: new Date(clock.t + 60_000).toISOString() });
    expect(st[1]).toMatchObject({ state: 'disabled', reason: 'revoked', until: null });
    // Saved: the re-checked one only; an old file's bare reasons are read and dropped.
    const saved = pool.exportState();
    expect(saved.disabled).toEqual({ a: { until: clock.t + 60_000, reason: 'verify at https://x' } });
    const restarted = new CredentialPool({ clock });
    [a, b].forEach((m) => restarted.upsert(m));
    restarted.importState({ ...saved, disabled: { ...saved.disabled, b: 'revoked' } });
    expect(restarted.status().summary).toMatchObject({ disabled: 1, available: 1 });
    clock.t += 60_000; // the user verified meanwhile: the next request tries it again
    expect((pool.pick('flash') as { member: PoolMember }).member.id).toBe('a');
  });

  it('reports disabled members and a summary', () => {
    const pool = new CredentialPool({ clock: fixedClock() });
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
    const pool = new CredentialPool({ clock: fixedClock() });
    ['a', 'b'].forEach((id) => pool.upsert(member(id)));
    const seen: string[] = [];
    const { value, member: m } = await runWithFailover(pool, { model: 'm', signal, maxAttempts: 5 }, async (mm) => {
      seen.push(mm.id);
      if (mm.id === 'a') throw transient();
      return 'ok';
    });
    expect([value, m.id, seen]).toEqual(['ok', 'b', ['a', 'b']]);
  });

  it('returns a request-scoped error at once without cooling anything', async () => {
    const pool = new CredentialPool({ clock: fixedClock() });
    ['a', 'b'].forEach((id) => pool.upsert(member(id)));
    let calls = 0;
    const bad = new UpstreamError('bad', 400, 'request', 'invalid', undefined, undefined);
    await expect(runWithFailover(pool, { model: 'm', signal, maxAttempts: 5 }, async () => { calls++; throw bad; })).rejects.toBe(bad);
    expect(calls).toBe(1);
    expect(pool.status().summary.available).toBe(2);
  });

  it('gives 429 with the earliest free time when all are cooling, 503 when none exist', async () => {
    const pool = new CredentialPool({ clock: fixedClock() });
    ['a', 'b'].forEach((id) => pool.upsert(member(id)));
    let n = 0;
    const err = await runWithFailover(pool, { model: 'm', signal, maxAttempts: 5 }, async () => {
      throw rate(++n === 1 ? 9000 : 4000);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoCredentialError);
    expect(err).toMatchObject({ status: 429, retryAfterMs: 4000 });
    const empty = new CredentialPool({ clock: fixedClock() });
    await expect(runWithFailover(empty, { model: 'm', signal, maxAttempts: 5 }, async () => 1)).rejects.toMatchObject({ status: 503 });
  });

  it('refreshes once on an auth error and retries the same member', async () => {
    const pool = new CredentialPool({ clock: fixedClock() });
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
    const pool = new CredentialPool({ clock: fixedClock() });
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
    const pool = new CredentialPool({ clock });
    const members = Array.from({ length: 1000 }, (_, i) => member(`m${i}`));
    members.forEach((m) => pool.upsert(m));
    members.forEach((m, i) => i !== 500 && i !== 900 && pool.reportFailure(m, 'flash', rate(60_000)));
    const picks = Array.from({ length: 4 }, () => (pool.pick('flash') as { member: PoolMember }).member.id);
    expect(picks).toEqual(['m500', 'm900', 'm500', 'm900']);
    expect((pool.pick('flash', new Set(['m500'])) as { member: PoolMember }).member.id).toBe('m900');
    expect(pool.pick('flash', new Set(['m500', 'm900']))).toEqual({ ok: false, reason: 'cooling', retryAfterMs: 60_000 });
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
      const fast = new CredentialPool<Mutable>({ clock });
      const scan = new CredentialPool<Mutable>({ clock });
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
            new UpstreamError('no', 401, 'credential', 'auth', undefined, undefined),
            new UpstreamError('verify your account', 403, 'credential', 'permission', 5000 + rnd(20_000), undefined, true),
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
