/**
 * google.rpc.Status error bodies as Google's JSON APIs send them
 * (docs/google-protocols.md#google-error-bodies), plus the duration spellings they use: protobuf Duration
 * ("0.539477544s") in RetryInfo, Go durations ("13h19m1.2s") in metadata.
 */

export interface RpcDetail {
  '@type': string;
  [key: string]: unknown;
}

export interface RpcError {
  httpStatus: number;
  body: { error: { code: number; message: string; status: string; details?: RpcDetail[] } };
  headers?: Record<string, string>;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Request contains an invalid argument.',
  401: 'Request had invalid authentication credentials.',
  403: 'The caller does not have permission',
  404: 'Requested entity was not found.',
  429: 'Resource has been exhausted (e.g. check quota).',
  500: 'Internal error encountered.',
  503: 'The service is currently unavailable.',
  504: 'The request timed out.',
};

const CODE_ASSIST_DOMAIN = 'cloudcode-pa.googleapis.com';
const TYPE = 'type.googleapis.com/google.rpc.';

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? (code >= 500 ? 'INTERNAL' : 'UNKNOWN');
}

export function rpcError(code: number, message?: string, details?: RpcDetail[], status?: string): RpcError {
  const error: RpcError['body']['error'] = {
    code,
    message: message ?? DEFAULT_MESSAGES[code] ?? 'Unknown error.',
    status: status ?? statusName(code),
  };
  if (details && details.length > 0) error.details = details;
  return { httpStatus: code, body: { error } };
}

export function errorInfo(reason: string, metadata?: Record<string, string>, domain = CODE_ASSIST_DOMAIN): RpcDetail {
  return { '@type': `${TYPE}ErrorInfo`, reason, domain, ...(metadata ? { metadata } : {}) };
}

export function retryInfo(delayMs: number): RpcDetail {
  return { '@type': `${TYPE}RetryInfo`, retryDelay: formatProtoDuration(delayMs) };
}

export interface FieldViolation {
  field?: string;
  description: string;
}

/** The proto-JSON parser's 400: all violations joined by newlines, each repeated in a BadRequest detail. */
export function badRequest(violations: FieldViolation[]): RpcError {
  const message = violations.map((v) => v.description).join('\n');
  return rpcError(400, message, [{ '@type': `${TYPE}BadRequest`, fieldViolations: violations }]);
}

export function invalidArgument(message?: string): RpcError {
  return rpcError(400, message);
}

export function notFound(message = 'Requested entity was not found.'): RpcError {
  return rpcError(404, message);
}

export type UnauthenticatedReason = 'CREDENTIALS_MISSING' | 'ACCESS_TOKEN_EXPIRED' | 'ACCESS_TOKEN_TYPE_UNSUPPORTED';

/** 401 as Google's front end sends it for a missing, expired or unknown bearer token. */
export function unauthenticated(reason: UnauthenticatedReason = 'ACCESS_TOKEN_TYPE_UNSUPPORTED', method = ''): RpcError {
  const lead =
    reason === 'CREDENTIALS_MISSING'
      ? 'Request is missing required authentication credential.'
      : 'Request had invalid authentication credentials.';
  const message = `${lead} Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.`;
  const meta: Record<string, string> = { service: CODE_ASSIST_DOMAIN };
  if (method) meta['method'] = `google.internal.cloud.code.v1internal.CloudCode.${method[0]?.toUpperCase()}${method.slice(1)}`;
  const err = rpcError(401, message, [errorInfo(reason, meta, 'googleapis.com')]);
  err.headers = { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' };
  return err;
}

export function permissionDenied(project: string): RpcError {
  const resource = `//cloudaicompanion.googleapis.com/projects/${project}/locations/global`;
  const permission = 'cloudaicompanion.companions.generateChat';
  return rpcError(403, `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`, [
    errorInfo('IAM_PERMISSION_DENIED', { permission, resource }, 'cloudaicompanion.googleapis.com'),
  ]);
}

/** 403 VALIDATION_REQUIRED, with the link both where gemini-cli looks for it (Help) and in metadata. */
export function validationRequired(validationUrl: string): RpcError {
  return rpcError(403, 'Verify your account to continue.', [
    errorInfo('VALIDATION_REQUIRED', { validation_link: validationUrl }),
    { '@type': `${TYPE}Help`, links: [{ description: 'Verify your account', url: validationUrl }] },
  ]);
}

/** What Code Assist says to a "Code Assist for individuals" account since Google retired that tier (2026-06-18). */
export const UNSUPPORTED_CLIENT_MESSAGE =
  'This client is no longer supported for Gemini Code Assist for individuals. To continue using Gemini, please migrate to the Antigravity suite of products: https://antigravity.google';

/** 403 UNSUPPORTED_CLIENT: the account's tier no longer serves this client, whatever the request. */
export function unsupportedClient(): RpcError {
  return rpcError(403, UNSUPPORTED_CLIENT_MESSAGE, [errorInfo('UNSUPPORTED_CLIENT')]);
}

/** 429 RATE_LIMIT_EXCEEDED: short, per-minute; the client should retry after RetryInfo. */
export function rateLimited(model: string, delayMs: number, nowMs: number): RpcError {
  const whole = Math.floor(delayMs / 1000);
  return rpcError(429, `You have exhausted your capacity on this model. Your quota will reset after ${whole}s.`, [
    errorInfo('RATE_LIMIT_EXCEEDED', {
      uiMessage: 'true',
      model,
      quotaResetDelay: formatGoDuration(delayMs),
      quotaResetTimeStamp: formatTimestamp(nowMs + delayMs),
    }),
    retryInfo(delayMs),
  ]);
}

/** 429 QUOTA_EXHAUSTED: the daily quota is gone until quotaResetTimeStamp. */
export function quotaExhausted(model: string, resetInMs: number, nowMs: number): RpcError {
  return rpcError(429, `You have exhausted your daily quota on this model. Your quota will reset after ${formatGoDuration(resetInMs)}.`, [
    errorInfo('QUOTA_EXHAUSTED', {
      uiMessage: 'true',
      model,
      quotaResetDelay: formatGoDuration(resetInMs),
      quotaResetTimeStamp: formatTimestamp(nowMs + resetInMs),
    }),
    retryInfo(resetInMs),
  ]);
}

export function capacityExhausted(model: string, status: 429 | 503 = 429): RpcError {
  return rpcError(status, `No capacity available for model ${model} on the server`, [
    errorInfo('MODEL_CAPACITY_EXHAUSTED', { model }),
  ]);
}

/**
 * protobuf Duration JSON: "56s", or 3 / 6 fractional digits as needed ("1.500s", "0.539477s"). Rounded to the
 * microsecond: an epoch-millisecond clock in a double carries no more.
 */
export function formatProtoDuration(ms: number): string {
  const micros = Math.round(Math.max(0, ms) * 1000);
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros % 1_000_000;
  if (fraction === 0) return `${seconds}s`;
  const digits = fraction % 1000 === 0 ? String(fraction / 1000).padStart(3, '0') : String(fraction).padStart(6, '0');
  return `${seconds}.${digits}s`;
}

/** Go's time.Duration String(): "539.477544ms", "1.5s", "13h19m1.20964964s". */
export function formatGoDuration(ms: number): string {
  const safe = Math.round(Math.max(0, ms) * 1000) / 1000;
  if (safe === 0) return '0s';
  if (safe < 1000) return `${trimFraction(safe.toFixed(3))}ms`;
  const totalSec = safe / 1000;
  const hours = Math.floor(totalSec / 3600);
  const minutes = Math.floor((totalSec % 3600) / 60);
  const seconds = trimFraction((totalSec % 60).toFixed(6));
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

function trimFraction(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/** RFC 3339 in UTC without fractional seconds, as in quotaResetTimeStamp. */
export function formatTimestamp(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
