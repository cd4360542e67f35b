import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
    expect(stack.rotor.pool.status().summary.available).toBe(1);
    // Still serves afterwards.
    const res = await stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'ok' }] });
    expect(res.choices[0]!.message.content).toBe('Echo from gemini-2.5-flash: ok');
  });

  it('aborts a non-streaming upstream call that is still waiting', async () => {
    // Long enough that the simulator cannot answer first, however slow the machine.
    stack.sim.injectFault({ fault: { type: 'stall', ms: 30_000 }, times: 1 });
    const before = stack.sim.aborted();
    const calls = stack.sim.calls({ method: 'generateContent' }).length;
    const controller = new AbortController();
    const p = stack.openai.chat.completions.create(
      { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'slow' }] },
      { signal: controller.signal, maxRetries: 0 },
    );
    // The call has reached the simulator (which now stalls): the client leaves.
    await waitFor(() => stack.sim.calls({ method: 'generateContent' }).length > calls);
    controller.abort();
    await expect(p).rejects.toThrow();
    await waitFor(() => stack.sim.aborted() === before + 1);
    expect(stack.sim.aborted()).toBe(before + 1);
  });
});

describe('client abort while remote media downloads', () => {
  let stack: Stack;
  let media: Server;
  let mediaUrl: string;
  let mediaRequests = 0;
  let mediaClosed = 0;
  beforeAll(async () => {
    // Answers nothing until its socket closes: only an aborted fetch ends these requests.
    media = createServer((req, res) => {
      mediaRequests++;
      res.on('close', () => mediaClosed++);
    });
    await new Promise<void>((r) => media.listen(0, '127.0.0.1', r));
    mediaUrl = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
    stack = await startStack({ accounts: [{ email: 'media@example.com' }], env: { MEDIA_FETCH_ALLOW_PRIVATE: 'true', MEDIA_FETCH_TIMEOUT_MS: '20000' } });
  });
  afterAll(async () => {
    await stack.close();
    media.close();
  });

  it('stops the download and never starts a generation', async () => {
    const picks: string[] = [];
    stack.rotor.events.on((e) => {
      if (e.type === 'pick') picks.push(e.requestId);
    });
    const controller = new AbortController();
    const p = stack.openai.chat.completions.create(
      { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: `${mediaUrl}/slow.png` } }] }] },
      { signal: controller.signal, maxRetries: 0 },
    );
    await waitFor(() => mediaRequests === 1);
    controller.abort();
    await expect(p).rejects.toThrow();
    await waitFor(() => mediaClosed === 1);
    expect(mediaClosed).toBe(1);
    // Once the request's handler has ended, nothing more can start: no credential was picked, nothing reached Google.
    await stack.rotor.idle();
    expect(picks).toEqual([]);
    expect(stack.sim.calls({ method: 'generateContent' })).toHaveLength(0);
  });
});
