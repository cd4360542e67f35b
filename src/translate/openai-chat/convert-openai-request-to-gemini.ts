import type { GeminiGenerationConfig, GeminiRequest } from '../../types/gemini.js';
import { TranslationError } from '../translation-error.js';
import { convertOpenAIMessagesToGemini } from './convert-openai-messages-to-gemini.js';
import { convertOpenAIToolsToGemini } from './convert-openai-tools-to-gemini.js';
import type { MediaResolver } from './media.js';
import { parseModelAlias } from './model-alias.js';
import { convertReasoningToThinkingConfig } from './reasoning.js';
import type { OpenAIChatRequest } from './request-schema.js';
import { convertResponseFormat, type SchemaMode } from './response-format.js';
import { toGeminiName } from './tool-names.js';
import { assembleRequest } from '../gemini-request.js';

export { TranslationError } from '../translation-error.js';

/** Optional inputs of convertOpenAIChatRequestToGemini; all pure values or lookups the caller prepared. */
export interface OpenAIToGeminiOptions {
  /**
   * Thought-signature cache lookup by tool-call id, used when a client returns a Gemini 3 tool call
   * whose id and `extra_content` lost the signature (feed it from extractThoughtSignatures).
   */
  lookupSignature?: (callId: string) => string | undefined;
  /** Bytes of the http(s) image URLs listed by collectRemoteMediaUrls, fetched by the caller. */
  resolveMedia?: MediaResolver;
  /** How `response_format: json_schema` is sent: `json` (default, responseJsonSchema) or `openapi` (responseSchema). */
  schemaMode?: SchemaMode;
}

/** The translated request. */
export interface OpenAIToGeminiRequest {
  /** The upstream model: the client's name without Rotor's `-search` / `-nothinking` / `-maxthinking` suffixes. */
  model: string;
  request: GeminiRequest;
  /**
   * Gemini function name → the client's name. Pass it as `toolNames` in the response context so tool
   * calls carry the names the client declared.
   */
  toolNames: Map<string, string>;
}

/**
 * OpenAI chat completions request (already schema-validated) → Gemini GenerateContentRequest.
 * Pure. Emits no empty objects and no undefined keys: Google parses strictly and 400s on oddities.
 * Throws TranslationError for input the schema cannot judge (see the converters it calls).
 * Ignored on purpose: `user`, `metadata`, `store`, `service_tier`, `parallel_tool_calls`, `stream` and
 * `stream_options` (the HTTP layer's concern).
 */
export function convertOpenAIChatRequestToGemini(req: OpenAIChatRequest, options: OpenAIToGeminiOptions = {}): OpenAIToGeminiRequest {
  rejectUnsupportedOptions(req);
  const alias = parseModelAlias(req.model);
  const tools = convertOpenAIToolsToGemini(req, { search: alias.search });
  const translated = convertOpenAIMessagesToGemini(req.messages, {
    toGeminiName: (name) => toGeminiName(tools.names, name),
    ...(options.lookupSignature ? { lookupSignature: options.lookupSignature } : {}),
    ...(options.resolveMedia ? { resolveMedia: options.resolveMedia } : {}),
  });
  const request = assembleRequest(translated, tools, convertGenerationConfig(req, { model: alias.model, thinking: alias.thinking, schemaMode: options.schemaMode }));
  return { model: alias.model, request, toolNames: tools.names.toClient };
}

interface GenerationOptions {
  /** The upstream model, which decides the thinking controls. */
  model?: string;
  thinking?: 'none' | 'max' | undefined;
  schemaMode?: SchemaMode | undefined;
}

/**
 * Sampling, output and thinking options → `generationConfig` (docs/google-protocols.md#generation-config,
 * docs/google-protocols.md#structured-output, docs/google-protocols.md#thinking-configuration); `undefined`
 * when nothing is set. OpenAI's `null` means "not set".
 */
export function convertGenerationConfig(req: OpenAIChatRequest, options: GenerationOptions = {}): GeminiGenerationConfig | undefined {
  const config: GeminiGenerationConfig = {};
  if (req.temperature != null) config.temperature = req.temperature;
  if (req.top_p != null) config.topP = req.top_p;
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  const stop = stopSequences(req.stop);
  if (stop.length > 0) config.stopSequences = stop;
  if (req.n != null && req.n > 1) config.candidateCount = req.n;
  if (req.seed != null) config.seed = int32Seed(req.seed);
  // A penalty of 0 is OpenAI's default and a no-op; Gemini 2.5/3 refuse any penalty ("Penalty is not enabled").
  if (req.presence_penalty != null && req.presence_penalty !== 0) config.presencePenalty = req.presence_penalty;
  if (req.frequency_penalty != null && req.frequency_penalty !== 0) config.frequencyPenalty = req.frequency_penalty;
  if (req.logprobs === true) {
    config.responseLogprobs = true;
    // Gemini takes 0–20 top candidates per step, the same range as OpenAI's top_logprobs.
    if (req.top_logprobs != null && req.top_logprobs > 0) config.logprobs = req.top_logprobs;
  }
  Object.assign(config, convertResponseFormat(req.response_format, options.schemaMode));
  const google = req.google?.thinking_config != null ? req.google : req.extra_body?.google;
  const thinkingConfig = convertReasoningToThinkingConfig({
    model: options.model ?? parseModelAlias(req.model).model,
    effort: req.reasoning_effort,
    ...(options.thinking ? { aliasThinking: options.thinking } : {}),
    passthrough: google?.thinking_config,
    passthroughField: google === req.google ? 'google.thinking_config' : 'extra_body.google.thinking_config',
  });
  if (thinkingConfig) config.thinkingConfig = thinkingConfig;
  return Object.keys(config).length > 0 ? config : undefined;
}

/** OpenAI seeds are 64-bit, Gemini's int32: fold deterministically (two's complement), in-range values unchanged. */
function int32Seed(seed: number): number {
  return Number(BigInt.asIntN(32, BigInt(seed)));
}

function stopSequences(stop: OpenAIChatRequest['stop']): string[] {
  if (stop == null) return [];
  // An empty stop sequence is meaningless and not worth a 400 from upstream.
  return (typeof stop === 'string' ? [stop] : stop).filter((s) => s !== '');
}

/** Options the schema accepts but Rotor refuses with a reason rather than silently dropping. */
function rejectUnsupportedOptions(req: OpenAIChatRequest): void {
  if ((req.functions != null && req.functions.length > 0) || req.function_call != null) {
    throw new TranslationError(
      req.functions != null ? 'functions' : 'function_call',
      'the deprecated functions/function_call fields are not supported; use tools and tool_choice',
    );
  }
  if (req.top_logprobs != null && req.top_logprobs > 0 && req.logprobs !== true) {
    throw new TranslationError('top_logprobs', 'top_logprobs requires logprobs: true');
  }
}
