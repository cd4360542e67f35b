/** The memory store: the conformance suite, then what only it does (snapshot file, bounds). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, type MemorySnapshot } from '../../src/store/memory.js';
import { openSnapshot } from '../../src/store/snapshot.js';
import type { CooldownEntry, WindowSpec } from '../../src/store/types.js';
import type { Logger } from '../../src/util/log.js';
import { describeStateStoreConformance } from './conformance.js';

describeStateStoreConformance('MemoryStore', async (options) => {
  const now = { t: Date.now() };
  const store = new MemoryStore({ now: () => now.t, ...options });
  return { store, now, close: () => store.close() };
});

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const T = 1_800_000_000_000;

function clock(t = T) {
  const c = { t, now: () => c.t };
  return c;
}

/** A logger that counts what it was told, by level (tests look at levels, not at wording). */
function countingLogger() {
  const lines: Array<{ level: string; msg: string }> = [];
  const at = (level: string) => (msg: string) => void lines.push({ level, msg });
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    access: () => at('info')('request'),
    warn: at('warn'),
    error: at('error'),
    addSecret: () => {},
    dropSecret: () => {},
    enabled: () => true,
    redact: (text) => text,
  };
  return { logger, count: (level: string) => lines.filter((l) => l.level === level).length };
}

const durable = (ns: string) => ns !== 'sig';
const sliding = (name: string, limit: number, amount: number, windowMs = MINUTE): WindowSpec => ({ name, kind: 'sliding', windowMs, limit, amount });
const fixed = (name: string, limit: number, amount: number, resetAt: number): WindowSpec => ({ name, kind: 'fixed', resetAt, limit, amount });
const cd = (scope: string, model: string, until: number, kind = 'rate'): CooldownEntry => ({ scope, model, until, reason: `${kind} ${scope}`, kind });

/** A store holding one of everything, some of it already over at T + 10 s. */
async function populated(c: { now: () => number }, store = new MemoryStore({ now: c.now })) {
  await store.extendCooldown(cd('bucket:p1', 'm1', T + 10 * MINUTE));
  await store.extendCooldown(cd('cred:a', '*', T + 5_000, 'transient'));
  await store.setDisable({ id: 'timed', reason: 'verify', until: T + 30 * MINUTE });
  await store.setDisable({ id: 'ended', reason: 'verify', until: T + 5_000 });
  await store.setDisable({ id: 'forever', reason: 'revoked', until: undefined });
  await store.addUsage({ day: '2026-01-15', dims: { credential: 'a', model: 'm1' } }, { requests: 3, tokens: 300 });
  await store.kvSet('tokens', 'tok1', 'kept');
  await store.kvSet('tokens', 'tok2', 'kept a while', 20 * MINUTE);
  await store.kvSet('tokens', 'tok3', 'over soon', 5_000);
  await store.kvSet('sig', 'call_1', 'signature');
  const day = [sliding('rpm', 10, 1), fixed('rpd', 100, 1, T + DAY), fixed('tpd', 10_000, 100, T + DAY)];
  await store.reserve({ id: 'r1', key: 'bucket:p1|m1', windows: day, now: T });
  await store.reserve({ id: 'r2', key: 'bucket:p1|m1', windows: day, now: T + 1 });
  await store.adjust('r2', 'bucket:p1|m1', 'tpd', 250);
  await store.reserve({ id: 'r3', key: 'bucket:p2|m1', windows: [fixed('rpd', 100, 1, T + 5_000)], now: T });
  return { store, day };
}

describe('MemoryStore snapshot', () => {
  it('snapshot() keeps what must outlive a restart and leaves out what has ended', async () => {
    const c = clock();
    const { store } = await populated(c);
    c.t = T + 10_000;
    const snap = store.snapshot(durable);
    expect(snap.cooldowns).toEqual([cd('bucket:p1', 'm1', T + 10 * MINUTE)]);
    // Only disables with a re-check time: one for good is found again by the first attempt.
    expect(snap.disables).toEqual([{ id: 'timed', reason: 'verify', until: T + 30 * MINUTE }]);
    expect(snap.usage).toEqual([{ day: '2026-01-15', dims: { credential: 'a', model: 'm1' }, counts: { requests: 3, tokens: 300 } }]);
    expect(snap.kv).toEqual({ tokens: [{ key: 'tok1', value: 'kept' }, { key: 'tok2', value: 'kept a while', expires: T + 20 * MINUTE }] });
    // Daily (fixed) windows still running; not the sliding ones, not the one already reset.
    expect(snap.fixed.map((f) => f.window).sort()).toEqual(['bucket:p1|m1|rpd', 'bucket:p1|m1|tpd']);
  });

  it('restore() into a new store brings it all back, and its clock goes on from there', async () => {
    const c = clock();
    const { store, day } = await populated(c);
    const snap = JSON.parse(JSON.stringify(store.snapshot(durable))) as MemorySnapshot;

    const c2 = clock(T + 10_000);
    const restored = new MemoryStore({ now: c2.now });
    restored.restore(snap);
    expect(await restored.liveHealth(c2.t)).toEqual({ cooldowns: [cd('bucket:p1', 'm1', T + 10 * MINUTE)], disables: [{ id: 'timed', reason: 'verify', until: T + 30 * MINUTE }] });
    expect(await restored.usage('2026-01-01', '2026-12-31')).toEqual(await store.usage('2026-01-01', '2026-12-31'));
    expect(await restored.kvList('tokens')).toEqual([
      { key: 'tok1', value: 'kept' },
      { key: 'tok2', value: 'kept a while' },
    ]);
    expect(await restored.kvList('sig')).toEqual([]);
    expect(await restored.windowUsage('bucket:p1|m1', day, c2.t)).toEqual([
      { name: 'rpm', used: 0 },
      { name: 'rpd', used: 2 },
      { name: 'tpd', used: 350 },
    ]);
    // The restored bookings still count. They come back as totals: no request of the stopped process can answer
    // any more, so none of their ids is released or corrected again (and the file stays small however busy the day).
    expect(await restored.reserve({ id: 'r4', key: 'bucket:p1|m1', windows: [fixed('rpd', 3, 1, T + DAY)], now: c2.t })).toMatchObject({ ok: true });
    expect(await restored.reserve({ id: 'r5', key: 'bucket:p1|m1', windows: [fixed('rpd', 3, 1, T + DAY)], now: c2.t })).toMatchObject({ ok: false, window: 'rpd', retryAt: T + DAY });
    await restored.release('r1', 'bucket:p1|m1', day);
    await restored.release('r4', 'bucket:p1|m1', day);
    expect(await restored.windowUsage('bucket:p1|m1', day, c2.t)).toEqual([
      { name: 'rpm', used: 0 },
      { name: 'rpd', used: 2 },
      { name: 'tpd', used: 350 },
    ]);
    // A restored expiry is the same moment it was.
    c2.t = T + 20 * MINUTE;
    expect(await restored.kvGet('tokens', 'tok2')).toBeUndefined();
    expect(await restored.kvGet('tokens', 'tok1')).toBe('kept');
  });

  it('a busy day is written as one total per daily window, not a booking per request', async () => {
    const c = clock();
    const store = new MemoryStore({ now: c.now });
    for (let i = 0; i < 2_000; i++) await store.reserve({ id: `r${i}`, key: 'k', windows: [fixed('rpd', 1e9, 1, T + DAY)], now: T + i });
    c.t = T + 5_000;
    expect(store.snapshot(durable).fixed).toEqual([{ window: 'k|rpd', resetAt: T + DAY, entries: [['#restored', T + 5_000, 2_000]] }]);
  });

  it('restore() skips what ended while Rotor was stopped', async () => {
    const c = clock();
    const { store, day } = await populated(c);
    const snap = store.snapshot(durable);
    const later = clock(T + DAY);
    const restored = new MemoryStore({ now: later.now });
    restored.restore(snap);
    expect(await restored.liveHealth(later.t)).toEqual({ cooldowns: [], disables: [] });
    expect(await restored.kvList('tokens')).toEqual([{ key: 'tok1', value: 'kept' }]);
    expect(await restored.windowUsage('bucket:p1|m1', day, later.t)).toEqual([
      { name: 'rpm', used: 0 },
      { name: 'rpd', used: 0 },
      { name: 'tpd', used: 0 },
    ]);
    expect(await restored.usage('2026-01-15', '2026-01-15')).toHaveLength(1);
  });
});

describe('the state file (openSnapshot)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rotor-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const HOUR = 60 * MINUTE;

  it('writes the file atomically with mode 0600, and a new store reads it back', async () => {
    const path = join(dir, 'rotor-state.json');
    const c = clock();
    const { logger, count } = countingLogger();
    const store = new MemoryStore({ now: c.now });
    const snap = await openSnapshot({ path, store, logger, durable, intervalMs: HOUR });
    expect(count('warn')).toBe(0); // no file yet is not a problem
    await populated(c, store);
    await snap.flush();
    expect(snap.error).toBeUndefined();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['rotor-state.json']); // no temp file left behind
    const saved = JSON.parse(await readFile(path, 'utf8')) as { version: number } & MemorySnapshot;
    expect(saved.version).toBe(2);
    expect(saved).toEqual({ version: 2, ...store.snapshot(durable) });
    await snap.close();

    const restored = new MemoryStore({ now: c.now });
    const again = await openSnapshot({ path, store: restored, logger, durable, intervalMs: HOUR });
    const before = await store.liveHealth(c.t);
    // Everything but the disable for good, which the first attempt finds again.
    expect(await restored.liveHealth(c.t)).toEqual({ cooldowns: before.cooldowns, disables: before.disables.filter((d) => d.id !== 'forever') });
    expect(before.cooldowns).toHaveLength(2);
    expect(await restored.usage('2026-01-01', '2026-12-31')).toEqual(await store.usage('2026-01-01', '2026-12-31'));
    expect(await restored.kvList('tokens')).toEqual(await store.kvList('tokens'));
    expect(count('warn')).toBe(0);
    await again.close();
  });

  it('writes only when something changed; an adjust on a daily window is a change', async () => {
    const path = join(dir, 'rotor-state.json');
    const c = clock();
    const store = new MemoryStore({ now: c.now });
    const snap = await openSnapshot({ path, store, logger: countingLogger().logger, durable, intervalMs: HOUR });
    const rpd = [fixed('tpd', 10_000, 100, T + DAY)];
    await store.reserve({ id: 'r1', key: 'k', windows: rpd, now: T });
    await snap.flush();
    await unlink(path);
    await snap.flush();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' }); // nothing changed: nothing written
    await store.adjust('r1', 'k', 'tpd', 4_321);
    await snap.flush();
    const saved = JSON.parse(await readFile(path, 'utf8')) as MemorySnapshot;
    expect(saved.fixed).toEqual([{ window: 'k|tpd', resetAt: T + DAY, entries: [['#restored', T, 4_321]] }]);
    await snap.close();
  });

  it('reads the first state file format (version 1)', async () => {
    const path = join(dir, 'rotor-state.json');
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        credentialCooldowns: { a: { until: T + MINUTE, reason: 'failing: boom' }, old: { until: T - 1, reason: 'over' } },
        modelCooldowns: { 'user:a@x': { 'gemini-2.5-flash': { until: T + HOUR, reason: 'quota' } }, 'project:p1': { 'gemini-2.5-pro': { until: T - 1, reason: 'over' } } },
        disabled: { b: { until: T + HOUR, reason: 'verify your account' }, c: 'revoked for good' },
      }),
    );
    const c = clock();
    const { logger, count } = countingLogger();
    const store = new MemoryStore({ now: c.now });
    const snap = await openSnapshot({ path, store, logger, durable, intervalMs: HOUR });
    const { cooldowns, disables } = await store.liveHealth(c.t);
    expect(cooldowns.sort((x, y) => (x.scope < y.scope ? -1 : 1))).toEqual([
      { scope: 'bucket:user:a@x', model: 'gemini-2.5-flash', until: T + HOUR, reason: 'quota', kind: 'rate' },
      { scope: 'cred:a', model: '*', until: T + MINUTE, reason: 'failing: boom', kind: 'transient' },
    ]);
    // A bare reason was a disable for good: learned again instead of kept.
    expect(disables).toEqual([{ id: 'b', reason: 'verify your account', until: T + HOUR }]);
    expect(count('warn')).toBe(0);
    // The next write is in the current format.
    await store.clearCooldown('cred:a');
    await snap.close();
    const saved = JSON.parse(await readFile(path, 'utf8')) as { version: number } & MemorySnapshot;
    expect(saved.version).toBe(2);
    expect(saved.cooldowns.map((x) => x.scope)).toEqual(['bucket:user:a@x']);
  });

  it('a file in no known shape, or not JSON, is reported and otherwise ignored', async () => {
    for (const text of ['{"version":7,"cooldowns":[]}', '{"version":1,', '']) {
      const path = join(dir, 'rotor-state.json');
      await writeFile(path, text);
      const { logger, count } = countingLogger();
      const store = new MemoryStore({ now: clock().now });
      const snap = await openSnapshot({ path, store, logger, durable, intervalMs: HOUR });
      expect(count('warn')).toBe(1);
      expect(await store.liveHealth(T)).toEqual({ cooldowns: [], disables: [] });
      await snap.close();
    }
  });

  it('a file that cannot be written is reported once and costs nothing else', async () => {
    const path = join(dir, 'missing-folder', 'rotor-state.json');
    const c = clock();
    const { logger, count } = countingLogger();
    const store = new MemoryStore({ now: c.now });
    const snap = await openSnapshot({ path, store, logger, durable, intervalMs: HOUR });
    await store.extendCooldown(cd('cred:a', '*', T + MINUTE));
    await snap.flush();
    expect(snap.error).toBe('ENOENT');
    await store.extendCooldown(cd('cred:b', '*', T + MINUTE));
    await snap.flush();
    expect(snap.error).toBe('ENOENT');
    expect(count('warn')).toBe(1);
    expect((await store.liveHealth(T)).cooldowns).toHaveLength(2);
    await snap.close();
  });
});

describe('MemoryStore bounds', () => {
  it('keeps at most maxKvEntries per namespace, dropping the oldest written first', async () => {
    const store = new MemoryStore({ now: clock().now, maxKvEntries: 3 });
    for (const k of ['a', 'b', 'c']) await store.kvSet('ns', k, k);
    await store.kvSet('other', 'x', 'x');
    await store.kvSet('ns', 'a', 'a2'); // written again: now the newest
    await store.kvSet('ns', 'd', 'd');
    expect((await store.kvList('ns')).map((e) => e.key)).toEqual(['c', 'a', 'd']);
    expect(await store.kvGet('ns', 'b')).toBeUndefined();
    await store.kvSet('ns', 'e', 'e');
    expect(await store.kvGetMany('ns', ['c', 'a', 'd', 'e'])).toEqual([undefined, 'a2', 'd', 'e']);
    expect(await store.kvList('other')).toEqual([{ key: 'x', value: 'x' }]);
  });

  it('sweeps out quota windows that have slid out or reset once there are many', async () => {
    const store = new MemoryStore({ now: clock().now, maxWindows: 10 });
    // A new model name every 100 ms (clients choose model names); each window holds one booking for 1 s.
    for (let i = 0; i < 500; i++) {
      const windows = i % 2 ? [sliding('rps', 5, 1, 1_000)] : [fixed('rpd', 5, 1, T + i * 100 + 1_000)];
      expect(await store.reserve({ id: `r${i}`, key: `bucket:p|model-${i}`, windows, now: T + i * 100 })).toMatchObject({ ok: true });
      expect(store.windowCount).toBeLessThanOrEqual(2 * 10 + 1);
    }
    // What is still booked is kept.
    const last = T + 499 * 100;
    expect(await store.windowUsage('bucket:p|model-499', [sliding('rps', 5, 1, 1_000)], last)).toEqual([{ name: 'rps', used: 1 }]);
    expect(await store.windowUsage('bucket:p|model-498', [fixed('rpd', 5, 1, T + 498 * 100 + 1_000)], last)).toEqual([{ name: 'rpd', used: 1 }]);
  });

  it('keeps at most maxFixedIds booking ids per daily window: older bookings stay counted but can no longer be released', async () => {
    const store = new MemoryStore({ now: clock().now, maxFixedIds: 3 });
    const day = [fixed('rpd', 100, 1, T + DAY), fixed('tpd', 10_000, 10, T + DAY)];
    for (let i = 0; i < 5; i++) await store.reserve({ id: `r${i}`, key: 'k', windows: day, now: T + i });
    await store.release('r0', 'k', day); // its id is gone: nothing released
    await store.adjust('r1', 'k', 'tpd', 1); // nor corrected
    expect(await store.windowUsage('k', day, T + 10)).toEqual([{ name: 'rpd', used: 5 }, { name: 'tpd', used: 50 }]);
    await store.release('r4', 'k', day); // a recent one still is
    await store.adjust('r3', 'k', 'tpd', 1);
    expect(await store.windowUsage('k', day, T + 10)).toEqual([{ name: 'rpd', used: 4 }, { name: 'tpd', used: 31 }]);
    // What Redis gets back after an outage: the kept bookings by id, and what the forgotten ones add.
    expect(store.dailyBookings()).toEqual([
      { window: 'k|rpd', resetAt: T + DAY, entries: [['r2', T + 2, 1], ['r3', T + 3, 1]], earlier: 2 },
      { window: 'k|tpd', resetAt: T + DAY, entries: [['r2', T + 2, 10], ['r3', T + 3, 1]], earlier: 20 },
    ]);
  });

  it('never sweeps a window that still holds bookings', async () => {
    const store = new MemoryStore({ now: clock().now, maxWindows: 10 });
    for (let i = 0; i < 30; i++) await store.reserve({ id: `r${i}`, key: `k${i}`, windows: [sliding('rpm', 5, 1)], now: T + i });
    expect(store.windowCount).toBe(30);
    for (let i = 0; i < 30; i++) expect(await store.windowUsage(`k${i}`, [sliding('rpm', 5, 1)], T + 30)).toEqual([{ name: 'rpm', used: 1 }]);
    // A minute on, they have all slid out: the next sweep drops them.
    for (let i = 0; i < 40; i++) await store.reserve({ id: `s${i}`, key: `n${i}`, windows: [sliding('rpm', 5, 1)], now: T + 2 * MINUTE });
    expect(store.windowCount).toBeLessThan(70);
  });
});

describe('MemoryStore key-value bounds by size', () => {
  it('keeps a namespace under its byte budget, the oldest entries going first, other namespaces untouched', async () => {
    const store = new MemoryStore({ maxKvBytes: 10_000 });
    await store.kvSet('other', 'keep', 'x'.repeat(4000));
    for (let i = 0; i < 10; i++) await store.kvSet('resp', `r${i}`, 'y'.repeat(2000)); // ~4 KB each in UTF-16
    const kept = (await store.kvList('resp')).map((e) => e.key);
    expect(kept).toEqual(['r9', 'r8'].reverse());
    expect(await store.kvGet('other', 'keep')).toHaveLength(4000);
    // One entry alone over the budget is still kept (the caller bounds single values).
    await store.kvSet('resp', 'huge', 'z'.repeat(20_000));
    expect((await store.kvList('resp')).map((e) => e.key)).toEqual(['huge']);
  });
});
