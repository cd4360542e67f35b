/**
 * The small JSON calls project discovery makes to Code Assist, through the one upstream transport; Google's
 * error bodies, parsed by the one parser (upstream/errors.ts), become ProjectDiscoveryErrors that say what to do.
 */
import { ProjectDiscoveryError } from './errors.js';
import { createTransport, upstreamBase, type Transport } from '../upstream/transport.js';
import { UpstreamError, UpstreamNetworkError, errorDetail } from '../upstream/errors.js';
import { ClientSignal, type CallSignal } from '../util/call-signal.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface CodeAssistCall {
  endpoint: string;
  accessToken: string;
  signal?: CallSignal | undefined;
  /** Abandon a call that has not answered within this (default 30 s). */
  timeoutMs?: number | undefined;
  /** The upstream transport; login mode, which has none of its own, gets a shared default. */
  transport?: Transport | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;

let fallback: Transport | undefined;
const defaultTransport = () => (fallback ??= createTransport({ timeoutMs: DEFAULT_TIMEOUT_MS, defaultRateCooldownMs: 60_000 }));

/** `POST {endpoint}/v1internal:{method}` or `GET {endpoint}/v1internal/{operation}`. */
export async function callCodeAssist(
  call: CodeAssistCall,
  target: { method: string; body: unknown } | { operation: string },
): Promise<Record<string, unknown>> {
  const transport = call.transport ?? defaultTransport();
  const isPost = 'method' in target;
  const what = isPost ? target.method : `operation ${target.operation}`;
  const timeoutMs = call.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = call.signal ?? new ClientSignal();
  let body: unknown;
  try {
    const res = await transport.send(upstreamBase(call.endpoint), {
      method: isPost ? 'POST' : 'GET',
      path: isPost ? `/v1internal:${target.method}` : `/v1internal/${target.operation}`,
      headers: { authorization: `Bearer ${call.accessToken}`, accept: 'application/json' },
      ...(isPost ? { body: target.body } : {}),
      signal,
      timeoutMs,
    });
    body = await transport.json<unknown>(res, signal);
  } catch (err) {
    if (signal.aborted || !(err instanceof UpstreamError)) throw err;
    throw discoveryError(what, err, timeoutMs);
  }
  if (!isRecord(body)) throw new ProjectDiscoveryError('HTTP', `Code Assist ${what}: answer is not a JSON object`, { status: 200 });
  return body;
}

function discoveryError(what: string, err: UpstreamError, timeoutMs: number): ProjectDiscoveryError {
  if (err instanceof UpstreamNetworkError) {
    const why = err.timedOut ? `no answer within ${timeoutMs} ms` : err.message.replace(/^upstream connection failed \((.*)\)$/, '$1');
    return new ProjectDiscoveryError('HTTP', `Code Assist ${what}: endpoint unreachable (${why})`);
  }
  const rpc = err.rpcStatus;
  const message = rpc?.message.slice(0, 300);
  const info = errorDetail(rpc, 'google.rpc.ErrorInfo');
  if (err.status === 403 && info?.['reason'] === 'VALIDATION_REQUIRED') {
    const links = errorDetail(rpc, 'google.rpc.Help')?.['links'];
    const first = Array.isArray(links) && isRecord(links[0]) ? links[0]['url'] : undefined;
    const meta = isRecord(info['metadata']) ? info['metadata'] : {};
    const url = typeof first === 'string' ? first : typeof meta['validation_link'] === 'string' ? meta['validation_link'] : undefined;
    return validationRequired(url, message, 403);
  }
  if (info?.['reason'] === 'UNSUPPORTED_CLIENT') return unsupportedClient(message);
  return new ProjectDiscoveryError('HTTP', `Code Assist ${what} failed with HTTP ${err.status}${message ? `: ${message}` : ''}`, { status: err.status });
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

/** What to tell the owner of a free, Google One AI Pro or Ultra account since Google retired it for third-party clients. */
export const UNSUPPORTED_CLIENT_ADVICE =
  'Google stopped serving "Code Assist for individuals" (free, Google One AI Pro and Ultra accounts) to gemini-cli and third-party clients on 2026-06-18 (UNSUPPORTED_CLIENT). ' +
  'This account cannot be used through Code Assist: create a Gemini API key in Google AI Studio (GEMINI_API_KEYS) or use Vertex AI with a Cloud project instead';

export function unsupportedClient(googleMessage?: string): ProjectDiscoveryError {
  return new ProjectDiscoveryError('UNSUPPORTED_CLIENT', `${UNSUPPORTED_CLIENT_ADVICE}${googleMessage ? ` (Google said: ${googleMessage})` : ''}`, { status: 403 });
}
