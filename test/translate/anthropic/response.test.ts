import { describe, expect, it } from 'vitest';
import { createAnthropicAdapter } from '../../../src/translate/anthropic/adapter.js';
import { AnthropicResponseState, convertGeminiResponseToAnthropic, type AnthropicResponseContext } from '../../../src/translate/anthropic/response.js';
import type { AnthropicStreamEvent } from '../../../src/translate/anthropic/types.js';
import type { Frame, SignatureEntry } from '../../../src/translate/dialect.js';
import type { GeminiResponse } from '../../../src/types/gemini.js';
import { listFixtures, readChunksFixture, readJsonFixture } from './fixtures.js';

const ctx: AnthropicResponseContext = { id: 'msg_test', model: 'claude-sonnet-4-5', idBase: 'test' };

function context(extra: { toolNames?: Record<string, string> } | undefined): AnthropicResponseContext {
  return extra?.toolNames ? { ...ctx, toolNames: new Map(Object.entries(extra.toolNames)) } : ctx;
}

/** Runs a whole upstream stream through the adapter's translator, as the HTTP layer does. */
function replay(chunks: GeminiResponse[], c: AnthropicResponseContext = ctx): { frames: Frame[]; signatures: SignatureEntry[] } {
  const t = createAnthropicAdapter().openStream({ ...c, stream: true });
  const frames = [...chunks.flatMap((chunk) => t.chunk(chunk)), ...t.finish()];
  return { frames, signatures: [...t.signatures] };
}

/**
 * The sequence rules Anthropic's clients rely on: message_start first; blocks opened in index order from 0,
 * one at a time, deltas only into the open block, each closed once; message_delta then message_stop last.
 */
function expectValidSequence(events: AnthropicStreamEvent[]): void {
  expect(events[0]?.type).toBe('message_start');
  expect(events.at(-1)?.type).toBe('message_stop');
  expect(events.at(-2)?.type).toBe('message_delta');
  let open: number | undefined;
  let next = 0;
  for (const e of events.slice(1, -2)) {
    if (e.type === 'content_block_start') {
      expect(open).toBeUndefined();
      expect(e.index).toBe(next++);
      open = e.index;
    } else if (e.type === 'content_block_delta') {
      expect(e.index).toBe(open);
    } else if (e.type === 'content_block_stop') {
      expect(e.index).toBe(open);
      open = undefined;
    } else throw new Error(`unexpected ${e.type} between blocks`);
  }
  expect(open).toBeUndefined();
}

describe('Gemini response → Anthropic message', () => {
  it.each(listFixtures('response-', '.json'))('translates %s to the exact Anthropic message', (name) => {
    const fixture = readJsonFixture<{ gemini: GeminiResponse; anthropic: unknown; signatures?: SignatureEntry[]; ctx?: { toolNames?: Record<string, string> } }>(`${name}.json`);
    const { message, signatures } = convertGeminiResponseToAnthropic(fixture.gemini, context(fixture.ctx));
    expect(message).toStrictEqual(fixture.anthropic);
    expect(signatures).toStrictEqual(fixture.signatures ?? []);
    // The same answer streamed as one chunk is a valid event sequence.
    const state = new AnthropicResponseState(context(fixture.ctx));
    expectValidSequence([...state.chunk(fixture.gemini), ...state.finish()]);
  });

  it('answers an empty response with an empty end_turn message and zero usage', () => {
    const { message } = convertGeminiResponseToAnthropic({}, ctx);
    expect(message).toStrictEqual({
      id: 'msg_test',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
    });
  });

  it('reads only candidate 0', () => {
    const res: GeminiResponse = {
      candidates: [
        { index: 1, content: { role: 'model', parts: [{ text: 'other' }] }, finishReason: 'STOP' },
        { index: 0, content: { role: 'model', parts: [{ text: 'mine' }] }, finishReason: 'STOP' },
      ],
    };
    expect(convertGeminiResponseToAnthropic(res, ctx).message.content).toStrictEqual([{ type: 'text', text: 'mine' }]);
  });

  it('makes tool_use ids unique per response and within Anthropic\'s characters', () => {
    const call = (n: number) => ({ functionCall: { name: 'f', args: { n } } });
    const res: GeminiResponse = { candidates: [{ content: { role: 'model', parts: [call(1), call(2), call(3)] } }] };
    const ids = convertGeminiResponseToAnthropic(res, { ...ctx, idBase: '0f3a9c' }).message.content.map((b) => (b.type === 'tool_use' ? b.id : ''));
    expect(ids).toStrictEqual(['toolu_0f3a9c_0', 'toolu_0f3a9c_1', 'toolu_0f3a9c_2']);
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9_-]+$/);
  });
});

describe('Gemini stream → Anthropic events', () => {
  it.each(listFixtures('stream-', '.chunks.txt'))('replays %s into the exact events', (name) => {
    const expected = readJsonFixture<{ events: Array<[string, unknown]>; signatures?: SignatureEntry[] }>(`${name}.expected.json`);
    const { frames, signatures } = replay(readChunksFixture(name));
    expect(frames.map((f) => [f.event, JSON.parse(f.data)])).toStrictEqual(expected.events);
    if (expected.signatures) expect(signatures).toStrictEqual(expected.signatures);
    // Every frame is named after its data's type, as the SDKs dispatch on the event name.
    for (const f of frames) expect(f.event).toBe((JSON.parse(f.data) as { type: string }).type);
    expectValidSequence(frames.map((f) => JSON.parse(f.data) as AnthropicStreamEvent));
  });

  it('streams the same blocks a whole answer has, search blocks aside', () => {
    for (const name of listFixtures('stream-', '.chunks.txt')) {
      if (name.includes('grounding')) continue;
      const chunks = readChunksFixture(name);
      const { frames } = replay(chunks);
      const content: Array<Record<string, unknown>> = [];
      for (const f of frames) {
        const e = JSON.parse(f.data) as AnthropicStreamEvent;
        if (e.type === 'content_block_start') content[e.index] = { ...e.content_block };
        if (e.type === 'content_block_delta') {
          const b = content[e.index]!;
          const d = e.delta;
          if (d.type === 'text_delta') b['text'] += d.text;
          if (d.type === 'thinking_delta') b['thinking'] += d.thinking;
          if (d.type === 'signature_delta') b['signature'] = d.signature;
          if (d.type === 'input_json_delta') b['input'] = JSON.parse(d.partial_json);
        }
      }
      // One response holding every chunk's parts, the last chunk's finish and usage.
      const last = chunks.at(-1)!;
      const parts = chunks.flatMap((c) => c.candidates?.[0]?.content?.parts ?? []);
      const whole: GeminiResponse = { ...last, ...(last.candidates ? { candidates: [{ ...last.candidates[0], content: { role: 'model', parts } }] } : {}) };
      const { message } = convertGeminiResponseToAnthropic(whole, ctx);
      // Consecutive text parts of one chunk join into one block, as they do across chunks.
      expect(content).toStrictEqual(message.content);
    }
  });

  it('sends message_start with the first chunk and nothing after the end', () => {
    const state = new AnthropicResponseState(ctx);
    const first = state.chunk({ candidates: [{ content: { role: 'model', parts: [{ text: 'a' }] } }] });
    expect(first.map((e) => e.type)).toStrictEqual(['message_start', 'content_block_start', 'content_block_delta']);
    expect(state.chunk({ candidates: [{ content: { role: 'model', parts: [{ text: 'b' }] } }] }).map((e) => e.type)).toStrictEqual(['content_block_delta']);
    state.finish();
    expect(state.finish()).toStrictEqual([]);
    expect(state.chunk({ candidates: [{ content: { role: 'model', parts: [{ text: 'c' }] } }] })).toStrictEqual([]);
  });

  it('ends an upstream failure with an error event in Anthropic\'s shape', () => {
    const t = createAnthropicAdapter().openStream({ ...ctx, stream: true });
    t.chunk({ candidates: [{ content: { role: 'model', parts: [{ text: 'a' }] } }] });
    expect(t.fail({ status: 503, message: 'The model is overloaded' })).toStrictEqual([
      { event: 'error', data: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'The model is overloaded' } }) },
    ]);
  });

  it('gives a signature on a thought part to the next call, and a call\'s own signature wins', () => {
    const { frames, signatures } = replay([
      { candidates: [{ content: { role: 'model', parts: [{ text: 'plan', thought: true, thoughtSignature: 'dGhvdWdodA==' }] } }] },
      { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'a', args: {} } }] } }] },
      { candidates: [{ content: { role: 'model', parts: [{ text: 'more', thought: true, thoughtSignature: 'b2xk' }, { functionCall: { name: 'b', args: {} }, thoughtSignature: 'b3du' }] } }] },
    ]);
    expect(signatures).toStrictEqual([
      { id: 'toolu_test_0', signature: 'dGhvdWdodA==' },
      { id: 'toolu_test_1', signature: 'b3du' },
    ]);
    const sigDeltas = frames.map((f) => JSON.parse(f.data)).filter((e) => e.delta?.type === 'signature_delta').map((e) => [e.index, e.delta.signature]);
    expect(sigDeltas).toStrictEqual([
      [0, 'dGhvdWdodA=='],
      [2, 'b3du'],
    ]);
  });
});
