import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';

async function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe('client abort', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'ab@example.com' }], sim: { streamEvents: 20, streamIntervalMs: 100 } });
  });
  afterAll(() => stack.close());

  it('aborts the upstream stream when the client goes away, and cools nothing', async () => {
    const controller = new AbortController();
    const stream = await stack.openai.chat.completions.create(
      { model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'a long story that goes on and on and on' }] },
      { signal: controller.signal },
    );
    let got = 0;
    try {
      for await (const _ of stream) {
        if (++got === 2) controller.abort();
      }
    } catch {
      /* the SDK may end the iteration quietly or throw an abort error: either is fine */
    }
    expect(got).toBeLessThan(20);
    await waitFor(() => stack.sim.aborted() === 1);
    expect(stack.sim.aborted()).toBe(1);
    expect(stack.rotor.gateway.pool.status().summary.available).toBe(1);
    // Still serves afterwards.
    const res = await stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'ok' }] });
    expect(res.choices[0]!.message.content).toBe('Echo from gemini-2.5-flash: ok');
  });

  it('aborts a non-streaming upstream call that is still waiting', async () => {
    stack.sim.injectFault({ fault: { type: 'stall', ms: 3000 }, times: 1 });
    const before = stack.sim.aborted();
    const controller = new AbortController();
    const p = stack.openai.chat.completions.create(
      { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'slow' }] },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 200);
    await expect(p).rejects.toThrow();
    await waitFor(() => stack.sim.aborted() === before + 1);
    expect(stack.sim.aborted()).toBe(before + 1);
  });
});
