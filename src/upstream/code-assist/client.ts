/**
 * Code Assist (docs/google-protocols.md#code-assist-envelope): the Gemini request travels inside an envelope
 * {model, project, user_prompt_id, request} to `{endpoint}/v1internal:{method}`; replies are unwrapped from
 * {response, traceId}.
 */
import { randomUUID } from 'node:crypto';
import type { GeminiCountTokensResponse, GeminiResponse } from '../../types/gemini.js';
import { upstreamBase, withAccessToken, type Transport } from '../transport.js';
import type { OpenedStream, UpstreamCall, UpstreamClient, UpstreamCredential } from '../types.js';
import { headerSafe } from '../../util/header-safe.js';

export interface CodeAssistOptions {
  endpoint: string;
  transport: Transport;
  timeoutMs: number;
  userAgent: string;
}

interface CaEnvelope {
  response?: GeminiResponse;
  traceId?: string;
}

export function createCodeAssistClient(options: CodeAssistOptions): UpstreamClient {
  const { transport } = options;
  const base = upstreamBase(options.endpoint);

  function post(cred: UpstreamCredential, method: string, body: unknown, call: UpstreamCall, query = '') {
    return withAccessToken(cred, options.timeoutMs, call.signal, (token) =>
      // The model comes from the client; a header must not carry its control or non-ASCII characters.
      transport.send(base, { path: `/v1internal:${method}${query}`, headers: { authorization: `Bearer ${token}`, 'user-agent': userAgent(call.model) }, body, signal: call.signal }),
    );
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
    generate(cred, call) {
      return post(cred, 'generateContent', envelope(cred, call), call)
        .then((res) => transport.json<CaEnvelope>(res, call.signal))
        .then(unwrap);
    },

    async stream(cred, call): Promise<OpenedStream> {
      const res = await post(cred, 'streamGenerateContent', envelope(cred, call), call, '?alt=sse');
      return transport.events<CaEnvelope, GeminiResponse>(res, call.signal, unwrap);
    },

    async countTokens(cred, call) {
      // countTokens takes neither project nor top-level model.
      const body = { request: { model: `models/${call.model}`, contents: call.request.contents } };
      const res = await post(cred, 'countTokens', body, call);
      return transport.json<GeminiCountTokensResponse>(res, call.signal);
    },
  };
}

function unwrap(env: CaEnvelope): GeminiResponse {
  const inner = env.response ?? {};
  if (!inner.responseId && env.traceId) return { ...inner, responseId: env.traceId };
  return inner;
}
