/**
 * Gemini API transport (upstream-protocols.md §2): plain GenerateContentRequest bodies to
 * `{base}/v1beta/models/{model}:{method}`, the key in the x-goog-api-key header only (never in the URL,
 * where it would end up in access logs; §8).
 */
import type { Dispatcher } from 'undici';
import type { GeminiCountTokensResponse, GeminiResponse } from '../../types/gemini.js';
import { accessTokenWithin, createAgent, firstEvent, postJson, readJsonBody, readJsonEvents, upstreamBase, type HttpCallOptions } from '../http-call.js';
import type { EmbedCall, GeminiEmbedResponse, OpenedStream, UpstreamCall, UpstreamClient, UpstreamCredential } from '../types.js';
import type { CallSignal } from '../../util/call-signal.js';

export interface GeminiApiOptions {
  baseUrl: string;
  timeoutMs: number;
  defaultRateCooldownMs: number;
  now?: () => number;
  dispatcher?: Dispatcher;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function createGeminiApiClient(options: GeminiApiOptions): UpstreamClient & { close(): Promise<void> } {
  const own = options.dispatcher ? undefined : createAgent(options.timeoutMs);
  const agent = options.dispatcher ?? own!;
  const http: HttpCallOptions = { timeoutMs: options.timeoutMs, defaultRateCooldownMs: options.defaultRateCooldownMs, now: options.now ?? Date.now };
  const base = upstreamBase(options.baseUrl);

  async function post(cred: UpstreamCredential, model: string, method: string, body: unknown, signal: CallSignal, query = '') {
    const key = await accessTokenWithin(cred, options.timeoutMs, signal);
    // encodeURIComponent throws on a lone surrogate, which a client's JSON can carry ("\ud800").
    const path = `/v1beta/models/${encodeURIComponent(model.replace(LONE_SURROGATE, '\ufffd'))}:${method}${query}`;
    return postJson(agent, base, path, { 'x-goog-api-key': key }, body, signal, http);
  }

  return {
    async generate(cred, call: UpstreamCall) {
      const res = await post(cred, call.model, 'generateContent', call.request, call.signal);
      return readJsonBody<GeminiResponse>(res, call.signal);
    },
    async stream(cred, call: UpstreamCall): Promise<OpenedStream> {
      const res = await post(cred, call.model, 'streamGenerateContent', call.request, call.signal, '?alt=sse');
      return firstEvent(readJsonEvents<GeminiResponse>(res.body, call.signal, http), res);
    },
    async countTokens(cred, call: UpstreamCall) {
      const res = await post(cred, call.model, 'countTokens', { contents: call.request.contents }, call.signal);
      return readJsonBody<GeminiCountTokensResponse>(res, call.signal);
    },
    async embed(cred, call: EmbedCall) {
      const res = await post(cred, call.model, 'batchEmbedContents', call.request, call.signal);
      return readJsonBody<GeminiEmbedResponse>(res, call.signal);
    },
    async close() {
      await own?.close();
    },
  };
}
