/**
 * The HTTP plumbing every upstream route shares: one keep-alive undici Agent, a JSON POST that turns
 * failures into UpstreamErrors, and an SSE reader that yields parsed events and classifies a failure
 * in the middle of a stream.
 */
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { readSseData } from '../sse/read.js';
import { classifyHttpError, networkError, UpstreamError } from './errors.js';
import { ClientAbortError } from './types.js';

export interface HttpCallOptions {
  timeoutMs: number;
  defaultRateCooldownMs: number;
  now: () => number;
}

export function createAgent(timeoutMs: number): Agent {
  return new Agent({ keepAliveTimeout: 30_000, connections: 256, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
}

export async function postJson(
  dispatcher: Dispatcher,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal,
  opts: HttpCallOptions,
): Promise<Dispatcher.ResponseData> {
  if (signal.aborted) throw new ClientAbortError();
  let res: Dispatcher.ResponseData;
  try {
    res = await undiciRequest(url, {
      method: 'POST',
      dispatcher,
      signal,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
  } catch (err) {
    if (signal.aborted) throw new ClientAbortError();
    throw networkError(err, isTimeout(err));
  }
  if (res.statusCode !== 200) {
    const text = await res.body.text().catch(() => '');
    throw classifyHttpError(res.statusCode, text, { now: opts.now(), defaultRateCooldownMs: opts.defaultRateCooldownMs });
  }
  return res;
}

export async function readJsonBody<T>(res: Dispatcher.ResponseData, signal: AbortSignal): Promise<T> {
  try {
    return (await res.body.json()) as T;
  } catch (err) {
    if (signal.aborted) throw new ClientAbortError();
    throw networkError(err, isTimeout(err));
  }
}

/** Parsed SSE events; an `{error}` event or a broken connection becomes an UpstreamError. */
export async function* readJsonEvents<T>(res: Dispatcher.ResponseData, signal: AbortSignal, opts: HttpCallOptions): AsyncGenerator<T> {
  try {
    for await (const data of readSseData(res.body)) {
      let value: unknown;
      try {
        value = JSON.parse(data);
      } catch {
        continue; // a malformed chunk is skipped, as gemini-cli does
      }
      const error = (value as { error?: { code?: number } } | null)?.error;
      if (error) {
        throw classifyHttpError(Number(error.code) || 500, data, { now: opts.now(), defaultRateCooldownMs: opts.defaultRateCooldownMs });
      }
      yield value as T;
    }
  } catch (err) {
    if (err instanceof UpstreamError) throw err;
    if (signal.aborted) throw new ClientAbortError();
    throw networkError(err, isTimeout(err));
  }
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
