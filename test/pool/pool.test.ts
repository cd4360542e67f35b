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
});
