/**
 * Code Assist transport (upstream-protocols.md §1.3–1.5): the Gemini request travels inside an envelope
 * {model, project, user_prompt_id, request} to `{endpoint}/v1internal:{method}`; replies are unwrapped
 * from {response, traceId}. Keep-alive connection pools come from one undici Agent.
 */
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { randomUUID } from 'node:crypto';
import type { GeminiCountTokensResponse, GeminiResponse } from '../../types/gemini.js';
import { readSseData } from '../../sse/read.js';
import { classifyHttpError, networkError, tokenError, UpstreamError } from '../errors.js';
import { ClientAbortError, type OpenedStream, type UpstreamCall, type UpstreamClient, type UpstreamCredential } from '../types.js';

export interface CodeAssistOptions {
  endpoint: string;
  timeoutMs: number;
  defaultRateCooldownMs: number;
  userAgent: string;
  now?: () => number;
  dispatcher?: Dispatcher;
}

interface CaEnvelope {
  response?: GeminiResponse;
  traceId?: string;
}

export function createCodeAssistClient(options: CodeAssistOptions): UpstreamClient & { close(): Promise<void> } {
  const now = options.now ?? Date.now;
  const agent =
    options.dispatcher ??
    new Agent({ keepAliveTimeout: 30_000, connections: 256, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  const base = `${options.endpoint}/v1internal`;

  async function post(cred: UpstreamCredential, method: string, body: unknown, call: UpstreamCall, query = '') {
    if (call.signal.aborted) throw new ClientAbortError();
    let token: string;
    try {
      token = await cred.getAccessToken();
    } catch (err) {
      throw tokenError(err);
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await undiciRequest(`${base}:${method}${query}`, {
        method: 'POST',
        dispatcher: agent,
        signal: call.signal,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'user-agent': `${options.userAgent}/${call.model}`,
        },
        body: JSON.stringify(body),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
    } catch (err) {
      if (call.signal.aborted) throw new ClientAbortError();
      throw networkError(err, isTimeout(err));
    }
    if (res.statusCode !== 200) {
      const text = await res.body.text().catch(() => '');
      throw classifyHttpError(res.statusCode, text, { now: now(), defaultRateCooldownMs: options.defaultRateCooldownMs });
    }
    return res;
  }

  const envelope = (cred: UpstreamCredential, call: UpstreamCall) => ({
    model: call.model,
    project: cred.projectId,
    user_prompt_id: randomUUID(),
    request: call.request,
  });

  async function readJson<T>(res: Dispatcher.ResponseData, call: UpstreamCall): Promise<T> {
    try {
      return (await res.body.json()) as T;
    } catch (err) {
      if (call.signal.aborted) throw new ClientAbortError();
      throw networkError(err, isTimeout(err));
    }
  }

  return {
    async generate(cred, call) {
      const res = await post(cred, 'generateContent', envelope(cred, call), call);
      const env = await readJson<CaEnvelope>(res, call);
      return unwrap(env);
    },

    async stream(cred, call): Promise<OpenedStream> {
      const res = await post(cred, 'streamGenerateContent', envelope(cred, call), call, '?alt=sse');
      const events = readSseData(res.body);
      const rest = mapEvents(events, call);
      const first = await rest.next();
      if (first.done) {
        throw new UpstreamError('upstream stream ended before any event', 502, 'credential', 'transient', undefined, undefined);
      }
      return {
        first: first.value,
        rest,
        close: () => {
          void rest.return?.(undefined);
          res.body.destroy();
        },
      };
    },

    async countTokens(cred, call) {
      const body = { request: { model: `models/${call.model}`, contents: call.request.contents } };
      const res = await post(cred, 'countTokens', body, call);
      return readJson<GeminiCountTokensResponse>(res, call);
    },

    async close() {
      if (!options.dispatcher) await agent.close();
    },
  };
}

function unwrap(env: CaEnvelope): GeminiResponse {
  const inner = env.response ?? {};
  if (!inner.responseId && env.traceId) return { ...inner, responseId: env.traceId };
  return inner;
}

async function* mapEvents(events: AsyncGenerator<string>, call: UpstreamCall): AsyncGenerator<GeminiResponse> {
  try {
    for await (const data of events) {
      let env: CaEnvelope;
      try {
        env = JSON.parse(data) as CaEnvelope;
      } catch {
        continue; // gemini-cli skips malformed chunks too
      }
      const maybeError = (env as { error?: { code?: number; message?: string } }).error;
      if (maybeError) {
        throw classifyHttpError(Number(maybeError.code) || 500, JSON.stringify(env), { now: Date.now(), defaultRateCooldownMs: 1000 });
      }
      yield unwrap(env);
    }
  } catch (err) {
    if (err instanceof UpstreamError) throw err;
    if (call.signal.aborted) throw new ClientAbortError();
    throw networkError(err, isTimeout(err));
  }
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}
