import { describe, expect, it } from 'vitest';
import { WaitQueue } from '../../src/dispatch/queue.js';
import { NoCredentialError } from '../../src/dispatch/errors.js';
import { ClientAbortError } from '../../src/upstream/types.js';
import { ClientSignal } from '../../src/util/call-signal.js';

describe('WaitQueue', () => {
  it('serves its line in order: only the head tries, and the next tries at once when the head leaves', async () => {
    const q = new WaitQueue({ maxWaitMs: 60_000, maxLength: 10 });
    const order: string[] = [];
    const tickets = ['a', 'b', 'c'].map((name) => ({ name, t: q.join('m', new ClientSignal(), 1000) }));
    const far = Date.now() + 60_000; // nothing frees by time: only leaving and waking move the line
    const turns = tickets.map(({ name, t }) =>
      t.turn(far).then(() => {
        order.push(name);
        t.leave(); // it got a credential
      }),
    );
    expect(q.stats()).toEqual([{ model: 'm', waiting: 3 }]);
    q.wake('m'); // room appeared: the head tries, and each leaving lets the next try
    await Promise.all(turns);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(q.stats()).toEqual([]);
  });

  it('a full line answers 429 at once', () => {
    const q = new WaitQueue({ maxWaitMs: 60_000, maxLength: 2 });
    q.join('m', new ClientSignal(), 5000);
    q.join('m', new ClientSignal(), 5000);
    expect(() => q.join('m', new ClientSignal(), 5000)).toThrow(NoCredentialError);
    expect(q.join('other', new ClientSignal(), 5000)).toBeDefined();
  });

  it('a request that waits past MAX_QUEUE_WAIT_MS gets a 429 that says when to come back', async () => {
    const q = new WaitQueue({ maxWaitMs: 20, maxLength: 10 });
    const t = q.join('m', new ClientSignal(), 60_000);
    const err = await t.turn(Date.now() + 60_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoCredentialError);
    expect(err).toMatchObject({ status: 429 });
    expect((err as NoCredentialError).retryAfterMs).toBeGreaterThan(50_000);
    expect(q.stats()).toEqual([]);
  });

  it('drops a client that leaves, and the next in line moves up', async () => {
    const q = new WaitQueue({ maxWaitMs: 60_000, maxLength: 10 });
    const gone = new ClientSignal();
    const first = q.join('m', gone, 1000);
    const second = q.join('m', new ClientSignal(), 1000);
    const far = Date.now() + 60_000;
    const firstTurn = first.turn(far).catch((e: unknown) => e);
    const secondTurn = second.turn(far);
    gone.abort();
    expect(await firstTurn).toBeInstanceOf(ClientAbortError);
    await secondTurn; // it became the head and was woken to try
    expect(second.isHead).toBe(true);
    second.leave();
  });
});
