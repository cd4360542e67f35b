/** Injected faults: every kind, matching, ordering, `times`, and the abort counter. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { call, envelope, raw, refresh, start, tokenFor } from './helpers.js';

let sim: Simulator;
let a: string;
let b: string;
const genA = (text = 'x', model = 'gemini-2.5-flash') => call(sim, 'generateContent', a, envelope('a@x.com', text, {}, model));
const genB = (text = 'x') => call(sim, 'generateContent', b, envelope('b@x.com', text));
const streamA = (text = 'streamed reply') => raw(sim, 'streamGenerateContent', a, envelope('a@x.com', text), '?alt=sse');

beforeAll(async () => {
  sim = await start({ accounts: [{ email: 'a@x.com' }, { email: 'b@x.com' }], streamEvents: 4 });
  a = await tokenFor(sim, 'a@x.com');
  b = await tokenFor(sim, 'b@x.com');
});
afterEach(() => sim.clearFaults());
afterAll(() => sim.close());

describe('fault kinds', () => {
  it('status: a google.rpc.Status built for the code, or the given body', async () => {
    sim.injectFault({ fault: { type: 'status', status: 503 }, times: 1 });
    const built = await genA();
    expect(built.status).toBe(503);
    expect(built.body).toEqual({ error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } });
    sim.injectFault({ fault: { type: 'status', status: 400, body: [{ error: { code: 400, message: 'custom' } }] }, times: 1 });
    const given = await genA();
    expect(given).toMatchObject({ status: 400, body: [{ error: { code: 400, message: 'custom' } }] });
    expect((await genA()).status).toBe(200);
  });

  it('rate-limit: RATE_LIMIT_EXCEEDED with RetryInfo and quotaResetDelay', async () => {
    sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 1500 }, times: 1 });
    const r = await genA('x', 'gemini-2.5-pro');
    expect(r.status).toBe(429);
    expect(r.body.error.details).toEqual([
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'RATE_LIMIT_EXCEEDED',
        domain: 'cloudcode-pa.googleapis.com',
        metadata: { uiMessage: 'true', model: 'gemini-2.5-pro', quotaResetDelay: '1.5s', quotaResetTimeStamp: expect.stringMatching(/Z$/) },
      },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.500s' },
    ]);
  });

  it('quota-exhausted and capacity', async () => {
    sim.injectFault({ fault: { type: 'quota-exhausted', resetInMs: 3_600_000 }, times: 1 });
    const quota = await genA();
    expect(quota.status).toBe(429);
    expect(quota.body.error.details[0]).toMatchObject({ reason: 'QUOTA_EXHAUSTED', metadata: { quotaResetDelay: '1h0m0s' } });
    sim.injectFault({ fault: { type: 'capacity' }, times: 1 });
    sim.injectFault({ fault: { type: 'capacity', status: 503 }, times: 1 });
    const first = await genA('x', 'gemini-3.1-pro-preview');
    expect(first.status).toBe(429);
    expect(first.body.error.message).toBe('No capacity available for model gemini-3.1-pro-preview on the server');
    expect(first.body.error.details[0].reason).toBe('MODEL_CAPACITY_EXHAUSTED');
    const second = await genA();
    expect(second.status).toBe(503);
    expect(second.body.error.status).toBe('UNAVAILABLE');
  });

  it('unauthenticated: 401 even though the token is valid', async () => {
    sim.injectFault({ fault: { type: 'unauthenticated' }, times: 1 });
    const r = await genA();
    expect(r.status).toBe(401);
    expect(r.body.error.status).toBe('UNAUTHENTICATED');
    expect((await genA()).status).toBe(200);
  });

  it('reset: the connection drops before any byte', async () => {
    sim.injectFault({ fault: { type: 'reset' }, times: 1 });
    await expect(genA()).rejects.toThrow();
    expect((await genA()).status).toBe(200);
  });

  it('cut-stream: N events, then the connection drops; non-stream calls are left alone', async () => {
    sim.injectFault({ fault: { type: 'cut-stream', afterEvents: 2 }, times: 1 });
    expect((await genA()).status).toBe(200);
    const res = await streamA();
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          text += new TextDecoder().decode(value);
        }
      })(),
    ).rejects.toThrow();
    expect(text.split('\r\n\r\n').filter((e) => e.startsWith('data: '))).toHaveLength(2);
    expect(text).not.toContain('finishReason');
  });

  it('stall: waits before headers, then answers normally', async () => {
    sim.injectFault({ fault: { type: 'stall', ms: 250 }, times: 1 });
    const t0 = performance.now();
    const r = await genA('slow');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
    expect(r.status).toBe(200);
  });
});

describe('matching', () => {
  it('applies rules in order, stall before a status, and counts `times`', async () => {
    sim.injectFault({ fault: { type: 'stall', ms: 150 }, times: 1 });
    sim.injectFault({ fault: { type: 'status', status: 500 }, times: 2 });
    const t0 = performance.now();
    expect((await genA()).status).toBe(500);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect((await genA()).status).toBe(500);
    expect((await genA()).status).toBe(200);
  });

  it('matches by email and model', async () => {
    sim.injectFault({ fault: { type: 'status', status: 500 }, email: 'b@x.com' });
    sim.injectFault({ fault: { type: 'status', status: 502 }, model: 'gemini-2.5-pro' });
    expect((await genA()).status).toBe(200);
    expect((await genB()).status).toBe(500);
    expect((await genA('x', 'gemini-2.5-pro')).status).toBe(502);
  });

  it('without a method, hits generation only; with one, exactly that method', async () => {
    sim.injectFault({ fault: { type: 'status', status: 500 } });
    expect((await refresh(sim, '1//sim-refresh-a@x.com')).status).toBe(200);
    expect((await call(sim, 'loadCodeAssist', a, { metadata: {} })).status).toBe(200);
    expect((await call(sim, 'countTokens', a, { request: { model: 'models/gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: 'x' }] }] } })).status).toBe(200);
    expect((await streamA()).status).toBe(500);
    sim.clearFaults();

    sim.injectFault({ fault: { type: 'status', status: 503 }, method: 'token', email: 'b@x.com', times: 1 });
    expect((await refresh(sim, '1//sim-refresh-a@x.com')).status).toBe(200);
    expect((await refresh(sim, '1//sim-refresh-b@x.com')).status).toBe(503);
    expect((await refresh(sim, '1//sim-refresh-b@x.com')).status).toBe(200);
    sim.injectFault({ fault: { type: 'unauthenticated' }, method: 'userinfo', times: 1 });
    expect((await fetch(sim.userinfoUrl, { headers: { authorization: `Bearer ${a}` } })).status).toBe(401);
    expect((await genA()).status).toBe(200);
  });

  it('rejects a malformed rule', () => {
    expect(() => sim.injectFault({ fault: { type: 'stall' } } as never)).toThrow();
  });
});

describe('aborted()', () => {
  it('counts requests the client abandoned, but not the ones the simulator cut', async () => {
    sim.resetStats();
    sim.injectFault({ fault: { type: 'stall', ms: 2000 }, times: 1 });
    const controller = new AbortController();
    const aborted = fetch(`${sim.url}/v1internal:generateContent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a}` },
      body: JSON.stringify(envelope('a@x.com', 'y')),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await expect(aborted).rejects.toThrow();
    // Counted when the simulator sees the connection close: wait for it, not for a fixed time.
    await expect.poll(() => sim.aborted()).toBe(1);

    sim.injectFault({ fault: { type: 'reset' }, times: 1 });
    await expect(genA()).rejects.toThrow();
    // Once the simulator has seen the reset request end, its count is final: a cut of its own is not an abort.
    await expect.poll(() => sim.ended()).toBe(2);
    expect(sim.aborted()).toBe(1);
  });
});
