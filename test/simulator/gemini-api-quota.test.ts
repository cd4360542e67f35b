/**
 * Gemini API quotas (per project and model, the bodies of docs/google-protocols.md#gemini-api-429s, midnight
 * Pacific) and faults matched by key / project.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { nextPacificMidnight } from '../../src/simulator/pacific-time.js';
import { apiCall, apiRaw, call, envelope, start, tokenFor, userText } from './helpers.js';

const K1 = 'AIzaSy-quota-key-one';
const K2 = 'AIzaSy-quota-key-two';
const K3 = 'AIzaSy-quota-key-three';
const RATE_URL = 'https://ai.google.dev/gemini-api/docs/rate-limits';

describe('midnight Pacific', () => {
  it('is 08:00 UTC in winter and 07:00 UTC in summer, across both switches', () => {
    expect(nextPacificMidnight(Date.UTC(2026, 0, 15, 10))).toBe(Date.UTC(2026, 0, 16, 8));
    expect(nextPacificMidnight(Date.UTC(2026, 0, 16, 8))).toBe(Date.UTC(2026, 0, 17, 8));
    expect(nextPacificMidnight(Date.UTC(2026, 6, 15, 10))).toBe(Date.UTC(2026, 6, 16, 7));
    // 2026-03-08 01:00 PST: the next midnight is already in daylight time.
    expect(nextPacificMidnight(Date.UTC(2026, 2, 8, 9))).toBe(Date.UTC(2026, 2, 9, 7));
    // 2026-10-31 23:00 PDT, then 2026-11-01 01:00 PDT (standard time from 02:00).
    expect(nextPacificMidnight(Date.UTC(2026, 10, 1, 6))).toBe(Date.UTC(2026, 10, 1, 7));
    expect(nextPacificMidnight(Date.UTC(2026, 10, 1, 8))).toBe(Date.UTC(2026, 10, 2, 8));
  });
});

describe('quotas per project and model', () => {
  let sim: Simulator;
  let clock = Date.UTC(2026, 0, 15, 10, 0, 0);
  beforeAll(async () => {
    sim = await start({
      apiKeys: [
        { key: K1, projectId: 'proj-q', rpm: 2 },
        { key: K2, projectId: 'proj-q' },
        { key: K3, projectId: 'proj-r', rpd: 1 },
      ],
      now: () => clock,
    });
  });
  afterAll(() => sim.close());
  const gen = (key: string, model = 'gemini-2.5-flash') => apiCall(sim, model, 'generateContent', key, userText('x'));

  it('two keys of one project share the per-minute bucket; the 429 is the documented per-minute body', async () => {
    expect((await gen(K1)).status).toBe(200);
    clock += 20_000;
    expect((await gen(K2)).status).toBe(200);
    const limited = await gen(K1);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      error: {
        code: 429,
        message: `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: ${RATE_URL}.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 2, model: gemini-2.5-flash\nPlease retry in 40s.`,
        status: 'RESOURCE_EXHAUSTED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              {
                quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
                quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' },
                quotaValue: '2',
              },
            ],
          },
          { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: RATE_URL }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '40s' },
        ],
      },
    });
    expect((await gen(K2)).status).toBe(429);
    // Another model of the project, and another project, are untouched.
    expect((await gen(K2, 'gemini-2.5-pro')).status).toBe(200);
    expect((await gen(K3)).status).toBe(200);
    clock += 39_500.25;
    const late = await gen(K1);
    expect(late.body.error.message).toMatch(/Please retry in 499\.75ms\.$/);
    expect(late.body.error.details[2].retryDelay).toBe('0s');
    clock += 500;
    expect((await gen(K1)).status).toBe(200);
  });

  it('the per-day 429 says PerDay and waits until midnight Pacific', async () => {
    clock = Date.UTC(2026, 6, 15, 10, 0, 0);
    expect((await gen(K3, 'gemini-2.5-pro')).status).toBe(200);
    const spent = await gen(K3, 'gemini-2.5-pro');
    expect(spent.status).toBe(429);
    expect(spent.body.error.message).toContain('limit: 1, model: gemini-2.5-pro\nPlease retry in 21h0m0s.');
    expect(spent.body.error.details[0].violations[0]).toMatchObject({ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', quotaValue: '1' });
    expect(spent.body.error.details[2]).toEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '75600s' });
    clock = Date.UTC(2026, 6, 16, 6, 59, 59);
    expect((await gen(K3, 'gemini-2.5-pro')).status).toBe(429);
    clock = Date.UTC(2026, 6, 16, 7, 0, 0);
    expect((await gen(K3, 'gemini-2.5-pro')).status).toBe(200);
  });

  it('refused and countTokens requests use no quota; embeddings are booked under their own model', async () => {
    clock = Date.UTC(2026, 1, 1, 12, 0, 0);
    sim.addApiKey({ key: 'AIzaSy-one-a-day', projectId: 'proj-d', rpd: 1 });
    const key = 'AIzaSy-one-a-day';
    expect((await apiCall(sim, 'gemini-2.5-flash', 'generateContent', key, { contents: [] })).status).toBe(400);
    expect((await apiCall(sim, 'gemini-2.5-flash', 'countTokens', key, { contents: userText('x').contents })).status).toBe(200);
    expect((await apiCall(sim, 'gemini-embedding-001', 'embedContent', key, { content: { parts: [{ text: 'a' }] } })).status).toBe(200);
    expect((await apiCall(sim, 'gemini-2.5-flash', 'generateContent', key, userText('x'))).status).toBe(200);
    const embed = await apiCall(sim, 'gemini-embedding-001', 'embedContent', key, { content: { parts: [{ text: 'b' }] } });
    expect(embed.status).toBe(429);
    expect(embed.body.error.details[0].violations[0].quotaId).toMatch(/^EmbedContentRequestsPerDay/);
  });
});

describe('faults on the Gemini API', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await start({
      accounts: [{ email: 'ca@x.com', projectId: 'proj-shared' }],
      apiKeys: [
        { key: K1, projectId: 'proj-shared', rpm: 7 },
        { key: K2, projectId: 'proj-shared' },
        { key: K3, projectId: 'proj-other' },
      ],
      streamEvents: 4,
    });
  });
  afterEach(() => sim.clearFaults());
  afterAll(() => sim.close());
  const gen = (key: string) => apiCall(sim, 'gemini-2.5-flash', 'generateContent', key, userText('x'));

  it('apiKey matches one key; project matches every key of the project and Code Assist calls naming it', async () => {
    sim.injectFault({ fault: { type: 'status', status: 500 }, apiKey: K2 });
    expect((await gen(K1)).status).toBe(200);
    expect((await gen(K2)).status).toBe(500);
    sim.clearFaults();
    sim.injectFault({ fault: { type: 'status', status: 503 }, project: 'proj-shared' });
    expect((await gen(K1)).status).toBe(503);
    expect((await gen(K2)).status).toBe(503);
    expect((await gen(K3)).status).toBe(200);
    const token = await tokenFor(sim, 'ca@x.com');
    expect((await call(sim, 'generateContent', token, { ...envelope('ca@x.com', 'x'), project: 'proj-shared' })).status).toBe(503);
  });

  it('rate-limit, quota-exhausted, capacity and unauthenticated answer in the Gemini API shapes', async () => {
    sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 12_500 }, apiKey: K1, times: 1 });
    const rate = await gen(K1);
    expect(rate.status).toBe(429);
    expect(rate.body.error.message).toMatch(/limit: 7, model: gemini-2\.5-flash\nPlease retry in 12\.5s\.$/);
    expect(rate.body.error.details.map((d: { '@type': string }) => d['@type'].split('.').at(-1))).toEqual(['QuotaFailure', 'Help', 'RetryInfo']);
    expect(rate.body.error.details[2].retryDelay).toBe('12s');

    sim.injectFault({ fault: { type: 'quota-exhausted', resetInMs: 3_600_000 }, apiKey: K1, times: 1 });
    const daily = await gen(K1);
    expect(daily.body.error.details[0].violations[0].quotaId).toBe('GenerateRequestsPerDayPerProjectPerModel-FreeTier');
    expect(daily.body.error.details[2].retryDelay).toBe('3600s');

    sim.injectFault({ fault: { type: 'capacity' }, times: 1 });
    sim.injectFault({ fault: { type: 'capacity', status: 429 }, times: 1 });
    expect(await gen(K1)).toMatchObject({ status: 503, body: { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } } });
    expect((await gen(K1)).body.error.status).toBe('RESOURCE_EXHAUSTED');

    sim.injectFault({ fault: { type: 'unauthenticated' }, times: 1 });
    const unauth = await gen(K1);
    expect(unauth.status).toBe(400);
    expect(unauth.body.error.details[0].reason).toBe('API_KEY_INVALID');
  });

  it('method rules reach embeddings and model listing; cut-stream cuts a Gemini API stream', async () => {
    sim.injectFault({ fault: { type: 'status', status: 500 }, method: 'batchEmbedContents', times: 1 });
    const batch = { requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] } }] };
    expect((await apiCall(sim, 'gemini-embedding-001', 'batchEmbedContents', K1, batch)).status).toBe(500);
    expect((await apiCall(sim, 'gemini-embedding-001', 'batchEmbedContents', K1, batch)).status).toBe(200);
    sim.injectFault({ fault: { type: 'status', status: 503 }, method: 'listModels', times: 1 });
    expect((await fetch(`${sim.url}/v1beta/models?key=${K1}`)).status).toBe(503);

    sim.injectFault({ fault: { type: 'cut-stream', afterEvents: 2 }, apiKey: K1, times: 1 });
    const res = await apiRaw(sim, 'gemini-2.5-flash', 'streamGenerateContent', K1, userText('a longer streamed reply'), '?alt=sse');
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });
});
