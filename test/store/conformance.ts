/**
 * The StateStore conformance suite: what every engine must do, written against the interface (src/store/types.ts)
 * and nothing else. The memory store runs it in memory.test.ts; the Redis store runs the same function, unchanged.
 *
 *   describeStateStoreConformance('RedisStore', async () => {
 *     const now = { t: Date.now() };
 *     const store = await openRedisStore({ url, prefix: `rotor-test-${randomUUID()}:`, now: () => now.t });
 *     return { store, now, close: async () => { await store.close(); await dropKeys(prefix); } };
 *   });
 *
 * What a factory must give:
 * - a new, empty store, sharing nothing with the stores of other calls (a Redis store: its own key prefix or
 *   database), connected and healthy when the promise resolves;
 * - `now`, the clock the store was given: the store's `now` option reads `now.t` on every call. It starts at the
 *   wall clock (`Date.now()`), so times the suite builds from it (cooldowns a minute ahead) are in the real future
 *   too; the suite only moves it forward, by seconds to minutes;
 * - `close()`, which closes the store and frees what the factory set up;
 * - the `StoreOptions` it is called with, passed to the store (a test of a bound asks for a small one).
 *
 * How the suite deals with time, so both engines pass it without sleeping:
 * - Reservations and liveHealth take `now` as an argument: their tests use synthetic times (`T + 1000`), exactly.
 * - Key-value expiry: Redis expires in real time, the memory store by its clock. The TTL tests use a short TTL
 *   (50 ms) and poll, moving `now.t` on by 25 ms per poll, until the key is gone (deadline 10 s): either engine
 *   gets there. Nothing sleeps to prove that something did not happen.
 * - Change events may arrive after the call that caused them resolves (a Redis store hears them back through
 *   pub/sub): the suite waits for them. That a listener did NOT hear something is shown by a later change that
 *   a second listener did hear.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CooldownEntry, DisableEntry, ReserveRequest, StateChange, StateStore, UsageKey, WindowSpec } from '../../src/store/types.js';

export interface StoreUnderTest {
  store: StateStore;
  /** The store's clock: its `now` option reads `now.t`. Starts at `Date.now()`; the suite only moves it forward. */
  now: { t: number };
  /** Closes the store and frees what the factory set up (a key prefix, a connection). */
  close(): Promise<void>;
}

/** What a test may ask of the store it is given (each engine passes it to its store's options of that name). */
export interface StoreOptions {
  maxFixedIds?: number;
}

export type StoreFactory = (options?: StoreOptions) => Promise<StoreUnderTest>;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** How long the suite waits for something to happen before it fails (never how long it waits to prove absence). */
const DEADLINE_MS = 10_000;

const sliding = (name: string, limit: number, amount: number, windowMs = MINUTE): WindowSpec => ({ name, kind: 'sliding', windowMs, limit, amount });
const fixed = (name: string, limit: number, amount: number, resetAt: number): WindowSpec => ({ name, kind: 'fixed', resetAt, limit, amount });
const req = (id: string, key: string, windows: readonly WindowSpec[], now: number): ReserveRequest => ({ id, key, windows, now });
const byScope = (a: CooldownEntry, b: CooldownEntry) => (a.scope + ' ' + a.model < b.scope + ' ' + b.model ? -1 : 1);
const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export function describeStateStoreConformance(name: string, factory: StoreFactory): void {
  describe(`StateStore conformance: ${name}`, () => {
    let h: StoreUnderTest;
    let store: StateStore;
    /** The clock's time when the test began; every time in a test is built from it. */
    let T: number;

    beforeEach(async () => {
      h = await factory();
      store = h.store;
      T = h.now.t;
      if (!(Math.abs(T - Date.now()) < DAY)) throw new Error(`the factory's clock must start at Date.now() (it is at ${T})`);
    });
    afterEach(async () => {
      await h?.close();
    });

    /** Waits until `check` passes, running it every 10 ms (it may move the clock on). */
    const eventually = <R>(check: () => R | Promise<R>) => vi.waitFor(check, { timeout: DEADLINE_MS, interval: 10 });
    const usageOf = async (of: StateStore, key: string, windows: readonly WindowSpec[], now: number) =>
      Object.fromEntries((await of.windowUsage(key, windows, now)).map((w) => [w.name, w.used]));
    const usage = (key: string, windows: readonly WindowSpec[], now: number) => usageOf(store, key, windows, now);

    it('health() names the engine and says the backend is reachable', () => {
      const health = store.health();
      expect(health.kind).toBe(store.kind);
      expect(health.kind.length).toBeGreaterThan(0);
      expect(health.ok).toBe(true);
      expect(typeof health.detail).toBe('string');
    });

    describe('cooldowns', () => {
      const cd = (scope: string, model: string, until: number, reason = 'rate limited', kind = 'rate'): CooldownEntry => ({ scope, model, until, reason, kind });

      it('extendCooldown sets a cooldown that liveHealth reports with every field', async () => {
        const c = cd('cred:a', '*', T + MINUTE, 'failing: boom', 'transient');
        expect(await store.extendCooldown(c)).toBe(true);
        expect(await store.liveHealth(T)).toEqual({ cooldowns: [c], disables: [] });
      });

      it('lengthens a running cooldown and never shortens it; resolves true only when it changed', async () => {
        const first = cd('bucket:p1', 'm1', T + 10 * MINUTE, 'daily quota', 'quota');
        expect(await store.extendCooldown(first)).toBe(true);
        expect(await store.extendCooldown(cd('bucket:p1', 'm1', T + 5_000, 'retry in 5s', 'rate'))).toBe(false);
        expect(await store.extendCooldown(cd('bucket:p1', 'm1', T + 10 * MINUTE, 'same end', 'rate'))).toBe(false);
        expect((await store.liveHealth(T)).cooldowns).toEqual([first]);

        const longer = cd('bucket:p1', 'm1', T + 20 * MINUTE, 'capacity', 'capacity');
        expect(await store.extendCooldown(longer)).toBe(true);
        expect((await store.liveHealth(T)).cooldowns).toEqual([longer]);
      });

      it('keeps one cooldown per (scope, model); `*` is a model of its own', async () => {
        const all = [
          cd('cred:a', '*', T + MINUTE),
          cd('bucket:p1', '*', T + 2 * MINUTE),
          cd('bucket:p1', 'm1', T + 3 * MINUTE),
          cd('bucket:p1', 'm2', T + 4 * MINUTE),
          cd('bucket:p2', 'm1', T + 5 * MINUTE),
        ];
        for (const c of all) expect(await store.extendCooldown(c)).toBe(true);
        expect(await store.extendCooldown(cd('bucket:p1', 'm1', T + 1_000))).toBe(false);
        expect((await store.liveHealth(T)).cooldowns.sort(byScope)).toEqual([...all].sort(byScope));
      });

      it('liveHealth(now) leaves out cooldowns that have ended (a cooldown is in force while now < until)', async () => {
        const short = cd('cred:a', '*', T + 1_000);
        const long = cd('cred:b', '*', T + 5_000);
        await store.extendCooldown(short);
        await store.extendCooldown(long);
        expect((await store.liveHealth(T + 999)).cooldowns.sort(byScope)).toEqual([short, long]);
        expect((await store.liveHealth(T + 1_000)).cooldowns).toEqual([long]);
        expect((await store.liveHealth(T + 4_999)).cooldowns).toEqual([long]);
        expect((await store.liveHealth(T + 5_000)).cooldowns).toEqual([]);
      });

      it('clearCooldown(scope) clears every model of that scope and nothing else', async () => {
        const keep = [cd('cred:a', '*', T + MINUTE), cd('bucket:p2', 'm1', T + MINUTE), cd('bucket:p1x', 'm1', T + MINUTE), cd('bucket:p', 'm1', T + MINUTE)];
        for (const c of [...keep, cd('bucket:p1', '*', T + MINUTE), cd('bucket:p1', 'm1', T + MINUTE), cd('bucket:p1', 'm2', T + MINUTE)]) await store.extendCooldown(c);
        await store.clearCooldown('bucket:p1');
        expect((await store.liveHealth(T)).cooldowns.sort(byScope)).toEqual([...keep].sort(byScope));
      });

      it('clearCooldown(scope, model) clears that model only (`*` included, as a model name)', async () => {
        await store.extendCooldown(cd('bucket:p1', '*', T + MINUTE));
        await store.extendCooldown(cd('bucket:p1', 'm1', T + MINUTE));
        await store.extendCooldown(cd('bucket:p1', 'm2', T + MINUTE));
        await store.extendCooldown(cd('bucket:p2', 'm1', T + MINUTE));
        await store.clearCooldown('bucket:p1', 'm1');
        expect((await store.liveHealth(T)).cooldowns.sort(byScope)).toEqual([cd('bucket:p1', '*', T + MINUTE), cd('bucket:p1', 'm2', T + MINUTE), cd('bucket:p2', 'm1', T + MINUTE)]);
        await store.clearCooldown('bucket:p1', '*');
        expect((await store.liveHealth(T)).cooldowns.sort(byScope)).toEqual([cd('bucket:p1', 'm2', T + MINUTE), cd('bucket:p2', 'm1', T + MINUTE)]);
      });

      it('after a clear, a shorter cooldown can be set again; clearing what is not there is harmless', async () => {
        await store.extendCooldown(cd('cred:a', '*', T + 10 * MINUTE));
        await store.clearCooldown('cred:a');
        const shorter = cd('cred:a', '*', T + MINUTE);
        expect(await store.extendCooldown(shorter)).toBe(true);
        expect((await store.liveHealth(T)).cooldowns).toEqual([shorter]);
        await store.clearCooldown('cred:none');
        await store.clearCooldown('cred:none', 'm1');
        await store.clearCooldown('cred:a', 'm1');
        expect((await store.liveHealth(T)).cooldowns).toEqual([shorter]);
      });

      it('concurrent extendCooldown calls keep the longest', async () => {
        const untils = [7, 3, 12, 1, 9, 15, 4, 11, 2, 14, 6, 8, 13, 5, 10].map((i) => T + i * MINUTE);
        const results = await Promise.all(untils.map((until) => store.extendCooldown(cd('bucket:p1', 'm1', until, `r${until}`))));
        expect(results[untils.indexOf(T + 15 * MINUTE)]).toBe(true);
        expect((await store.liveHealth(T)).cooldowns).toEqual([cd('bucket:p1', 'm1', T + 15 * MINUTE, `r${T + 15 * MINUTE}`)]);
      });
    });

    describe('disables', () => {
      it('a disable with `until` is in force until then', async () => {
        const d: DisableEntry = { id: 'a', reason: 'verify your account', until: T + 30 * MINUTE };
        await store.setDisable(d);
        expect(await store.liveHealth(T)).toEqual({ cooldowns: [], disables: [d] });
        expect((await store.liveHealth(T + 30 * MINUTE - 1)).disables).toEqual([d]);
        expect((await store.liveHealth(T + 30 * MINUTE)).disables).toEqual([]);
      });

      it('a disable without `until` is for good', async () => {
        const d: DisableEntry = { id: 'b', reason: 'token revoked', until: undefined };
        await store.setDisable(d);
        expect((await store.liveHealth(T)).disables).toEqual([d]);
        expect((await store.liveHealth(T + 3650 * DAY)).disables).toEqual([d]);
      });

      it('the latest setDisable for an id replaces the earlier one', async () => {
        await store.setDisable({ id: 'a', reason: 'revoked', until: undefined });
        await store.setDisable({ id: 'a', reason: 'enable the API', until: T + MINUTE });
        expect((await store.liveHealth(T)).disables).toEqual([{ id: 'a', reason: 'enable the API', until: T + MINUTE }]);
        expect((await store.liveHealth(T + MINUTE)).disables).toEqual([]);
        await store.setDisable({ id: 'a', reason: 'unsupported client', until: undefined });
        expect((await store.liveHealth(T + DAY)).disables).toEqual([{ id: 'a', reason: 'unsupported client', until: undefined }]);
      });

      it('clearDisable puts one credential back; the others stay; clearing an absent id is harmless', async () => {
        await store.setDisable({ id: 'a', reason: 'ra', until: undefined });
        await store.setDisable({ id: 'b', reason: 'rb', until: T + MINUTE });
        await store.setDisable({ id: 'ab', reason: 'rab', until: undefined });
        await store.clearDisable('a');
        await store.clearDisable('nobody');
        const { disables } = await store.liveHealth(T);
        expect(disables.sort((x, y) => (x.id < y.id ? -1 : 1))).toEqual([
          { id: 'ab', reason: 'rab', until: undefined },
          { id: 'b', reason: 'rb', until: T + MINUTE },
        ]);
      });

      it('cooldowns and disables of one credential are independent', async () => {
        const c: CooldownEntry = { scope: 'cred:a', model: '*', until: T + MINUTE, reason: 'boom', kind: 'transient' };
        await store.extendCooldown(c);
        await store.setDisable({ id: 'a', reason: 'revoked', until: undefined });
        await store.clearDisable('a');
        expect(await store.liveHealth(T)).toEqual({ cooldowns: [c], disables: [] });
        await store.setDisable({ id: 'a', reason: 'revoked', until: undefined });
        await store.clearCooldown('cred:a');
        expect(await store.liveHealth(T)).toEqual({ cooldowns: [], disables: [{ id: 'a', reason: 'revoked', until: undefined }] });
      });

      it('liveHealth answers copies: changing them changes nothing stored', async () => {
        await store.extendCooldown({ scope: 'cred:a', model: '*', until: T + MINUTE, reason: 'r', kind: 'rate' });
        await store.setDisable({ id: 'b', reason: 'r', until: T + MINUTE });
        const first = await store.liveHealth(T);
        first.cooldowns[0]!.until = T;
        first.disables[0]!.until = T;
        const again = await store.liveHealth(T);
        expect(again.cooldowns[0]!.until).toBe(T + MINUTE);
        expect(again.disables[0]!.until).toBe(T + MINUTE);
      });
    });

    describe('quota windows', () => {
      it('books every window of a reservation; windowUsage reports each, in the order asked', async () => {
        const windows = [sliding('rpm', 10, 1), sliding('tpm', 1000, 120), fixed('rpd', 100, 1, T + DAY)];
        // A booking says what each window holds with it, in the order asked (the quota book chooses buckets by it).
        expect(await store.reserve(req('r1', 'bucket:p1|m1', windows, T))).toEqual({ ok: true, used: [1, 120, 1] });
        expect(await store.reserve(req('r2', 'bucket:p1|m1', windows, T))).toEqual({ ok: true, used: [2, 240, 2] });
        await store.release('r2', 'bucket:p1|m1', windows);
        expect(await store.windowUsage('bucket:p1|m1', windows, T)).toEqual([
          { name: 'rpm', used: 1 },
          { name: 'tpm', used: 120 },
          { name: 'rpd', used: 1 },
        ]);
        expect(await store.windowUsage('bucket:p1|m2', windows, T)).toEqual([
          { name: 'rpm', used: 0 },
          { name: 'tpm', used: 0 },
          { name: 'rpd', used: 0 },
        ]);
      });

      it('restamp moves a sliding booking later (never earlier), so it frees one window after the new time', async () => {
        const rpm = [sliding('rpm', 1, 1)];
        const day = [fixed('rpd', 5, 1, T + DAY)];
        expect(await store.reserve(req('a', 'k', [...rpm, ...day], T))).toMatchObject({ ok: true });
        await store.restamp('a', 'k', [...rpm, ...day], T + 300);
        await store.restamp('a', 'k', rpm, T + 100); // earlier: ignored
        await store.restamp('gone', 'k', rpm, T + 900); // no such booking: nothing happens
        expect(await store.reserve(req('b', 'k', rpm, T + MINUTE))).toEqual({ ok: false, window: 'rpm', retryAt: T + 300 + MINUTE });
        expect(await store.reserve(req('c', 'k', rpm, T + 300 + MINUTE))).toMatchObject({ ok: true });
        expect(await usage('k', day, T + 300 + MINUTE)).toEqual({ rpd: 1 });
      });

      it('restamp with a correction moves the booking and corrects its tokens in the same step', async () => {
        const windows = [sliding('rpm', 1, 1), sliding('tpm', 1000, 100), fixed('rpd', 5, 1, T + DAY)];
        expect(await store.reserve(req('a', 'k', windows, T))).toMatchObject({ ok: true });
        await store.restamp('a', 'k', windows, T + 300, { window: 'tpm', amount: 900 });
        expect(await usage('k', windows, T + 300)).toEqual({ rpm: 1, tpm: 900, rpd: 1 });
        // Both windows now free one minute after the new time, the corrected tokens with them.
        expect(await store.reserve(req('b', 'k', [sliding('tpm', 1000, 200)], T + MINUTE))).toEqual({ ok: false, window: 'tpm', retryAt: T + 300 + MINUTE });
        expect(await store.reserve(req('c', 'k', windows.slice(0, 2), T + 300 + MINUTE))).toMatchObject({ ok: true });
        // A booking that is gone is neither moved nor corrected.
        await store.restamp('gone', 'k', windows, T + 400 + MINUTE, { window: 'tpm', amount: 700 });
        expect(await usage('k', windows, T + 300 + MINUTE)).toEqual({ rpm: 1, tpm: 100, rpd: 1 });
      });

      it('admits up to the limit exactly, then refuses and names the window', async () => {
        const rpm = [sliding('rpm', 3, 1)];
        for (const id of ['a', 'b', 'c']) expect(await store.reserve(req(id, 'k', rpm, T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('d', 'k', rpm, T))).toEqual({ ok: false, window: 'rpm', retryAt: T + MINUTE });
        expect(await usage('k', rpm, T)).toEqual({ rpm: 3 });
        // An amount equal to the whole limit fits an empty window.
        expect(await store.reserve(req('e', 'k2', [sliding('tpm', 500, 500)], T))).toMatchObject({ ok: true });
      });

      it('is all or nothing: a refused reservation books no window', async () => {
        const wide = sliding('rpm', 10, 1);
        const narrow = sliding('tpm', 2, 1);
        expect(await store.reserve(req('a', 'k', [wide, narrow], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('b', 'k', [wide, narrow], T))).toMatchObject({ ok: true });
        const refused = await store.reserve(req('c', 'k', [wide, narrow], T + 1));
        expect(refused).toMatchObject({ ok: false, window: 'tpm' });
        expect(await usage('k', [wide, narrow], T + 1)).toEqual({ rpm: 2, tpm: 2 });
        // Releasing the refused one takes nothing back.
        await store.release('c', 'k', [wide, narrow]);
        expect(await usage('k', [wide, narrow], T + 1)).toEqual({ rpm: 2, tpm: 2 });
      });

      it('the limit is the one asked with each call (a learned limit can lower it)', async () => {
        expect(await store.reserve(req('a', 'k', [sliding('rpm', 5, 3)], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('b', 'k', [sliding('rpm', 3, 1)], T))).toMatchObject({ ok: false, window: 'rpm' });
        expect(await store.reserve(req('c', 'k', [sliding('rpm', 10, 1)], T))).toMatchObject({ ok: true });
        expect(await usage('k', [sliding('rpm', 10, 1)], T)).toEqual({ rpm: 4 });
      });

      it('an Infinity limit (a booking made without waiting) always fits and counts like any other', async () => {
        expect(await store.reserve(req('a', 'k', [sliding('rpm', 2, 2)], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('b', 'k', [sliding('rpm', Infinity, 1), fixed('rpd', Infinity, 1, T + DAY)], T))).toEqual({ ok: true, used: [3, 1] });
        expect(await store.reserve(req('c', 'k', [sliding('rpm', 3, 1)], T))).toMatchObject({ ok: false, window: 'rpm' });
        expect(await usage('k', [sliding('rpm', 3, 1), fixed('rpd', 3, 1, T + DAY)], T)).toEqual({ rpm: 3, rpd: 1 });
      });

      it('a daily window keeps the ids of its latest maxFixedIds bookings: older ones stay counted but are no longer released or corrected', async () => {
        const small = await factory({ maxFixedIds: 3 });
        try {
          const day = [fixed('rpd', 100, 1, T + DAY), fixed('tpd', 10_000, 10, T + DAY)];
          for (let i = 0; i < 5; i++) expect(await small.store.reserve(req(`r${i}`, 'k', day, T + i))).toMatchObject({ ok: true });
          await small.store.release('r0', 'k', day); // its id is gone: nothing released
          await small.store.adjust('r1', 'k', 'tpd', 1); // nor corrected
          expect(await usageOf(small.store, 'k', day, T + 10)).toEqual({ rpd: 5, tpd: 50 });
          await small.store.release('r4', 'k', day); // a recent one still is
          await small.store.adjust('r3', 'k', 'tpd', 1);
          expect(await usageOf(small.store, 'k', day, T + 10)).toEqual({ rpd: 4, tpd: 31 });
          // A new day starts with no ids of the old one.
          const next = [fixed('rpd', 100, 1, T + 2 * DAY)];
          for (let i = 0; i < 3; i++) await small.store.reserve(req(`n${i}`, 'k', next, T + DAY + i));
          await small.store.release('n0', 'k', next);
          expect(await usageOf(small.store, 'k', next, T + DAY + 10)).toEqual({ rpd: 2 });
        } finally {
          await small.close();
        }
      });

      it('windows of other keys and other names are separate', async () => {
        expect(await store.reserve(req('a', 'bucket:p1|m1', [sliding('rpm', 1, 1)], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('b', 'bucket:p1|m1', [sliding('rpm', 1, 1)], T))).toMatchObject({ ok: false });
        expect(await store.reserve(req('c', 'bucket:p1|m2', [sliding('rpm', 1, 1)], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('d', 'bucket:p2|m1', [sliding('rpm', 1, 1)], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('e', 'bucket:p1|m1', [sliding('rpm2', 1, 1)], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('f', 'bucket:p1', [sliding('rpm', 1, 1)], T))).toMatchObject({ ok: true });
      });

      it('an amount larger than the limit never fits: retryAt is Infinity', async () => {
        expect(await store.reserve(req('a', 'k', [sliding('tpm', 100, 101)], T))).toEqual({ ok: false, window: 'tpm', retryAt: Infinity });
        expect(await store.reserve(req('b', 'k', [fixed('tpd', 100, 101, T + DAY)], T))).toEqual({ ok: false, window: 'tpd', retryAt: Infinity });
        expect(await store.reserve(req('c', 'k', [sliding('rpm', 0, 1)], T))).toEqual({ ok: false, window: 'rpm', retryAt: Infinity });
        expect(await usage('k', [sliding('tpm', 100, 1), fixed('tpd', 100, 1, T + DAY), sliding('rpm', 0, 1)], T)).toEqual({ tpm: 0, tpd: 0, rpm: 0 });
      });

      it('a refusal names the window that frees last; retryAt is when every window has room', async () => {
        const fast = sliding('rps', 1, 1, 1_000);
        const slow = sliding('rpm', 1, 1, MINUTE);
        const day = fixed('rpd', 1, 1, T + DAY);
        expect(await store.reserve(req('a', 'k', [fast, slow, day], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('b', 'k', [fast, slow], T + 10))).toEqual({ ok: false, window: 'rpm', retryAt: T + MINUTE });
        expect(await store.reserve(req('c', 'k', [slow, fast], T + 10))).toEqual({ ok: false, window: 'rpm', retryAt: T + MINUTE });
        expect(await store.reserve(req('d', 'k', [fast, slow, day], T + 10))).toEqual({ ok: false, window: 'rpd', retryAt: T + DAY });
        expect(await store.reserve(req('e', 'k', [fast, sliding('tpm', 5, 6)], T + 10))).toEqual({ ok: false, window: 'tpm', retryAt: Infinity });
        // Only the full windows count: past the fast one's slide, the slow one alone refuses.
        expect(await store.reserve(req('f', 'k', [fast, slow], T + 1_000))).toEqual({ ok: false, window: 'rpm', retryAt: T + MINUTE });
      });

      it('sliding: a booking counts for windowMs from its time; retryAt is exactly when enough has slid out', async () => {
        const w = (amount: number) => sliding('tpm', 10, amount, 1_000);
        expect(await store.reserve(req('a', 'k', [w(3)], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('b', 'k', [w(4)], T + 10))).toMatchObject({ ok: true });
        expect(await store.reserve(req('c', 'k', [w(3)], T + 20))).toMatchObject({ ok: true });
        // 10 booked; 5 more need 5 to slide out: a (3) at T + 1000 is not enough, b (4) at T + 1010 is.
        expect(await store.reserve(req('d1', 'k', [w(5)], T + 30))).toEqual({ ok: false, window: 'tpm', retryAt: T + 1_010 });
        expect(await store.reserve(req('d2', 'k', [w(1)], T + 30))).toEqual({ ok: false, window: 'tpm', retryAt: T + 1_000 });
        expect(await usage('k', [w(1)], T + 999)).toEqual({ tpm: 10 });
        expect(await usage('k', [w(1)], T + 1_000)).toEqual({ tpm: 7 });
        expect(await store.reserve(req('d3', 'k', [w(5)], T + 1_009))).toEqual({ ok: false, window: 'tpm', retryAt: T + 1_010 });
        expect(await store.reserve(req('d4', 'k', [w(5)], T + 1_010))).toMatchObject({ ok: true });
        expect(await usage('k', [w(1)], T + 1_010)).toEqual({ tpm: 8 });
        expect(await usage('k', [w(1)], T + 2_010)).toEqual({ tpm: 0 });
      });

      it('sliding: bookings slide out by their own time, whatever order they were booked in', async () => {
        // Instances' clocks differ a little, and a request can book with a time taken before another's.
        const w = (amount: number) => sliding('rpm', 10, amount, 1_000);
        expect(await store.reserve(req('late', 'k', [w(5)], T + 500))).toMatchObject({ ok: true });
        expect(await store.reserve(req('early', 'k', [w(5)], T + 100))).toMatchObject({ ok: true });
        expect(await store.reserve(req('x', 'k', [w(5)], T + 600))).toEqual({ ok: false, window: 'rpm', retryAt: T + 1_100 });
        expect(await usage('k', [w(1)], T + 1_100)).toEqual({ rpm: 5 });
        expect(await store.reserve(req('y', 'k', [w(5)], T + 1_100))).toMatchObject({ ok: true });
        expect(await usage('k', [w(1)], T + 1_500)).toEqual({ rpm: 5 });
      });

      it('fixed: counts until resetAt; from resetAt the window is empty again', async () => {
        const R = T + 10 * MINUTE;
        const rpd = fixed('rpd', 2, 1, R);
        expect(await store.reserve(req('a', 'k', [rpd], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('b', 'k', [rpd], T + 1))).toMatchObject({ ok: true });
        expect(await store.reserve(req('c', 'k', [rpd], T + 2))).toEqual({ ok: false, window: 'rpd', retryAt: R });
        expect(await store.reserve(req('d', 'k', [rpd], R - 1))).toEqual({ ok: false, window: 'rpd', retryAt: R });
        expect(await usage('k', [rpd], R - 1)).toEqual({ rpd: 2 });
        expect(await usage('k', [rpd], R)).toEqual({ rpd: 0 });
        // The next day's window, with the next reset time.
        const next = fixed('rpd', 2, 1, R + DAY);
        expect(await store.reserve(req('e', 'k', [next], R))).toMatchObject({ ok: true });
        expect(await usage('k', [next], R)).toEqual({ rpd: 1 });
      });

      it('fixed: a different resetAt starts a new window', async () => {
        const R1 = T + 10 * MINUTE;
        const R2 = R1 + 60 * MINUTE; // Google moved the reset
        expect(await store.reserve(req('a', 'k', [fixed('rpd', 2, 1, R1)], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('b', 'k', [fixed('rpd', 2, 1, R1)], T))).toMatchObject({ ok: true });
        expect(await store.reserve(req('c', 'k', [fixed('rpd', 2, 1, R2)], T + 1))).toMatchObject({ ok: true });
        expect(await usage('k', [fixed('rpd', 2, 1, R2)], T + 1)).toEqual({ rpd: 1 });
      });

      it('windowUsage only reads: asking with another resetAt changes nothing booked', async () => {
        const R1 = T + 10 * MINUTE;
        const rpd = fixed('rpd', 2, 1, R1);
        await store.reserve(req('a', 'k', [rpd], T));
        await store.reserve(req('b', 'k', [rpd], T));
        expect(await usage('k', [fixed('rpd', 2, 1, R1 + DAY)], T)).toEqual({ rpd: 0 });
        expect(await usage('k', [rpd], T)).toEqual({ rpd: 2 });
        expect(await store.reserve(req('c', 'k', [rpd], T))).toEqual({ ok: false, window: 'rpd', retryAt: R1 });
      });

      it('adjust corrects what one reservation booked in one window', async () => {
        const windows = [sliding('rpm', 10, 1), sliding('tpm', 1000, 100), fixed('tpd', 5000, 100, T + DAY)];
        expect(await store.reserve(req('a', 'k', windows, T))).toMatchObject({ ok: true });
        await store.adjust('a', 'k', 'tpm', 900);
        await store.adjust('a', 'k', 'tpd', 900);
        expect(await usage('k', windows, T)).toEqual({ rpm: 1, tpm: 900, tpd: 900 });
        // 900 + 200 > 1000: refused until a (now 900) slides out.
        expect(await store.reserve(req('b', 'k', [sliding('tpm', 1000, 200)], T + 10))).toEqual({ ok: false, window: 'tpm', retryAt: T + MINUTE });
        await store.adjust('a', 'k', 'tpm', 50);
        expect(await store.reserve(req('c', 'k', [sliding('tpm', 1000, 200)], T + 20))).toMatchObject({ ok: true });
        expect(await usage('k', windows, T + 20)).toEqual({ rpm: 1, tpm: 250, tpd: 900 });
        // Unknown reservations, windows it did not book and unknown keys change nothing.
        await store.adjust('nobody', 'k', 'tpm', 5000);
        await store.adjust('c', 'k', 'rpm', 7);
        await store.adjust('a', 'other', 'tpm', 5000);
        expect(await usage('k', windows, T + 20)).toEqual({ rpm: 1, tpm: 250, tpd: 900 });
        expect(await usage('other', windows, T + 20)).toEqual({ rpm: 0, tpm: 0, tpd: 0 });
      });

      it('adjust after a booking has slid out or been released books nothing', async () => {
        const tpm = sliding('tpm', 1000, 100, 1_000);
        await store.reserve(req('a', 'k', [tpm], T));
        await store.reserve(req('b', 'k', [tpm], T + 10));
        await store.release('b', 'k', [tpm]);
        await store.adjust('b', 'k', 'tpm', 700);
        expect(await usage('k', [tpm], T + 10)).toEqual({ tpm: 100 });
        expect(await usage('k', [tpm], T + 1_000)).toEqual({ tpm: 0 });
        await store.adjust('a', 'k', 'tpm', 700);
        expect(await usage('k', [tpm], T + 1_000)).toEqual({ tpm: 0 });
        expect(await store.reserve(req('c', 'k', [sliding('tpm', 1000, 1000, 1_000)], T + 1_000))).toMatchObject({ ok: true });
      });

      it('release takes a reservation back from every window, adjusted amount included', async () => {
        const windows = [sliding('rpm', 2, 1), sliding('tpm', 1000, 100), fixed('rpd', 2, 1, T + DAY)];
        await store.reserve(req('a', 'k', windows, T));
        await store.reserve(req('b', 'k', windows, T));
        await store.adjust('a', 'k', 'tpm', 600);
        expect(await usage('k', windows, T)).toEqual({ rpm: 2, tpm: 700, rpd: 2 });
        expect(await store.reserve(req('c', 'k', windows, T))).toMatchObject({ ok: false });
        await store.release('a', 'k', windows);
        expect(await usage('k', windows, T)).toEqual({ rpm: 1, tpm: 100, rpd: 1 });
        expect(await store.reserve(req('d', 'k', windows, T))).toMatchObject({ ok: true });
      });

      it('release is idempotent, and an unknown id releases nothing', async () => {
        const windows = [sliding('rpm', 5, 1), fixed('rpd', 5, 1, T + DAY)];
        await store.reserve(req('a', 'k', windows, T));
        await store.reserve(req('b', 'k', windows, T));
        await store.release('a', 'k', windows);
        await store.release('a', 'k', windows);
        await store.release('nobody', 'k', windows);
        await store.release('b', 'other', windows);
        expect(await usage('k', windows, T)).toEqual({ rpm: 1, rpd: 1 });
      });

      it('release of a booking in an ended fixed window leaves the new window alone', async () => {
        const R1 = T + MINUTE;
        await store.reserve(req('a', 'k', [fixed('rpd', 5, 1, R1)], T));
        await store.reserve(req('b', 'k', [fixed('rpd', 5, 1, R1 + DAY)], R1));
        await store.release('a', 'k', [fixed('rpd', 5, 1, R1)]);
        expect(await usage('k', [fixed('rpd', 5, 1, R1 + DAY)], R1)).toEqual({ rpd: 1 });
      });

      it('concurrent reservations never book past the limit', async () => {
        const rpm = [sliding('rpm', 10, 1)];
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => store.reserve(req(`r${i}`, 'k', rpm, T))));
        expect(results.filter((r) => r.ok)).toHaveLength(10);
        for (const r of results) if (!r.ok) expect(r).toEqual({ ok: false, window: 'rpm', retryAt: T + MINUTE });
        expect(await usage('k', rpm, T)).toEqual({ rpm: 10 });

        const rpd = [fixed('rpd', 7, 1, T + DAY)];
        const daily = await Promise.all(Array.from({ length: 30 }, (_, i) => store.reserve(req(`d${i}`, 'k', rpd, T))));
        expect(daily.filter((r) => r.ok)).toHaveLength(7);
        expect(await usage('k', rpd, T)).toEqual({ rpd: 7 });
      });

      it('concurrent reservations are all or nothing across windows', async () => {
        const windows = [sliding('rpm', 10, 1), sliding('tpm', 25, 3)];
        const results = await Promise.all(Array.from({ length: 30 }, (_, i) => store.reserve(req(`r${i}`, 'k', windows, T))));
        expect(results.filter((r) => r.ok)).toHaveLength(8);
        expect(await usage('k', windows, T)).toEqual({ rpm: 8, tpm: 24 });
      });

      it('concurrent releases and reservations keep the book consistent', async () => {
        const rpm = [sliding('rpm', 10, 1)];
        for (let i = 0; i < 10; i++) await store.reserve(req(`a${i}`, 'k', rpm, T));
        const ops = [
          ...Array.from({ length: 5 }, (_, i) => store.release(`a${i}`, 'k', rpm).then(() => undefined)),
          ...Array.from({ length: 20 }, (_, i) => store.reserve(req(`b${i}`, 'k', rpm, T + 1))),
        ];
        const booked = (await Promise.all(ops)).filter((r) => r?.ok).length;
        expect(booked).toBeLessThanOrEqual(5);
        expect(await usage('k', rpm, T + 1)).toEqual({ rpm: 5 + booked });
      });
    });

    describe('usage counters', () => {
      const sortRows = <R extends { day: string; dims: Record<string, string> }>(rows: R[]) =>
        rows.sort((a, b) => {
          const ka = a.day + JSON.stringify(Object.entries(a.dims).sort());
          const kb = b.day + JSON.stringify(Object.entries(b.dims).sort());
          return ka < kb ? -1 : ka > kb ? 1 : 0;
        });

      it('addUsage sums counts per (day, dims)', async () => {
        const key = { day: '2026-03-01', dims: { credential: 'cred-1', model: 'gemini-2.5-flash', token: 'cursor' } };
        await store.addUsage(key, { requests: 1, tokens: 120 });
        await store.addUsage(key, { requests: 1, tokens: 30, errors: 1 });
        expect(await store.usage('2026-03-01', '2026-03-01')).toEqual([{ ...key, counts: { requests: 2, tokens: 150, errors: 1 } }]);
      });

      it('the order of dims does not matter', async () => {
        await store.addUsage({ day: '2026-03-01', dims: { model: 'm', credential: 'c' } }, { requests: 1 });
        await store.addUsage({ day: '2026-03-01', dims: { credential: 'c', model: 'm' } }, { requests: 2 });
        expect(await store.usage('2026-03-01', '2026-03-01')).toEqual([{ day: '2026-03-01', dims: { credential: 'c', model: 'm' }, counts: { requests: 3 } }]);
      });

      it('other days or other dims make other rows (dims values may hold any character)', async () => {
        const keys: UsageKey[] = [
          { day: '2026-03-01', dims: { credential: 'c1' } },
          { day: '2026-03-01', dims: { credential: 'c1', model: 'm' } },
          { day: '2026-03-01', dims: { credential: 'c2' } },
          { day: '2026-03-01', dims: {} },
          { day: '2026-03-02', dims: { credential: 'c1' } },
          { day: '2026-03-01', dims: { credential: 'x\u0000model=y' } },
          { day: '2026-03-01', dims: { credential: 'x', model: 'y' } },
          { day: '2026-03-01', dims: { model: 'a|b=c,d:e "f"' } },
          { day: '2026-03-01', dims: { 'model=a': 'b' } },
          { day: '2026-03-01', dims: { model: 'a=b' } },
        ];
        for (const [i, key] of keys.entries()) await store.addUsage(key, { requests: i + 1 });
        const expected = keys.map((key, i) => ({ ...key, counts: { requests: i + 1 } }));
        expect(sortRows(await store.usage('2026-03-01', '2026-03-02'))).toEqual(sortRows(expected));
      });

      it('usage(from, to) keeps the days in [from, to], both ends included', async () => {
        const days = ['2026-01-30', '2026-01-31', '2026-02-01', '2026-02-02'];
        for (const day of days) await store.addUsage({ day, dims: { model: 'm' } }, { requests: 1 });
        const daysOf = async (from: string, to: string) => (await store.usage(from, to)).map((r) => r.day).sort();
        expect(await daysOf('2026-01-31', '2026-02-01')).toEqual(['2026-01-31', '2026-02-01']);
        expect(await daysOf('2026-02-02', '2026-02-02')).toEqual(['2026-02-02']);
        expect(await daysOf('2026-01-01', '2026-12-31')).toEqual(days);
        expect(await daysOf('2026-03-01', '2026-03-31')).toEqual([]);
        expect(await daysOf('2026-02-02', '2026-01-01')).toEqual([]);
      });

      it('concurrent addUsage calls lose no count', async () => {
        const key = { day: '2026-03-01', dims: { credential: 'c' } };
        await Promise.all(Array.from({ length: 25 }, () => store.addUsage(key, { requests: 1, tokens: 10 })));
        expect(await store.usage('2026-03-01', '2026-03-01')).toEqual([{ ...key, counts: { requests: 25, tokens: 250 } }]);
      });

      it('usage answers copies: changing them changes nothing stored', async () => {
        await store.addUsage({ day: '2026-03-01', dims: { credential: 'c' } }, { requests: 1 });
        const [row] = await store.usage('2026-03-01', '2026-03-01');
        row!.counts.requests = 99;
        row!.dims.credential = 'changed';
        expect(await store.usage('2026-03-01', '2026-03-01')).toEqual([{ day: '2026-03-01', dims: { credential: 'c' }, counts: { requests: 1 } }]);
      });
    });

    describe('key-value', () => {
      it('kvSet, kvGet; a second kvSet replaces the value', async () => {
        await store.kvSet('tokens', 'k1', 'v1');
        expect(await store.kvGet('tokens', 'k1')).toBe('v1');
        await store.kvSet('tokens', 'k1', 'v2');
        expect(await store.kvGet('tokens', 'k1')).toBe('v2');
        expect(await store.kvList('tokens')).toEqual([{ key: 'k1', value: 'v2' }]);
      });

      it('a missing key, or a namespace never written, reads undefined', async () => {
        await store.kvSet('tokens', 'k1', 'v1');
        expect(await store.kvGet('tokens', 'k2')).toBeUndefined();
        expect(await store.kvGet('never', 'k1')).toBeUndefined();
        expect(await store.kvList('never')).toEqual([]);
      });

      it('kvGetMany answers in the order asked, undefined where missing, [] for no keys', async () => {
        await store.kvSet('sig', 'a', 'va');
        await store.kvSet('sig', 'b', 'vb');
        expect(await store.kvGetMany('sig', ['b', 'missing', 'a', 'b'])).toEqual(['vb', undefined, 'va', 'vb']);
        expect(await store.kvGetMany('sig', [])).toEqual([]);
        expect(await store.kvGetMany('never', ['a'])).toEqual([undefined]);
      });

      it('keeps keys and values exactly, the empty string included', async () => {
        const entries = [
          { key: 'empty', value: '' },
          { key: 'call_9f:x|y*?[z] ü', value: '✓ ünïcødé 𝄞\nline two\t{"json":true}' },
          { key: 'a*', value: 'star' },
          { key: 'ab', value: 'plain' },
          { key: '', value: 'empty key' },
        ];
        for (const e of entries) await store.kvSet('ns', e.key, e.value);
        for (const e of entries) expect(await store.kvGet('ns', e.key)).toBe(e.value);
        expect((await store.kvList('ns')).sort(byKey)).toEqual([...entries].sort(byKey));
        await store.kvDelete('ns', 'a*');
        expect(await store.kvGet('ns', 'ab')).toBe('plain');
        expect((await store.kvList('ns')).map((e) => e.key).sort()).toEqual(['', 'ab', 'call_9f:x|y*?[z] ü', 'empty']);
      });

      it('kvDelete removes one key; deleting a missing key is harmless', async () => {
        await store.kvSet('ns', 'a', '1');
        await store.kvSet('ns', 'b', '2');
        await store.kvDelete('ns', 'a');
        await store.kvDelete('ns', 'a');
        await store.kvDelete('ns', 'zzz');
        await store.kvDelete('never', 'a');
        expect(await store.kvGet('ns', 'a')).toBeUndefined();
        expect(await store.kvList('ns')).toEqual([{ key: 'b', value: '2' }]);
      });

      it('namespaces are isolated, even where a name looks like another plus a key', async () => {
        await store.kvSet('a', 'b:c', 'one');
        await store.kvSet('a:b', 'c', 'two');
        await store.kvSet('a|b', 'c', 'three');
        await store.kvSet('a', 'b|c', 'four');
        await store.kvSet('b', 'b:c', 'five');
        expect(await store.kvGet('a', 'b:c')).toBe('one');
        expect(await store.kvGet('a:b', 'c')).toBe('two');
        expect(await store.kvGet('a|b', 'c')).toBe('three');
        expect(await store.kvGet('a', 'b|c')).toBe('four');
        expect(await store.kvGet('a', 'c')).toBeUndefined();
        expect((await store.kvList('a')).sort(byKey)).toEqual([
          { key: 'b:c', value: 'one' },
          { key: 'b|c', value: 'four' },
        ]);
        expect(await store.kvList('a:b')).toEqual([{ key: 'c', value: 'two' }]);
        await store.kvDelete('a', 'b:c');
        expect(await store.kvGet('b', 'b:c')).toBe('five');
        expect(await store.kvGet('a:b', 'c')).toBe('two');
      });

      it('a key with a TTL is there until it expires', async () => {
        await store.kvSet('sig', 'k', 'v', 10 * MINUTE);
        expect(await store.kvGet('sig', 'k')).toBe('v');
        h.now.t += 5 * MINUTE;
        expect(await store.kvGet('sig', 'k')).toBe('v');
        expect(await store.kvGetMany('sig', ['k'])).toEqual(['v']);
        expect(await store.kvList('sig')).toEqual([{ key: 'k', value: 'v' }]);
      });

      it('a key whose TTL ran out is gone from kvGet, kvGetMany and kvList; others stay', async () => {
        await store.kvSet('sig', 'forever', 'f');
        await store.kvSet('sig', 'long', 'l', 10 * MINUTE);
        await store.kvSet('sig', 'short', 's', 50);
        await eventually(async () => {
          h.now.t += 25;
          expect(await store.kvGet('sig', 'short')).toBeUndefined();
        });
        expect(await store.kvGetMany('sig', ['short', 'long', 'forever'])).toEqual([undefined, 'l', 'f']);
        expect((await store.kvList('sig')).sort(byKey)).toEqual([
          { key: 'forever', value: 'f' },
          { key: 'long', value: 'l' },
        ]);
        await store.kvDelete('sig', 'short');
        await store.kvSet('sig', 'short', 'again');
        expect(await store.kvGet('sig', 'short')).toBe('again');
      });

      it('kvSet replaces the TTL too: without one the key is kept for good, with one it expires', async () => {
        await store.kvSet('ns', 'kept', 'v1', 50);
        await store.kvSet('ns', 'kept', 'v2');
        await store.kvSet('ns', 'expiring', 'v1');
        await store.kvSet('ns', 'expiring', 'v2', 50);
        // `expiring` got its 50 ms after `kept` had its own: once it is gone, `kept` would be gone too.
        await eventually(async () => {
          h.now.t += 25;
          expect(await store.kvGet('ns', 'expiring')).toBeUndefined();
        });
        expect(await store.kvGet('ns', 'kept')).toBe('v2');
        expect(await store.kvList('ns')).toEqual([{ key: 'kept', value: 'v2' }]);
      });

      it('expiry in one namespace leaves the same key in another alone', async () => {
        await store.kvSet('one', 'k', 'v1', 50);
        await store.kvSet('two', 'k', 'v2');
        await eventually(async () => {
          h.now.t += 25;
          expect(await store.kvGet('one', 'k')).toBeUndefined();
        });
        expect(await store.kvGet('two', 'k')).toBe('v2');
      });
    });

    describe('subscribe', () => {
      it('hears cooldown, cooldown-cleared, disable, disable-cleared and kv changes made through this store', async () => {
        const heard: StateChange[] = [];
        const unsubscribe = store.subscribe((change) => heard.push(change));
        const c1: CooldownEntry = { scope: 'bucket:p1', model: 'm1', until: T + MINUTE, reason: 'rate limited', kind: 'rate' };
        const c2: CooldownEntry = { scope: 'cred:a', model: '*', until: T + MINUTE, reason: 'boom', kind: 'transient' };
        const d1: DisableEntry = { id: 'a', reason: 'verify', until: T + MINUTE };
        const d2: DisableEntry = { id: 'b', reason: 'revoked', until: undefined };
        await store.extendCooldown(c1);
        await store.extendCooldown(c2);
        await store.clearCooldown('bucket:p1', 'm1');
        await store.clearCooldown('cred:a');
        await store.setDisable(d1);
        await store.setDisable(d2);
        await store.clearDisable('a');
        await store.kvSet('tokens', 't1', 'v');
        await store.kvSet('sig', 's1', 'v', 10 * MINUTE);
        await store.kvDelete('tokens', 't1');
        const expected: StateChange[] = [
          { type: 'cooldown', entry: c1 },
          { type: 'cooldown', entry: c2 },
          { type: 'cooldown-cleared', scope: 'bucket:p1', model: 'm1' },
          { type: 'cooldown-cleared', scope: 'cred:a', model: undefined },
          { type: 'disable', entry: d1 },
          { type: 'disable', entry: d2 },
          { type: 'disable-cleared', id: 'a' },
          { type: 'kv', ns: 'tokens', key: 't1' },
          { type: 'kv', ns: 'sig', key: 's1' },
        ];
        await eventually(() => {
          expect(heard).toEqual(expect.arrayContaining(expected));
          // The set and the delete of tokens/t1 are two changes.
          expect(heard.filter((c) => c.type === 'kv' && c.ns === 'tokens' && c.key === 't1').length).toBeGreaterThanOrEqual(2);
        });
        unsubscribe();
      });

      it("one listener hears one id's changes once each, in the order they were made", async () => {
        const heard: StateChange[] = [];
        store.subscribe((change) => heard.push(change));
        await store.setDisable({ id: 'a', reason: 'first', until: undefined });
        await store.clearDisable('a');
        await store.setDisable({ id: 'a', reason: 'second', until: T + MINUTE });
        const last: StateChange = { type: 'disable', entry: { id: 'a', reason: 'second', until: T + MINUTE } };
        await eventually(() => expect(heard).toContainEqual(last));
        expect(heard).toEqual([{ type: 'disable', entry: { id: 'a', reason: 'first', until: undefined } }, { type: 'disable-cleared', id: 'a' }, last]);
      });

      it('after unsubscribe a listener hears nothing more; the others still do', async () => {
        const gone: StateChange[] = [];
        const staying: StateChange[] = [];
        const unsubscribe = store.subscribe((change) => gone.push(change));
        store.subscribe((change) => staying.push(change));
        await store.kvSet('ns', 'before', 'v');
        const before: StateChange = { type: 'kv', ns: 'ns', key: 'before' };
        await eventually(() => {
          expect(gone).toContainEqual(before);
          expect(staying).toContainEqual(before);
        });
        unsubscribe();
        unsubscribe();
        await store.kvSet('ns', 'after', 'v');
        await store.extendCooldown({ scope: 'cred:a', model: '*', until: T + MINUTE, reason: 'r', kind: 'rate' });
        await eventually(() => expect(staying).toContainEqual({ type: 'kv', ns: 'ns', key: 'after' }));
        await eventually(() => expect(staying.some((c) => c.type === 'cooldown')).toBe(true));
        // `staying` heard both later changes; `gone` was no longer listening when they were made.
        expect(gone.filter((c) => !(c.type === 'kv' && c.key === 'before'))).toEqual([]);
      });
    });
  });
}
