import { describe, expect, it } from 'vitest';
import { QuotaBook, type QuotaConfig, type QuotaMember } from '../../src/pool/quota.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { ReserveRequest, ReserveResult } from '../../src/store/types.js';

const DAY = 86_400_000;

function setup(config: QuotaConfig, start = 1_000_000) {
  const clock = { t: start, now: () => clock.t };
  const store = new MemoryStore({ now: clock.now });
  const book = new QuotaBook({ store, clock, config, minuteMs: 60_000, dayResetAt: (_route, now) => (Math.floor(now / DAY) + 1) * DAY });
  return { clock, store, book };
}

const key = (id: string, project: string, tier?: string): QuotaMember => ({
  id,
  email: undefined,
  projectId: project,
  route: 'gemini-api',
  quotaKey: `project:${project}`,
  disabledReason: undefined,
  tier,
});

describe('QuotaBook', () => {
  it('resolves limits: a bucket override, then the tier, then any tier; a model, then any model', () => {
    const { book } = setup({
      routes: { 'gemini-api': { '*': { '*': { rpm: 5 }, 'gemini-2.5-pro': { rpm: 2, rpd: 50 } }, tier1: { '*': { rpm: 1000 } } } },
      buckets: { 'project:special': { 'gemini-2.5-flash': { rpm: 7 } } },
    });
    expect(book.limit(key('a', 'p'), 'gemini-2.5-flash', 'rpm')).toEqual({ limit: 5, source: 'configured' });
    expect(book.limit(key('a', 'p'), 'gemini-2.5-pro', 'rpd')).toEqual({ limit: 50, source: 'configured' });
    expect(book.limit(key('a', 'p', 'tier1'), 'gemini-2.5-flash', 'rpm')).toEqual({ limit: 1000, source: 'configured' });
    expect(book.limit(key('a', 'special'), 'gemini-2.5-flash', 'rpm')).toEqual({ limit: 7, source: 'configured' });
    expect(book.limit(key('a', 'p'), 'gemini-2.5-flash', 'tpm')).toBeUndefined();
  });

  it('books each minute 0.5% + QUOTA_MARGIN_MS longer than Google\'s (50 ms by default)', () => {
    const config: QuotaConfig = { routes: { 'gemini-api': { '*': { m: { rpm: 2 } } } } };
    const { book, store, clock } = setup(config);
    expect(book.windows(key('a', 'p'), 'm', 0)).toMatchObject([{ name: 'rpm', windowMs: 60_000 + 300 + 50 }]);
    const wider = new QuotaBook({ store, clock, config, minuteMs: 60_000, marginMs: 1_000, dayResetAt: () => clock.t + DAY });
    expect(wider.windows(key('a', 'p'), 'm', 0)).toMatchObject([{ name: 'rpm', windowMs: 60_000 + 300 + 1_000 }]);
  });

  it('books every window with a limit, refuses past it, and says when it frees', async () => {
    const { book, clock } = setup({ routes: { 'gemini-api': { '*': { m: { rpm: 2, rpd: 3, tpm: 1000 } } } } });
    const a = key('a', 'p');
    expect(book.windows(a, 'm', 400).map((w) => [w.name, w.kind, w.amount])).toEqual([
      ['rpm', 'sliding', 1],
      ['rpd', 'fixed', 1],
      ['tpm', 'sliding', 400],
    ]);
    expect((await book.reserve(a, 'm', 400)).ok).toBe(true);
    expect((await book.reserve(a, 'm', 400)).ok).toBe(true);
    // Rotor's minute is a little longer than Google's (it books before Google counts): 60 s + 0.5% + 50 ms.
    expect(await book.reserve(a, 'm', 100)).toEqual({ ok: false, window: 'rpm', retryAt: clock.t + 60_350 });
    clock.t += 60_350;
    // The minute has passed: the day's third request fits, a fourth does not.
    expect((await book.reserve(a, 'm', 100)).ok).toBe(true);
    clock.t += 60_350;
    expect(await book.reserve(a, 'm', 100)).toMatchObject({ ok: false, window: 'rpd' });
  });

  it('knows how full each bucket is from its bookings (headroom), and counts requests without limits too', async () => {
    const { book } = setup({ routes: { 'gemini-api': { '*': { m: { rpm: 4 } } } } });
    const a = key('a', 'pa');
    const b = key('b', 'pb');
    await book.reserve(a, 'm', 0);
    await book.reserve(a, 'm', 0);
    await book.reserve(b, 'm', 0);
    expect(book.headroom(a, 'm')).toBe(0.5);
    expect(book.headroom(b, 'm')).toBe(0.75);
    expect(book.headroom(a, 'other-model')).toBe(1);
    await book.reserve(a, 'other-model', 0);
    await book.reserve(a, 'other-model', 0);
    expect(book.usedToday(a, 'other-model')).toBe(2);
  });

  it('takes a booking back, and corrects its tokens once Google has counted them', async () => {
    const { book, store, clock } = setup({ routes: { 'gemini-api': { '*': { m: { rpm: 1, tpm: 1000 } } } } });
    const a = key('a', 'p');
    const first = await book.reserve(a, 'm', 900);
    if (!first.ok) throw new Error('refused');
    expect((await book.reserve(a, 'm', 10)).ok).toBe(false);
    await book.release(first.reservation);
    const second = await book.reserve(a, 'm', 900);
    if (!second.ok) throw new Error('refused');
    await book.settle(second.reservation, 120);
    const windows = book.windows(a, 'm', 0);
    expect(await store.windowUsage('project:p|m', windows, clock.t)).toEqual([
      { name: 'rpm', used: 1 },
      { name: 'tpm', used: 120 },
    ]);
  });

  it('learns a limit from a 429 for every instance: the lower of learned and configured wins', async () => {
    const { book, store, clock } = setup({ routes: { 'gemini-api': { '*': { m: { rpm: 10 } } } } });
    const a = key('a', 'p');
    await book.learn(a, 'm', 'rpm', 3, 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier');
    expect(book.limit(a, 'm', 'rpm')).toEqual({ limit: 3, source: 'learned' });
    await book.learn(a, 'm', 'rpd', 20, 'GenerateRequestsPerDayPerProjectPerModel-FreeTier');
    expect(book.modelsWithLimits(a)).toEqual(['m']);
    // Another instance on the same store knows it after loading; and a new learning reaches it as it happens.
    const other = new QuotaBook({ store, clock, config: {}, dayResetAt: () => clock.t + DAY });
    await other.load();
    expect(other.limit(a, 'm', 'rpd')).toEqual({ limit: 20, source: 'learned' });
    await book.learn(a, 'm', 'rpd', 15, 'x');
    await new Promise((r) => setImmediate(r));
    expect(other.limit(a, 'm', 'rpd')).toEqual({ limit: 15, source: 'learned' });
    // rpm had a configured limit, booked all along; the day had none, so the one Google said was full is seeded full.
    expect(await book.status(a, 'm')).toEqual({ rpm: { used: 0, limit: 3, source: 'learned' }, rpd: { used: 20, limit: 15, source: 'learned' } });
  });

  it('a 429 within a limit the book keeps books what the book lacks (another program on the project), once for a burst', async () => {
    const { book, store, clock } = setup({ routes: { 'gemini-api': { '*': { m: { rpm: 10 } } } } });
    const a = key('a', 'p');
    for (let i = 0; i < 3; i++) expect((await book.reserve(a, 'm', 0)).ok).toBe(true);
    const rpm = book.windows(a, 'm', 0);
    expect(await store.windowUsage('project:p|m', rpm, clock.t)).toEqual([{ name: 'rpm', used: 3 }]);
    // Google refuses: its window is full although Rotor booked 3 of 10. Three refusals at once fill it once.
    await Promise.all([1, 2, 3].map(() => book.learn(a, 'm', 'rpm', 10, 'GenerateRequestsPerMinutePerProjectPerModel', 6_000)));
    expect(await store.windowUsage('project:p|m', rpm, clock.t)).toEqual([{ name: 'rpm', used: 10 }]);
    expect(await book.reserve(a, 'm', 0)).toMatchObject({ ok: false, window: 'rpm' });
    // What was filled frees from Google's retry delay on, a part at a time.
    clock.t += 6_000;
    expect((await book.reserve(a, 'm', 0)).ok).toBe(true);
    expect((await book.reserve(a, 'm', 0)).ok).toBe(false);
    // A book that already holds the limit gets nothing more from another refusal.
    await book.learn(a, 'm', 'rpm', 10, 'GenerateRequestsPerMinutePerProjectPerModel', 1_000);
    expect(await store.windowUsage('project:p|m', rpm, clock.t)).toEqual([{ name: 'rpm', used: 10 }]);
  });

  it('a limit first learned from a 429 finds its window full, freeing from Google\'s retry delay to a minute on', async () => {
    const { book, store, clock } = setup({});
    const a = key('a', 'p');
    const unknown = book.reserve(a, 'm', 0);
    expect(unknown).not.toBeInstanceOf(Promise); // nothing known: not booked, and answered without a promise
    expect(unknown).toEqual({ ok: true, reservation: undefined });
    // Google refused the 11th request of the minute: its limit is 10 and its oldest request leaves in 6 s.
    await book.learn(a, 'm', 'rpm', 10, 'GenerateRequestsPerMinutePerProjectPerModel', 6_000);
    const rpm = book.windows(a, 'm', 0);
    expect(await store.windowUsage('project:p|m', rpm, clock.t)).toEqual([{ name: 'rpm', used: 10 }]);
    const refused = await book.reserve(a, 'm', 0);
    expect(refused).toEqual({ ok: false, window: 'rpm', retryAt: clock.t + 6_000 });
    // One request's room frees then, one more every 5.4 s (the rest of the minute in ten), not all ten at once.
    clock.t += 6_000;
    expect((await book.reserve(a, 'm', 0)).ok).toBe(true);
    expect((await book.reserve(a, 'm', 0)).ok).toBe(false);
    clock.t += 5_435;
    expect((await book.reserve(a, 'm', 0)).ok).toBe(true);
    expect((await book.reserve(a, 'm', 0)).ok).toBe(false);
    // Learned again (another 429 saying the same): not seeded twice.
    await book.learn(a, 'm', 'rpm', 10, 'GenerateRequestsPerMinutePerProjectPerModel', 6_000);
    expect(await store.windowUsage('project:p|m', rpm, clock.t)).toEqual([{ name: 'rpm', used: 10 }]);
  });

  it('seeds a learned window once between instances, a learned day until its reset, and nothing a limit already booked', async () => {
    const { book, store, clock } = setup({});
    const other = new QuotaBook({ store, clock, config: {}, minuteMs: 60_000, dayResetAt: (_route, now) => (Math.floor(now / DAY) + 1) * DAY });
    const a = key('a', 'p');
    await Promise.all([book.learn(a, 'm', 'tpm', 1_000, 'tpm', 2_000), other.learn(a, 'm', 'tpm', 1_000, 'tpm', 2_000)]);
    const tpm = [{ name: 'tpm', kind: 'sliding' as const, windowMs: 60_350, limit: 1_000, amount: 0 }];
    expect(await store.windowUsage('project:p|m', tpm, clock.t)).toEqual([{ name: 'tpm', used: 1_000 }]);
    await book.learn(a, 'm', 'rpd', 20, 'rpd', 3_600_000);
    expect(await book.status(a, 'm')).toMatchObject({ rpd: { used: 20, limit: 20 } });
    clock.t = (Math.floor(clock.t / DAY) + 1) * DAY;
    expect((await book.reserve(a, 'm', 0)).ok).toBe(true); // a new day
    // A configured limit was booked all along: a lower one learned from Google is not seeded on top.
    const configured = setup({ routes: { 'gemini-api': { '*': { m: { rpm: 30 } } } } });
    await configured.book.learn(a, 'm', 'rpm', 10, 'rpm', 6_000);
    expect(await configured.store.windowUsage('project:p|m', configured.book.windows(a, 'm', 0), configured.clock.t)).toEqual([{ name: 'rpm', used: 0 }]);
  });

  it('books nothing where no limit is known', async () => {
    const { book, store, clock } = setup({});
    expect(await book.reserve(key('a', 'p'), 'm', 50)).toEqual({ ok: true, reservation: undefined });
    expect(await store.windowUsage('project:p|m', [{ name: 'rpm', kind: 'sliding', windowMs: 60_000, limit: 1, amount: 1 }], clock.t)).toEqual([{ name: 'rpm', used: 0 }]);
  });

  describe('on a store across the network (optimistic)', () => {
    /** A memory store whose answers to reserve wait until the test lets them through: a slow Redis. */
    class HeldStore extends MemoryStore {
      held: Array<{ req: ReserveRequest; go: () => void }> = [];
      override reserve(req: ReserveRequest): Promise<ReserveResult> {
        return new Promise((resolve) => this.held.push({ req, go: () => void super.reserve(req).then(resolve) }));
      }
      peers = 1;
      down = false;
      override health() {
        return { ...super.health(), peers: this.peers, ok: !this.down };
      }
      answerAll(): void {
        for (const h of this.held.splice(0)) h.go();
      }
    }
    /** Records, in `order`, each call the store gets to the named methods (the order one Redis connection keeps). */
    function recordCalls(store: HeldStore, order: string[], ...methods: Array<'reserve' | 'restamp' | 'release'>): void {
      for (const name of methods) {
        const original = store[name].bind(store) as (...args: unknown[]) => Promise<unknown>;
        (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => (order.push(name), original(...args));
      }
    }
    /** Two turns of the check phase: an optimistic booking has been sent by then. */
    const afterSend = () => new Promise((r) => setImmediate(() => setImmediate(r)));
    const state = <T>(p: T | Promise<T>) => Promise.race([Promise.resolve(p).then(() => 'answered'), new Promise((r) => setImmediate(() => r('waiting')))]);

    function optimistic(limits: { rpm: number; rpd?: number }) {
      const clock = { t: 1_000_000, now: () => clock.t };
      const store = new HeldStore({ now: clock.now });
      const config: QuotaConfig = { routes: { 'gemini-api': { '*': { m: limits } } } };
      const book = new QuotaBook({ store, clock, config, minuteMs: 60_000, optimistic: true, dayResetAt: () => clock.t + DAY });
      return { clock, store, book };
    }

    /** A first booking, answered: from then on the book knows the bucket's figures. */
    async function known(store: HeldStore, book: QuotaBook, m: QuotaMember) {
      const first = book.reserve(m, 'm', 0);
      store.answerAll();
      await first;
    }

    it('waits for the store until it knows the bucket, then books far from the limits without waiting', async () => {
      const { store, book } = optimistic({ rpm: 100, rpd: 1000 });
      const a = key('a', 'p');
      const first = book.reserve(a, 'm', 0);
      expect(first).toBeInstanceOf(Promise);
      expect(await state(first)).toBe('waiting'); // nothing known yet: the store decides
      store.answerAll();
      expect((await first).ok).toBe(true);
      const second = book.reserve(a, 'm', 0);
      expect(second).not.toBeInstanceOf(Promise); // far from the limits: answered at once
      expect(await state(second)).toBe('answered');
      expect((await second).ok).toBe(true);
      // It is on the book all the same, sent without limits (once the request to Google has left): a request on
      // its way must be counted.
      await afterSend();
      expect(store.held).toHaveLength(1);
      expect(store.held[0]!.req.windows.every((w) => w.limit === Infinity)).toBe(true);
      store.answerAll();
      await new Promise((r) => setImmediate(r));
      expect(await store.windowUsage('project:p|m', book.windows(a, 'm', 0), 1_000_000)).toEqual([
        { name: 'rpm', used: 2 },
        { name: 'rpd', used: 2 },
      ]);
    });

    it('is sent after a request written in the check phase, as undici writes one on a reused connection', async () => {
      const { store, book } = optimistic({ rpm: 100 });
      const a = key('a', 'p');
      await known(store, book, a);
      const order: string[] = [];
      recordCalls(store, order, 'reserve');
      expect((await book.reserve(a, 'm', 0)).ok).toBe(true);
      setImmediate(() => order.push('request')); // what undici does after the booking, in the same turn
      await afterSend();
      expect(order).toEqual(['request', 'reserve']);
    });

    it('a booking restamped before it was sent reaches the store first (one connection, in order)', async () => {
      const { store, book } = optimistic({ rpm: 100 });
      const order: string[] = [];
      recordCalls(store, order, 'reserve', 'restamp');
      const a = key('a', 'p');
      await known(store, book, a);
      const quick = await book.reserve(a, 'm', 0);
      await book.restamp(quick.ok ? quick.reservation : undefined, 7);
      expect(order).toEqual(['reserve', 'reserve', 'restamp']);
      await afterSend(); // and it is not sent twice
      expect(order).toEqual(['reserve', 'reserve', 'restamp']);
    });

    it('a booking taken back in the same turn reaches the store after it, as Redis needs (one connection, in order)', async () => {
      const { store, book } = optimistic({ rpm: 100 });
      const order: string[] = [];
      recordCalls(store, order, 'reserve', 'release');
      const a = key('a', 'p');
      await known(store, book, a);
      const quick = await book.reserve(a, 'm', 0); // optimistic: not sent to the store yet
      const released = book.release(quick.ok ? quick.reservation : undefined);
      await new Promise((r) => setImmediate(r));
      store.answerAll();
      await released;
      expect(order).toEqual(['reserve', 'reserve', 'release']);
    });

    it('keeps half the limit and ten requests in reserve, counting bookings still unanswered', async () => {
      const { store, book } = optimistic({ rpm: 100 });
      const a = key('a', 'p');
      await known(store, book, a);
      // 1 booked; 100 - 1 - n ≥ 50 holds for n ≤ 49 bookings on their way: the 49 go at once, the 50th waits.
      const outcomes = await Promise.all(Array.from({ length: 50 }, () => state(book.reserve(a, 'm', 0))));
      expect(outcomes.filter((o) => o === 'answered')).toHaveLength(49);
      expect(outcomes.at(-1)).toBe('waiting');
      // Small limits never go without the store: a limit of 11 leaves 9 after two bookings, fewer than ten.
      const small = optimistic({ rpm: 11 });
      await known(small.store, small.book, a);
      expect(await state(small.book.reserve(a, 'm', 0))).toBe('waiting');
    });

    it('counts every other instance as booking as much without waiting, and waits while the store is away', async () => {
      const { store, book } = optimistic({ rpm: 100 });
      store.peers = 3;
      const a = key('a', 'p');
      await known(store, book, a);
      // 100 - 1 - 3n ≥ 50 holds for n ≤ 16.
      const outcomes = await Promise.all(Array.from({ length: 17 }, () => state(book.reserve(a, 'm', 0))));
      expect(outcomes.filter((o) => o === 'answered')).toHaveLength(16);
      expect(outcomes.at(-1)).toBe('waiting');
      await afterSend();
      store.answerAll();
      await new Promise((r) => setImmediate(r));
      expect(await state(book.reserve(a, 'm', 0))).toBe('answered');
      store.down = true; // serving from memory: instances cannot see each other, and each keeps to its share
      expect(await state(book.reserve(a, 'm', 0))).toBe('waiting');
    });

    it('waits for the store again once its last figures are more than a second old', async () => {
      const { store, book, clock } = optimistic({ rpm: 100 });
      const a = key('a', 'p');
      await known(store, book, a);
      clock.t += 1_001;
      expect(await state(book.reserve(a, 'm', 0))).toBe('waiting');
    });
  });
});
