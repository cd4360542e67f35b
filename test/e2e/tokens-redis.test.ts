/**
 * Access tokens across two Rotor instances on one redis-server: a token created on one works on the other, a
 * revocation on one stops it on the other, limits hold for both together (concurrent requests through both never
 * exceed them), usage adds up across them, and Redis holds the hash, never the token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startStack, type Stack } from './harness.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';
import { hashToken } from '../../src/tokens/token.js';
import { runTokens } from '../../src/cli/tokens.js';
import { loadConfig } from '../../src/config/config.js';
import { freePort } from '../store/redis-server.js';

const MODEL = 'gemini-2.5-flash';
const PREFIX = 'rotor-tokens-test:';

async function waitFor(what: string, check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const chat = (stack: Stack, token: string, content: string) =>
  fetch(`${stack.rotor.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content }] }),
  });

const admin = (stack: Stack, method: string, path: string, body?: unknown) =>
  fetch(`${stack.rotor.url}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });

async function create(stack: Stack, body: Record<string, unknown>): Promise<string> {
  const r = await admin(stack, 'POST', '/admin/tokens', body);
  expect(r.status).toBe(201);
  return ((await r.json()) as { token: string }).token;
}

describe('access tokens on two instances sharing Redis', () => {
  let redis: RedisServer;
  let a: Stack;
  let b: Stack;

  beforeAll(async () => {
    redis = await startRedisServer();
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: PREFIX };
    a = await startStack({ accounts: [{ email: 'ra@example.com' }], env });
    b = await startStack({ accounts: [{ email: 'rb@example.com' }], env });
    expect(a.rotor.store.health()).toMatchObject({ kind: 'redis', ok: true });
    expect(b.rotor.store.health()).toMatchObject({ kind: 'redis', ok: true });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it('a token created on A works on B; revoked on A, B refuses it as soon as the change reaches it', async () => {
    const token = await create(a, { name: 'roaming' });
    await waitFor('B to learn of the token', async () => b.rotor.tokens.get('roaming') !== undefined);
    expect((await chat(b, token, 'on B')).status).toBe(200);
    expect((await admin(a, 'DELETE', '/admin/tokens/roaming')).status).toBe(204);
    // A refuses it at once; B as soon as the change feed delivers the deletion.
    expect((await chat(a, token, 'on A after')).status).toBe(401);
    await waitFor('B to refuse the revoked token', async () => (await chat(b, token, 'on B after')).status === 401);
    expect(b.rotor.tokens.get('roaming')).toBeUndefined();
    // B's list agrees.
    const names = ((await (await admin(b, 'GET', '/admin/tokens')).json()) as { tokens: Array<{ name: string }> }).tokens.map((t) => t.name);
    expect(names).not.toContain('roaming');
  });

  it('rpm holds for both instances together: 12 concurrent requests through A and B, exactly 4 served', async () => {
    const token = await create(a, { name: 'shared-rpm', rpm: 4 });
    await waitFor('B to learn of the token', async () => b.rotor.tokens.get('shared-rpm') !== undefined);
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => chat(i % 2 ? a : b, token, `req ${i}`).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(8);
    const r = await chat(b, token, 'one more');
    expect(r.status).toBe(429);
    expect(((await r.json()) as { error: { message: string } }).error.message).toBe('token shared-rpm: rpm limit of 4 reached');
  });

  it('rpd and daily tokens hold across instances too', async () => {
    const rpd = await create(b, { name: 'shared-rpd', rpd: 2 });
    await waitFor('A to learn of it', async () => a.rotor.tokens.get('shared-rpd') !== undefined);
    expect((await chat(a, rpd, 'one')).status).toBe(200);
    expect((await chat(b, rpd, 'two')).status).toBe(200);
    expect((await chat(a, rpd, 'three')).status).toBe(429);
    const daily = await create(a, { name: 'shared-daily', daily_tokens: 10 });
    await waitFor('B to learn of it', async () => b.rotor.tokens.get('shared-daily') !== undefined);
    expect((await chat(a, daily, 'a prompt that uses well over ten tokens in prompt and answer together')).status).toBe(200);
    const r = await chat(b, daily, 'and now through B');
    expect(r.status).toBe(429);
    expect(((await r.json()) as { error: { message: string } }).error.message).toBe('token shared-daily: daily_tokens limit of 10 reached');
  });

  it('usage adds up across the instances, and Redis holds the hash but never the token', async () => {
    const token = await create(a, { name: 'counted' });
    await waitFor('B to learn of the token', async () => b.rotor.tokens.get('counted') !== undefined);
    for (let i = 0; i < 3; i++) expect((await chat(a, token, `a${i}`)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await chat(b, token, `b${i}`)).status).toBe(200);
    await b.rotor.usage.flush();
    const report = (await (await admin(a, 'GET', '/admin/usage?by=token')).json()) as { rows: Array<{ key: string; requests: number }> };
    expect(report.rows.find((r) => r.key === 'counted')?.requests).toBe(5);
    const list = (await (await admin(b, 'GET', '/admin/tokens')).json()) as { tokens: Array<{ name: string; today: { requests: number } }> };
    expect(list.tokens.find((t) => t.name === 'counted')?.today.requests).toBe(5);

    const client = new Redis(redis.url);
    try {
      let dump = '';
      for (const key of await client.keys(`${PREFIX}*`)) {
        const type = await client.type(key);
        const value =
          type === 'string' ? await client.get(key) : type === 'hash' ? await client.hgetall(key) : type === 'zset' ? await client.zrange(key, 0, -1, 'WITHSCORES') : type === 'list' ? await client.lrange(key, 0, -1) : type;
        dump += `${key} ${JSON.stringify(value)}\n`;
      }
      expect(dump).toContain(hashToken(token));
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(token.slice('rotor_'.length));
    } finally {
      client.disconnect();
    }
  });

  it('rotor tokens with REDIS_URL and no Rotor at its address writes to Redis directly: running instances hear it', async () => {
    const result = loadConfig({ PORT: String(await freePort()), HOST: '127.0.0.1', PERSISTENT_STORAGE_PATH: a.dir, REDIS_URL: redis.url, REDIS_PREFIX: PREFIX });
    if (!result.ok) throw new Error(result.errors.join());
    const out: string[] = [];
    const io = { isTTY: false, out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
    expect(await runTokens(['create', '--name', 'from-cli', '--rpm', '5', '--quiet'], () => result.config, io)).toBe(0);
    const token = out.join('').match(/rotor_[A-Za-z0-9_-]{43}/)![0];
    expect(out.join('')).toContain('using the state store');
    await waitFor('both instances to learn of it', async () => a.rotor.tokens.get('from-cli') !== undefined && b.rotor.tokens.get('from-cli') !== undefined);
    expect((await chat(a, token, 'hi')).status).toBe(200);
    expect(await runTokens(['revoke', 'from-cli'], () => result.config, io)).toBe(0);
    await waitFor('both instances to refuse it', async () => (await chat(a, token, 'a')).status === 401 && (await chat(b, token, 'b')).status === 401);
  });
});
