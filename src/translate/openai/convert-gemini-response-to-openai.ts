import type { GeminiCandidate, GeminiResponse } from '../../types/gemini.js';
import { collectTextRuns, joinTextRuns } from './gemini-parts.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { mapGeminiUsage } from './map-gemini-usage.js';
import type { OpenAIAssistantMessage, OpenAIChatChoice, OpenAIChatCompletion, OpenAIResponseContext } from './types.js';

/**
 * Gemini GenerateContentResponse (unwrapped from any Code Assist envelope) → OpenAI `chat.completion`.
 * One choice per candidate, ordered by index. A prompt blocked before any candidate
 * (`promptFeedback.blockReason`) becomes one choice with `content: null` and `finish_reason: "content_filter"`,
 * as LiteLLM does, so clients see the filter rather than an error.
 */
export function convertGeminiResponseToOpenAIChat(
  res: GeminiResponse,
  ctx: OpenAIResponseContext,
): OpenAIChatCompletion {
  const candidates = res.candidates ?? [];
  const choices =
    candidates.length > 0
      ? candidates.map((candidate, position) => convertCandidate(candidate, position)).sort((a, b) => a.index - b.index)
      : [emptyChoice(res.promptFeedback?.blockReason !== undefined)];
  return {
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices,
    usage: mapGeminiUsage(res.usageMetadata),
  };
}

function convertCandidate(candidate: GeminiCandidate, position: number): OpenAIChatChoice {
  const runs = collectTextRuns(candidate.content?.parts);
  const message: OpenAIAssistantMessage = { role: 'assistant', content: joinTextRuns(runs, 'content') ?? null };
  const reasoning = joinTextRuns(runs, 'reasoning_content');
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  return {
    index: candidate.index ?? position,
    message,
    // Tool calls are translated in a later phase; until then no response carries them.
    finish_reason: mapGeminiFinishReason(candidate.finishReason, false),
    logprobs: null,
  };
}

function emptyChoice(blocked: boolean): OpenAIChatChoice {
  return {
    index: 0,
    message: { role: 'assistant', content: null },
    finish_reason: blocked ? 'content_filter' : 'stop',
    logprobs: null,
  };
}
