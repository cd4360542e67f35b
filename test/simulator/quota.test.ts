/**
 * Per-account, per-model quotas and the 429 bodies Code Assist sends for them
 * (docs/google-protocols.md#code-assist-429s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { call, envelope, start, tokenFor } from './helpers.js';

describe('rpm on the real clock', () => {
  let sim: Simulator;
  let token: string;
  beforeAll(async () => {
    sim = await start({ accounts: [{ email: 'r@x.com', rpm: 2 }, { email: 'free@x.com' }], rateWindowMs: 800 });
    token = await tokenFor(sim, 'r@x.com');
  });
  afterAll(() => sim.close());

  it('answers RATE_LIMIT_EXCEEDED with RetryInfo, per model, and serves again once the window frees', async () => {
    const gen = (text: string, model = 'gemini-2.5-flash') => call(sim, 'generateContent', token, envelope('r@x.com', text, {}, model));
    expect((await gen('1')).status).toBe(200);
    expect((await gen('2')).status).toBe(200);
    const limited = await gen('3');
    expect(limited.status).toBe(429);
    const error = limited.body.error;
    expect(error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED', message: expect.stringMatching(/Your quota will reset after \d+s\.$/) });
    expect(error.details[0]).toMatchObject({
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'RATE_LIMIT_EXCEEDED',
      domain: 'cloudcode-pa.googleapis.com',
      metadata: { model: 'gemini-2.5-flash', quotaResetDelay: expect.stringMatching(/^\d+(\.\d+)?ms$/) },
    });
    expect(error.details[1]['@type']).toBe('type.googleapis.com/google.rpc.RetryInfo');
    const delayMs = parseFloat(error.details[1].retryDelay) * 1000;
    expect(error.details[1].retryDelay).toMatch(/^\d+(\.\d+)?s$/);
    expect(delayMs).toBeGreaterThan(0);
    expect(delayMs).toBeLessThanOrEqual(800);

    // Another model, and another account, are untouched.
    expect((await gen('pro', 'gemini-2.5-pro')).status).toBe(200);
    const other = await tokenFor(sim, 'free@x.com');
    expect((await call(sim, 'generateContent', other, envelope('free@x.com', 'x'))).status).toBe(200);

    await new Promise((r) => setTimeout(r, delayMs + 20));
    expect((await gen('4')).status).toBe(200);
  });
});

describe('quotas on a controlled clock', () => {
  let sim: Simulator;
  let clock = Date.UTC(2026, 0, 1, 10, 0, 0);
  beforeAll(async () => {
    sim = await start({ accounts: [{ email: 'm@x.com', rpm: 1 }, { email: 'd@x.com', rpd: 2 }], accessTokenTtlSec: 7 * 24 * 3600, now: () => clock });
  });
  afterAll(() => sim.close());

  it('reports the exact time until the window frees, in protobuf and Go duration spellings', async () => {
    const token = await tokenFor(sim, 'm@x.com');
    expect((await call(sim, 'generateContent', token, envelope('m@x.com', 'a'))).status).toBe(200);
    clock += 20_000;
    const at20 = await call(sim, 'generateContent', token, envelope('m@x.com', 'b'));
    expect(at20.body.error.details[1].retryDelay).toBe('40s');
    expect(at20.body.error.details[0].metadata).toMatchObject({ quotaResetDelay: '40s', quotaResetTimeStamp: '2026-01-01T10:01:00Z' });
    clock += 39_460.5;
    const late = await call(sim, 'generateContent', token, envelope('m@x.com', 'c'));
    expect(late.body.error.details[1].retryDelay).toBe('0.539500s');
    expect(late.body.error.details[0].metadata.quotaResetDelay).toBe('539.5ms');
    clock += 539.5;
    expect((await call(sim, 'generateContent', token, envelope('m@x.com', 'd'))).status).toBe(200);
  });

  it('answers QUOTA_EXHAUSTED until the next UTC midnight once rpd is used up', async () => {
    clock = Date.UTC(2026, 0, 2, 10, 0, 0);
    const token = await tokenFor(sim, 'd@x.com');
    const gen = () => call(sim, 'generateContent', token, envelope('d@x.com', 'x'));
    expect((await gen()).status).toBe(200);
    expect((await gen()).status).toBe(200);
    const spent = await gen();
    expect(spent.status).toBe(429);
    expect(spent.body.error.details[0]).toMatchObject({
      reason: 'QUOTA_EXHAUSTED',
      metadata: { quotaResetTimeStamp: '2026-01-03T00:00:00Z', quotaResetDelay: '14h0m0s', model: 'gemini-2.5-flash' },
    });
    expect(spent.body.error.details[1]).toMatchObject({ retryDelay: '50400s' });

    const quota = await call(sim, 'retrieveUserQuota', token, { project: 'sim-project-d' });
    expect(quota.body.buckets).toContainEqual({
      modelId: 'gemini-2.5-flash',
      tokenType: 'REQUESTS',
      resetTime: '2026-01-03T00:00:00Z',
      remainingAmount: '0',
      remainingFraction: 0,
    });

    clock = Date.UTC(2026, 0, 3, 0, 0, 1);
    expect((await gen()).status).toBe(200);
  });
});
