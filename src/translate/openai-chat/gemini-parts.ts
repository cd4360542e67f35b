import type { GeminiFunctionCall, GeminiPart } from '../../types/gemini.js';

/** A stretch of consecutive Gemini parts that lands in one OpenAI field. */
export interface OpenAITextRun {
  /** `content` for answer text, `reasoning_content` for thought summaries (`thought: true`). */
  field: 'content' | 'reasoning_content';
  text: string;
}

/**
 * Groups a candidate's parts into runs of answer text and thought text, in order, skipping empty text
 * (Gemini ends streams with `{"text": ""}` and may put a lone `thoughtSignature` on an empty part).
 * Parts without text (function calls, inline data) are not text runs; tool calls are read separately.
 */
export function collectTextRuns(parts: readonly GeminiPart[] | undefined): OpenAITextRun[] {
  const runs: OpenAITextRun[] = [];
  for (const part of parts ?? []) {
    if (typeof part.text !== 'string' || part.text === '') continue;
    const field = part.thought === true ? 'reasoning_content' : 'content';
    const last = runs[runs.length - 1];
    if (last?.field === field) last.text += part.text;
    else runs.push({ field, text: part.text });
  }
  return runs;
}

/** All text of one field, concatenated; `undefined` when there is none. */
export function joinTextRuns(runs: readonly OpenAITextRun[], field: OpenAITextRun['field']): string | undefined {
  const texts = runs.filter((r) => r.field === field).map((r) => r.text);
  return texts.length > 0 ? texts.join('') : undefined;
}

/** A candidate's parts as the OpenAI side sees them, in order: text runs and function calls. */
export type OpenAIPartEvent =
  | ({ kind: 'text' } & OpenAITextRun)
  | { kind: 'call'; call: GeminiFunctionCall; signature: string | undefined };

/**
 * Like collectTextRuns, with function calls kept in their place (they split text runs). A call's
 * `thoughtSignature` travels with it; signatures on text parts are not needed back (Gemini validates
 * only function-call signatures) and are dropped.
 */
export function collectPartEvents(parts: readonly GeminiPart[] | undefined): OpenAIPartEvent[] {
  const events: OpenAIPartEvent[] = [];
  for (const part of parts ?? []) {
    if (part.functionCall) {
      events.push({ kind: 'call', call: part.functionCall, signature: part.thoughtSignature });
      continue;
    }
    if (typeof part.text !== 'string' || part.text === '') continue;
    const field = part.thought === true ? 'reasoning_content' : 'content';
    const last = events[events.length - 1];
    if (last?.kind === 'text' && last.field === field) last.text += part.text;
    else events.push({ kind: 'text', field, text: part.text });
  }
  return events;
}
