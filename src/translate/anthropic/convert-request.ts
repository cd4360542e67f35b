import type { GeminiGenerationConfig, GeminiRequest } from '../../types/gemini.js';
import type { MediaResolver } from '../openai-chat/media.js';
import { prepareResponseJsonSchema } from '../openai-chat/response-format.js';
import { toGeminiName } from '../openai-chat/tool-names.js';
import { convertAnthropicMessages } from './convert-messages.js';
import { resolveModel, type ModelAliasRule } from './models.js';
import type { AnthropicRequest } from './request-schema.js';
import { convertThinking } from './thinking.js';
import { convertAnthropicTools } from './tools.js';
import { assembleRequest } from '../gemini-request.js';

export interface AnthropicToGeminiOptions {
  /** MODEL_ALIASES rules. */
  aliases?: readonly ModelAliasRule[];
  /** The models Rotor serves (MODELS): the Claude defaults pick among them. */
  served?: readonly string[];
  media?: MediaResolver;
  /** Signatures from the server-side cache, by tool_use id. */
  lookupSignature?: (toolUseId: string) => string | undefined;
  /** Messages without any content are fine (count_tokens of a system prompt or tools alone). */
  allowEmpty?: boolean;
}

export interface AnthropicToGeminiRequest {
  /** The upstream model: the client's name through MODEL_ALIASES and the Claude defaults. */
  model: string;
  request: GeminiRequest;
  /** Gemini function name → the client's tool name. */
  toolNames: Map<string, string>;
  /** A web search tool was declared. */
  search: boolean;
}

/** Gemini takes at most 5 stop sequences (GenerationConfig.stopSequences); further ones are not sent. */
const MAX_STOP_SEQUENCES = 5;

/**
 * Anthropic Messages request (schema-validated) → Gemini GenerateContentRequest. Pure; emits no empty objects
 * and no undefined keys (Google parses strictly). Ignored on purpose: `metadata` (its `user_id` is the
 * session-affinity key, read by the adapter), `cache_control`, `context_management`, `container`, `mcp_servers`,
 * `service_tier`, `stream` (the handler's concern), tool_choice's `disable_parallel_tool_use`.
 */
export function convertAnthropicRequestToGemini(req: AnthropicRequest, options: AnthropicToGeminiOptions = {}): AnthropicToGeminiRequest {
  const model = resolveModel(req.model, options.aliases ?? [], options.served ?? []);
  const tools = convertAnthropicTools(req);
  const translated = convertAnthropicMessages(req, {
    toGeminiName: (name) => toGeminiName(tools.names, name),
    media: options.media ?? (() => undefined),
    lookupSignature: options.lookupSignature ?? (() => undefined),
    allowEmpty: options.allowEmpty === true,
  });
  const request = assembleRequest(translated, tools, convertGenerationConfig(req, model));
  return { model, request, toolNames: tools.names.toClient, search: tools.search };
}

/** Sampling, length, stop, thinking and structured output → `generationConfig` (undefined when nothing is set). */
export function convertGenerationConfig(req: AnthropicRequest, model: string): GeminiGenerationConfig | undefined {
  const config: GeminiGenerationConfig = {};
  if (req.temperature != null) config.temperature = req.temperature;
  if (req.top_p != null) config.topP = req.top_p;
  if (req.top_k != null) config.topK = req.top_k;
  if (req.max_tokens != null) config.maxOutputTokens = req.max_tokens;
  const stops = (req.stop_sequences ?? []).filter((s) => s !== '').slice(0, MAX_STOP_SEQUENCES);
  if (stops.length > 0) config.stopSequences = stops;
  const format = req.output_config?.format ?? req.output_format;
  if (format) {
    config.responseMimeType = 'application/json';
    config.responseJsonSchema = prepareResponseJsonSchema(format.schema);
  }
  const thinkingConfig = convertThinking(model, req.thinking, req.output_config?.effort);
  if (thinkingConfig) config.thinkingConfig = thinkingConfig;
  return Object.keys(config).length > 0 ? config : undefined;
}
