import type { GeminiResponse } from '../../types/gemini.js';
import { collectTextRuns } from './gemini-parts.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { hasGeminiUsageCounts, mapGeminiUsage } from './map-gemini-usage.js';
import type {
  OpenAIChatCompletionChunk,
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
}

export function createOpenAIStreamState(ctx: OpenAIStreamContext): OpenAIStreamState {
  return { ctx: { ...ctx }, choices: new Map(), usage: undefined, finished: false };
}

/**
 * One Gemini stream chunk → 0..n OpenAI `chat.completion.chunk`s (upstream-protocols §3.11).
 * Each choice's first chunk carries `delta.role: "assistant"`; answer text and thought text become
 * `delta.content` / `delta.reasoning_content` chunks in upstream order; the choice's `finish_reason` is sent
 * once, in its own chunk with an empty delta, when Gemini reports `finishReason`. Usage is only remembered
 * here and sent by finishOpenAIStream.
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
    if (!choice.finishSent) out.push(finishChunk(state, 0, choice, 'content_filter'));
    return out;
  }

  candidates.forEach((candidate, position) => {
    const index = candidate.index ?? position;
    const choice = choiceState(state, index);
    for (const run of collectTextRuns(candidate.content?.parts)) {
      out.push(buildChunk(state, index, withRole(choice, { [run.field]: run.text }), null));
    }
    if (candidate.finishReason !== undefined && !choice.finishSent) {
      const reason = mapGeminiFinishReason(candidate.finishReason, choice.toolCallCount > 0);
      out.push(finishChunk(state, index, choice, reason));
    }
  });
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
    choice = { roleSent: false, finishSent: false, toolCallCount: 0 };
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
): OpenAIChatCompletionChunk {
  choice.finishSent = true;
  return buildChunk(state, index, withRole(choice, {}), reason);
}

function buildChunk(
  state: OpenAIStreamState,
  index: number,
  delta: OpenAIChunkDelta,
  finishReason: OpenAIFinishReason | null,
): OpenAIChatCompletionChunk {
  const chunk: OpenAIChatCompletionChunk = {
    ...header(state),
    choices: [{ index, delta, finish_reason: finishReason, logprobs: null }],
  };
  // OpenAI sends `usage: null` on every chunk but the last when include_usage is on.
  if (state.ctx.includeUsage) chunk.usage = null;
  return chunk;
}

function header(state: OpenAIStreamState): Pick<OpenAIChatCompletionChunk, 'id' | 'object' | 'created' | 'model'> {
  return { id: state.ctx.id, object: 'chat.completion.chunk', created: state.ctx.created, model: state.ctx.model };
}
