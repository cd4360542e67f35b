/**
 * Code Assist quotas per account and model (rpm, rpd, tpm, with Code Assist's own 429 shapes), simulator-wide
 * defaults, the quota counters (stats(), call status) and the control routes for all of it. Injected clock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { apiCall, apiRaw, call, envelope, json, start, tokenFor, userText } from './helpers.js';

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

describe('Code Assist quotas per account and model', () => {
  let sim: Simulator;
  let clock = T0;
  let token: string;
  beforeAll(async () => {
    sim = await start({
      accounts: [
        // Flat rpm 2 for every model; Pro: 1 a minute and 50 input tokens a minute; every model 3 a day.
        { email: 'ca@x.com', rpm: 2, quotas: { 'gemini-2.5-pro': { rpm: 1, tpm: 50 }, '*': { rpd: 3 } } },
        { email: 'other@x.com' },
      ],
      accessTokenTtlSec: 7 * 24 * 3600,
      now: () => clock,
    });
    token = await tokenFor(sim, 'ca@x.com');
  });
  afterAll(() => sim.close());
  const gen = (model: string, text = 'x') => call(sim, 'generateContent', token, envelope('ca@x.com', text, {}, model));
  const errorInfo = (r: { body: any }) => r.body.error.details[0];

  it('each model has its own windows; a flat rpm applies where the model sets none', async () => {
    expect((await gen('gemini-2.5-flash')).status).toBe(200);
    expect((await gen('gemini-2.5-flash')).status).toBe(200);
    const flash = await gen('gemini-2.5-flash');
    expect(flash.status).toBe(429);
    expect(flash.body.error.message).toBe('You have exhausted your capacity on this model. Your quota will reset after 60s.');
    expect(errorInfo(flash)).toEqual({
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'RATE_LIMIT_EXCEEDED',
      domain: 'cloudcode-pa.googleapis.com',
      metadata: { uiMessage: 'true', model: 'gemini-2.5-flash', quotaResetDelay: '1m0s', quotaResetTimeStamp: '2026-01-15T10:01:00Z' },
    });
    expect(flash.body.error.details[1]).toEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '60s' });

    expect((await gen('gemini-2.5-pro')).status).toBe(200);
    clock = T0 + 12_500;
    const pro = await gen('gemini-2.5-pro');
    expect(errorInfo(pro)).toMatchObject({ reason: 'RATE_LIMIT_EXCEEDED', metadata: { model: 'gemini-2.5-pro', quotaResetDelay: '47.5s' } });
    expect(pro.body.error.details[1].retryDelay).toBe('47.500s');
    // Another account is untouched.
    const other = await tokenFor(sim, 'other@x.com');
    expect((await call(sim, 'generateContent', other, envelope('other@x.com', 'x', {}, 'gemini-2.5-pro'))).status).toBe(200);
  });

  it('input tokens per minute answer RATE_LIMIT_EXCEEDED too (Code Assist has no token shape of its own that we know)', async () => {
    clock = T0 + 60_000;
    const big = await gen('gemini-2.5-pro', 'x'.repeat(204)); // 51 tokens > 50
    expect(big.status).toBe(429);
    expect(errorInfo(big)).toMatchObject({ reason: 'RATE_LIMIT_EXCEEDED', metadata: { quotaResetDelay: '1m0s' } });
    expect(sim.calls({ email: 'ca@x.com', status: 429 }).at(-1)).toMatchObject({ model: 'gemini-2.5-pro', quotaExceeded: ['tpm'] });
    const fits = await gen('gemini-2.5-pro', 'x'.repeat(200)); // exactly 50
    expect(fits.status).toBe(200);
    expect(fits.body.response.usageMetadata.promptTokenCount).toBe(50);
    expect(sim.calls({ email: 'ca@x.com', status: 200 }).at(-1)).toMatchObject({ inputTokens: 50 });
  });

  it('the per-day limit of "*" applies to each model apart; QUOTA_EXHAUSTED until UTC midnight; retrieveUserQuota reports it', async () => {
    clock = T0 + 120_000;
    expect((await gen('gemini-2.5-flash')).status).toBe(200);
    clock = T0 + 180_000;
    const spent = await gen('gemini-2.5-flash');
    expect(spent.body.error.message).toBe('You have exhausted your daily quota on this model. Your quota will reset after 13h57m0s.');
    expect(errorInfo(spent)).toMatchObject({
      reason: 'QUOTA_EXHAUSTED',
      metadata: { model: 'gemini-2.5-flash', quotaResetDelay: '13h57m0s', quotaResetTimeStamp: '2026-01-16T00:00:00Z' },
    });
    expect(spent.body.error.details[1].retryDelay).toBe('50220s');
    const quota = await call(sim, 'retrieveUserQuota', token, { project: 'sim-project-ca' });
    const bucket = (model: string) => quota.body.buckets.find((b: { modelId: string }) => b.modelId === model);
    expect(bucket('gemini-2.5-flash')).toMatchObject({ remainingAmount: '0', remainingFraction: 0 });
    expect(bucket('gemini-2.5-pro')).toMatchObject({ remainingAmount: '1' });
    expect(bucket('gemini-2.5-flash-lite')).toMatchObject({ remainingAmount: '3', remainingFraction: 1 });
    clock = Date.UTC(2026, 0, 16, 0, 0, 0);
    expect((await gen('gemini-2.5-flash')).status).toBe(200);
  });

  it('counts each account and model apart in stats()', () => {
    expect(sim.stats().buckets['ca@x.com']).toEqual({
      'gemini-2.5-flash': { requests: 6, served: 4, inputTokens: 4, status429: 2, quota429: 2, byWindow: { rpm: 1, rpd: 1, tpm: 0 }, limitZero: 0 },
      'gemini-2.5-pro': { requests: 4, served: 2, inputTokens: 51, status429: 2, quota429: 2, byWindow: { rpm: 1, rpd: 0, tpm: 1 }, limitZero: 0 },
    });
  });
});

describe('stats, call status and simulator-wide quotas', () => {
  let sim: Simulator;
  let clock = T0;
  beforeAll(async () => {
    sim = await start({
      accounts: [{ email: 's@x.com' }],
      apiKeys: [
        { key: 'AIzaSy-stats-one', projectId: 'proj-s', quotas: { 'gemini-2.5-flash': { rpm: 2 } } },
        { key: 'AIzaSy-stats-two', projectId: 'proj-s2' },
        { key: 'AIzaSy-stats-three', projectId: 'proj-s3' },
      ],
      now: () => clock,
    });
  });
  afterEach(() => sim.clearFaults());
  afterAll(() => sim.close());
  const gen = (key: string, body: unknown = userText('x'), model = 'gemini-2.5-flash') => apiCall(sim, model, 'generateContent', key, body);
  const control = (method: string, path: string, body?: unknown) =>
    fetch(`${sim.url}/__sim/${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    }).then((r) => json(r));

  it('tells quota 429s from fault 429s and 400s; upstream 429s per 100 requests and served per bucket follow', async () => {
    sim.resetStats();
    sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 5000 }, apiKey: 'AIzaSy-stats-one', times: 1 });
    const statuses: number[] = [];
    statuses.push((await gen('AIzaSy-stats-one')).status); // fault
    statuses.push((await gen('AIzaSy-stats-one', { contents: [] })).status); // 400
    const stream = await apiRaw(sim, 'gemini-2.5-flash', 'streamGenerateContent', 'AIzaSy-stats-one', userText('x'), '?alt=sse');
    await stream.text();
    statuses.push(stream.status);
    for (let i = 0; i < 7; i++) statuses.push((await gen('AIzaSy-stats-one')).status);
    await apiCall(sim, 'gemini-2.5-flash', 'countTokens', 'AIzaSy-stats-one', { contents: userText('x').contents });
    expect(statuses).toEqual([429, 400, 200, 200, 429, 429, 429, 429, 429, 429]);

    const stats = sim.stats();
    expect(stats.buckets).toEqual({
      'key:proj-s': {
        'gemini-2.5-flash': { requests: 10, served: 2, inputTokens: 2, status429: 7, quota429: 6, byWindow: { rpm: 6, rpd: 0, tpm: 0 }, limitZero: 0 },
      },
    });
    expect(stats.total).toEqual(stats.buckets['key:proj-s']!['gemini-2.5-flash']);
    expect((100 * stats.total.status429) / stats.total.requests).toBe(70);
    expect(sim.calls({ project: 'proj-s', status: 429 })).toHaveLength(7);
    expect(sim.calls({ project: 'proj-s', status: 429 }).filter((c) => c.quotaExceeded === undefined)).toHaveLength(1);
    expect(sim.calls({ method: 'countTokens' })[0]!.status).toBe(200);

    const viaControl = await control('GET', 'stats');
    expect(viaControl.body).toEqual(stats);
    expect((await control('GET', 'calls?status=429&project=proj-s')).body.calls).toHaveLength(7);
    sim.resetStats();
    expect(sim.stats()).toEqual({ total: { requests: 0, served: 0, inputTokens: 0, status429: 0, quota429: 0, byWindow: { rpm: 0, rpd: 0, tpm: 0 }, limitZero: 0 }, buckets: {} });
  });

  it('simulator-wide quotas apply to every project and account under their own; setQuotas and resetQuotaUsage change them at run time', async () => {
    clock = T0 + 3_600_000;
    sim.setQuotas({ '*': { rpm: 1 }, 'gemini-2.5-pro': { rpm: 2 } });
    expect((await gen('AIzaSy-stats-two')).status).toBe(200);
    expect((await gen('AIzaSy-stats-two')).status).toBe(429);
    expect((await gen('AIzaSy-stats-three')).status).toBe(200);
    expect((await gen('AIzaSy-stats-three', userText('x'), 'gemini-2.5-pro')).status).toBe(200);
    expect((await gen('AIzaSy-stats-three', userText('x'), 'gemini-2.5-pro')).status).toBe(200);
    expect((await gen('AIzaSy-stats-three', userText('x'), 'gemini-2.5-pro')).status).toBe(429);
    // The project's own limit wins over the default: proj-s allows 2 Flash requests a minute.
    expect((await gen('AIzaSy-stats-one')).status).toBe(200);
    expect((await gen('AIzaSy-stats-one')).status).toBe(200);
    expect((await gen('AIzaSy-stats-one')).status).toBe(429);
    const token = await tokenFor(sim, 's@x.com');
    const ca = () => call(sim, 'generateContent', token, envelope('s@x.com', 'x'));
    expect((await ca()).status).toBe(200);
    expect((await ca()).body.error.details[0].reason).toBe('RATE_LIMIT_EXCEEDED');

    sim.resetQuotaUsage();
    expect((await gen('AIzaSy-stats-two')).status).toBe(200);
    expect((await ca()).status).toBe(200);
    sim.setQuotas({});
    expect((await gen('AIzaSy-stats-two')).status).toBe(200);
  });

  it('control routes set and show quotas on keys, accounts and the simulator, and refuse malformed ones', async () => {
    clock = T0 + 2 * 3_600_000;
    const quotas = { 'gemini-2.5-flash': { rpm: 1, rpd: 100, tpm: 20000 } };
    expect((await control('POST', 'api-keys', { key: 'AIzaSy-ctl', projectId: 'proj-ctl', quotas })).status).toBe(200);
    expect((await control('GET', 'api-keys')).body.apiKeys).toContainEqual({ key: 'AIzaSy-ctl', projectId: 'proj-ctl', quotas });
    expect((await gen('AIzaSy-ctl')).status).toBe(200);
    expect((await gen('AIzaSy-ctl')).body.error.details[0].violations[0]).toMatchObject({ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier', quotaValue: '1' });
    // Another key of the project that leaves quotas out keeps them; one that names them replaces them.
    await control('POST', 'api-keys', { key: 'AIzaSy-ctl-2', projectId: 'proj-ctl' });
    expect((await gen('AIzaSy-ctl-2')).status).toBe(429);
    await control('POST', 'api-keys', { key: 'AIzaSy-ctl-2', projectId: 'proj-ctl', quotas: { 'gemini-2.5-flash': { rpm: 5 } } });
    expect((await gen('AIzaSy-ctl-2')).status).toBe(200);

    for (const bad of [{ 'gemini-2.5-flash': { rpm: -1 } }, { 'gemini-2.5-flash': { rps: 1 } }, { 'gemini-2.5-flash': { tpm: 1.5 } }, { 'gemini-2.5-flash': 3 }]) {
      expect((await control('POST', 'api-keys', { key: 'AIzaSy-bad', projectId: 'p', quotas: bad })).status).toBe(400);
      expect((await control('POST', 'accounts', { email: 'bad@x.com', quotas: bad })).status).toBe(400);
      expect((await control('PUT', 'quotas', bad)).status).toBe(400);
    }
    expect(() => sim.addApiKey({ key: 'AIzaSy-bad', projectId: 'p', quotas: { '*': { rpm: -1 } } })).toThrow(RangeError);
    expect((await gen('AIzaSy-bad')).status).toBe(400);

    expect((await control('POST', 'accounts', { email: 'ctl@x.com', quotas: { '*': { rpm: 1 } } })).status).toBe(200);
    expect((await control('GET', 'accounts')).body.accounts).toContainEqual(expect.objectContaining({ email: 'ctl@x.com', quotas: { '*': { rpm: 1 } } }));
    const token = await tokenFor(sim, 'ctl@x.com');
    expect((await call(sim, 'generateContent', token, envelope('ctl@x.com', 'x'))).status).toBe(200);
    expect((await call(sim, 'generateContent', token, envelope('ctl@x.com', 'x'))).status).toBe(429);

    expect((await control('PUT', 'quotas', { 'models/gemini-2.5-pro': { rpd: 0 } })).body).toEqual({ ok: true, quotas: { 'gemini-2.5-pro': { rpd: 0 } } });
    expect((await control('GET', 'quotas')).body).toEqual({ quotas: { 'gemini-2.5-pro': { rpd: 0 } } });
    expect((await gen('AIzaSy-stats-two', userText('x'), 'gemini-2.5-pro')).body.error.message).toContain('limit: 0, model: gemini-2.5-pro');
    expect((await control('POST', 'reset-quota-usage')).status).toBe(200);
    expect((await call(sim, 'generateContent', token, envelope('ctl@x.com', 'x'))).status).toBe(200);
    await control('PUT', 'quotas', {});
  });
});
