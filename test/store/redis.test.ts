/**
 * The Redis store against a real redis-server (started here, on a free port): the conformance suite, then what
 * only a shared store does — instances hearing each other, atomic bookings across instances, expiries on every
 * key — and the resilient wrapper: Redis killed (SIGKILL), restarted, unreachable at start.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openStateStore } from '../../src/store/open.js';
import { RedisStore, dec, enc, openRedisStore } from '../../src/store/redis.js';
import { ResilientStore } from '../../src/store/resilient.js';
import type { CooldownEntry, StateChange, WindowSpec } from '../../src/store/types.js';
import type { Logger } from '../../src/util/log.js';
import { describeStateStoreConformance } from './conformance.js';
import { freePort, startRedisServer, type RedisServer } from './redis-server.js';

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

/** Every key under a prefix (the prefixes here are random: no glob characters). */
async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function dropKeys(prefix: string): Promise<void> {
  const keys = await keysUnder(prefix);
  if (keys.length > 0) await admin.del(...keys);
}

const testPrefix = () => `rotor-test-${randomUUID()}:`;

describeStateStoreConformance('RedisStore', async (options) => {
  const now = { t: Date.now() };
  const prefix = testPrefix();
  const store = await openRedisStore({ url: server.url, prefix, now: () => now.t, ...options });
  return {
    store,
    now,
    close: async () => {
      await store.close();
      await dropKeys(prefix);
    },
  };
});

describeStateStoreConformance('ResilientStore over Redis', async (options) => {
  const now = { t: Date.now() };
  const prefix = testPrefix();
  const redis = new RedisStore({ url: server.url, prefix, now: () => now.t, ...options });
  // A generous bound: this run checks that the wrapper passes everything through, not how it fails over.
  const store = await ResilientStore.open({ redis, logger: countingLogger().logger, now: () => now.t, timeoutMs: 5_000, startTimeoutMs: 5_000 });
  if (store.serving !== 'redis') throw new Error('the resilient store did not reach Redis');
  return {
    store,
    now,
    close: async () => {
      await store.close();
      await dropKeys(prefix);
    },
  };
});

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const DEADLINE = { timeout: 15_000, interval: 20 };
const sliding = (name: string, limit: number, amount: number, windowMs = MINUTE): WindowSpec => ({ name, kind: 'sliding', windowMs, limit, amount });
const fixed = (name: string, limit: number, amount: number, resetAt: number): WindowSpec => ({ name, kind: 'fixed', resetAt, limit, amount });
const cd = (scope: string, model: string, until: number, reason = 'rate limited'): CooldownEntry => ({ scope, model, until, reason, kind: 'rate' });

/** A logger that keeps what it was told, by level (tests count levels, not wording). */
function countingLogger() {
  const lines: Array<{ level: string; msg: string }> = [];
  const at = (level: string) => (msg: string) => void lines.push({ level, msg });
  const logger: Logger = {
    debug: () => {},
    info: at('info'),
    access: () => at('info')('request'),
    warn: at('warn'),
    error: at('error'),
    addSecret: () => {},
    dropSecret: () => {},
    enabled: () => true,
    redact: (text) => text,
  };
  return { logger, lines, count: (level: string) => lines.filter((l) => l.level === level).length };
}

describe('RedisStore: what only a shared store does', () => {
  const opened: RedisStore[] = [];
  const prefixes: string[] = [];
  async function pair() {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const a = await openRedisStore({ url: server.url, prefix });
    const b = await openRedisStore({ url: server.url, prefix });
    opened.push(a, b);
    return { a, b, prefix };
  }
  afterAll(async () => {
    for (const s of opened) await s.close();
    for (const p of prefixes) await dropKeys(p);
  });

  it("two stores on one Redis share state and each hears the other's changes once", async () => {
    const { a, b } = await pair();
    const heardA: StateChange[] = [];
    const heardB: StateChange[] = [];
    a.subscribe((c) => heardA.push(c));
    b.subscribe((c) => heardB.push(c));
    const T = Date.now();
    const cooldown = cd('bucket:p1', 'gemini-2.5-flash', T + MINUTE);
    expect(await a.extendCooldown(cooldown)).toBe(true);
    await b.setDisable({ id: 'cred-2', reason: 'revoked', until: undefined });
    await a.kvSet('limit', 'p1|m|rpm', '{"limit":5}', MINUTE);
    await b.clearCooldown('bucket:p1', 'gemini-2.5-flash');
    const expected: StateChange[] = [
      { type: 'cooldown', entry: cooldown },
      { type: 'disable', entry: { id: 'cred-2', reason: 'revoked', until: undefined } },
      { type: 'kv', ns: 'limit', key: 'p1|m|rpm' },
      { type: 'cooldown-cleared', scope: 'bucket:p1', model: 'gemini-2.5-flash' },
    ];
    // One channel, one order: once the last change is in, every earlier one is too, exactly once.
    await vi.waitFor(() => {
      expect(heardA).toContainEqual(expected[3]);
      expect(heardB).toContainEqual(expected[3]);
    }, DEADLINE);
    expect(heardA).toEqual(expected);
    expect(heardB).toEqual(expected);
    // And the state itself is shared.
    expect(await b.kvGet('limit', 'p1|m|rpm')).toBe('{"limit":5}');
    expect(await a.liveHealth(T)).toEqual({ cooldowns: [], disables: [{ id: 'cred-2', reason: 'revoked', until: undefined }] });
  });

  it('an extend-only cooldown holds across stores: the longest wins, whoever sets it', async () => {
    const { a, b } = await pair();
    const T = Date.now();
    const untils = Array.from({ length: 20 }, (_, i) => T + ((i * 7) % 20) * 1_000 + MINUTE);
    const results = await Promise.all(untils.map((until, i) => (i % 2 ? a : b).extendCooldown(cd('cred:x', '*', until, `r${until}`))));
    const longest = Math.max(...untils);
    expect(results[untils.indexOf(longest)]).toBe(true);
    expect((await a.liveHealth(T)).cooldowns).toEqual([cd('cred:x', '*', longest, `r${longest}`)]);
  });

  it('concurrent reservations from two stores never book past the limit, all windows or none', async () => {
    const { a, b } = await pair();
    const T = Date.now();
    const windows = [sliding('rpm', 37, 1), sliding('tpm', 100, 2), fixed('rpd', 45, 1, T + DAY)];
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => (i % 2 ? a : b).reserve({ id: `r${i}`, key: 'bucket:p|m', windows, now: T + (i % 5) })));
    const booked = results.filter((r) => r.ok).length;
    // tpm admits 50 of 2, rpm 37 of 1, rpd 45: rpm is the narrowest.
    expect(booked).toBe(37);
    expect(await a.windowUsage('bucket:p|m', windows, T + 5)).toEqual([
      { name: 'rpm', used: 37 },
      { name: 'tpm', used: 74 },
      { name: 'rpd', used: 37 },
    ]);
    // Each store's `used` answers were each a consistent count at booking time: 37 distinct values 1..37.
    const used = results.flatMap((r) => (r.ok ? [r.used[0]] : [])).sort((x, y) => x! - y!);
    expect(used).toEqual(Array.from({ length: 37 }, (_, i) => i + 1));
    // Releases from either store free room for the other.
    await Promise.all(results.flatMap((r, i) => (r.ok && i < 40 ? [(i % 2 ? b : a).release(`r${i}`, 'bucket:p|m', windows)] : [])));
    const freed = results.filter((r, i) => r.ok && i < 40).length;
    expect(await b.windowUsage('bucket:p|m', windows, T + 5)).toEqual([
      { name: 'rpm', used: 37 - freed },
      { name: 'tpm', used: 2 * (37 - freed) },
      { name: 'rpd', used: 37 - freed },
    ]);
  });

  it('a restamp nothing waits for goes before the next call that must not wait, and on its own soon after', async () => {
    const { a, b } = await pair();
    const T = Date.now();
    const windows = [sliding('rpm', 10, 1), sliding('tpm', 1_000, 40)];
    expect((await a.reserve({ id: 'r1', key: 'bucket:p|m', windows, now: T })).ok).toBe(true);
    expect((await a.reserve({ id: 'r2', key: 'bucket:p|m', windows, now: T })).ok).toBe(true);
    // Held for the next urgent call: the reading that follows, in the same turn, must already see it.
    const restamped = a.restamp('r1', 'bucket:p|m', windows, T + 30_000, { window: 'tpm', amount: 25 });
    expect(await a.windowUsage('bucket:p|m', windows, T + MINUTE + 1_000)).toEqual([
      { name: 'rpm', used: 1 },
      { name: 'tpm', used: 25 },
    ]);
    await restamped;
    // With nothing after it, it goes all the same, and the other instance sees it.
    await a.restamp('r2', 'bucket:p|m', windows, T + 30_000);
    expect(await b.windowUsage('bucket:p|m', windows, T + MINUTE + 1_000)).toEqual([
      { name: 'rpm', used: 2 },
      { name: 'tpm', used: 65 },
    ]);
  });

  it('every key it writes has an expiry, but for a key-value entry set without a TTL (kept until deleted)', async () => {
    const { a, prefix } = await pair();
    const T = Date.now();
    await a.extendCooldown(cd('bucket:p1', 'm1', T + MINUTE));
    await a.extendCooldown(cd('cred:a', '*', T + 5_000));
    await a.clearCooldown('cred:a');
    await a.setDisable({ id: 'timed', reason: 'verify', until: T + 30 * MINUTE });
    await a.setDisable({ id: 'forever', reason: 'revoked', until: undefined });
    await a.setDisable({ id: 'gone', reason: 'x', until: undefined });
    await a.clearDisable('gone');
    const windows = [sliding('rpm', 10, 1), sliding('tpm', 1000, 100), fixed('rpd', 100, 1, T + DAY)];
    await a.reserve({ id: 'r1', key: 'bucket:p1|m1', windows, now: T });
    await a.reserve({ id: 'r2', key: 'bucket:p1|m1', windows, now: T + 1 });
    await a.adjust('r1', 'bucket:p1|m1', 'tpm', 420);
    await a.release('r2', 'bucket:p1|m1', windows);
    await a.reserve({ id: 'r3', key: 'bucket:p2|m1', windows: [sliding('rpm', 0, 1)], now: T });
    await a.windowUsage('bucket:p1|m1', windows, T);
    await a.addUsage({ day: '2026-03-01', dims: { credential: 'a', model: 'm1' } }, { requests: 1, tokens: 10 });
    await a.usage('2026-01-01', '2026-12-31');
    await a.kvSet('sig', 'call_1', 'sig', 24 * 60 * MINUTE);
    await a.kvSet('aff', 'conv', 'cred-1', 60 * MINUTE);
    await a.kvSet('aff', 'old', 'cred-2', 60 * MINUTE);
    await a.kvDelete('aff', 'old');
    await a.kvSet('limit', 'p1|m1|rpm', '{"limit":10}', 7 * DAY);
    await a.kvSet('tokens', 'kept', 'for good');
    await a.kvList('aff');
    await a.kvGetMany('sig', ['call_1', 'missing']);

    const keys = await keysUnder(prefix);
    expect(keys.length).toBeGreaterThan(10);
    const ttls = await Promise.all(keys.map((k) => admin.pttl(k)));
    const persistent = keys.filter((_, i) => ttls[i] === -1).sort();
    expect(persistent).toEqual([`${prefix}kv-index:tokens`, `${prefix}kv:tokens:kept`].sort());
    // And no key lives much longer than what it holds: its latest end, plus a minute's grace.
    const longest: Record<string, number> = {
      cooldowns: MINUTE, // bucket:p1 until T + 1 min
      'cooldowns-end': MINUTE,
      disables: 6 * 60 * MINUTE, // a disable for good is kept 6 h
      'disables-end': 6 * 60 * MINUTE,
      win: DAY, // rpd resets in a day
      'win-t': DAY, // a minute's booking times, or a daily window's booking order (until its reset)
      usage: 30 * DAY, // USAGE retention
      'usage-days': 30 * DAY,
      'kv:sig': DAY,
      'kv-index:sig': DAY,
      'kv:aff': 60 * MINUTE,
      'kv-index:aff': 60 * MINUTE,
      'kv:limit': 7 * DAY,
      'kv-index:limit': 7 * DAY,
      instances: 12_000, // the heartbeats of the instances sharing the prefix
    };
    keys.forEach((key, i) => {
      if (ttls[i] === -1) return;
      const rest = key.slice(prefix.length);
      const family = Object.keys(longest).find((f) => rest === f || rest.startsWith(`${f}:`))!;
      expect({ key: rest, within: ttls[i]! > 0 && ttls[i]! <= longest[family]! + MINUTE }).toEqual({ key: rest, within: true });
    });
    // Deleting the last entry without a TTL leaves only expiring keys.
    await a.kvDelete('tokens', 'kept');
    await a.kvSet('tokens', 'short', 'v', MINUTE);
    const after = await keysUnder(prefix);
    expect((await Promise.all(after.map((k) => admin.pttl(k)))).filter((t) => t === -1)).toEqual([]);
  });

  it('names with `:`, `|`, glob characters or braces stay inside their key part', async () => {
    const { a, prefix } = await pair();
    const odd = 'ns:with|odd*chars?[x]{y} \\ü\u0000';
    for (const s of [odd, 'a', 'a:b', '', '%41', '\ud800']) expect(dec(enc(s))).toBe(s);
    expect(enc('%41')).not.toBe(enc('A'));
    await a.kvSet(odd, odd, 'v', MINUTE);
    await a.reserve({ id: 'r', key: odd, windows: [sliding(odd, 5, 1)], now: Date.now() });
    await a.extendCooldown(cd(odd, odd, Date.now() + MINUTE));
    for (const key of await keysUnder(prefix)) expect(key.slice(prefix.length)).toMatch(/^[a-z-]+(:[A-Za-z0-9._\-@+=,;~!$&'()/%]*)*$/);
    expect(await a.kvList(odd)).toEqual([{ key: odd, value: 'v' }]);
    expect(await a.kvGet(odd, odd)).toBe('v');
  });

  it('a lone surrogate in a key-value key survives (encoded before UTF-8 could mangle it)', async () => {
    const { a } = await pair();
    await a.kvSet('sig', 'x\ud800', 'one', MINUTE);
    await a.kvSet('sig', 'x\ud801', 'two', MINUTE);
    expect(await a.kvGetMany('sig', ['x\ud800', 'x\ud801'])).toEqual(['one', 'two']);
    expect((await a.kvList('sig')).map((e) => e.key).sort()).toEqual(['x\ud800', 'x\ud801']);
  });
});

describe('ResilientStore: Redis goes away and comes back', () => {
  let flaky: RedisServer;
  beforeAll(async () => {
    flaky = await startRedisServer();
  });
  afterAll(async () => {
    await flaky?.stop();
  });

  async function open(options: { startTimeoutMs?: number } = {}) {
    const log = countingLogger();
    const prefix = testPrefix();
    const redis = new RedisStore({ url: flaky.url, prefix, logger: log.logger });
    // A call bound of 1 s rather than 250 ms: a busy test machine must not look like an outage.
    const store = await ResilientStore.open({ redis, logger: log.logger, timeoutMs: 1_000, startTimeoutMs: options.startTimeoutMs ?? 5_000 });
    return { store, log, prefix };
  }

  it('killed mid-run (SIGKILL): every call succeeds from memory; restarted: shared again, with a resync', async () => {
    await flaky.start();
    const { store, log } = await open();
    const heard: StateChange[] = [];
    store.subscribe((c) => heard.push(c));
    const T = Date.now();
    expect(store.health()).toMatchObject({ kind: 'redis', ok: true });
    const before = cd('bucket:p1', 'm1', T + 10 * MINUTE, 'before the outage');
    await store.extendCooldown(before);
    await store.setDisable({ id: 'kept', reason: 'revoked', until: undefined });
    await vi.waitFor(() => expect(heard).toContainEqual({ type: 'disable', entry: { id: 'kept', reason: 'revoked', until: undefined } }), DEADLINE);

    await flaky.kill();
    await vi.waitFor(() => expect(store.health().ok).toBe(false), DEADLINE);
    expect(store.health()).toMatchObject({ kind: 'redis', ok: false, detail: expect.stringContaining('serving from memory') });
    // Every kind of call answers, from memory; what every instance knew before is still known.
    const during = cd('cred:c', '*', T + 5 * MINUTE, 'during the outage');
    expect(await store.extendCooldown(during)).toBe(true);
    expect((await store.liveHealth(T)).cooldowns.sort((x, y) => (x.scope < y.scope ? -1 : 1))).toEqual([before, during]);
    expect((await store.liveHealth(T)).disables).toEqual([{ id: 'kept', reason: 'revoked', until: undefined }]);
    await store.setDisable({ id: 'new', reason: 'verify', until: T + 30 * MINUTE });
    const windows = [sliding('rpm', 2, 1)];
    expect(await store.reserve({ id: 'a', key: 'k', windows, now: T })).toEqual({ ok: true, used: [1] });
    expect(await store.reserve({ id: 'b', key: 'k', windows, now: T })).toEqual({ ok: true, used: [2] });
    expect(await store.reserve({ id: 'c', key: 'k', windows, now: T })).toMatchObject({ ok: false, window: 'rpm' });
    await store.adjust('a', 'k', 'rpm', 1);
    await store.release('b', 'k', windows);
    expect(await store.windowUsage('k', windows, T)).toEqual([{ name: 'rpm', used: 1 }]);
    await store.kvSet('sig', 'call_1', 'signature', MINUTE);
    expect(await store.kvGet('sig', 'call_1')).toBe('signature');
    expect(await store.kvGetMany('sig', ['call_1'])).toEqual(['signature']);
    expect(await store.kvList('sig')).toEqual([{ key: 'call_1', value: 'signature' }]);
    await store.kvDelete('sig', 'call_1');
    await store.addUsage({ day: '2026-03-01', dims: { credential: 'c' } }, { requests: 2 });
    expect(await store.usage('2026-03-01', '2026-03-01')).toEqual([{ day: '2026-03-01', dims: { credential: 'c' }, counts: { requests: 2 } }]);
    await store.clearCooldown('cred:none');
    const rpd = [fixed('rpd', 100, 1, T + DAY)];
    await store.reserve({ id: 'd1', key: 'bucket:p1|m1', windows: rpd, now: T });
    await store.reserve({ id: 'd2', key: 'bucket:p1|m1', windows: rpd, now: T });
    await store.kvSet('tokens', 'tok-1', 'created during the outage');
    await store.kvSet('limit', 'p1|m1|rpm', '{"limit":4}', DAY);
    // Changes made meanwhile still reach the listeners.
    await vi.waitFor(() => expect(heard).toContainEqual({ type: 'cooldown', entry: during }), DEADLINE);
    expect(log.count('warn')).toBe(1); // said once, however many calls went to memory

    // Back, empty (nothing was persisted): what memory knew is written back, and the listeners reload.
    await flaky.start();
    await vi.waitFor(() => {
      expect(store.health().ok).toBe(true);
      expect(heard).toContainEqual({ type: 'resync' });
    }, DEADLINE);
    expect(log.count('info')).toBe(1);
    expect(store.serving).toBe('redis');
    const shared = await store.liveHealth(T);
    expect(shared.cooldowns.sort((x, y) => (x.scope < y.scope ? -1 : 1))).toEqual([before, during]);
    // The disable set during the outage is written back; the one for good from before is not (found again).
    expect(shared.disables).toEqual([{ id: 'new', reason: 'verify', until: T + 30 * MINUTE }]);
    expect(await store.usage('2026-03-01', '2026-03-01')).toEqual([{ day: '2026-03-01', dims: { credential: 'c' }, counts: { requests: 2 } }]);
    // Another instance sees it all: the state is in Redis, not only in this one's memory.
    const other = await openRedisStore({ url: flaky.url, prefix: store.redis.prefix });
    expect((await other.liveHealth(T)).cooldowns).toHaveLength(2);
    expect(await other.windowUsage('bucket:p1|m1', rpd, T)).toEqual([{ name: 'rpd', used: 2 }]);
    expect(await other.kvGet('tokens', 'tok-1')).toBe('created during the outage');
    expect(await other.kvList('limit')).toEqual([{ key: 'p1|m1|rpm', value: '{"limit":4}' }]);
    const direct = new Redis(flaky.url);
    expect(await direct.pttl(`${store.redis.prefix}kv:limit:p1%7Cm1%7Crpm`)).toBeGreaterThan(0); // its TTL came along
    direct.disconnect();
    expect(await other.kvList('sig')).toEqual([]); // deleted during the outage
    await other.close();
    await store.close();
  });

  it('a Redis that stops answering (SIGSTOP): calls are answered from memory within the bound; it resumes: back to Redis', async () => {
    await flaky.start();
    const { store, log } = await open();
    const heard: StateChange[] = [];
    store.subscribe((c) => heard.push(c));
    const T = Date.now();
    await store.kvSet('aff', 'conv', 'cred-1', MINUTE);
    await store.kvSet('tokens', 'revoked', 'v');
    const rpd = [fixed('rpd', 1, 1, T + DAY)];
    await flaky.pause();
    try {
      // Each call waits for the bound, then is answered from memory; one slow answer is not an outage, three in a
      // row are, and the calls after that go to memory at once.
      // (Redis gets this booking too, once it resumes: the write-back must not count it twice.)
      expect(await store.reserve({ id: 'a', key: 'k', windows: rpd, now: T })).toEqual({ ok: true, used: [1] });
      expect(store.health()).toMatchObject({ ok: true });
      expect(await store.reserve({ id: 'b', key: 'k', windows: rpd, now: T })).toMatchObject({ ok: false, window: 'rpd' });
      expect(await store.extendCooldown(cd('cred:a', '*', T + MINUTE))).toBe(true);
      expect(store.health()).toMatchObject({ ok: false });
      expect(await store.kvGet('aff', 'conv')).toBeUndefined(); // not mirrored: a lost affinity costs a cache hit
      await store.kvDelete('tokens', 'revoked');
      expect(log.count('warn')).toBe(1);
    } finally {
      await flaky.resume();
    }
    await vi.waitFor(() => {
      expect(store.health().ok).toBe(true);
      expect(heard).toContainEqual({ type: 'resync' });
    }, DEADLINE);
    expect(await store.kvGet('aff', 'conv')).toBe('cred-1');
    expect(await store.kvGet('tokens', 'revoked')).toBeUndefined();
    expect((await store.liveHealth(T)).cooldowns).toEqual([cd('cred:a', '*', T + MINUTE)]);
    expect(await store.windowUsage('k', rpd, T)).toEqual([{ name: 'rpd', used: 1 }]);
    await store.close();
  });

  it('a RedisStore on its own announces a resync once its change feed is back', async () => {
    await flaky.start();
    const store = await openRedisStore({ url: flaky.url, prefix: testPrefix() });
    const heard: StateChange[] = [];
    store.subscribe((c) => heard.push(c));
    await flaky.restart();
    await vi.waitFor(() => expect(heard).toEqual([{ type: 'resync' }]), DEADLINE);
    expect(store.health().ok).toBe(true);
    await store.kvSet('ns', 'k', 'v');
    await vi.waitFor(() => expect(heard).toEqual([{ type: 'resync' }, { type: 'kv', ns: 'ns', key: 'k' }]), DEADLINE);
    await store.close();
  });

  it('unreachable at start: starts anyway, serving from memory, and switches to Redis once it answers', async () => {
    await flaky.stop();
    const { store, log } = await open({ startTimeoutMs: 200 });
    const heard: StateChange[] = [];
    store.subscribe((c) => heard.push(c));
    expect(store.serving).toBe('memory');
    expect(store.health()).toMatchObject({ kind: 'redis', ok: false, detail: expect.stringContaining('serving from memory') });
    expect(log.count('warn')).toBe(1);
    const T = Date.now();
    expect(await store.reserve({ id: 'a', key: 'k', windows: [fixed('rpd', 1, 1, T + DAY)], now: T })).toEqual({ ok: true, used: [1] });
    await store.kvSet('limit', 'k|rpm', '{"limit":3}');
    expect(await store.kvList('limit')).toEqual([{ key: 'k|rpm', value: '{"limit":3}' }]);
    await store.extendCooldown(cd('bucket:p', 'm', T + MINUTE));
    await vi.waitFor(() => expect(heard).toContainEqual({ type: 'cooldown', entry: cd('bucket:p', 'm', T + MINUTE) }), DEADLINE);

    await flaky.start();
    await vi.waitFor(() => {
      expect(store.health().ok).toBe(true);
      expect(heard).toContainEqual({ type: 'resync' });
    }, DEADLINE);
    expect((await store.liveHealth(T)).cooldowns).toEqual([cd('bucket:p', 'm', T + MINUTE)]);
    await store.close();
  });
});

describe('openStateStore', () => {
  it('REDIS_URL and REDIS_PREFIX: unset by default (memory) and `rotor:`; a bad URL is refused without echoing it', () => {
    const plain = loadConfig({});
    expect(plain.ok && [plain.config.redisUrl, plain.config.redisPrefix]).toEqual([undefined, 'rotor:']);
    const set = loadConfig({ REDIS_URL: ' rediss://:pw@redis.internal:6380/2 ', REDIS_PREFIX: 'eu-1:' });
    expect(set.ok && [set.config.redisUrl, set.config.redisPrefix]).toEqual(['rediss://:pw@redis.internal:6380/2', 'eu-1:']);
    for (const bad of ['http://redis:6379', 'redis-server:6379', 'redis://']) {
      const r = loadConfig({ REDIS_URL: `${bad}?secret=hunter22` });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.errors).toHaveLength(1);
        expect(r.errors[0]).toMatch(/^REDIS_URL: /);
        expect(r.errors[0]).not.toContain('hunter22');
      }
    }
  });

  it('without REDIS_URL: the memory store and its snapshot, as before', async () => {
    const { mkdtemp, rm, readdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'rotor-open-'));
    try {
      const opened = await openStateStore({ storagePath: dir, redisUrl: undefined, redisPrefix: 'rotor:' }, countingLogger().logger, { now: Date.now });
      expect(opened.store.kind).toBe('memory');
      await opened.store.extendCooldown(cd('cred:a', '*', Date.now() + MINUTE));
      await opened.flush();
      expect(opened.stateError()).toBeUndefined();
      expect(await readdir(dir)).toEqual(['rotor-state.json']);
      await opened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('with REDIS_URL: the Redis store behind its memory fallback, under REDIS_PREFIX', async () => {
    const prefix = testPrefix();
    const log = countingLogger();
    const opened = await openStateStore({ storagePath: '/nonexistent', redisUrl: server.url, redisPrefix: prefix }, log.logger, { now: Date.now });
    expect(opened.store.health()).toMatchObject({ kind: 'redis', ok: true });
    await opened.store.kvSet('ns', 'k', 'v', MINUTE);
    expect(await admin.get(`${prefix}kv:ns:k`)).toBe('v');
    await opened.flush();
    expect(opened.stateError()).toBeUndefined();
    await opened.close();
    await dropKeys(prefix);
  });

  it('with REDIS_URL unreachable: starts, serving from memory, and says so', async () => {
    const port = await freePort();
    const log = countingLogger();
    const opened = await openStateStore({ storagePath: '/nonexistent', redisUrl: `redis://:s3cret-password@127.0.0.1:${port}`, redisPrefix: 'rotor:' }, log.logger, { now: Date.now }, { redisStartTimeoutMs: 100 });
    expect(opened.store.health()).toMatchObject({ kind: 'redis', ok: false });
    expect(opened.store.health().detail).not.toContain('s3cret');
    await opened.store.kvSet('ns', 'k', 'v');
    expect(await opened.store.kvGet('ns', 'k')).toBe('v');
    expect(log.count('warn')).toBe(1);
    expect(log.lines.map((l) => l.msg).join('\n')).not.toContain('s3cret');
    await opened.close();
  });
});
