/**
 * Judges one answer against its case: never a 5xx or a hang; a 2xx only where the input may be valid; a 4xx
 * in the route's dialect (OpenAI error JSON on /v1 and the Responses routes, google.rpc.Status on /v1beta,
 * Anthropic's `{"type":"error","error":{type, message}}` under /v1/messages, its `error.type` the one Anthropic
 * documents for the status) with a message that names the problem.
 */
import type { Dialect, FuzzCase } from './cases.js';
import type { RawResult } from './raw-http.js';

/** Returns why the answer is wrong, or undefined when it is right. */
export function judge(c: FuzzCase, r: RawResult): string | undefined {
  if (!r.ok) return r.timedOut ? `hang: ${r.error}` : `no answer: ${r.error}`;
  const { status } = r;
  if (status >= 500) return `server error ${status}: ${preview(r.body)}`;
  if (status >= 200 && status < 300) {
    if (!c.expect.allow2xx) return `expected a 4xx, got ${status}: ${preview(r.body)}`;
    if (!c.expect.noBody && c.request.method !== 'OPTIONS' && r.body.length === 0) return `empty ${status} answer`;
    return undefined;
  }
  if (status < 400) return `unexpected status ${status}`;
  if (!c.expect.allow4xx) return `expected a 2xx, got ${status}: ${preview(r.body)}`;
  if (c.expect.statuses && !c.expect.statuses.includes(status)) {
    return `expected ${c.expect.statuses.join(' or ')}, got ${status}: ${preview(r.body)}`;
  }
  if (c.expect.noBody || c.request.method === 'HEAD') return undefined;
  const type = String(r.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) return `4xx with content-type "${type}": ${preview(r.body)}`;
  let body: unknown;
  try {
    body = JSON.parse(r.body.toString('utf8'));
  } catch {
    return `4xx body is not JSON: ${preview(r.body)}`;
  }
  const message = dialectProblem(c.dialect, status, body);
  if (typeof message !== 'string') return message.problem;
  // Field names may be spelled snake_case (proto paths, OpenAI) or camelCase; match either.
  if (c.expect.mentions && !c.expect.mentions.test(message) && !c.expect.mentions.test(message.replace(/_/g, ''))) return `message does not name the problem (${c.expect.mentions}): ${message.slice(0, 300)}`;
  return undefined;
}

/**
 * Anthropic's error type for an HTTP status (docs.anthropic.com/en/api/errors), written out here rather than
 * imported, so the oracle does not grade Rotor against Rotor's own table.
 */
export function anthropicTypeFor(status: number): string {
  const known: Record<number, string> = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    402: 'billing_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    500: 'api_error',
    504: 'timeout_error',
    529: 'overloaded_error',
  };
  return known[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** The error message when the body is in the dialect, else the problem. */
export function dialectProblem(dialect: Dialect, status: number, body: unknown): string | { problem: string } {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error !== 'object') return { problem: `no "error" object in ${JSON.stringify(body).slice(0, 200)}` };
  if (typeof error.message !== 'string' || error.message.trim() === '') return { problem: 'empty error message' };
  if (dialect === 'anthropic') {
    const top = body as Record<string, unknown>;
    if (top['type'] !== 'error') return { problem: `Anthropic error without "type": "error": ${JSON.stringify(body).slice(0, 200)}` };
    const want = anthropicTypeFor(status);
    if (error.type !== want) return { problem: `Anthropic error type ${JSON.stringify(error.type)} for HTTP ${status}, expected "${want}"` };
    if ('param' in error || 'code' in error || 'status' in error) return { problem: `OpenAI or Google fields in an Anthropic error: ${JSON.stringify(error).slice(0, 200)}` };
    return error.message;
  }
  if ('type' in (body as object)) return { problem: `Anthropic error on a ${dialect} route: ${JSON.stringify(body).slice(0, 200)}` };
  if (dialect === 'openai') {
    if (typeof error.type !== 'string') return { problem: `OpenAI error without a type: ${JSON.stringify(error).slice(0, 200)}` };
    if (!('param' in error) || !('code' in error)) return { problem: `OpenAI error without param/code: ${JSON.stringify(error).slice(0, 200)}` };
    if ('status' in error) return { problem: `google.rpc.Status on an OpenAI route: ${JSON.stringify(error).slice(0, 200)}` };
  } else {
    if (error.code !== status) return { problem: `google error code ${String(error.code)} differs from HTTP ${status}` };
    if (typeof error.status !== 'string' || !/^[A-Z_]+$/.test(error.status)) return { problem: `google error without a status name: ${JSON.stringify(error).slice(0, 200)}` };
    if ('type' in error) return { problem: `OpenAI error on a /v1beta route: ${JSON.stringify(error).slice(0, 200)}` };
  }
  return error.message;
}

function preview(body: Buffer): string {
  const text = body.toString('utf8');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
