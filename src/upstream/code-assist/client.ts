/**
 * Code Assist transport (upstream-protocols.md §1.3–1.5): the Gemini request travels inside an envelope
 * {model, project, user_prompt_id, request} to `{endpoint}/v1internal:{method}`; replies are unwrapped
 * from {response, traceId}.
 */
import type { Dispatcher } from 'undici';
import { randomUUID } from 'node:crypto';
import type { GeminiCountTokensResponse, GeminiResponse } from '../../types/gemini.js';
import { UpstreamError } from '../errors.js';
import { accessTokenWithin, createAgent, firstEvent, postJson, readJsonBody, readJsonEvents, upstreamBase, type HttpCallOptions } from '../http-call.js';
import type { OpenedStream, UpstreamCall, UpstreamClient, UpstreamCredential } from '../types.js';
import { headerSafe } from '../../util/header-safe.js';

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
  const own = options.dispatcher ? undefined : createAgent(options.timeoutMs);
  const agent = options.dispatcher ?? own!;
  const base = upstreamBase(options.endpoint);
  const http: HttpCallOptions = { timeoutMs: options.timeoutMs, defaultRateCooldownMs: options.defaultRateCooldownMs, now: options.now ?? Date.now };

  async function post(cred: UpstreamCredential, method: string, body: unknown, call: UpstreamCall, query = '') {
    const token = await accessTokenWithin(cred, options.timeoutMs, call.signal);
    // The model comes from the client; a header must not carry its control or non-ASCII characters.
    const headers = { authorization: `Bearer ${token}`, 'user-agent': userAgent(call.model) };
    return postJson(agent, base, `/v1internal:${method}${query}`, headers, body, call.signal, http);
  }

  // Requests nearly always name the model of the one before: remember the last header built.
  let lastModel: string | undefined;
  let lastAgent = '';
  const userAgent = (model: string) => {
    if (model !== lastModel) {
      lastModel = model;
      lastAgent = `${options.userAgent}/${headerSafe(model)}`;
    }
    return lastAgent;
  };

  const envelope = (cred: UpstreamCredential, call: UpstreamCall) => ({
    model: call.model,
    project: cred.projectId,
    user_prompt_id: randomUUID(),
    request: call.request,
  });

  return {
    async generate(cred, call) {
      const res = await post(cred, 'generateContent', envelope(cred, call), call);
      return unwrap(await readJsonBody<CaEnvelope>(res, call.signal));
    },

    async stream(cred, call): Promise<OpenedStream> {
      const res = await post(cred, 'streamGenerateContent', envelope(cred, call), call, '?alt=sse');
      return firstEvent(readJsonEvents<CaEnvelope, GeminiResponse>(res.body, call.signal, http, unwrap), res);
    },

    async countTokens(cred, call) {
      // countTokens takes neither project nor top-level model (upstream-protocols.md §1.5).
      const body = { request: { model: `models/${call.model}`, contents: call.request.contents } };
      const res = await post(cred, 'countTokens', body, call);
      return readJsonBody<GeminiCountTokensResponse>(res, call.signal);
    },

    async embed() {
      throw new UpstreamError('Code Assist cannot embed', 400, 'request', 'invalid', undefined, undefined);
    },

    async close() {
      await own?.close();
    },
  };
}

function unwrap(env: CaEnvelope): GeminiResponse {
  const inner = env.response ?? {};
  if (!inner.responseId && env.traceId) return { ...inner, responseId: env.traceId };
  return inner;
}
