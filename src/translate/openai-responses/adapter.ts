/**
 * The OpenAI Responses dialect (`POST /v1/responses`), for Codex CLI and the OpenAI SDKs' `responses` API.
 * Stored responses (`store`, `previous_response_id`, `GET /v1/responses/{id}`) are the handler's part
 * (http/handlers/responses.ts): it puts an earlier response's items in front of the input before this adapter
 * translates, and keeps the result this adapter leaves in its context.
 */
import type { GeminiResponse } from '../../types/gemini.js';
import type { ErrorInfo, GenerationAdapter, StreamTranslator } from '../dialect.js';
import { openAIDialect, openAIErrorBody } from '../openai-chat/adapter.js';
import { normaliseModelId, parseJsonObject } from '../parse-body.js';
import { collectResponsesMediaUrls, unsignedCallIds } from './convert-input.js';
import { convertResponsesRequestToGemini, inputItems } from './convert-request.js';
import { errorCode, ResponseBuilder, type ResponsesContext } from './response-builder.js';
import { responsesRequestSchema, type ResponsesRequest } from './request-schema.js';
import type { ResponseEcho } from './types.js';

/** The `include` value that asks for reasoning items' `encrypted_content`. */
export const INCLUDE_ENCRYPTED = 'reasoning.encrypted_content';

/** OpenAI's error body, with the codes its clients act on (rate limits, context length). */
export function responsesErrorBody(e: ErrorInfo): unknown {
  if (e.code !== undefined) return openAIErrorBody(e);
  const code = errorCode(e);
  return openAIErrorBody(code === 'rate_limit_exceeded' || code === 'context_length_exceeded' ? { ...e, code } : e);
}

/** What every response object repeats from its request. */
export function responseEcho(req: ResponsesRequest): ResponseEcho {
  return {
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    metadata: req.metadata ?? {},
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id ?? null,
    prompt_cache_key: req.prompt_cache_key ?? null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? req.reasoning?.generate_summary ?? null },
    store: req.store ?? true,
    temperature: req.temperature ?? null,
    text: { format: req.text?.format ?? { type: 'text' } },
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    top_p: req.top_p ?? null,
    truncation: 'disabled',
    user: req.user ?? null,
  };
}

export const openAIResponsesAdapter: GenerationAdapter<ResponsesRequest, ResponsesContext> = {
  ...openAIDialect,
  id: 'responses',
  errorBody: responsesErrorBody,

  parse: (body) => parseJsonObject(responsesRequestSchema, body, 'with "model" and "input"'),
  mediaUrls: (req) => collectResponsesMediaUrls(inputItems(req.input)),
  signatureIds: (req) => unsignedCallIds(inputItems(req.input)),

  toGemini(req, inputs) {
    const translated = convertResponsesRequestToGemini(req, { resolveMedia: inputs.media, lookupSignature: inputs.signatures });
    return {
      model: normaliseModelId(translated.model),
      request: translated.request,
      stream: req.stream === true,
      ctx: {
        id: `resp_${inputs.id}`,
        created: inputs.created,
        model: req.model,
        toolNames: translated.toolNames,
        customTools: translated.customTools,
        includeEncrypted: (req.include ?? []).includes(INCLUDE_ENCRYPTED),
        echo: responseEcho(req),
      },
    };
  },

  toResponse(res: GeminiResponse, ctx) {
    const builder = new ResponseBuilder(ctx, true);
    builder.chunk(res);
    builder.finish();
    return { body: ctx.result!.response, signatures: builder.signatureEntries };
  },

  openStream(ctx): StreamTranslator {
    const builder = new ResponseBuilder(ctx);
    return {
      signatures: builder.signatureEntries,
      chunk: (chunk) => builder.chunk(chunk),
      finish: () => builder.finish(),
      fail: (error) => builder.fail(error),
    };
  },

  framing: () => 'sse',
  affinityKey: (req) => req.prompt_cache_key ?? req.safety_identifier ?? req.user ?? undefined,
};
