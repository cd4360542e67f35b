/**
 * The one HTTP transport every call to Google goes through (generation, tokens counted, embeddings, project
 * discovery): one keep-alive undici Agent, bounded waits, bounded bodies, and every failure turned into an
 * UpstreamError by the one parser in errors.ts.
 */
import { finished } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { readJsonEvents } from '../sse/read.js';
import { classifyHttpError, networkError, tokenError, UpstreamError } from './errors.js';
import { ClientAbortError } from './types.js';
import type { CallSignal } from '../util/call-signal.js';
import { isHeaderValue } from '../util/header-safe.js';
import { dropBody } from '../util/drop-body.js';

export interface TransportOptions {
  timeoutMs: number;
  /** Cooldown for a per-minute 429 that names no delay. */
  defaultRateCooldownMs: number;
  now?: () => number;
  /** Largest JSON answer read into memory (default 64 MiB): a bigger one fails early instead of exhausting the heap. */
  maxResponseBytes?: number;
  dispatcher?: Dispatcher;
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

export interface TransportRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  signal: CallSignal;
  /** Overrides the transport's timeout (project discovery waits less than a generation). */
  timeoutMs?: number;
}

/** A stream whose first event has already arrived (so failover before the first byte is the caller's). */
export interface OpenedEvents<U> {
  first: U;
  rest: AsyncIterator<U>;
  /** Stops reading and releases the connection. */
  close(): void;
}

export interface Transport {
  /** Sends a request; a non-200 answer becomes a classified UpstreamError. */
  send(base: UpstreamBase, req: TransportRequest): Promise<Dispatcher.ResponseData>;
  /** Reads a JSON answer, at most maxResponseBytes of it. */
  json<T>(res: Dispatcher.ResponseData, signal: CallSignal): Promise<T>;
  /** Reads an SSE answer as JSON events; `{error}` events become UpstreamErrors. Waits for the first event. */
  events<T, U = T>(res: Dispatcher.ResponseData, signal: CallSignal, map?: (value: T) => U): Promise<OpenedEvents<U>>;
  close(): Promise<void>;
}

const ERROR_BODY_LIMIT = 64 * 1024;

export function createTransport(options: TransportOptions): Transport {
  const own = options.dispatcher
    ? undefined
    : // No connection cap: every open stream needs its own HTTP/1.1 connection, and a cap would queue them.
      new Agent({ keepAliveTimeout: 30_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  const agent = options.dispatcher ?? own!;
  const now = options.now ?? Date.now;
  const maxBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
  const classify = (status: number, text: string) =>
    classifyHttpError(status, text, { now: now(), defaultRateCooldownMs: options.defaultRateCooldownMs });

  function send(base: UpstreamBase, req: TransportRequest): Promise<Dispatcher.ResponseData> {
    const { signal } = req;
    if (signal.aborted) return Promise.reject(new ClientAbortError());
    let payload: string | undefined;
    try {
      // Serialised outside the request: a body that cannot be serialised is not the network's (or a credential's) fault.
      payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    } catch (err) {
      return Promise.reject(err);
    }
    const timeoutMs = req.timeoutMs ?? options.timeoutMs;
    // Promise chains rather than an async function: a request's promises were a measurable share of its CPU.
    return agent
      .request({
        origin: base.origin,
        path: base.prefix + req.path,
        method: req.method ?? 'POST',
        // undici takes any object with abort listeners (it checks for addEventListener), not only AbortSignal.
        signal: signal as AbortSignal,
        headers: payload === undefined ? req.headers : { 'content-type': 'application/json', ...req.headers },
        body: payload,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      })
      .then(
        (res) => (res.statusCode === 200 ? res : readText(res, ERROR_BODY_LIMIT).catch(() => '').then((text) => Promise.reject(classify(res.statusCode, text)))),
        (err: unknown) => {
          if (signal.aborted) throw new ClientAbortError();
          if ((err as { code?: string } | undefined)?.code === 'UND_ERR_INVALID_ARG' && !Object.values(req.headers).every(isHeaderValue)) {
            // The headers carry the credential (the model in a user agent is made header-safe by the caller): a key
            // pasted with a curly quote can never be sent, so that credential is out for good and the request moves on.
            throw new UpstreamError('the credential holds characters an HTTP header cannot carry (a pasted quote or space?)', 0, 'credential', 'auth', undefined, undefined, true);
          }
          throw networkError(err, isTimeout(err));
        },
      );
  }

  function json<T>(res: Dispatcher.ResponseData, signal: CallSignal): Promise<T> {
    return readText(res, maxBytes).then(
      (text) => {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new UpstreamError('upstream answered with a body that is not JSON', 502, 'credential', 'transient', undefined, undefined);
        }
      },
      (err: unknown) => {
        if (signal.aborted) throw new ClientAbortError();
        if (err instanceof UpstreamError) throw err;
        throw networkError(err, isTimeout(err));
      },
    );
  }

  async function events<T, U = T>(res: Dispatcher.ResponseData, signal: CallSignal, map?: (value: T) => U): Promise<OpenedEvents<U>> {
    const it = readJsonEvents<T, U>(res.body, {
      ...(map ? { map } : {}),
      errorOf: (value, data) => {
        const error = (value as { error?: { code?: number } } | null)?.error;
        return error ? classify(Number(error.code) || 500, data) : undefined;
      },
      onFailure: (err) => (err instanceof UpstreamError ? err : signal.aborted ? new ClientAbortError() : networkError(err, isTimeout(err))),
    });
    const first = await it.next();
    if (first.done) {
      dropBody(res.body);
      throw new UpstreamError('upstream stream ended before any event', 502, 'credential', 'transient', undefined, undefined);
    }
    return {
      first: first.value,
      rest: it,
      close: () => {
        void it.return(undefined);
        dropBody(res.body);
      },
    };
  }

  return { send, json, events, close: async () => void (await own?.close()) };
}

/** The body as text, refusing (and dropping the connection) past `limit` bytes. */
function readText(res: Dispatcher.ResponseData, limit: number): Promise<string> {
  const body = res.body;
  const declared = Number(res.headers['content-length']);
  if (declared > limit) {
    dropBody(body);
    return Promise.reject(tooLarge(limit));
  }
  // Events, not `for await`: the async iterator made about six promises a request, for a body of one chunk.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    body.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        dropBody(body);
        return;
      }
      chunks.push(chunk);
    });
    finished(body, (err) => {
      if (over) reject(tooLarge(limit));
      else if (err) reject(err);
      else resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
    });
  });
}

function tooLarge(limit: number): UpstreamError {
  // The request's fault more than the credential's: another credential would answer as much.
  return new UpstreamError(`upstream answer is larger than ${limit} bytes; ask for less (fewer candidates, a lower max_tokens)`, 502, 'request', 'invalid', undefined, undefined);
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

/**
 * Runs `use` with the credential's access token: at once when the token is cached, else once it comes. Every
 * failure, a synchronous one included, is the returned promise's.
 */
export function withAccessToken<T>(
  cred: { getAccessToken(): Promise<string>; cachedAccessToken?(): string | undefined },
  timeoutMs: number,
  signal: CallSignal,
  use: (token: string) => Promise<T>,
): Promise<T> {
  try {
    const token = accessTokenWithin(cred, timeoutMs, signal);
    return typeof token === 'string' ? use(token) : token.then(use);
  } catch (err) {
    return Promise.reject(err);
  }
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

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}
