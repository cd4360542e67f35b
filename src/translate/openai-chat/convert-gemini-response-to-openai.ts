import type { GeminiCandidate, GeminiResponse } from '../../types/gemini.js';
import { convertGeminiFunctionCall, createToolCallIdSource } from './convert-gemini-tool-calls.js';
import { appendNote, describeGeminiFinish, describePromptBlock } from './gemini-finish.js';
import { collectPartEvents } from './gemini-parts.js';
import { convertGroundingToAnnotations } from './grounding.js';
import { convertGeminiLogprobs } from './logprobs.js';
import { mapGeminiUsage } from './map-gemini-usage.js';
import type {
  OpenAIAssistantMessage,
  OpenAIChatChoice,
  OpenAIChatCompletion,
  OpenAIResponseContext,
  OpenAIResponseToolCall,
} from './types.js';

/**
 * Gemini GenerateContentResponse (unwrapped from any Code Assist envelope) → OpenAI `chat.completion`.
 * One choice per candidate, ordered by index: answer text → `content`, thoughts → `reasoning_content`,
 * function calls → `tool_calls` (finish `tool_calls`), Google Search grounding → `annotations`,
 * `logprobsResult` → `logprobs`. A filtered answer keeps what text it has and says why in `refusal`; a
 * prompt blocked before any candidate (`promptFeedback.blockReason`) becomes one choice with
 * `content: null`, a `refusal` and `finish_reason: "content_filter"`, so clients see the filter rather
 * than an error. Tool-call thought signatures: see convertGeminiFunctionCall and extractThoughtSignatures.
 */
export function convertGeminiResponseToOpenAIChat(res: GeminiResponse, ctx: OpenAIResponseContext): OpenAIChatCompletion {
  const candidates = res.candidates ?? [];
  const nextId = createToolCallIdSource(ctx);
  const choices =
    candidates.length > 0
      ? candidates
          .map((candidate, position) => convertCandidate(candidate, position, ctx, nextId))
          .sort((a, b) => a.index - b.index)
      : [emptyChoice(res.promptFeedback)];
  return {
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices,
    usage: mapGeminiUsage(res.usageMetadata),
  };
}

function convertCandidate(
  candidate: GeminiCandidate,
  position: number,
  ctx: OpenAIResponseContext,
  nextId: () => string,
): OpenAIChatChoice {
  let content: string | undefined;
  let reasoning: string | undefined;
  const toolCalls: OpenAIResponseToolCall[] = [];
  for (const event of collectPartEvents(candidate.content?.parts)) {
    if (event.kind === 'call') toolCalls.push(convertGeminiFunctionCall(event.call, event.signature, ctx, nextId));
    else if (event.field === 'content') content = (content ?? '') + event.text;
    else reasoning = (reasoning ?? '') + event.text;
  }
  const finish = describeGeminiFinish(candidate.finishReason, candidate.finishMessage, toolCalls.length > 0);
  if (finish.note !== undefined) content = appendNote(content, finish.note);

  const message: OpenAIAssistantMessage = { role: 'assistant', content: content ?? null };
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (finish.refusal !== undefined) message.refusal = finish.refusal;
  const annotations = convertGroundingToAnnotations(candidate.groundingMetadata, content ?? '');
  if (annotations.length > 0) message.annotations = annotations;
  return {
    index: candidate.index ?? position,
    message,
    finish_reason: finish.reason,
    logprobs: convertGeminiLogprobs(candidate.logprobsResult),
  };
}

function emptyChoice(feedback: GeminiResponse['promptFeedback']): OpenAIChatChoice {
  const blocked = feedback?.blockReason !== undefined;
  const message: OpenAIAssistantMessage = { role: 'assistant', content: null };
  if (blocked) message.refusal = describePromptBlock(feedback);
  return { index: 0, message, finish_reason: blocked ? 'content_filter' : 'stop', logprobs: null };
}
