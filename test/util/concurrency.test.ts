import { describe, expect, it } from 'vitest';
import { ConcurrencyAbortError, mapWithConcurrency, Semaphore } from '../../src/util/concurrency.js';
import { ClientSignal } from '../../src/util/call-signal.js';

/** A promise with its resolve/reject at hand. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A controllable batch: each call waits on its own deferred; `started` lists the indices called so far. */
function harness(count: number) {
  const gates = Array.from({ length: count }, () => deferred<string>());
  const started: number[] = [];
  const signals: AbortSignal[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let onStart: (() => void) | undefined;
  const fn = async (item: string, index: number, signal: AbortSignal) => {
    started.push(index);
    signals[index] = signal;
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    onStart?.();
    try {
      return `${item}:${await gates[index]!.promise}`;
    } finally {
      inFlight--;
    }
  };
  /** Resolves once `n` calls have started. */
  const startedCount = (n: number) =>
    new Promise<void>((resolve) => {
      if (started.length >= n) return resolve();
      onStart = () => {
        if (started.length >= n) resolve();
      };
    });
  return { gates, started, signals, fn, startedCount, max: () => maxInFlight };
}

describe('mapWithConcurrency', () => {
  it('keeps at most `limit` calls in flight and returns the results in the order of the items', async () => {
    const h = harness(7);
    const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const all = mapWithConcurrency(items, 3, h.fn);
    expect(h.started).toEqual([0, 1, 2]);
    // Finishing out of order: each finished call lets exactly one more start.
    h.gates[2]!.resolve('2');
    await h.startedCount(4);
    expect(h.started).toEqual([0, 1, 2, 3]);
    for (const i of [1, 0, 3, 6, 5, 4]) {
      h.gates[i]!.resolve(String(i));
      await h.startedCount(Math.min(7, h.started.length + 1));
    }
    expect(await all).toEqual(['a:0', 'b:1', 'c:2', 'd:3', 'e:4', 'f:5', 'g:6']);
    expect(h.max()).toBe(3);
  });

  it('rejects with the first failure, starts nothing more and aborts the signal of the calls in flight', async () => {
    const h = harness(6);
    const all = mapWithConcurrency(['a', 'b', 'c', 'd', 'e', 'f'], 2, h.fn);
    const failure = new Error('b failed');
    h.gates[1]!.reject(failure);
    await expect(all).rejects.toBe(failure);
    expect(h.started).toEqual([0, 1]);
    expect(h.signals[0]!.aborted).toBe(true);
    expect(h.signals[0]!.reason).toBe(failure);
    // A call that ends after the failure changes nothing and starts nothing.
    h.gates[0]!.resolve('late');
    await h.gates[0]!.promise;
    expect(h.started).toEqual([0, 1]);
  });

  it('rejects when `fn` throws synchronously', async () => {
    const err = new Error('sync');
    await expect(
      mapWithConcurrency([1, 2], 2, () => {
        throw err;
      }),
    ).rejects.toBe(err);
  });

  it('stops on an abort of the caller signal, with its reason when it has one', async () => {
    const h = harness(4);
    const controller = new AbortController();
    const all = mapWithConcurrency(['a', 'b', 'c', 'd'], 2, h.fn, controller.signal);
    const reason = new Error('client left');
    controller.abort(reason);
    await expect(all).rejects.toBe(reason);
    expect(h.signals[0]!.aborted).toBe(true);
    expect(h.started).toEqual([0, 1]);

    const client = new ClientSignal();
    const second = mapWithConcurrency(['a'], 1, () => new Promise<never>(() => {}), client);
    client.abort();
    await expect(second).rejects.toBeInstanceOf(ConcurrencyAbortError);
    await expect(mapWithConcurrency(['a'], 1, async () => 1, client)).rejects.toBeInstanceOf(ConcurrencyAbortError);
  });

  it('answers [] for no items and refuses a limit below 1', async () => {
    expect(await mapWithConcurrency([], 4, async () => 1)).toEqual([]);
    await expect(mapWithConcurrency([1], 0, async () => 1)).rejects.toThrow('concurrency must be a whole number of at least 1, got 0');
  });
});

describe('Semaphore', () => {
  it('holds at most `limit` slots and hands a freed slot to the first waiter', async () => {
    const sem = new Semaphore(2);
    const r1 = await sem.acquire();
    await sem.acquire();
    const order: string[] = [];
    const third = sem.acquire().then((release) => (order.push('third'), release));
    const fourth = sem.acquire().then((release) => (order.push('fourth'), release));
    expect([sem.inUse, sem.waiting]).toEqual([2, 2]);
    r1();
    r1(); // a second call releases nothing more
    const r3 = await third;
    expect(order).toEqual(['third']);
    expect([sem.inUse, sem.waiting]).toEqual([2, 1]);
    r3();
    (await fourth)();
    expect(order).toEqual(['third', 'fourth']);
    expect(sem.inUse).toBe(1);
  });

  it('drops a waiter whose signal aborts, and frees the slot when use() fails', async () => {
    const sem = new Semaphore(1);
    const controller = new AbortController();
    const release = await sem.acquire();
    const waiting = sem.acquire(controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(sem.waiting).toBe(0);
    release();
    expect(sem.inUse).toBe(0);
    await expect(sem.use(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(sem.inUse).toBe(0);
    expect(await sem.use(async () => 'ok')).toBe('ok');
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
