import type { GeminiGenerationConfig, GeminiRequest } from '../../types/gemini.js';
import { TranslationError } from '../translation-error.js';
import { convertOpenAIMessagesToGemini } from './convert-openai-messages-to-gemini.js';
import type { OpenAIChatRequest } from './request-schema.js';

export { TranslationError } from '../translation-error.js';

/** The translated request: the model as the client named it, and the body Gemini receives. */
export interface OpenAIToGeminiRequest {
  model: string;
  request: GeminiRequest;
}

/**
 * OpenAI chat completions request (already schema-validated) → Gemini GenerateContentRequest.
 * Pure. Emits no empty objects and no undefined keys: Google parses strictly and 400s on oddities.
 * Throws TranslationError for input the schema cannot judge (see convertOpenAIMessagesToGemini) and for
 * options this phase does not translate yet (rather than silently dropping them).
 */
export function convertOpenAIChatRequestToGemini(req: OpenAIChatRequest): OpenAIToGeminiRequest {
  rejectUnsupportedOptions(req);
  const { contents, systemInstruction } = convertOpenAIMessagesToGemini(req.messages);
  const request: GeminiRequest = { contents };
  if (systemInstruction) request.systemInstruction = systemInstruction;
  const generationConfig = convertGenerationConfig(req);
  if (generationConfig) request.generationConfig = generationConfig;
  return { model: req.model, request };
}

/**
 * Sampling options → `generationConfig` (upstream-protocols §3.8); `undefined` when nothing is set.
 * OpenAI's `null` means "not set".
 */
export function convertGenerationConfig(req: OpenAIChatRequest): GeminiGenerationConfig | undefined {
  const config: GeminiGenerationConfig = {};
  if (req.temperature != null) config.temperature = req.temperature;
  if (req.top_p != null) config.topP = req.top_p;
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  const stop = stopSequences(req.stop);
  if (stop.length > 0) config.stopSequences = stop;
  if (req.n != null && req.n > 1) config.candidateCount = req.n;
  if (req.seed != null) config.seed = req.seed;
  if (req.presence_penalty != null) config.presencePenalty = req.presence_penalty;
  if (req.frequency_penalty != null) config.frequencyPenalty = req.frequency_penalty;
  return Object.keys(config).length > 0 ? config : undefined;
}

function stopSequences(stop: OpenAIChatRequest['stop']): string[] {
  if (stop == null) return [];
  // An empty stop sequence is meaningless and not worth a 400 from upstream.
  return (typeof stop === 'string' ? [stop] : stop).filter((s) => s !== '');
}

/**
 * Options the schema accepts but this translator does not map yet. Refusing them names the feature;
 * dropping them would silently change what the client gets. Ignored on purpose, because they do not change
 * the answer's shape: `user`, `metadata`, `parallel_tool_calls`, `reasoning_effort` (the model's default
 * thinking applies), `stream`/`stream_options` (the HTTP layer's concern), `tool_choice` "auto"/"none".
 */
function rejectUnsupportedOptions(req: OpenAIChatRequest): void {
  if (req.tools && req.tools.length > 0) {
    throw new TranslationError('tools', 'function tools are not supported yet');
  }
  const choice = req.tool_choice;
  if (choice != null && choice !== 'auto' && choice !== 'none') {
    throw new TranslationError('tool_choice', 'forcing a tool call is not supported yet');
  }
  const format = req.response_format?.type;
  if (format === 'json_object' || format === 'json_schema') {
    throw new TranslationError('response_format', `response_format "${format}" is not supported yet`);
  }
  if (req.logprobs === true || (req.top_logprobs != null && req.top_logprobs > 0)) {
    throw new TranslationError(req.logprobs === true ? 'logprobs' : 'top_logprobs', 'logprobs are not supported yet');
  }
}
