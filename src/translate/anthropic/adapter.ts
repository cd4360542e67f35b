/**
 * The Anthropic Messages dialect (`/v1/messages`, `/v1/messages/count_tokens`, and the error shape of every
 * path under `/v1/messages`), for Claude Code and the Anthropic SDKs.
 */
import type { GeminiRequest } from '../../types/gemini.js';
import { bearer, header, type Dialect, type ErrorInfo, type Frame, type GenerationAdapter, type StreamTranslator, type TranslateInputs } from '../dialect.js';
import { parseJsonObject } from '../parse-body.js';
import { collectAnthropicMediaUrls } from './content.js';
import { convertAnthropicRequestToGemini } from './convert-request.js';
import type { ModelAliasRule } from './models.js';
import { anthropicRequestSchema, knownBlocks, type AnthropicRequest } from './request-schema.js';
import { AnthropicResponseState, convertGeminiResponseToAnthropic, type AnthropicResponseContext } from './response.js';

/** Anthropic's error type for a status (docs.anthropic.com, errors). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** `{"type": "error", "error": {"type", "message"}}`; the field at fault leads the message, as Anthropic writes it. */
export function anthropicErrorBody(e: ErrorInfo): unknown {
  const message = e.param && e.param !== 'request body' && !e.message.includes(e.param) ? `${e.param}: ${e.message}` : e.message;
  return { type: 'error', error: { type: anthropicErrorType(e.status), message } };
}

/**
 * Every path under `/v1/messages`: the Anthropic SDKs send `x-api-key`; Claude Code's ANTHROPIC_AUTH_TOKEN a
 * Bearer token. When a request carries both (Claude Code sends both when ANTHROPIC_API_KEY, often the user's own
 * Anthropic key, is set beside ANTHROPIC_AUTH_TOKEN), the Bearer token is the one checked, as on `/v1beta`, where
 * it wins over `x-goog-api-key`: one rule for every dialect.
 */
export const anthropicDialect: Dialect = {
  id: 'anthropic',
  secret: (headers) => bearer(headers) ?? header(headers, 'x-api-key'),
  secretHint: 'an x-api-key header or ',
  errorBody: anthropicErrorBody,
};

/** Anthropic SDKs expect `event: ping` while nothing else comes. */
export const ANTHROPIC_PING: Frame = { event: 'ping', data: '{"type":"ping"}' };

export interface AnthropicAdapterOptions {
  /** MODEL_ALIASES rules, tried before the Claude defaults. */
  aliases?: readonly ModelAliasRule[];
  /** The models Rotor serves (MODELS): the Claude defaults pick among them. */
  served?: readonly string[];
}

export interface AnthropicContext extends AnthropicResponseContext {
  stream: boolean;
}

export const parseAnthropicRequest = (body: unknown): AnthropicRequest => parseJsonObject(anthropicRequestSchema, body, 'with "model" and "messages"');

/**
 * The first tool_use of each assistant message that no signed thinking block precedes: the call Gemini
 * validates, whose signature the client dropped, so it comes from the server-side cache.
 */
export function unsignedToolUseIds(req: AnthropicRequest): string[] {
  const ids: string[] = [];
  for (const message of req.messages) {
    if (message.role !== 'assistant') continue;
    let signed = false;
    for (const block of knownBlocks(message.content)) {
      if (block.type === 'thinking' && typeof block.signature === 'string' && block.signature !== '') signed = true;
      if (block.type === 'tool_use') {
        if (!signed) ids.push(block.id);
        break;
      }
    }
  }
  return ids;
}

/** The Gemini request and the answer's context, shared by generation and token counting. */
export function planAnthropic(
  req: AnthropicRequest,
  inputs: Pick<TranslateInputs, 'media' | 'signatures' | 'id'>,
  options: AnthropicAdapterOptions & { allowEmpty?: boolean },
): { model: string; request: GeminiRequest; ctx: AnthropicContext } {
  const translated = convertAnthropicRequestToGemini(req, {
    aliases: options.aliases ?? [],
    served: options.served ?? [],
    media: inputs.media,
    lookupSignature: inputs.signatures,
    allowEmpty: options.allowEmpty === true,
  });
  const idBase = inputs.id.replace(/[^A-Za-z0-9_-]/g, '');
  return {
    model: translated.model,
    request: translated.request,
    ctx: { id: `msg_${idBase}`, model: req.model, toolNames: translated.toolNames, idBase, stream: req.stream === true },
  };
}

function frames(events: ReadonlyArray<{ type: string }>): Frame[] {
  return events.map((e) => ({ event: e.type, data: JSON.stringify(e) }));
}

export function createAnthropicAdapter(options: AnthropicAdapterOptions = {}): GenerationAdapter<AnthropicRequest, AnthropicContext> {
  return {
    ...anthropicDialect,
    parse: parseAnthropicRequest,
    mediaUrls: collectAnthropicMediaUrls,
    signatureIds: unsignedToolUseIds,

    toGemini(req, inputs) {
      const plan = planAnthropic(req, inputs, options);
      return { model: plan.model, request: plan.request, stream: plan.ctx.stream, ctx: plan.ctx };
    },

    toResponse(res, ctx) {
      const { message, signatures } = convertGeminiResponseToAnthropic(res, ctx);
      return { body: message, signatures };
    },

    openStream(ctx): StreamTranslator {
      const state = new AnthropicResponseState(ctx);
      return {
        signatures: state.signatures,
        chunk: (chunk) => frames(state.chunk(chunk)),
        finish: () => frames(state.finish()),
        // Past the first byte there is no failover: the client gets the error as an `error` event.
        fail: (error) => [{ event: 'error', data: JSON.stringify(anthropicErrorBody(error)) }],
      };
    },

    framing: () => 'sse',
    heartbeat: ANTHROPIC_PING,
    affinityKey: (req) => req.metadata?.user_id ?? undefined,
  };
}

/**
 * The request Google's countTokens gets for a count_tokens call. Both upstream clients forward only
 * `contents` (Code Assist's countTokens takes nothing else), so the system prompt and the tool declarations
 * are counted as Google would see their text: prepended to the first user content (system parts as they are,
 * the declarations as their JSON).
 */
export function countTokensRequest(request: GeminiRequest): GeminiRequest {
  const extra = [...(request.systemInstruction?.parts ?? [])];
  const declarations = (request.tools ?? []).flatMap((t) => t.functionDeclarations ?? []);
  if (declarations.length > 0) extra.push({ text: JSON.stringify(declarations) });
  if (extra.length === 0) return { contents: request.contents };
  const [first, ...rest] = request.contents;
  if (first?.role === 'user') return { contents: [{ role: 'user', parts: [...extra, ...first.parts] }, ...rest] };
  return { contents: [{ role: 'user', parts: extra }, ...request.contents] };
}
