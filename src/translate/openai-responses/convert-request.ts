import type { GeminiGenerationConfig, GeminiRequest, GeminiThinkingConfig } from '../../types/gemini.js';
import type { MediaResolver } from '../openai-chat/media.js';
import { parseModelAlias } from '../openai-chat/model-alias.js';
import { convertReasoningToThinkingConfig, thinkingFamily } from '../openai-chat/reasoning.js';
import { convertResponseFormat, type SchemaMode } from '../openai-chat/response-format.js';
import { toGeminiName } from '../openai-chat/tool-names.js';
import { convertResponsesInput } from './convert-input.js';
import { convertResponsesTools } from './convert-tools.js';
import type { ResponsesInputItem, ResponsesRequest } from './request-schema.js';
import { assembleRequest } from '../gemini-request.js';

export interface ResponsesToGeminiOptions {
  lookupSignature?: (callId: string) => string | undefined;
  resolveMedia?: MediaResolver;
  schemaMode?: SchemaMode;
}

export interface ResponsesToGeminiRequest {
  /** The upstream model: the client's name without Rotor's `-search` / `-nothinking` / `-maxthinking` suffixes. */
  model: string;
  request: GeminiRequest;
  /** Gemini function name → the client's tool name. */
  toolNames: Map<string, string>;
  /** Client names of custom tools. */
  customTools: Set<string>;
}

/** `input` as items: a string is one user message. */
export function inputItems(input: ResponsesRequest['input']): ResponsesInputItem[] {
  if (input == null) return [];
  return typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : input;
}

/**
 * A Responses request (schema-validated, with any previous response's items already in `input`) → Gemini
 * GenerateContentRequest. Pure; emits no empty objects. Ignored on purpose: `parallel_tool_calls` (no Gemini
 * switch), `store`, `include`, `prompt_cache_key` (the handler's and the adapter's concerns), `metadata`, `user`.
 */
export function convertResponsesRequestToGemini(req: ResponsesRequest, options: ResponsesToGeminiOptions = {}): ResponsesToGeminiRequest {
  const alias = parseModelAlias(req.model);
  const tools = convertResponsesTools(req, { search: alias.search });
  const translated = convertResponsesInput(inputItems(req.input), req.instructions, {
    toGeminiName: (name) => toGeminiName(tools.names, name),
    ...(options.lookupSignature ? { lookupSignature: options.lookupSignature } : {}),
    ...(options.resolveMedia ? { resolveMedia: options.resolveMedia } : {}),
  });
  const request = assembleRequest(translated, tools, convertGenerationConfig(req, alias.model, alias.thinking, options.schemaMode));
  return { model: alias.model, request, toolNames: tools.names.toClient, customTools: tools.custom };
}

/** Whether the client asked for reasoning summaries (Gemini's thought text). */
export function wantsSummary(req: ResponsesRequest): boolean {
  const summary = req.reasoning?.summary ?? req.reasoning?.generate_summary;
  return summary != null && req.reasoning?.effort !== 'none';
}

function convertGenerationConfig(
  req: ResponsesRequest,
  model: string,
  aliasThinking: 'none' | 'max' | undefined,
  schemaMode: SchemaMode | undefined,
): GeminiGenerationConfig | undefined {
  const config: GeminiGenerationConfig = {};
  if (req.temperature != null) config.temperature = req.temperature;
  if (req.top_p != null) config.topP = req.top_p;
  if (req.max_output_tokens != null) config.maxOutputTokens = req.max_output_tokens;
  const format = req.text?.format;
  if (format != null) {
    Object.assign(
      config,
      convertResponseFormat(
        format.type === 'json_schema' ? { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema ?? null } } : format,
        schemaMode,
      ),
    );
  }
  const thinkingConfig = convertThinking(req, model, aliasThinking);
  if (thinkingConfig) config.thinkingConfig = thinkingConfig;
  return Object.keys(config).length > 0 ? config : undefined;
}

/**
 * `reasoning.effort` → the thinking budget or level of the model's family (reasoning.ts, Google's mapping);
 * `reasoning.summary` → `includeThoughts` (Gemini's thought summaries become reasoning summary text). Models
 * without thinking controls get no thinking config.
 */
function convertThinking(req: ResponsesRequest, model: string, aliasThinking: 'none' | 'max' | undefined): GeminiThinkingConfig | undefined {
  if (thinkingFamily(model) === undefined) return undefined;
  const base = convertReasoningToThinkingConfig({ model, effort: req.reasoning?.effort ?? null, ...(aliasThinking ? { aliasThinking } : {}) });
  const includeThoughts = wantsSummary(req) && aliasThinking !== 'none';
  const { includeThoughts: _chat, ...level } = base ?? {};
  const out: GeminiThinkingConfig = { ...level };
  if (includeThoughts) out.includeThoughts = true;
  return Object.keys(out).length > 0 ? out : undefined;
}
