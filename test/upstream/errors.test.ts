import { describe, expect, it } from 'vitest';
import { classifyHttpError, msUntilPacificMidnight, parseGoogleDuration } from '../../src/upstream/errors.js';

const opts = { now: Date.parse('2025-10-20T19:00:00Z'), defaultRateCooldownMs: 60_000 };

describe('parseGoogleDuration', () => {
  it.each([
    ['0.539477544s', 540],
    ['56s', 56_000],
    ['539.477544ms', 540],
    ['13h19m1.20964964s', 13 * 3_600_000 + 19 * 60_000 + 1210],
    ['51820.638305887s', 51_820_639],
  ])('%s → %d ms', (text, ms) => expect(parseGoogleDuration(text)).toBe(ms));
  it('returns undefined for nothing usable', () => expect(parseGoogleDuration('soon')).toBeUndefined());
});

describe('classifyHttpError', () => {
  it('reads RetryInfo from a Code Assist RATE_LIMIT_EXCEEDED 429', () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'You have exhausted your capacity on this model. Your quota will reset after 0s.',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', domain: 'cloudcode-pa.googleapis.com', metadata: { quotaResetDelay: '539.477544ms' } },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.539477544s' },
        ],
      },
    };
    const e = classifyHttpError(429, JSON.stringify(body), opts);
    expect([e.scope, e.kind, e.retryAfterMs]).toEqual(['model', 'rate', 540]);
  });

  it('uses quotaResetTimeStamp for QUOTA_EXHAUSTED', () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'quota',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'QUOTA_EXHAUSTED', metadata: { quotaResetTimeStamp: '2025-10-20T21:00:00Z' } }],
      },
    };
    const e = classifyHttpError(429, JSON.stringify(body), opts);
    expect([e.kind, e.retryAfterMs]).toEqual(['quota', 2 * 3_600_000]);
  });

  it('reads "Please retry in" from a Gemini API per-minute 429 and a PerDay quotaId as quota', () => {
    const perMinute = { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'You exceeded your current quota.\nPlease retry in 56.185908122s.' } };
    expect(classifyHttpError(429, JSON.stringify(perMinute), opts).retryAfterMs).toBe(56_186);
    const perDay = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'x',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '65205s' },
        ],
      },
    };
    expect(classifyHttpError(429, JSON.stringify(perDay), opts)).toMatchObject({ kind: 'quota', retryAfterMs: 65_205_000 });
  });

  it('takes the later of RetryInfo (whole seconds, rounded down) and the message\'s "retry in"', () => {
    const body = (retryDelay: string, message: string) =>
      JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message, details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }] } });
    // As Google writes them: "56s" beside 56.185908122 s; under a second, "0s" beside the real delay.
    expect(classifyHttpError(429, body('56s', 'You exceeded your current quota.\nPlease retry in 56.185908122s.'), opts).retryAfterMs).toBe(56_186);
    expect(classifyHttpError(429, body('0s', 'You exceeded your current quota.\nPlease retry in 0.612s.'), opts).retryAfterMs).toBe(612);
    expect(classifyHttpError(429, body('30s', 'Resource exhausted.'), opts).retryAfterMs).toBe(30_000);
  });

  it('reads every unit of a duration in the message ("13h19m1s", "1m30.5s")', () => {
    const msg = (message: string) => JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message } });
    expect(classifyHttpError(429, msg('Quota exceeded. Please retry in 1m30.5s.'), opts).retryAfterMs).toBe(90_500);
    const reset = { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Your quota will reset after 13h19m1s.', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'QUOTA_EXHAUSTED' }] } };
    expect(classifyHttpError(429, JSON.stringify(reset), opts).retryAfterMs).toBe((13 * 3600 + 19 * 60 + 1) * 1000);
  });

  it('keeps a per-day quota out until midnight Pacific when Google names no reset, whatever a short RetryInfo says', () => {
    // opts.now is 2025-10-20 12:00 PDT: midnight is 12 hours away.
    const perDay = (details: unknown[]) => JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'x', details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }] }, ...details] } });
    expect(classifyHttpError(429, perDay([]), opts)).toMatchObject({ kind: 'quota', retryAfterMs: 12 * 3_600_000 });
    expect(classifyHttpError(429, perDay([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '20s' }]), opts).retryAfterMs).toBe(12 * 3_600_000);
    expect(msUntilPacificMidnight(Date.parse('2025-12-01T20:00:00.250Z'))).toBe(12 * 3_600_000 - 250); // 12:00:00.25 PST
  });

  it('treats limit: 0 as a day-long exclusion and capacity as model-scoped', () => {
    const zero = { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded for metric: x, limit: 0' } };
    expect(classifyHttpError(429, JSON.stringify(zero), opts)).toMatchObject({ kind: 'quota', retryAfterMs: 86_400_000 });
    const cap = { error: { code: 503, status: 'UNAVAILABLE', message: 'No capacity', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'MODEL_CAPACITY_EXHAUSTED' }] } };
    expect(classifyHttpError(503, JSON.stringify(cap), opts)).toMatchObject({ scope: 'model', kind: 'capacity' });
  });

  it('unwraps an array-wrapped status and keeps client errors request-scoped', () => {
    const e = classifyHttpError(400, JSON.stringify([{ error: { code: 400, status: 'INVALID_ARGUMENT', message: 'bad field' } }]), opts);
    expect([e.scope, e.kind, e.message, e.rpcStatus?.status]).toEqual(['request', 'invalid', 'bad field', 'INVALID_ARGUMENT']);
    expect(classifyHttpError(404, '{}', opts).scope).toBe('request');
  });

  it('classifies auth, permission and server faults as credential-scoped', () => {
    expect(classifyHttpError(401, '', opts)).toMatchObject({ scope: 'credential', kind: 'auth', fatal: false });
    const tos = { error: { code: 403, status: 'PERMISSION_DENIED', message: 'This service has been disabled in this account for violation of Terms of Service.' } };
    expect(classifyHttpError(403, JSON.stringify(tos), opts)).toMatchObject({ kind: 'permission', fatal: true });
    expect(classifyHttpError(500, 'oops', opts)).toMatchObject({ scope: 'credential', kind: 'transient' });
    const badKey = { error: { code: 400, message: 'API key not valid.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }] } };
    expect(classifyHttpError(400, JSON.stringify(badKey), opts)).toMatchObject({ scope: 'credential', fatal: true });
  });
});

describe('quotaViolations', () => {
  it('reads each window and its limit from a QuotaFailure, and a limit of 0 from the message (proto3 drops zeros)', async () => {
    const { quotaViolations } = await import('../../src/upstream/errors.js');
    const metric = 'generativelanguage.googleapis.com/generate_content_free_tier_requests';
    const tokens = 'generativelanguage.googleapis.com/generate_content_free_tier_input_token_count';
    const rpc = {
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      message: `You exceeded your current quota.\n* Quota exceeded for metric: ${tokens}, limit: 0, model: gemini-2.5-pro\n* Quota exceeded for metric: ${metric}, limit: 0, model: gemini-2.5-pro\nPlease retry in 3s.`,
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            { quotaMetric: tokens, quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier' },
            { quotaMetric: metric, quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' },
            { quotaMetric: metric, quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', quotaValue: '250' },
          ],
        },
      ],
    };
    expect(quotaViolations(rpc)).toEqual([
      { window: 'tpm', limit: 0, quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier' },
      { window: 'rpm', limit: 0, quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' },
      { window: 'rpd', limit: 250, quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' },
    ]);
  });
});
