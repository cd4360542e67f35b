/**
 * One place that turns any error into an HTTP reply in the route's dialect (each dialect renders the body;
 * translate/*), with the headers clients act on: `Retry-After` and `retry-after-ms` on 429s and 503s, and
 * `x-should-retry: false` when waiting will not help, so the OpenAI and Anthropic SDKs stop retrying.
 */
import { UpstreamError } from '../upstream/errors.js';
import { NoCredentialError } from '../dispatch/errors.js';
import { isTranslationError } from '../translate/translation-error.js';
import type { Dialect, ErrorInfo } from '../translate/dialect.js';
import { MediaFetchError } from '../media/fetch-media.js';

/** An error the HTTP layer raises itself (bad input, auth, unknown route). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly param?: string,
    readonly code?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export interface ErrorReply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface Normalised extends ErrorInfo {
  retryAfterMs?: number;
  /** False when waiting will not help. */
  retryable?: boolean;
  headers?: Record<string, string>;
}

/** An upstream failure the client sees: Google's status for its own errors, 502/503/504 for an outage. */
function upstreamStatus(err: UpstreamError): number {
  if (err.scope === 'request' || err.kind === 'rate' || err.kind === 'quota' || err.kind === 'capacity') {
    return err.status >= 400 && err.status < 600 ? err.status : 502;
  }
  if (err.kind === 'transient') return err.status === 503 || err.status === 504 ? err.status : 502;
  return err.status >= 400 && err.status < 500 ? err.status : 502;
}

export function normaliseError(err: unknown): Normalised {
  if (err instanceof ApiError) return { status: err.status, message: err.message, param: err.param, code: err.code, headers: err.headers };
  if (isTranslationError(err)) return { status: 400, message: err.message, ...(err.field ? { param: err.field } : {}) };
  if (err instanceof MediaFetchError) return { status: 400, message: err.message, param: 'messages' };
  if (err instanceof NoCredentialError) {
    return { status: err.status, message: err.message, retryAfterMs: err.retryAfterMs, code: err.code, retryable: err.retryable };
  }
  if (err instanceof UpstreamError) {
    const status = upstreamStatus(err);
    // Google's own body passes through to native clients; its code follows the status Rotor answers.
    const rpc = err.rpcStatus && (err.rpcStatus.code === status ? err.rpcStatus : { ...err.rpcStatus, code: status });
    return { status, message: err.message, ...(rpc ? { rpc } : {}), retryAfterMs: err.retryAfterMs };
  }
  return { status: 500, message: 'internal error' };
}

export function errorReply(err: unknown, dialect: Dialect): ErrorReply {
  const n = normaliseError(err);
  const headers: Record<string, string> = { ...n.headers };
  if (n.status === 429 || n.status === 503) {
    // Every 429 says when to come back (a second when nothing better is known).
    if (n.status === 429 && (n.retryAfterMs === undefined || !Number.isFinite(n.retryAfterMs)) && headers['retry-after'] === undefined) n.retryAfterMs = 1000;
    if (n.retryAfterMs !== undefined && Number.isFinite(n.retryAfterMs)) {
      const ms = Math.max(0, Math.ceil(n.retryAfterMs));
      headers['retry-after'] = String(Math.max(1, Math.ceil(ms / 1000)));
      headers['retry-after-ms'] = String(ms);
    }
    if (n.retryable === false) headers['x-should-retry'] = 'false';
  }
  return { status: n.status, body: dialect.errorBody(n), headers };
}
