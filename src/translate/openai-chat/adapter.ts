/**
 * The OpenAI Chat Completions dialect (`/v1/chat/completions`, and the error shape of every `/v1` route).
 */
import type { GeminiResponse } from '../../types/gemini.js';
import { bearer, type Dialect, type ErrorInfo, type GenerationAdapter, type SignatureEntry, type StreamTranslator } from '../dialect.js';
import { normaliseModelId, parseJsonObject } from '../parse-body.js';
import { convertGeminiResponseToOpenAIChat } from './convert-gemini-response-to-openai.js';
import { convertOpenAIChatRequestToGemini } from './convert-openai-request-to-gemini.js';
import { collectRemoteMediaUrls } from './media.js';
import { openAIChatRequestSchema, type OpenAIChatRequest } from './request-schema.js';
import { convertGeminiChunkToOpenAIChunks, createOpenAIStreamState, finishOpenAIStream } from './stream.js';
import { decodeToolCallIdSignature } from './thought-signature.js';
import type { OpenAIResponseContext } from './types.js';

function openAIType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** `{"error": {message, type, param, code}}`, as OpenAI answers. */
export function openAIErrorBody(e: ErrorInfo): unknown {
  return { error: { message: e.message, type: openAIType(e.status), param: e.param ?? null, code: e.code ?? null } };
}

/** Every `/v1` route: a Bearer token, OpenAI's error body. */
export const openAIDialect: Dialect = {
  id: 'openai',
  secret: (headers) => bearer(headers),
  secretHint: '',
  errorBody: openAIErrorBody,
};

interface ChatContext extends OpenAIResponseContext {
  includeUsage: boolean;
}

/**
 * Tool calls whose signature the client dropped (neither in the id nor in extra_content): the first call of
 * each assistant turn, the one Gemini validates. Their signatures come from the server-side cache.
 */
function unsignedToolCallIds(req: OpenAIChatRequest): string[] {
  const ids: string[] = [];
  for (const m of req.messages) {
    if (m.role !== 'assistant' || !m.tool_calls || m.tool_calls.length === 0) continue;
    const call = m.tool_calls[0]!;
    if (decodeToolCallIdSignature(call.id) === undefined && !call.extra_content?.google?.thought_signature) ids.push(call.id);
  }
  return ids;
}

export const openAIChatAdapter: GenerationAdapter<OpenAIChatRequest, ChatContext> = {
  ...openAIDialect,

  parse: (body) => parseJsonObject(openAIChatRequestSchema, body, 'with "model" and "messages"'),
  mediaUrls: (req) => collectRemoteMediaUrls(req),
  signatureIds: unsignedToolCallIds,

  toGemini(req, inputs) {
    const translated = convertOpenAIChatRequestToGemini(req, { resolveMedia: inputs.media, lookupSignature: inputs.signatures });
    return {
      model: normaliseModelId(translated.model),
      request: translated.request,
      stream: req.stream === true,
      ctx: {
        id: `chatcmpl-${inputs.id}`,
        created: inputs.created,
        model: req.model,
        toolNames: translated.toolNames,
        includeUsage: req.stream_options?.include_usage === true,
      },
    };
  },

  toResponse(res: GeminiResponse, ctx) {
    const signatures: SignatureEntry[] = [];
    const body = convertGeminiResponseToOpenAIChat(res, { ...ctx, onSignature: (id, signature) => signatures.push({ id, signature }) });
    return { body, signatures };
  },

  openStream(ctx): StreamTranslator {
    const signatures: SignatureEntry[] = [];
    const state = createOpenAIStreamState({ ...ctx, onSignature: (id, signature) => signatures.push({ id, signature }) });
    const frames = (chunks: readonly unknown[]) => chunks.map((c) => ({ data: JSON.stringify(c) }));
    return {
      signatures,
      chunk: (chunk) => frames(convertGeminiChunkToOpenAIChunks(chunk, state)),
      finish: () => [...frames(finishOpenAIStream(state)), { data: '[DONE]' }],
      // Past the first byte there is no failover: the client gets the error as the last event.
      fail: (error) => [{ data: JSON.stringify(openAIErrorBody(error)) }],
    };
  },

  framing: () => 'sse',
  affinityKey: (req) => req.prompt_cache_key ?? req.user ?? undefined,
};
