/**
 * One place that turns any error into an HTTP reply in the client's dialect: OpenAI error JSON on /v1,
 * google.rpc.Status on /v1beta. Upstream Google errors pass through to native clients unchanged.
 */
import type { Request } from 'express';
import { UpstreamError } from '../upstream/errors.js';
import { NoCredentialError } from '../pool/failover.js';
import type { GoogleRpcStatus } from '../types/gemini.js';

export type Dialect = 'openai' | 'google';

/** An error the HTTP layer raises itself (bad input, auth, unknown route). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly param?: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export function dialectOf(req: Request): Dialect {
  // originalUrl: inside a mounted router req.path is relative to the mount point. Express matches paths
  // case-insensitively, so /V1BETA/models is the Gemini route too; /v1betax is not.
  return /^\/v1beta(?:[/?#]|$)/i.test(req.originalUrl) ? 'google' : 'openai';
}

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'UNIMPLEMENTED',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function openAIType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export interface ErrorReply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface Normalised {
  status: number;
  message: string;
  param?: string;
  code?: string;
  rpc?: GoogleRpcStatus;
  retryAfterMs?: number;
}

function normalise(err: unknown): Normalised {
  if (err instanceof ApiError) return { status: err.status, message: err.message, param: err.param, code: err.code };
  if (err instanceof NoCredentialError) {
    return {
      status: err.status,
      message: err.message,
      retryAfterMs: err.retryAfterMs,
      code: err.status === 429 ? 'all_credentials_cooling_down' : 'no_usable_credentials',
    };
  }
  if (err instanceof UpstreamError) {
    // Only request-scoped upstream errors reach the client directly; keep Google's status code.
    const status = err.status >= 400 && err.status < 600 ? err.status : 502;
    return { status, message: err.message, rpc: err.rpcStatus, retryAfterMs: err.retryAfterMs };
  }
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string; limit?: number } | undefined;
  // body-parser errors carry a `type`; report them as the client's fault with a clear message.
  if (e?.type === 'entity.too.large') {
    return { status: 413, message: `request body is larger than the limit of ${e.limit ?? '?'} bytes (MAX_BODY_BYTES)` };
  }
  if (e?.type === 'entity.parse.failed') return { status: 400, message: `request body is not valid JSON: ${e.message ?? ''}`.trim() };
  if (e?.type === 'encoding.unsupported') {
    const encoding = (e as { encoding?: string }).encoding;
    return { status: 415, message: `unsupported Content-Encoding${encoding ? ` "${encoding}"` : ''}: send identity, gzip, deflate or br` };
  }
  if (e?.type === 'charset.unsupported') return { status: 415, message: `${e.message ?? 'unsupported charset'}: JSON bodies must be UTF-8` };
  // zlib and brotli failures while inflating a Content-Encoding body ("incorrect header check").
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^(Z_|ERR__)/.test(code)) {
    return { status: 400, message: `request body could not be decompressed as its Content-Encoding says: ${e?.message ?? code}` };
  }
  if (e?.type === 'request.aborted') return { status: 400, message: 'request body was not received completely' };
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, message: e?.message ?? 'bad request' };
  return { status: 500, message: 'internal error' };
}

export function errorReply(err: unknown, dialect: Dialect): ErrorReply {
  const n = normalise(err);
  const headers: Record<string, string> = {};
  if (n.retryAfterMs !== undefined && (n.status === 429 || n.status === 503)) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(n.retryAfterMs / 1000)));
  }
  if (dialect === 'google') {
    const error: GoogleRpcStatus = n.rpc ?? { code: n.status, message: n.message, status: GOOGLE_STATUS[n.status] ?? 'UNKNOWN' };
    return { status: n.status, body: { error }, headers };
  }
  return {
    status: n.status,
    body: { error: { message: n.message, type: openAIType(n.status), param: n.param ?? null, code: n.code ?? null } },
    headers,
  };
}

/** The same error as a payload for a stream that has already started (sent as its last event). */
export function streamErrorPayload(err: unknown, dialect: Dialect): unknown {
  return errorReply(err, dialect).body;
}
