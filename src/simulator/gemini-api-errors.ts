/**
 * Error bodies of the public Gemini API (generativelanguage.googleapis.com;
 * docs/google-protocols.md#gemini-api-429s and docs/google-protocols.md#authentication-and-permission-errors):
 * the API-key errors, the free-tier 429s (QuotaFailure + Help + RetryInfo, "Please retry in Ns."), NOT_FOUND
 * for models, and 503 overloaded. These differ from Code Assist's (rpc-errors.ts), which clients must tell
 * apart.
 */
import type { TerminalFault } from './faults.js';
import type { QuotaLimits, QuotaWindow } from './quota.js';
import { formatGoDuration, rpcError, type RpcDetail, type RpcError } from './rpc-errors.js';

const TYPE = 'type.googleapis.com/google.rpc.';
const SERVICE = 'generativelanguage.googleapis.com';
const RATE_LIMITS_URL = 'https://ai.google.dev/gemini-api/docs/rate-limits';

/** 400 for an unknown or deleted key, as docs/google-protocols.md#authentication-and-permission-errors records it. */
export function apiKeyInvalid(): RpcError {
  const message = 'API key not valid. Please pass a valid API key.';
  return rpcError(400, message, [
    { '@type': `${TYPE}ErrorInfo`, reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: SERVICE } },
    { '@type': `${TYPE}LocalizedMessage`, locale: 'en-US', message },
  ]);
}

/** The RPC names Google's front end puts in ErrorInfo.metadata.method, per /v1beta method. */
const RPC_METHODS: Record<string, string> = {
  generateContent: 'GenerativeService.GenerateContent',
  streamGenerateContent: 'GenerativeService.StreamGenerateContent',
  countTokens: 'GenerativeService.CountTokens',
  embedContent: 'GenerativeService.EmbedContent',
  batchEmbedContents: 'GenerativeService.BatchEmbedContents',
  listModels: 'ModelService.ListModels',
  getModel: 'ModelService.GetModel',
};

/**
 * 401 for a standard key Google stopped accepting (September 2026): the front end no longer takes the key as a
 * credential at all, so it answers as for an unusable token, naming the RPC that was called.
 */
export function accessTokenTypeUnsupported(method: string): RpcError {
  const message =
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';
  const rpc = RPC_METHODS[method];
  const metadata: Record<string, string> = { service: SERVICE, ...(rpc ? { method: `google.ai.generativelanguage.v1beta.${rpc}` } : {}) };
  const err = rpcError(401, message, [{ '@type': `${TYPE}ErrorInfo`, reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED', domain: 'googleapis.com', metadata }]);
  err.headers = { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' };
  return err;
}

/** No key at all: Google's front end does not know who is calling (403, not 400). */
export function unregisteredCaller(): RpcError {
  return rpcError(
    403,
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  );
}

/** generateContent / embedContent on a model that does not exist or does not serve that method. */
export function modelNotSupported(model: string, method: string): RpcError {
  return rpcError(
    404,
    `models/${model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
  );
}

/** GET /v1beta/models/{m} for an unknown model. */
export function modelNotFound(model: string): RpcError {
  return rpcError(404, `Model is not found: models/${model} for api version v1beta`);
}

export type QuotaKind = 'generate' | 'embed';

/** A quota a request overran, as the 429 names it. */
export interface QuotaRefusal {
  window: QuotaWindow;
  limit: number;
}

/**
 * Metric and quota id per window. The generate ones are in docs/google-protocols.md#gemini-api-429s (the token
 * one from 429s quoted in public issues, e.g. glidea/one-balance #22); every embed one is UNCONFIRMED.
 */
function quotaNames(kind: QuotaKind, window: QuotaWindow): { metric: string; quotaId: string } {
  const period = window === 'rpd' ? 'Day' : 'Minute';
  if (kind === 'generate') {
    return window === 'tpm'
      ? { metric: `${SERVICE}/generate_content_free_tier_input_token_count`, quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier' }
      : { metric: `${SERVICE}/generate_content_free_tier_requests`, quotaId: `GenerateRequestsPer${period}PerProjectPerModel-FreeTier` };
  }
  return window === 'tpm'
    ? { metric: `${SERVICE}/embed_content_free_tier_input_token_count`, quotaId: 'EmbedContentInputTokensPerModelPerMinute-FreeTier' }
    : { metric: `${SERVICE}/embed_content_free_tier_requests`, quotaId: `EmbedContentRequestsPer${period}PerProjectPerModel-FreeTier` };
}

/**
 * The free-tier 429: one message line and one QuotaFailure violation per quota overrun (in the order given), Help,
 * and RetryInfo in whole seconds ("Please retry in 56.185908122s." next to retryDelay "56s" in captured bodies).
 * A limit of 0 leaves quotaValue out: proto3 JSON omits a zero int64, and Google's `limit: 0` bodies have none.
 */
export function quotaExceeded(model: string, refusals: readonly QuotaRefusal[], delayMs: number, kind: QuotaKind = 'generate'): RpcError {
  const named = refusals.map((r) => ({ ...quotaNames(kind, r.window), limit: r.limit }));
  const message =
    `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: ${RATE_LIMITS_URL}.\n` +
    named.map((n) => `* Quota exceeded for metric: ${n.metric}, limit: ${n.limit}, model: ${model}\n`).join('') +
    `Please retry in ${formatGoDuration(delayMs)}.`;
  const details: RpcDetail[] = [
    {
      '@type': `${TYPE}QuotaFailure`,
      violations: named.map((n) => ({
        quotaMetric: n.metric,
        quotaId: n.quotaId,
        quotaDimensions: { location: 'global', model },
        ...(n.limit !== 0 ? { quotaValue: String(n.limit) } : {}),
      })),
    },
    { '@type': `${TYPE}Help`, links: [{ description: 'Learn more about Gemini API quotas', url: RATE_LIMITS_URL }] },
    { '@type': `${TYPE}RetryInfo`, retryDelay: `${Math.floor(Math.max(0, delayMs) / 1000)}s` },
  ];
  return rpcError(429, message, details);
}

/** Per-minute free-tier 429: retry after RetryInfo. */
export function perMinuteExceeded(model: string, limit: number, delayMs: number, kind: QuotaKind = 'generate'): RpcError {
  return quotaExceeded(model, [{ window: 'rpm', limit }], delayMs, kind);
}

/** Per-day free-tier 429: RetryInfo runs until the next midnight Pacific. */
export function perDayExceeded(model: string, limit: number, resetInMs: number, kind: QuotaKind = 'generate'): RpcError {
  return quotaExceeded(model, [{ window: 'rpd', limit }], resetInMs, kind);
}

export function overloaded(status: 429 | 503): RpcError {
  return status === 503
    ? rpcError(503, 'The model is overloaded. Please try again later.')
    : rpcError(429, 'Resource has been exhausted (e.g. check quota).');
}

/** What an injected fault looks like on the Gemini API; `undefined` leaves it to the shared handling. */
export function geminiFaultError(fault: TerminalFault, model: string, method: string, limits: QuotaLimits): RpcError | undefined {
  const kind: QuotaKind = method === 'embedContent' || method === 'batchEmbedContents' ? 'embed' : 'generate';
  switch (fault.type) {
    case 'rate-limit':
      return perMinuteExceeded(model, limits.rpm ?? 10, fault.retryDelayMs ?? 1000, kind);
    case 'quota-exhausted':
      return perDayExceeded(model, limits.rpd ?? 250, fault.resetInMs ?? 6 * 60 * 60 * 1000, kind);
    case 'capacity':
      return overloaded(fault.status ?? 503);
    case 'unauthenticated':
      return apiKeyInvalid();
    default:
      return undefined;
  }
}
