/** The dispatch loop tells subscribers what it does: picks, attempts with their outcome, fallbacks, requests done. */
import { afterEach, describe, expect, it } from 'vitest';
import type { DispatchEvent } from '../../src/dispatch/events.js';
import { startStack, type Stack } from '../e2e/harness.js';

function record(stack: Stack): DispatchEvent[] {
  const events: DispatchEvent[] = [];
  stack.rotor.events.on((e) => events.push(e));
  return events;
}

describe('dispatch events', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it('a served request: pick, attempt ok, done with the model, credential and Google’s token counts, under the request id', async () => {
    stack = await startStack({ accounts: [{ email: 'ev1@example.com' }] });
    const events = record(stack);
    const { data, response } = await stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'count me' }] }).withResponse();
    const id = response.headers.get('x-request-id')!;
    expect(events.map((e) => e.type)).toEqual(['pick', 'attempt', 'done']);
    expect(events.every((e) => e.requestId === id)).toBe(true);
    const cred = stack.rotor.pool.list()[0]!.id;
    expect(events[1]).toMatchObject({ type: 'attempt', outcome: 'ok', credential: cred, route: 'code-assist', model: 'gemini-2.5-flash', stream: false });
    const done = events[2] as Extract<DispatchEvent, { type: 'done' }>;
    expect(done).toMatchObject({ operation: 'generate', outcome: 'ok', credential: cred });
    expect(done.usage?.promptTokenCount).toBe(data.usage!.prompt_tokens);
  });

  it('a failover: the failed attempt with its status and kind, then the one that served', async () => {
    stack = await startStack({ accounts: [{ email: 'ev2a@example.com' }, { email: 'ev2b@example.com' }] });
    stack.sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 30_000 }, times: 1 });
    const events = record(stack);
    await stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] });
    const attempts = events.filter((e) => e.type === 'attempt');
    expect(attempts).toMatchObject([
      { outcome: 'error', status: 429, kind: 'rate', blamed: true, attempt: 1 },
      { outcome: 'ok', attempt: 2 },
    ]);
    expect(attempts[0]!.credential).not.toBe(attempts[1]!.credential);
  });

  it('a fallback to the next model in MODEL_FALLBACKS, and a stream that reports itself done when it ends', async () => {
    stack = await startStack({ accounts: [{ email: 'ev3@example.com' }], env: { MODEL_FALLBACKS: 'gemini-2.5-pro=gemini-2.5-flash' } });
    stack.sim.injectFault({ fault: { type: 'quota-exhausted' }, model: 'gemini-2.5-pro', times: 1 });
    const events = record(stack);
    const stream = await stack.openai.chat.completions.create({ model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'y' }], stream: true });
    for await (const _ of stream) void _;
    expect(events.find((e) => e.type === 'fallback')).toMatchObject({ model: 'gemini-2.5-pro', to: 'gemini-2.5-flash' });
    const done = events.filter((e) => e.type === 'done');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ operation: 'stream', outcome: 'ok', model: 'gemini-2.5-pro' });
    expect((done[0] as Extract<DispatchEvent, { type: 'done' }>).usage?.totalTokenCount).toBeGreaterThan(0);
  });
});
