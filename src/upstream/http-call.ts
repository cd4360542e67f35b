/**
 * The HTTP plumbing every upstream route shares: one keep-alive undici Agent, a JSON POST that turns
 * failures into UpstreamErrors, and an SSE reader that yields parsed events and classifies a failure
 * in the middle of a stream.
 */
import { Agent, type Dispatcher } from 'undici';
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { classifyHttpError, networkError, tokenError, UpstreamError } from './errors.js';
import { ClientAbortError } from './types.js';
import type { CallSignal } from '../util/call-signal.js';
import { isHeaderValue } from '../util/header-safe.js';

export interface HttpCallOptions {
  timeoutMs: number;
  defaultRateCooldownMs: number;
  now: () => number;
}

export function createAgent(timeoutMs: number): Agent {
  // No connection cap: every open stream needs its own HTTP/1.1 connection, and a cap would queue them.
  return new Agent({ keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
}

/**
 * The credential's access token, waited for at most `timeoutMs`: a token endpoint that stalls must not hang
 * the request (the refresh goes on in the background; the request fails over). Failures are UpstreamErrors.
 * A cached token comes back as a plain string: no promise on the hot path.
 */
export function accessTokenWithin(
  cred: { getAccessToken(): Promise<string>; cachedAccessToken?(): string | undefined },
  timeoutMs: number,
  signal: CallSignal,
): string | Promise<string> {
  if (signal.aborted) throw new ClientAbortError();
  return cred.cachedAccessToken?.() ?? fetchTokenWithin(cred, timeoutMs, signal);
}

async function fetchTokenWithin(cred: { getAccessToken(): Promise<string> }, timeoutMs: number, signal: CallSignal): Promise<string> {
  let cleanup = () => {};
  const guard = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(tokenError(new Error(`no access token within ${timeoutMs} ms (token endpoint slow or unreachable)`))), timeoutMs);
    const onAbort = () => reject(new ClientAbortError());
    signal.addEventListener('abort', onAbort, { once: true });
    cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
  });
  const token = cred.getAccessToken().catch((err: unknown) => {
    throw tokenError(err);
  });
  try {
    return await Promise.race([token, guard]);
  } finally {
    cleanup();
  }
}

/** Where an upstream lives, split once into undici's origin and a path prefix, so no request parses a URL. */
export interface UpstreamBase {
  origin: string;
  /** The base URL's path without a trailing slash ('' for a bare host). */
  prefix: string;
}

export function upstreamBase(url: string): UpstreamBase {
  const parsed = new URL(url);
  return { origin: parsed.origin, prefix: parsed.pathname.replace(/\/+$/, '') };
}

export async function postJson(
  dispatcher: Dispatcher,
  base: UpstreamBase,
  path: string,
  headers: Record<string, string>,
  body: unknown,
  signal: CallSignal,
  opts: HttpCallOptions,
): Promise<Dispatcher.ResponseData> {
  if (signal.aborted) throw new ClientAbortError();
  // Serialised outside the try: a body that cannot be serialised is not the network's (or a credential's) fault.
  const payload = JSON.stringify(body);
  let res: Dispatcher.ResponseData;
  try {
    res = await dispatcher.request({
      origin: base.origin,
      path: base.prefix + path,
      method: 'POST',
      // undici takes any object with abort listeners (it checks for addEventListener), not only AbortSignal.
      signal: signal as AbortSignal,
      headers: { 'content-type': 'application/json', ...headers },
      body: payload,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
  } catch (err) {
    if (signal.aborted) throw new ClientAbortError();
    if ((err as { code?: string } | undefined)?.code === 'UND_ERR_INVALID_ARG') {
      // undici refused to send it. The headers passed here carry the credential (the model in the user
      // agent is made header-safe by the caller): a key pasted with a curly quote can never be sent, so that
      // credential is out for good and the request moves on to the next one.
      if (!Object.values(headers).every(isHeaderValue)) {
        throw new UpstreamError('the credential holds characters an HTTP header cannot carry (a pasted quote or space?)', 0, 'credential', 'auth', undefined, undefined, true);
      }
      throw err;
    }
    throw networkError(err, isTimeout(err));
  }
  if (res.statusCode !== 200) {
    const text = await res.body.text().catch(() => '');
    throw classifyHttpError(res.statusCode, text, { now: opts.now(), defaultRateCooldownMs: opts.defaultRateCooldownMs });
  }
  return res;
}

export async function readJsonBody<T>(res: Dispatcher.ResponseData, signal: CallSignal): Promise<T> {
  try {
    return (await res.body.json()) as T;
  } catch (err) {
    if (signal.aborted) throw new ClientAbortError();
    throw networkError(err, isTimeout(err));
  }
}

/**
 * Parsed SSE events, mapped by `map` (e.g. unwrapping an envelope); an `{error}` event or a broken connection
 * becomes an UpstreamError. One generator does framing, parsing and mapping: each hop through another async
 * generator costs promises on every event.
 */
export async function* readJsonEvents<T, U = T>(
  body: AsyncIterable<Uint8Array | string>,
  signal: CallSignal,
  opts: HttpCallOptions,
  map: (value: T) => U = (v) => v as unknown as U,
): AsyncGenerator<U> {
  const pending: string[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event.data) });
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of body) {
      parser.feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
      for (let data = pending.shift(); data !== undefined; data = pending.shift()) {
        const value = parseEvent(data, opts);
        if (value !== SKIP) yield map(value as T);
      }
    }
    // A last event without its blank line still counts (some servers close right after the data line).
    parser.feed(decoder.end() + '\n\n');
    for (let data = pending.shift(); data !== undefined; data = pending.shift()) {
      const value = parseEvent(data, opts);
      if (value !== SKIP) yield map(value as T);
    }
  } catch (err) {
    if (err instanceof UpstreamError) throw err;
    if (signal.aborted) throw new ClientAbortError();
    throw networkError(err, isTimeout(err));
  }
}

const SKIP = Symbol('skip');

/** One event's JSON; a malformed chunk is skipped (as gemini-cli does); an `{error}` event throws. */
function parseEvent(data: string, opts: HttpCallOptions): unknown {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return SKIP;
  }
  const error = (value as { error?: { code?: number } } | null)?.error;
  if (error) throw classifyHttpError(Number(error.code) || 500, data, { now: opts.now(), defaultRateCooldownMs: opts.defaultRateCooldownMs });
  return value;
}

/** Opens a stream: waits for the first event so that a failure before it can still fail over. */
export async function firstEvent<T>(events: AsyncGenerator<T>, res: Dispatcher.ResponseData) {
  const first = await events.next();
  if (first.done) {
    res.body.destroy();
    throw new UpstreamError('upstream stream ended before any event', 502, 'credential', 'transient', undefined, undefined);
  }
  return {
    first: first.value,
    rest: events,
    close: () => {
      void events.return(undefined);
      res.body.destroy();
    },
  };
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}
