import { append } from '../../util/append.js';
import type { GeminiCandidate, GeminiResponse } from '../../types/gemini.js';
import { convertGeminiFunctionCall, createToolCallIdSource } from './convert-gemini-tool-calls.js';
import { describeGeminiFinish, describePromptBlock } from './gemini-finish.js';
import { collectPartEvents } from './gemini-parts.js';
import { convertGroundingToAnnotations } from './grounding.js';
import { convertGeminiLogprobs } from './logprobs.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { hasGeminiUsageCounts, mapGeminiUsage } from './map-gemini-usage.js';
import type {
  OpenAIChatCompletionChunk,
  OpenAIChoiceLogprobs,
  OpenAIChunkDelta,
  OpenAIFinishReason,
  OpenAIResponseContext,
  OpenAIUsage,
} from './types.js';

export interface OpenAIStreamContext extends OpenAIResponseContext {
  /** The client asked for `stream_options.include_usage`. */
  includeUsage: boolean;
}

/** What one choice (one Gemini candidate) has sent so far. */
export interface OpenAIChoiceStreamState {
  roleSent: boolean;
  finishSent: boolean;
  /** Tool calls emitted for this choice; drives `finish_reason: "tool_calls"` and tool-call delta indices. */
  toolCallCount: number;
  /** Answer text sent so far: grounding offsets are measured against it. */
  text: string;
  /** Citations already sent (`start:end:url`), so repeated grounding metadata is not sent twice. */
  annotationKeys: Set<string>;
}

/** Per-request stream state: create one with createOpenAIStreamState, never share it between requests. */
export interface OpenAIStreamState {
  readonly ctx: Readonly<OpenAIStreamContext>;
  /** Keyed by choice index (Gemini candidate index). */
  readonly choices: Map<number, OpenAIChoiceStreamState>;
  /** From the last upstream chunk that carried real counts. */
  usage: OpenAIUsage | undefined;
  /** finishOpenAIStream has run. */
  finished: boolean;
  /** Tool-call ids for the whole stream (see createToolCallIdSource). */
  readonly nextToolCallId: () => string;
}

/**
 * One state per streamed request. Beyond `includeUsage`, the context takes the response options of
 * OpenAIResponseContext: `toolNames`, `idFactory`, `signaturesInToolCallIds`.
 */
export function createOpenAIStreamState(ctx: OpenAIStreamContext): OpenAIStreamState {
  return { ctx: { ...ctx }, choices: new Map(), usage: undefined, finished: false, nextToolCallId: createToolCallIdSource(ctx) };
}

/**
 * One Gemini stream chunk → 0..n OpenAI `chat.completion.chunk`s (docs/google-protocols.md#openai-stream-chunks).
 * Each choice's first chunk carries `delta.role: "assistant"`; answer text, thought text and function
 * calls become `delta.content` / `delta.reasoning_content` / `delta.tool_calls` chunks in upstream order
 * (one chunk per call, whole arguments, `index` counting the choice's calls); the first text chunk of a
 * candidate carries its `logprobs`; grounding arrives as `delta.annotations` in a chunk of its own; the
 * choice's `finish_reason` is sent once, in its own chunk, when Gemini reports `finishReason`, with
 * `delta.refusal` for content filters and preceded by a content note for a malformed function call.
 * Usage is only remembered here and sent by finishOpenAIStream.
 */
export function convertGeminiChunkToOpenAIChunks(
  chunk: GeminiResponse,
  state: OpenAIStreamState,
): OpenAIChatCompletionChunk[] {
  if (hasGeminiUsageCounts(chunk.usageMetadata)) state.usage = mapGeminiUsage(chunk.usageMetadata);
  const out: OpenAIChatCompletionChunk[] = [];
  const candidates = chunk.candidates ?? [];

  if (candidates.length === 0 && chunk.promptFeedback?.blockReason !== undefined) {
    const choice = choiceState(state, 0);
    const refusal = describePromptBlock(chunk.promptFeedback);
    if (!choice.finishSent) out.push(finishChunk(state, 0, choice, 'content_filter', { refusal }));
    return out;
  }

  candidates.forEach((candidate, position) => {
    const index = candidate.index ?? position;
    append(out, candidateChunks(candidate, index, choiceState(state, index), state));
  });
  return out;
}

function candidateChunks(
  candidate: GeminiCandidate,
  index: number,
  choice: OpenAIChoiceStreamState,
  state: OpenAIStreamState,
): OpenAIChatCompletionChunk[] {
  const out: OpenAIChatCompletionChunk[] = [];
  let logprobs: OpenAIChoiceLogprobs | null = convertGeminiLogprobs(candidate.logprobsResult);
  for (const event of collectPartEvents(candidate.content?.parts)) {
    if (event.kind === 'call') {
      const call = convertGeminiFunctionCall(event.call, event.signature, state.ctx, state.nextToolCallId);
      out.push(buildChunk(state, index, withRole(choice, { tool_calls: [{ index: choice.toolCallCount++, ...call }] }), null));
      continue;
    }
    if (event.field === 'content') choice.text += event.text;
    const withLogprobs = event.field === 'content' ? logprobs : null;
    if (withLogprobs) logprobs = null;
    out.push(buildChunk(state, index, withRole(choice, { [event.field]: event.text }), null, withLogprobs));
  }
  const annotations = convertGroundingToAnnotations(candidate.groundingMetadata, choice.text).filter((a) => {
    const key = `${a.url_citation.start_index}:${a.url_citation.end_index}:${a.url_citation.url}`;
    if (choice.annotationKeys.has(key)) return false;
    choice.annotationKeys.add(key);
    return true;
  });
  if (annotations.length > 0) out.push(buildChunk(state, index, withRole(choice, { annotations }), null));
  if (candidate.finishReason !== undefined && !choice.finishSent) {
    const finish = describeGeminiFinish(candidate.finishReason, candidate.finishMessage, choice.toolCallCount > 0);
    if (finish.note !== undefined) {
      const note = choice.text === '' ? finish.note : `\n\n${finish.note}`;
      choice.text += note;
      out.push(buildChunk(state, index, withRole(choice, { content: note }), null));
    }
    out.push(finishChunk(state, index, choice, finish.reason, finish.refusal === undefined ? {} : { refusal: finish.refusal }));
  }
  return out;
}

/**
 * The end of the upstream stream → the closing chunks: a `finish_reason` for every choice Gemini never
 * finished (or for choice 0 when nothing came at all, so the client still sees a complete answer), then,
 * with include_usage, the `choices: []` usage chunk (zeros if Gemini sent no counts). Idempotent.
 * The `data: [DONE]` line belongs to the HTTP layer.
 */
export function finishOpenAIStream(state: OpenAIStreamState): OpenAIChatCompletionChunk[] {
  if (state.finished) return [];
  state.finished = true;
  if (state.choices.size === 0) choiceState(state, 0);
  const out: OpenAIChatCompletionChunk[] = [];
  const open = [...state.choices.entries()].filter(([, c]) => !c.finishSent).sort(([a], [b]) => a - b);
  for (const [index, choice] of open) {
    out.push(finishChunk(state, index, choice, mapGeminiFinishReason(undefined, choice.toolCallCount > 0)));
  }
  if (state.ctx.includeUsage) {
    out.push({ ...header(state), choices: [], usage: state.usage ?? mapGeminiUsage(undefined) });
  }
  return out;
}

function choiceState(state: OpenAIStreamState, index: number): OpenAIChoiceStreamState {
  let choice = state.choices.get(index);
  if (!choice) {
    choice = { roleSent: false, finishSent: false, toolCallCount: 0, text: '', annotationKeys: new Set() };
    state.choices.set(index, choice);
  }
  return choice;
}

function withRole(choice: OpenAIChoiceStreamState, delta: OpenAIChunkDelta): OpenAIChunkDelta {
  if (choice.roleSent) return delta;
  choice.roleSent = true;
  return { role: 'assistant', ...delta };
}

function finishChunk(
  state: OpenAIStreamState,
  index: number,
  choice: OpenAIChoiceStreamState,
  reason: OpenAIFinishReason,
  delta: OpenAIChunkDelta = {},
): OpenAIChatCompletionChunk {
  choice.finishSent = true;
  return buildChunk(state, index, withRole(choice, delta), reason);
}

function buildChunk(
  state: OpenAIStreamState,
  index: number,
  delta: OpenAIChunkDelta,
  finishReason: OpenAIFinishReason | null,
  logprobs: OpenAIChoiceLogprobs | null = null,
): OpenAIChatCompletionChunk {
  const { id, created, model } = state.ctx;
  // Built field by field (not spread from header()): this runs for every streamed event.
  const chunk: OpenAIChatCompletionChunk = {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index, delta, finish_reason: finishReason, logprobs }],
  };
  // OpenAI sends `usage: null` on every chunk but the last when include_usage is on.
  if (state.ctx.includeUsage) chunk.usage = null;
  return chunk;
}

function header(state: OpenAIStreamState): Pick<OpenAIChatCompletionChunk, 'id' | 'object' | 'created' | 'model'> {
  return { id: state.ctx.id, object: 'chat.completion.chunk', created: state.ctx.created, model: state.ctx.model };
}
