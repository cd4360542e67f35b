import type { GeminiFinishReason, GeminiResponse } from '../../types/gemini.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import type { OpenAIFinishReason } from './types.js';

/** How a Gemini candidate ended, in OpenAI terms. */
export interface FinishOutcome {
  reason: OpenAIFinishReason;
  /** For content_filter finishes: why, in words, for `message.refusal` / `delta.refusal`. */
  refusal?: string;
  /** For stops the client would not otherwise understand (malformed function call): text appended to `content`. */
  note?: string;
}

const WHY: Record<string, string> = {
  SAFETY: 'it was flagged by the safety filters',
  RECITATION: 'it recited protected material',
  BLOCKLIST: 'it contained blocklisted terms',
  PROHIBITED_CONTENT: 'it contained prohibited content',
  SPII: 'it contained sensitive personal information',
  IMAGE_SAFETY: 'an image was flagged by the safety filters',
  IMAGE_PROHIBITED_CONTENT: 'an image contained prohibited content',
  IMAGE_RECITATION: 'an image recited protected material',
  LANGUAGE: 'it was in an unsupported language',
  OTHER: 'of an unspecified policy',
};

// Gemini stops without an answer the client can act on; a note in the content says what happened.
const NOTED: Record<string, string> = {
  MALFORMED_FUNCTION_CALL: 'it produced a malformed function call',
  UNEXPECTED_TOOL_CALL: 'it called a tool that was not declared',
};

/**
 * Gemini `finishReason` (+ `finishMessage`) → finish_reason plus the words the client gets: a refusal
 * for content filters, a content note for MALFORMED_FUNCTION_CALL and UNEXPECTED_TOOL_CALL (which end as
 * `stop`, so the client is not left with an empty answer and no reason). Tool calls win, as in
 * mapGeminiFinishReason.
 */
export function describeGeminiFinish(
  reason: GeminiFinishReason | undefined,
  finishMessage: string | undefined,
  hasToolCalls: boolean,
): FinishOutcome {
  const mapped = mapGeminiFinishReason(reason, hasToolCalls);
  if (hasToolCalls || reason === undefined) return { reason: mapped };
  const detail = finishMessage !== undefined && finishMessage !== '' ? ` ${finishMessage}` : '';
  if (mapped === 'content_filter') {
    return { reason: mapped, refusal: `Gemini stopped the answer because ${WHY[reason] ?? 'of its content policy'} (${reason}).${detail}` };
  }
  const noted = NOTED[reason];
  if (noted !== undefined) return { reason: mapped, note: `Gemini stopped because ${noted} (${reason}).${detail}` };
  return { reason: mapped };
}

/** `promptFeedback.blockReason` → the refusal text of the single content_filter choice. */
export function describePromptBlock(feedback: NonNullable<GeminiResponse['promptFeedback']>): string {
  const reason = feedback.blockReason ?? 'BLOCK_REASON_UNSPECIFIED';
  const detail = feedback.blockReasonMessage ? ` ${feedback.blockReasonMessage}` : '';
  return `Gemini blocked the prompt because ${WHY[reason] ?? 'of its content policy'} (${reason}).${detail}`;
}

/** A note joined to text already sent, on its own paragraph. */
export function appendNote(text: string | undefined, note: string): string {
  return text === undefined || text === '' ? note : `${text}\n\n${note}`;
}
