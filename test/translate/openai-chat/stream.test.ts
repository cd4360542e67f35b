import { describe, expect, it } from 'vitest';
import {
  convertGeminiChunkToOpenAIChunks,
  createOpenAIStreamState,
  finishOpenAIStream,
  type OpenAIStreamState,
} from '../../../src/translate/openai-chat/stream.js';
import type { OpenAIChatCompletionChunk } from '../../../src/translate/openai-chat/types.js';
import type { GeminiCandidate, GeminiPart, GeminiResponse } from '../../../src/types/gemini.js';
import { fixtureContext, listFixtures, readChunksFixture, readJsonFixture, type FixtureContext } from './fixtures.js';

const ctx = { id: 'chatcmpl-test', created: 1767999333, model: 'gemini-2.5-flash' };

/** Runs a whole upstream stream through the translator, as the HTTP layer does. */
function replay(chunks: GeminiResponse[], state: OpenAIStreamState): OpenAIChatCompletionChunk[][] {
  return [...chunks.map((c) => convertGeminiChunkToOpenAIChunks(c, state)), finishOpenAIStream(state)];
}

const text = (t: string, extra: Partial<GeminiCandidate> = {}): GeminiResponse => ({
  candidates: [{ content: { role: 'model', parts: [{ text: t }] }, ...extra }],
});

describe('OpenAI stream translation', () => {
  it.each(listFixtures('stream-', '.chunks.txt'))('replays %s into the exact client chunks', (name) => {
    const expected = readJsonFixture<{ includeUsage: boolean; chunks: unknown[]; ctx?: FixtureContext }>(`${name}.expected.json`);
    const state = createOpenAIStreamState({ ...ctx, ...fixtureContext(expected.ctx), includeUsage: expected.includeUsage });
    expect(replay(readChunksFixture(name), state).flat()).toStrictEqual(expected.chunks);
  });

  it('sends the role once and the finish reason only on the chunk where Gemini finished', () => {
    const state = createOpenAIStreamState({ ...ctx, includeUsage: false });
    const [first, second, last, closing] = replay([text('a'), text('b'), text('c', { finishReason: 'STOP' })], state);
    expect(first?.map((c) => c.choices[0])).toStrictEqual([
      { index: 0, delta: { role: 'assistant', content: 'a' }, finish_reason: null, logprobs: null },
    ]);
    expect(second?.map((c) => c.choices[0])).toStrictEqual([
      { index: 0, delta: { content: 'b' }, finish_reason: null, logprobs: null },
    ]);
    expect(last?.map((c) => c.choices[0])).toStrictEqual([
      { index: 0, delta: { content: 'c' }, finish_reason: null, logprobs: null },
      { index: 0, delta: {}, finish_reason: 'stop', logprobs: null },
    ]);
    expect(closing).toStrictEqual([]);
  });

  it('never repeats a finish reason that Gemini repeats', () => {
    const state = createOpenAIStreamState({ ...ctx, includeUsage: false });
    const out = replay([text('a', { finishReason: 'STOP' }), text('', { finishReason: 'STOP' })], state).flat();
    expect(out.filter((c) => c.choices[0]?.finish_reason !== null)).toHaveLength(1);
  });

  it('emits nothing for a chunk without candidates, but remembers its usage', () => {
    const state = createOpenAIStreamState({ ...ctx, includeUsage: true });
    convertGeminiChunkToOpenAIChunks(text('a', { finishReason: 'STOP' }), state);
    expect(convertGeminiChunkToOpenAIChunks({ usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 } }, state)).toStrictEqual([]);
    expect(convertGeminiChunkToOpenAIChunks({ usageMetadata: { trafficType: 'ON_DEMAND' } }, state)).toStrictEqual([]);
    expect(finishOpenAIStream(state)).toStrictEqual([
      { ...ctx, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } },
    ]);
  });

  it('uses the last chunk with real counts, not interim traffic-type metadata', () => {
    const state = createOpenAIStreamState({ ...ctx, includeUsage: true });
    convertGeminiChunkToOpenAIChunks({ ...text('a'), usageMetadata: { promptTokenCount: 2, totalTokenCount: 2 } }, state);
    convertGeminiChunkToOpenAIChunks({ ...text('b'), usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 2, totalTokenCount: 4 } }, state);
    convertGeminiChunkToOpenAIChunks({ ...text('', { finishReason: 'STOP' }), usageMetadata: { trafficType: 'ON_DEMAND' } }, state);
    expect(finishOpenAIStream(state).at(-1)?.usage).toStrictEqual({ prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 });
  });

  it('closes an empty upstream stream with one finished choice', () => {
    const state = createOpenAIStreamState({ ...ctx, includeUsage: false });
    expect(finishOpenAIStream(state)).toStrictEqual([
      {
        ...ctx,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: 'stop', logprobs: null }],
      },
    ]);
    expect(finishOpenAIStream(state)).toStrictEqual([]);
  });

  it('keeps thought and answer text in upstream order within one chunk', () => {
    const state = createOpenAIStreamState({ ...ctx, includeUsage: false });
    const chunk: GeminiResponse = {
      candidates: [
        {
          content: {
            role: 'model',
            parts: [{ text: 'plan', thought: true }, { text: 'A' }, { text: 'B' }, { text: '', thoughtSignature: 'c2ln' }],
          },
        },
      ],
    };
    expect(convertGeminiChunkToOpenAIChunks(chunk, state).map((c) => c.choices[0]?.delta)).toStrictEqual([
      { role: 'assistant', reasoning_content: 'plan' },
      { content: 'AB' },
    ]);
  });

  it('tracks each candidate as its own choice', () => {
    const state = createOpenAIStreamState({ ...ctx, includeUsage: false });
    const chunk: GeminiResponse = {
      candidates: [
        { index: 0, content: { role: 'model', parts: [{ text: 'x' }] } },
        { index: 1, content: { role: 'model', parts: [{ text: 'y' }] }, finishReason: 'MAX_TOKENS' },
      ],
    };
    const out = [...convertGeminiChunkToOpenAIChunks(chunk, state), ...finishOpenAIStream(state)];
    expect(out.map((c) => c.choices[0])).toStrictEqual([
      { index: 0, delta: { role: 'assistant', content: 'x' }, finish_reason: null, logprobs: null },
      { index: 1, delta: { role: 'assistant', content: 'y' }, finish_reason: null, logprobs: null },
      { index: 1, delta: {}, finish_reason: 'length', logprobs: null },
      { index: 0, delta: {}, finish_reason: 'stop', logprobs: null },
    ]);
  });

  it('numbers tool calls per choice and finishes each choice once with tool_calls', () => {
    const state = createOpenAIStreamState({ ...ctx, includeUsage: false });
    const call = (name: string): GeminiPart => ({ functionCall: { name, args: { n: 1 } } });
    const out = replay(
      [
        { candidates: [{ index: 0, content: { role: 'model', parts: [call('a')] } }, { index: 1, content: { role: 'model', parts: [call('x')] } }] },
        { candidates: [{ index: 0, content: { role: 'model', parts: [call('b')] } }, { index: 1, content: { role: 'model', parts: [{ text: 'done' }] }, finishReason: 'STOP' }] },
        { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP' }] },
      ],
      state,
    ).flat();
    expect(out.map((c) => c.choices[0])).toStrictEqual([
      { index: 0, delta: { role: 'assistant', tool_calls: [{ index: 0, id: 'call_test_0', type: 'function', function: { name: 'a', arguments: '{"n":1}' } }] }, finish_reason: null, logprobs: null },
      { index: 1, delta: { role: 'assistant', tool_calls: [{ index: 0, id: 'call_test_1', type: 'function', function: { name: 'x', arguments: '{"n":1}' } }] }, finish_reason: null, logprobs: null },
      { index: 0, delta: { tool_calls: [{ index: 1, id: 'call_test_2', type: 'function', function: { name: 'b', arguments: '{"n":1}' } }] }, finish_reason: null, logprobs: null },
      { index: 1, delta: { content: 'done' }, finish_reason: null, logprobs: null },
      { index: 1, delta: {}, finish_reason: 'tool_calls', logprobs: null },
      { index: 0, delta: {}, finish_reason: 'tool_calls', logprobs: null },
    ]);
  });

  it('ends a stream cut after a tool call with tool_calls', () => {
    const state = createOpenAIStreamState({ ...ctx, includeUsage: false });
    const out = replay([{ candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'f' } }] } }] }], state).flat();
    expect(out.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(out.filter((c) => c.choices[0]?.finish_reason !== null)).toHaveLength(1);
  });

  it('attaches logprobs to the first answer chunk of a candidate', () => {
    const state = createOpenAIStreamState({ ...ctx, includeUsage: false });
    const chunk: GeminiResponse = {
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'why', thought: true }, { text: 'Hi' }] },
          logprobsResult: { chosenCandidates: [{ token: 'Hi', logProbability: -0.5 }], topCandidates: [{ candidates: [{ token: 'Hi', logProbability: -0.5 }] }] },
        },
      ],
    };
    const out = convertGeminiChunkToOpenAIChunks(chunk, state).map((c) => c.choices[0]);
    expect(out).toStrictEqual([
      { index: 0, delta: { role: 'assistant', reasoning_content: 'why' }, finish_reason: null, logprobs: null },
      {
        index: 0,
        delta: { content: 'Hi' },
        finish_reason: null,
        logprobs: {
          content: [{ token: 'Hi', logprob: -0.5, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.5, bytes: [72, 105] }] }],
          refusal: null,
        },
      },
    ]);
  });

  it('keeps state per request', () => {
    const a = createOpenAIStreamState({ ...ctx, includeUsage: false });
    const b = createOpenAIStreamState({ ...ctx, id: 'chatcmpl-other', includeUsage: false });
    convertGeminiChunkToOpenAIChunks(text('a'), a);
    expect(convertGeminiChunkToOpenAIChunks(text('b'), b)[0]).toMatchObject({
      id: 'chatcmpl-other',
      choices: [{ delta: { role: 'assistant', content: 'b' } }],
    });
  });
});
