/**
 * The Gemini API (docs/google-protocols.md#gemini-api-endpoints): plain GenerateContentRequest bodies to
 * `{base}/v1beta/models/{model}:{method}`, the key in the x-goog-api-key header only (never in the URL, where
 * it would end up in access logs).
 */
import type { GeminiCountTokensResponse, GeminiResponse } from '../../types/gemini.js';
import { upstreamBase, withAccessToken, type Transport } from '../transport.js';
import type { EmbedCall, GeminiEmbedResponse, OpenedStream, UpstreamCall, UpstreamClient, UpstreamCredential } from '../types.js';
import type { CallSignal } from '../../util/call-signal.js';

export interface GeminiApiOptions {
  baseUrl: string;
  transport: Transport;
  timeoutMs: number;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function createGeminiApiClient(options: GeminiApiOptions): Required<UpstreamClient> {
  const { transport } = options;
  const base = upstreamBase(options.baseUrl);

  function post(cred: UpstreamCredential, model: string, method: string, body: unknown, signal: CallSignal, query = '') {
    return withAccessToken(cred, options.timeoutMs, signal, (key) => {
      // encodeURIComponent throws on a lone surrogate, which a client's JSON can carry ("\ud800").
      const path = `/v1beta/models/${encodeURIComponent(model.replace(LONE_SURROGATE, '\ufffd'))}:${method}${query}`;
      return transport.send(base, { path, headers: { 'x-goog-api-key': key }, body, signal });
    });
  }

  return {
    generate(cred, call: UpstreamCall) {
      return post(cred, call.model, 'generateContent', call.request, call.signal).then((res) => transport.json<GeminiResponse>(res, call.signal));
    },
    async stream(cred, call: UpstreamCall): Promise<OpenedStream> {
      const res = await post(cred, call.model, 'streamGenerateContent', call.request, call.signal, '?alt=sse');
      return transport.events<GeminiResponse>(res, call.signal);
    },
    async countTokens(cred, call: UpstreamCall) {
      const res = await post(cred, call.model, 'countTokens', { contents: call.request.contents }, call.signal);
      return transport.json<GeminiCountTokensResponse>(res, call.signal);
    },
    async embed(cred, call: EmbedCall) {
      const res = await post(cred, call.model, 'batchEmbedContents', call.request, call.signal);
      return transport.json<GeminiEmbedResponse>(res, call.signal);
    },
  };
}
