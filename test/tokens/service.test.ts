/** TokenService over the memory store: the record kept, lookups, expiry, the mirror, last use, and each limit. */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory.js';
import { LAST_USED_WRITE_MS, TOKEN_NS, TOKEN_USED_NS, TokenRefusal, TokenService, tokenList } from '../../src/tokens/service.js';
import { hashToken, nextUtcMidnight, parseExpires, TokenInputError, validateInput } from '../../src/tokens/token.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

function setup(start = T0) {
  const clock = { t: start };
  const store = new MemoryStore({ now: () => clock.t });
  const refusals: Array<[string, string, number]> = [];
  const open = () => TokenService.open({ store, now: () => clock.t, onRefusal: (t, m, s) => refusals.push([t, m, s]) });
  return { clock, store, open, refusals };
}

async function refusal(p: Promise<unknown>): Promise<TokenRefusal> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TokenRefusal) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** Lets the store's change events and the reads they start run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('tokens: creating and looking up', () => {
  it('keeps only the hash: the token is in no stored value', async () => {
    const { store, open } = setup();
    const tokens = await open();
    const { token, record } = await tokens.create({ name: 'cursor-ide', rpm: 20, models: ['models/gemini-2.5-flash'] });
    expect(token).toMatch(/^rotor_[A-Za-z0-9_-]{43}$/);
    expect(record).toEqual({ name: 'cursor-ide', hash: hashToken(token), created: new Date(T0).toISOString(), rpm: 20, models: ['gemini-2.5-flash'] });
    const everything = JSON.stringify(store.snapshot(() => true));
    expect(everything).toContain(hashToken(token));
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.slice(6));
  });

  it('authenticates by hash; unknown secrets are unknown; an expired token says so', async () => {
    const { clock, open } = setup();
    const tokens = await open();
    const { token } = await tokens.create({ name: 'a', expires: '1h' });
    expect(tokens.authenticate(token)).toEqual({ kind: 'ok', name: 'a' });
    expect(tokens.authenticate(token + 'x')).toEqual({ kind: 'unknown' });
    expect(tokens.authenticate('rotor_nothing')).toEqual({ kind: 'unknown' });
    clock.t += 3_600_000;
    expect(tokens.authenticate(token)).toEqual({ kind: 'expired', name: 'a', expires: new Date(T0 + 3_600_000).toISOString() });
  });

  it('names are unique and validated; bad fields are named', async () => {
    const { open } = setup();
    const tokens = await open();
    await tokens.create({ name: 'dup' });
    const err = await tokens.create({ name: 'dup' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenInputError);
    expect(err).toMatchObject({ field: 'name', conflict: true });
    for (const [body, field] of [
      [{ name: 'has space' }, 'name'],
      [{ name: 'x'.repeat(65) }, 'name'],
      [{ name: 'ok', rpm: 0 }, 'rpm'],
      [{ name: 'ok', rpd: 1.5 }, 'rpd'],
      [{ name: 'ok', daily_tokens: '100' }, 'daily_tokens'],
      [{ name: 'ok', models: [] }, 'models'],
      [{ name: 'ok', models: ['a b'] }, 'models'],
      [{ name: 'ok', expires: 'tomorrow' }, 'expires'],
      [{ name: 'ok', expires: '2001-01-01' }, 'expires'],
      [{ name: 'ok', rpm_limit: 3 }, 'rpm_limit'],
    ] as const) {
      await expect(tokens.create(body)).rejects.toMatchObject({ field, conflict: false });
    }
  });

  it('parses expiry as a duration or a date', () => {
    expect(parseExpires('30d', T0)).toBe(T0 + 30 * 86_400_000);
    expect(parseExpires('12h', T0)).toBe(T0 + 12 * 3_600_000);
    expect(parseExpires('2030-01-31', T0)).toBe(Date.UTC(2030, 0, 31));
    expect(parseExpires('2030-01-31T10:00:00Z', T0)).toBe(Date.UTC(2030, 0, 31, 10));
    expect(() => parseExpires('0d', T0)).toThrow(TokenInputError);
    expect(validateInput({ name: 'n', rpm: null, models: null, expires: null })).toEqual({ name: 'n' });
  });

  it('revokes; the list and info never show the token or its hash', async () => {
    const { open } = setup();
    const tokens = await open();
    const { token } = await tokens.create({ name: 'b', rpd: 5 });
    const list = tokenList(tokens, []);
    expect(list).toEqual([
      { name: 'b', created: new Date(T0).toISOString(), expires: null, last_used: null, limits: { rpm: null, rpd: 5, daily_tokens: null, models: null }, today: { requests: 0, tokens: 0 } },
    ]);
    expect(await tokens.revoke('b')).toBe(true);
    expect(await tokens.revoke('b')).toBe(false);
    expect(tokens.authenticate(token)).toEqual({ kind: 'unknown' });
  });
});

describe('tokens: the mirror', () => {
  it('a second service on the same store sees a creation and a revocation through the change events', async () => {
    const { open } = setup();
    const a = await open();
    const b = await open();
    const { token } = await a.create({ name: 'shared' });
    await settle();
    expect(b.authenticate(token)).toEqual({ kind: 'ok', name: 'shared' });
    await a.revoke('shared');
    await settle();
    expect(b.authenticate(token)).toEqual({ kind: 'unknown' });
  });

  it('loads what the store holds at start, skipping records that are not valid', async () => {
    const { store, open } = setup();
    const first = await open();
    const { token } = await first.create({ name: 'kept' });
    await store.kvSet(TOKEN_NS, 'broken', '{"name":"broken"}');
    const again = await open();
    expect(again.authenticate(token)).toEqual({ kind: 'ok', name: 'kept' });
    expect(again.list().map((r) => r.name)).toEqual(['kept']);
  });

  it('writes last use at most once a minute per token', async () => {
    const { clock, store, open } = setup();
    const tokens = await open();
    const { token } = await tokens.create({ name: 'busy' });
    let writes = 0;
    store.subscribe((c) => c.type === 'kv' && c.ns === TOKEN_USED_NS && writes++);
    for (let i = 0; i < 50; i++) {
      tokens.authenticate(token);
      clock.t += 1000;
    }
    // 50 s of requests: one write (the first). Another minute on: a second.
    expect(writes).toBe(1);
    clock.t += LAST_USED_WRITE_MS;
    tokens.authenticate(token);
    expect(writes).toBe(2);
    expect(await store.kvGet(TOKEN_USED_NS, 'busy')).toBe(new Date(clock.t).toISOString());
    expect(tokens.info(tokens.get('busy')!).last_used).toBe(new Date(clock.t).toISOString());
  });
});

describe('tokens: limits', () => {
  it('refuses a model outside the list, naming the allowed ones', async () => {
    const { open, refusals } = setup();
    const tokens = await open();
    await tokens.create({ name: 'flash-only', models: ['gemini-2.5-flash', 'gemini-2.5-flash-lite'] });
    const r = await refusal(tokens.admit('flash-only', 'gemini-2.5-pro'));
    expect(r.status).toBe(403);
    expect(r.message).toBe('token flash-only may not use model gemini-2.5-pro; it may use gemini-2.5-flash, gemini-2.5-flash-lite');
    await tokens.admit('flash-only', 'gemini-2.5-flash');
    expect(refusals).toEqual([['flash-only', 'gemini-2.5-pro', 403]]);
  });

  it('rpm: a sliding minute; the refusal says when it has room again', async () => {
    const { clock, open } = setup();
    const tokens = await open();
    await tokens.create({ name: 'cursor-ide', rpm: 2 });
    await tokens.admit('cursor-ide', 'm');
    clock.t += 10_000;
    await tokens.admit('cursor-ide', 'm');
    const r = await refusal(tokens.admit('cursor-ide', 'm'));
    expect(r).toMatchObject({ status: 429, limit: 'rpm', retryAfterMs: 50_000, message: 'token cursor-ide: rpm limit of 2 reached' });
    clock.t += 50_000;
    await tokens.admit('cursor-ide', 'm');
  });

  it('rpd: until UTC midnight; a request no credential took is given back', async () => {
    const { clock, open } = setup();
    const tokens = await open();
    await tokens.create({ name: 'daily', rpd: 2 });
    await tokens.admit('daily', 'm');
    const lease = await tokens.admit('daily', 'm');
    const r = await refusal(tokens.admit('daily', 'm'));
    expect(r).toMatchObject({ status: 429, limit: 'rpd', retryAfterMs: nextUtcMidnight(T0) - T0 });
    lease.release();
    await tokens.admit('daily', 'm');
    clock.t = nextUtcMidnight(T0);
    await tokens.admit('daily', 'm');
    await tokens.admit('daily', 'm');
  });

  it('daily_tokens: refused once the day holds the limit, counting each answer’s real total', async () => {
    const { open } = setup();
    const tokens = await open();
    await tokens.create({ name: 'tok', daily_tokens: 100 });
    const a = await tokens.admit('tok', 'm');
    a.settle({ promptTokenCount: 40, candidatesTokenCount: 30, thoughtsTokenCount: 20, totalTokenCount: 90 });
    // 90 of 100: one more fits (it may go over; the next does not).
    const b = await tokens.admit('tok', 'm');
    b.settle({ promptTokenCount: 15, candidatesTokenCount: 5, totalTokenCount: 20 });
    const r = await refusal(tokens.admit('tok', 'm'));
    expect(r).toMatchObject({ status: 429, limit: 'daily_tokens', message: 'token tok: daily_tokens limit of 100 reached' });
  });

  it('a token without limits books nothing; countTokens (book: false) checks the model only', async () => {
    const { store, open } = setup();
    const tokens = await open();
    await tokens.create({ name: 'free' });
    await tokens.create({ name: 'tight', rpm: 1 });
    await tokens.admit('free', 'm');
    expect(store.windowCount).toBe(0);
    await tokens.admit('tight', 'm');
    await tokens.admit('tight', 'm', { book: false });
    await expect(tokens.admit('tight', 'm')).rejects.toBeInstanceOf(TokenRefusal);
  });
});
