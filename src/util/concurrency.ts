/**
 * Bounded concurrency: a counting semaphore (a cap shared by many callers, e.g. downloads across the
 * process) and mapWithConcurrency (a cap on one batch of work, e.g. one request's embedding batches).
 * Both let a caller give up through a signal while it waits, so a departed client holds no slot.
 */
import type { CallSignal } from './call-signal.js';

/** Why work was not started: the caller's signal was aborted (its reason when it has one). */
export class ConcurrencyAbortError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('aborted before it could start');
  }
}

interface Waiter {
  grant(): void;
}

/** At most `limit` holders at once; waiters are served first come, first served. */
export class Semaphore {
  private held = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a semaphore needs a whole limit of at least 1, got ${limit}`);
  }

  /** Slots in use now. */
  get inUse(): number {
    return this.held;
  }

  /** Callers waiting for a slot now. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves with a release function once a slot is free (calling it twice releases once). Rejects, and
   * leaves the queue, when `signal` aborts first.
   */
  acquire(signal?: CallSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.held < this.limit) {
      this.held++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  /** Runs `fn` holding a slot, and frees the slot however `fn` ends. */
  async use<T>(fn: () => Promise<T>, signal?: CallSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next waiter, so a newcomer cannot overtake the queue.
      const next = this.queue.shift();
      if (next) next.grant();
      else this.held--;
    };
  }
}

/**
 * `fn` over `items` with at most `limit` calls in flight; the results in the items' order. The first
 * rejection rejects the whole (at once, like Promise.all), starts nothing more and aborts the signal each
 * call was given, so calls in flight can stop early; so does an abort of `signal`. Calls in flight are not
 * awaited after a failure: their results are dropped.
 */
export function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  signal?: CallSignal,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) return Promise.reject(new RangeError(`concurrency must be a whole number of at least 1, got ${limit}`));
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (items.length === 0) return Promise.resolve([]);
  const results = new Array<R>(items.length);
  const stop = new AbortController();
  return new Promise<R[]>((resolve, reject) => {
    let next = 0;
    let done = 0;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      signal?.removeEventListener('abort', onAbort);
      stop.abort(err);
      reject(err);
    };
    const onAbort = () => fail(abortReason(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    const start = (): void => {
      if (failed || next >= items.length) return;
      const index = next++;
      let call: Promise<R>;
      try {
        call = fn(items[index]!, index, stop.signal);
      } catch (err) {
        fail(err);
        return;
      }
      call.then(
        (value) => {
          if (failed) return;
          results[index] = value;
          if (++done === items.length) {
            signal?.removeEventListener('abort', onAbort);
            resolve(results);
          } else {
            start();
          }
        },
        fail,
      );
    };
    for (let i = 0; i < Math.min(limit, items.length); i++) start();
  });
}

function abortReason(signal: CallSignal | undefined): unknown {
  const reason = (signal as { reason?: unknown } | undefined)?.reason;
  return reason !== undefined ? reason : new ConcurrencyAbortError();
}
