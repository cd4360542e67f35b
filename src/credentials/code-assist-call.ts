/**
 * The small JSON-over-HTTPS calls project discovery makes to Code Assist, with Google's error bodies
 * (google.rpc.Status, §1.8) turned into ProjectDiscoveryError.
 */
import { ProjectDiscoveryError } from './errors.js';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export interface CodeAssistCall {
  endpoint: string;
  accessToken: string;
  signal?: AbortSignal | undefined;
  /** Abandon a call that has not fully answered within this (default 30 s). */
  timeoutMs?: number | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** `POST {endpoint}/v1internal:{method}` or `GET {endpoint}/v1internal/{operation}`. */
export async function callCodeAssist(
  call: CodeAssistCall,
  target: { method: string; body: unknown } | { operation: string },
): Promise<Record<string, unknown>> {
  const base = call.endpoint.replace(/\/+$/, '');
  const isPost = 'method' in target;
  const url = isPost ? `${base}/v1internal:${target.method}` : `${base}/v1internal/${target.operation}`;
  const what = isPost ? target.method : `operation ${target.operation}`;
  const timeout = AbortSignal.timeout(call.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
  const unreachable = (err: unknown) => {
    const code = isRecord(err) && isRecord(err['cause']) ? err['cause']['code'] : undefined;
    const why = timeout.aborted ? `no answer within ${call.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` : typeof code === 'string' ? code : undefined;
    return new ProjectDiscoveryError('HTTP', `Code Assist ${what}: endpoint unreachable${why ? ` (${why})` : ''}`);
  };
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: isPost ? 'POST' : 'GET',
      headers: {
        authorization: `Bearer ${call.accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      ...(isPost ? { body: JSON.stringify(target.body) } : {}),
      signal,
    });
    text = await res.text();
  } catch (err) {
    if (call.signal?.aborted) throw err;
    throw unreachable(err);
  }
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = undefined;
  }
  if (!res.ok) throw httpError(what, res.status, body);
  if (!isRecord(body)) {
    throw new ProjectDiscoveryError('HTTP', `Code Assist ${what}: answer is not a JSON object`, { status: res.status });
  }
  return body;
}

function httpError(what: string, status: number, body: unknown): ProjectDiscoveryError {
  // Some transports wrap the Status in an array (§1.8).
  const wrapped = Array.isArray(body) ? body[0] : body;
  const error = isRecord(wrapped) && isRecord(wrapped['error']) ? wrapped['error'] : undefined;
  const message = typeof error?.['message'] === 'string' ? error['message'].slice(0, 300) : undefined;
  const details = Array.isArray(error?.['details']) ? error['details'].filter(isRecord) : [];
  const info = details.find((d) => String(d['@type'] ?? '').endsWith('google.rpc.ErrorInfo'));
  if (status === 403 && info?.['reason'] === 'VALIDATION_REQUIRED') {
    const help = details.find((d) => String(d['@type'] ?? '').endsWith('google.rpc.Help'));
    const links = Array.isArray(help?.['links']) ? help['links'].filter(isRecord) : [];
    const meta = isRecord(info['metadata']) ? info['metadata'] : {};
    const url =
      (typeof links[0]?.['url'] === 'string' ? links[0]['url'] : undefined) ??
      (typeof meta['validation_link'] === 'string' ? meta['validation_link'] : undefined);
    return validationRequired(url, message, 403);
  }
  return new ProjectDiscoveryError('HTTP', `Code Assist ${what} failed with HTTP ${status}${message ? `: ${message}` : ''}`, {
    status,
  });
}

export function validationRequired(url: string | undefined, googleMessage?: string, status?: number): ProjectDiscoveryError {
  const what = googleMessage ? ` (${googleMessage})` : '';
  const msg = url
    ? `Google requires this account to be verified${what}: open ${url} in a browser signed in to the account, then retry`
    : `Google requires this account to be verified${what}: sign in to the account in a browser, complete the verification, then retry`;
  return new ProjectDiscoveryError('VALIDATION_REQUIRED', msg, {
    ...(url ? { validationUrl: url } : {}),
    ...(status ? { status } : {}),
  });
}
