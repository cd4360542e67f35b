/**
 * Per-model quotas on the Gemini API (per project) over real HTTP, on an injected clock: requests per minute and
 * per day, input tokens per minute, `limit: 0`, and the simulator-wide defaults. Each 429 is read the way a client
 * such as Rotor reads it: QuotaFailure quotaId / quotaMetric / quotaValue, RetryInfo, "limit: N" in the message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { apiCall, start, userText } from './helpers.js';

const RATE_URL = 'https://ai.google.dev/gemini-api/docs/rate-limits';
const SERVICE = 'generativelanguage.googleapis.com';
const LEAD = `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: ${RATE_URL}.\n`;
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0); // 02:00 PST: midnight Pacific is 22 h away

interface Violation {
  quotaId: string;
  metric: string;
  model: string;
  /** quotaValue as a number; undefined when Google leaves it out. */
  value: number | undefined;
}

/** A Gemini API 429 as a client reads it. */
function read429(body: any): { violations: Violation[]; retryDelaySec: number; limits: number[]; retryIn: string } {
  const error = body.error;
  expect(error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
  const types = error.details.map((d: { '@type': string }) => d['@type']);
  expect(types).toEqual(['type.googleapis.com/google.rpc.QuotaFailure', 'type.googleapis.com/google.rpc.Help', 'type.googleapis.com/google.rpc.RetryInfo']);
  const violations = error.details[0].violations.map((v: any) => ({
    quotaId: v.quotaId,
    metric: v.quotaMetric,
    model: v.quotaDimensions.model,
    value: v.quotaValue === undefined ? undefined : Number(v.quotaValue),
  }));
  const retry = /^(\d+)s$/.exec(error.details[2].retryDelay);
  expect(retry).not.toBeNull();
  return {
    violations,
    retryDelaySec: Number(retry![1]),
    limits: [...(error.message as string).matchAll(/limit: (\d+), model: /g)].map((m) => Number(m[1])),
    retryIn: /Please retry in (\S+)\.$/.exec(error.message)?.[1] ?? '',
  };
}

const perMinute = (model: string, value: number | undefined): Violation => ({
  quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
  metric: `${SERVICE}/generate_content_free_tier_requests`,
  model,
  value,
});
const perDay = (model: string, value: number | undefined): Violation => ({ ...perMinute(model, value), quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' });
const tokensPerMinute = (model: string, value: number | undefined): Violation => ({
  quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
  metric: `${SERVICE}/generate_content_free_tier_input_token_count`,
  model,
  value,
});

describe('Gemini API quotas per project and model', () => {
  let sim: Simulator;
  let clock = T0;
  beforeAll(async () => {
    sim = await start({
      apiKeys: [
        { key: 'AIzaSy-a-one', projectId: 'proj-a', quotas: { 'gemini-2.5-flash': { rpm: 3 }, 'models/gemini-2.5-pro': { rpm: 1, rpd: 2 } } },
        { key: 'AIzaSy-a-two', projectId: 'proj-a' },
        { key: 'AIzaSy-b-one', projectId: 'proj-b' },
        { key: 'AIzaSy-m-one', projectId: 'proj-m', quotas: { 'gemini-2.5-flash': { rpm: 1, rpd: 1 } } },
        { key: 'AIzaSy-t-one', projectId: 'proj-t', quotas: { 'gemini-2.5-flash': { tpm: 300 } } },
        { key: 'AIzaSy-z-one', projectId: 'proj-z', quotas: { 'gemini-2.5-pro': { rpm: 0, rpd: 0, tpm: 0 }, 'gemini-2.5-flash-lite': { rpd: 0 } } },
      ],
      // Every project, every model: 5 a day unless the project says otherwise.
      quotas: { '*': { rpd: 5 } },
      now: () => clock,
    });
  });
  afterAll(() => sim.close());
  const gen = (key: string, model = 'gemini-2.5-flash', body: unknown = userText('x')) => apiCall(sim, model, 'generateContent', key, body);

  it('requests per minute: the 4th of 3 is refused with the exact body, keys of one project share it, delays shrink as the window slides', async () => {
    expect((await gen('AIzaSy-a-one')).status).toBe(200);
    clock = T0 + 10_000;
    expect((await gen('AIzaSy-a-two')).status).toBe(200);
    clock = T0 + 20_000;
    expect((await gen('AIzaSy-a-one')).status).toBe(200);
    clock = T0 + 30_000;
    const full = await gen('AIzaSy-a-two');
    expect(full.status).toBe(429);
    expect(full.body).toEqual({
      error: {
        code: 429,
        message: `${LEAD}* Quota exceeded for metric: ${SERVICE}/generate_content_free_tier_requests, limit: 3, model: gemini-2.5-flash\nPlease retry in 30s.`,
        status: 'RESOURCE_EXHAUSTED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              {
                quotaMetric: `${SERVICE}/generate_content_free_tier_requests`,
                quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
                quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' },
                quotaValue: '3',
              },
            ],
          },
          { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: RATE_URL }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' },
        ],
      },
    });
    expect(read429(full.body)).toEqual({ violations: [perMinute('gemini-2.5-flash', 3)], retryDelaySec: 30, limits: [3], retryIn: '30s' });

    // Refused requests are not booked: the delay runs down from the oldest served request.
    clock = T0 + 45_000;
    expect(read429((await gen('AIzaSy-a-one')).body)).toMatchObject({ retryDelaySec: 15, retryIn: '15s' });
    clock = T0 + 59_500;
    expect(read429((await gen('AIzaSy-a-two')).body)).toMatchObject({ retryDelaySec: 0, retryIn: '500ms' });
    clock = T0 + 60_000;
    expect((await gen('AIzaSy-a-one')).status).toBe(200);
    expect(read429((await gen('AIzaSy-a-one')).body)).toMatchObject({ retryDelaySec: 10, retryIn: '10s' });

    // Another project has no per-minute limit on this model (only the simulator-wide 5 a day).
    for (let i = 0; i < 5; i++) expect((await gen('AIzaSy-b-one')).status).toBe(200);
    expect(read429((await gen('AIzaSy-b-one')).body).violations).toEqual([perDay('gemini-2.5-flash', 5)]);
  });

  it('limits are per model: Pro has its own minute and day, Flash-Lite falls back on the simulator-wide default', async () => {
    const t1 = T0 + 4 * 60_000;
    clock = t1;
    expect((await gen('AIzaSy-a-two', 'gemini-2.5-pro')).status).toBe(200);
    expect(read429((await gen('AIzaSy-a-one', 'gemini-2.5-pro')).body)).toEqual({
      violations: [perMinute('gemini-2.5-pro', 1)],
      retryDelaySec: 60,
      limits: [1],
      retryIn: '1m0s',
    });
    clock = t1 + 60_000;
    expect((await gen('AIzaSy-a-one', 'gemini-2.5-pro')).status).toBe(200);
    clock = t1 + 120_000;
    // 10:06 UTC = 02:06 PST: the day ends in 21 h 54 min.
    expect(read429((await gen('AIzaSy-a-one', 'gemini-2.5-pro')).body)).toEqual({
      violations: [perDay('gemini-2.5-pro', 2)],
      retryDelaySec: 78_840,
      limits: [2],
      retryIn: '21h54m0s',
    });
    for (let i = 0; i < 5; i++) expect((await gen('AIzaSy-a-two', 'gemini-2.5-flash-lite')).status).toBe(200);
    expect(read429((await gen('AIzaSy-a-one', 'gemini-2.5-flash-lite')).body).violations).toEqual([perDay('gemini-2.5-flash-lite', 5)]);
    // Midnight Pacific (08:00 UTC in January) gives the day back.
    clock = Date.UTC(2026, 0, 16, 8, 0, 0);
    expect((await gen('AIzaSy-a-one', 'gemini-2.5-pro')).status).toBe(200);
  });

  it('a request over several quotas names each, and RetryInfo is the per-minute one', async () => {
    clock = T0;
    expect((await gen('AIzaSy-m-one')).status).toBe(200);
    clock = T0 + 15_000;
    const both = await gen('AIzaSy-m-one');
    expect(both.body.error.message).toBe(
      `${LEAD}* Quota exceeded for metric: ${SERVICE}/generate_content_free_tier_requests, limit: 1, model: gemini-2.5-flash\n` +
        `* Quota exceeded for metric: ${SERVICE}/generate_content_free_tier_requests, limit: 1, model: gemini-2.5-flash\nPlease retry in 45s.`,
    );
    expect(read429(both.body)).toMatchObject({ violations: [perMinute('gemini-2.5-flash', 1), perDay('gemini-2.5-flash', 1)], retryDelaySec: 45 });
    expect(sim.calls({ project: 'proj-m', status: 429 }).map((c) => c.quotaExceeded)).toEqual([['rpm', 'rpd']]);
  });

  it('input tokens per minute: counted as countTokens counts them, refused past the limit, freed as the window slides', async () => {
    const t2 = T0 + 30 * 60_000;
    clock = t2;
    const key = 'AIzaSy-t-one';
    // 40 characters (10 tokens) and an image (258).
    const withImage = { contents: [{ role: 'user', parts: [{ text: 'a'.repeat(40) }, { inlineData: { mimeType: 'image/png', data: PNG } }] }] };
    expect((await apiCall(sim, 'gemini-2.5-flash', 'countTokens', key, withImage)).body.totalTokens).toBe(268);
    const a = await gen(key, 'gemini-2.5-flash', withImage);
    expect(a.status).toBe(200);
    expect(a.body.usageMetadata.promptTokenCount).toBe(268);
    expect(sim.calls({ project: 'proj-t', method: 'generateContent' }).at(-1)).toMatchObject({ status: 200, inputTokens: 268 });

    clock = t2 + 5_000;
    const b = await gen(key, 'gemini-2.5-flash', userText('b'.repeat(160))); // 40 tokens: 308 > 300
    expect(b.status).toBe(429);
    expect(b.body.error.message).toBe(
      `${LEAD}* Quota exceeded for metric: ${SERVICE}/generate_content_free_tier_input_token_count, limit: 300, model: gemini-2.5-flash\nPlease retry in 55s.`,
    );
    expect(read429(b.body)).toEqual({ violations: [tokensPerMinute('gemini-2.5-flash', 300)], retryDelaySec: 55, limits: [300], retryIn: '55s' });

    // The system instruction counts too: 2 + 30 tokens fill the window exactly.
    const c = await gen(key, 'gemini-2.5-flash', userText('c'.repeat(120), { systemInstruction: { parts: [{ text: 'sys.' + 'c'.repeat(4) }] } }));
    expect(c.status).toBe(200);
    expect(c.body.usageMetadata.promptTokenCount).toBe(32);
    clock = t2 + 10_000;
    expect(read429((await gen(key, 'gemini-2.5-flash', userText('d'))).body)).toMatchObject({ retryDelaySec: 50, limits: [300] });

    // The image's request slides out a window after it was served.
    clock = t2 + 60_000;
    expect((await gen(key, 'gemini-2.5-flash', userText('b'.repeat(160)))).status).toBe(200);
    // A prompt larger than the whole limit never fits.
    const huge = await gen(key, 'gemini-2.5-flash', userText('z'.repeat(1204)));
    expect(read429(huge.body).violations).toEqual([tokensPerMinute('gemini-2.5-flash', 300)]);
    // Other models of the project have no token limit.
    expect((await gen(key, 'gemini-2.5-pro', userText('z'.repeat(1204)))).status).toBe(200);
  });

  it('limit: 0 refuses every request of the model, naming each quota at 0 without a quotaValue, retry at the next minute', async () => {
    clock = T0 + 37_350;
    for (let i = 0; i < 2; i++) {
      const none = await gen('AIzaSy-z-one', 'gemini-2.5-pro');
      expect(none.status).toBe(429);
      const metricLine = (metric: string) => `* Quota exceeded for metric: ${SERVICE}/${metric}, limit: 0, model: gemini-2.5-pro\n`;
      expect(none.body.error.message).toBe(
        LEAD +
          metricLine('generate_content_free_tier_input_token_count') +
          metricLine('generate_content_free_tier_requests') +
          metricLine('generate_content_free_tier_requests') +
          'Please retry in 22.65s.',
      );
      // proto3 JSON leaves a zero int64 out, as Google's limit: 0 bodies show.
      expect(none.body.error.details[0].violations[0]).toEqual({
        quotaMetric: `${SERVICE}/generate_content_free_tier_input_token_count`,
        quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
        quotaDimensions: { location: 'global', model: 'gemini-2.5-pro' },
      });
      expect(read429(none.body)).toEqual({
        violations: [tokensPerMinute('gemini-2.5-pro', undefined), perMinute('gemini-2.5-pro', undefined), perDay('gemini-2.5-pro', undefined)],
        retryDelaySec: 22,
        limits: [0, 0, 0],
        retryIn: '22.65s',
      });
    }
    // Only the per-day quota at 0: retry at midnight Pacific.
    expect(read429((await gen('AIzaSy-z-one', 'gemini-2.5-flash-lite')).body)).toMatchObject({
      violations: [perDay('gemini-2.5-flash-lite', undefined)],
      limits: [0],
      retryIn: '21h59m22.65s',
    });
    // A model the project has quota for is served.
    expect((await gen('AIzaSy-z-one', 'gemini-2.5-flash')).status).toBe(200);
    expect(sim.stats().buckets['key:proj-z']).toMatchObject({
      'gemini-2.5-pro': { requests: 2, served: 0, status429: 2, quota429: 2, limitZero: 2, byWindow: { rpm: 2, rpd: 2, tpm: 2 } },
      'gemini-2.5-flash': { requests: 1, served: 1, status429: 0 },
    });
  });

  it('streams and embeddings draw on the same quotas (embeddings under their own model and ids)', async () => {
    clock = T0 + 2 * 3_600_000;
    sim.addApiKey({ key: 'AIzaSy-s-one', projectId: 'proj-s', quotas: { '*': { rpm: 1, tpm: 4 } } });
    const stream = await apiCall(sim, 'gemini-2.5-flash', 'streamGenerateContent', 'AIzaSy-s-one', userText('abcd'));
    expect(stream.status).toBe(200);
    expect(read429((await gen('AIzaSy-s-one')).body).violations).toEqual([perMinute('gemini-2.5-flash', 1)]);
    const embed = (text: string) => apiCall(sim, 'gemini-embedding-001', 'embedContent', 'AIzaSy-s-one', { content: { parts: [{ text }] } });
    const big = await embed('x'.repeat(20)); // 5 tokens > 4
    expect(big.body.error.details[0].violations.map((v: { quotaId: string }) => v.quotaId)).toEqual(['EmbedContentInputTokensPerModelPerMinute-FreeTier']);
    expect((await embed('x'.repeat(16))).status).toBe(200);
    expect(sim.calls({ project: 'proj-s', method: 'embedContent' }).map((c) => [c.status, c.inputTokens, c.quotaExceeded])).toEqual([
      [429, undefined, ['tpm']],
      [200, 4, undefined],
    ]);
  });
});
