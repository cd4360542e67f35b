import { describe, expect, it } from 'vitest';
import { accumulateResponse } from 'openai/lib/responses/ResponseAccumulator';
import type { Response as SdkResponse, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { openAIResponsesAdapter, responsesErrorBody } from '../../../src/translate/openai-responses/adapter.js';
import { ResponseBuilder } from '../../../src/translate/openai-responses/response-builder.js';
import type { Frame, SignatureEntry } from '../../../src/translate/dialect.js';
import type { GeminiResponse } from '../../../src/types/gemini.js';
import { FIXTURE_ID, fixtureContext, listFixtures, readChunksFixture, readJsonFixture, type FixtureContext } from './fixtures.js';

interface Event {
  event: string;
  data: Record<string, unknown> & { type: string; sequence_number: number };
}

const parse = (frames: Frame[]): Event[] => frames.map((f) => ({ event: f.event!, data: JSON.parse(f.data) as Event['data'] }));

/** Runs a whole upstream stream through the translator, as the HTTP layer does. */
function replay(chunks: GeminiResponse[], ctx: FixtureContext | undefined): { events: Event[]; signatures: SignatureEntry[] } {
  const t = openAIResponsesAdapter.openStream(fixtureContext(ctx));
  const frames = [...chunks.flatMap((c) => t.chunk(c)), ...t.finish()];
  return { events: parse(frames), signatures: [...t.signatures] };
}

describe('whole responses', () => {
  it.each(listFixtures('response-', '.json'))('translates %s into the exact response', (name) => {
    const fixture = readJsonFixture<{ ctx?: FixtureContext; gemini: GeminiResponse; response: unknown; signatures: SignatureEntry[] }>(`${name}.json`);
    const ctx = fixtureContext(fixture.ctx);
    const out = openAIResponsesAdapter.toResponse(fixture.gemini, ctx);
    expect(out.body).toStrictEqual(fixture.response);
    expect(out.signatures).toStrictEqual(fixture.signatures);
    // What the handler stores: the same object, and every signature whether the client asked for them or not.
    expect(ctx.result?.response).toBe(out.body);
  });

  it('keeps the signatures of a response for storage even when the client did not include them', () => {
    const ctx = fixtureContext({ model: 'gemini-3-pro-preview' });
    openAIResponsesAdapter.toResponse(
      { candidates: [{ content: { role: 'model', parts: [{ text: 'Hi', thoughtSignature: 'c2ln' }] }, finishReason: 'STOP' }] },
      ctx,
    );
    expect(ctx.result!.response.output.map((o) => o.type)).toStrictEqual(['message']);
    expect(ctx.result!.signatures).toStrictEqual({ calls: {}, text: 'c2ln' });
  });
});

describe('streams', () => {
  it.each(listFixtures('stream-', '.chunks.txt'))('replays %s into the exact events', (name) => {
    const expected = readJsonFixture<{ ctx?: FixtureContext; events: Event[]; signatures: SignatureEntry[] }>(`${name}.expected.json`);
    const { events, signatures } = replay(readChunksFixture(name), expected.ctx);
    expect(events).toStrictEqual(expected.events);
    expect(signatures).toStrictEqual(expected.signatures);
  });

  it.each(listFixtures('stream-', '.chunks.txt'))('%s: numbered events that the openai SDK adds up to the final response', (name) => {
    const expected = readJsonFixture<{ ctx?: FixtureContext }>(`${name}.expected.json`);
    const { events } = replay(readChunksFixture(name), expected.ctx);
    expect(events.map((e) => e.data.sequence_number)).toStrictEqual(events.map((_, i) => i));
    for (const e of events) expect(e.event).toBe(e.data.type);
    expect(events.slice(0, 2).map((e) => e.event)).toStrictEqual(['response.created', 'response.in_progress']);
    const terminal = events.at(-1)!;
    expect(['response.completed', 'response.incomplete']).toContain(terminal.event);
    // Every event but the terminal one, through the SDK's own accumulator (it throws on events out of place).
    let snapshot: SdkResponse | undefined;
    for (const e of events.slice(0, -1)) snapshot = accumulateResponse(e.data as unknown as ResponseStreamEvent, snapshot);
    expect(snapshot!.output).toStrictEqual((terminal.data['response'] as SdkResponse).output);
  });

  it('closes an empty upstream stream with a completed, empty response', () => {
    const t = openAIResponsesAdapter.openStream(fixtureContext());
    const events = parse(t.finish());
    expect(events.map((e) => e.event)).toStrictEqual(['response.created', 'response.in_progress', 'response.completed']);
    expect(events[2]!.data['response']).toMatchObject({ id: FIXTURE_ID, status: 'completed', output: [], usage: { total_tokens: 0 } });
    expect(t.finish()).toStrictEqual([]);
  });

  it('ends a stream that fails midway with response.failed, in the codes Codex acts on', () => {
    const t = openAIResponsesAdapter.openStream(fixtureContext());
    t.chunk({ candidates: [{ content: { role: 'model', parts: [{ text: 'partial' }] } }] });
    const failure = { status: 429, message: 'Resource exhausted.', retryAfterMs: 2500 };
    const [failed] = parse(t.fail(failure));
    expect(failed!.event).toBe('response.failed');
    expect(failed!.data['response']).toMatchObject({
      status: 'failed',
      error: { code: 'rate_limit_exceeded', message: 'Resource exhausted. Please try again in 3s.' },
      usage: { input_tokens: 0 },
    });
    expect(t.finish()).toStrictEqual([]);
    expect(t.fail(failure)).toStrictEqual([]);
  });

  it.each([
    [{ status: 400, message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).' }, 'context_length_exceeded'],
    [{ status: 400, message: 'Bad thing.' }, 'invalid_prompt'],
    [{ status: 503, message: 'The model is overloaded.' }, 'server_error'],
  ])('names %j as %s', (error, code) => {
    const builder = new ResponseBuilder(fixtureContext());
    // A failure before anything was sent still opens the response first.
    const events = parse(builder.fail(error));
    expect(events.map((e) => e.event)).toStrictEqual(['response.created', 'response.in_progress', 'response.failed']);
    expect(events[2]!.data['response']).toMatchObject({ status: 'failed', error: { code } });
  });
});

describe('error bodies', () => {
  it('are OpenAI bodies, with the codes clients act on', () => {
    expect(responsesErrorBody({ status: 429, message: 'slow down' })).toStrictEqual({
      error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
    expect(responsesErrorBody({ status: 400, message: 'bad', param: 'input' })).toStrictEqual({
      error: { message: 'bad', type: 'invalid_request_error', param: 'input', code: null },
    });
    expect(responsesErrorBody({ status: 400, message: 'unknown', param: 'previous_response_id', code: 'previous_response_not_found' })).toStrictEqual({
      error: { message: 'unknown', type: 'invalid_request_error', param: 'previous_response_id', code: 'previous_response_not_found' },
    });
  });
});
