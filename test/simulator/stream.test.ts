/** streamGenerateContent: SSE framing, event shapes, and events written as they go. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { call, envelope, start, tokenFor } from './helpers.js';

interface Envelope {
  response: {
    candidates: Array<{ content: { parts: Array<{ text?: string; functionCall?: unknown }> }; finishReason?: string }>;
    usageMetadata: Record<string, unknown>;
  };
  traceId: string;
}

function post(sim: Simulator, path: string, token: string, body: unknown): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function parseSse(text: string): Envelope[] {
  const blocks = text.split('\r\n\r\n');
  expect(blocks.pop()).toBe('');
  return blocks.map((block) => {
    expect(block.startsWith('data: ')).toBe(true);
    return JSON.parse(block.slice('data: '.length)) as Envelope;
  });
}

const textOf = (events: Envelope[]) => events.map((e) => e.response.candidates[0]!.content.parts.map((p) => p.text ?? '').join('')).join('');

describe('stream framing', () => {
  let sim: Simulator;
  let token: string;
  beforeAll(async () => {
    sim = await start({ accounts: [{ email: 's@x.com' }], streamEvents: 5 });
    token = await tokenFor(sim, 's@x.com');
  });
  afterAll(() => sim.close());

  it('splits the reply into streamEvents `data:` events separated by CRLF CRLF, usage on the last only', async () => {
    const body = envelope('s@x.com', 'stream me please now');
    const res = await post(sim, '/v1internal:streamGenerateContent?alt=sse', token, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    expect(events).toHaveLength(5);
    expect(textOf(events)).toBe('Echo from gemini-2.5-flash: stream me please now');
    for (const e of events.slice(0, -1)) {
      expect(e.response.usageMetadata).toEqual({ trafficType: 'ON_DEMAND' });
      expect(e.response.candidates[0]!.finishReason).toBeUndefined();
    }
    const last = events.at(-1)!;
    expect(last.response.candidates[0]!.finishReason).toBe('STOP');
    const whole = await call(sim, 'generateContent', token, body);
    expect(last.response.usageMetadata).toEqual(whole.body.response.usageMetadata);
    expect(new Set(events.map((e) => e.traceId)).size).toBe(1);
  });

  it('accepts $alt=sse and a percent-encoded colon', async () => {
    const res = await post(sim, '/v1internal%3AstreamGenerateContent?$alt=sse', token, envelope('s@x.com', 'encoded'));
    expect(res.status).toBe(200);
    expect(textOf(parseSse(await res.text()))).toBe('Echo from gemini-2.5-flash: encoded');
  });

  it('answers a JSON array of the same envelopes without alt=sse', async () => {
    const res = await post(sim, '/v1internal:streamGenerateContent', token, envelope('s@x.com', 'array'));
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const events = (await res.json()) as Envelope[];
    expect(events).toHaveLength(5);
    expect(textOf(events)).toBe('Echo from gemini-2.5-flash: array');
  });

  it('sends a function call whole, in one event, then a closing event', async () => {
    const tools = [{ functionDeclarations: [{ name: 'list_dir', parameters: { type: 'OBJECT', properties: { path: { type: 'STRING' } } } }] }];
    const res = await post(sim, '/v1internal:streamGenerateContent?alt=sse', token, envelope('s@x.com', 'list_dir {"path":"C:/"}', { tools }));
    const events = parseSse(await res.text());
    expect(events).toHaveLength(2);
    expect(events[0]!.response.candidates[0]!.content.parts).toEqual([{ functionCall: { name: 'list_dir', args: { path: 'C:/' } } }]);
    expect(events[1]!.response.candidates[0]).toMatchObject({ content: { parts: [{ text: '' }] }, finishReason: 'STOP' });
  });
});

describe('stream timing', () => {
  let sim: Simulator;
  let token: string;
  beforeAll(async () => {
    sim = await start({ accounts: [{ email: 't@x.com' }], streamEvents: 4, streamIntervalMs: 150, latencyMs: 100 });
    token = await tokenFor(sim, 't@x.com');
  });
  afterAll(() => sim.close());

  it('waits latencyMs before headers, then writes each event when due, not buffered', async () => {
    const t0 = performance.now();
    const res = await post(sim, '/v1internal:streamGenerateContent?alt=sse', token, envelope('t@x.com', 'one two three four'));
    // A lower bound only: a busy machine makes it later, never earlier.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    const text = await res.text();
    expect(textOf(parseSse(text))).toBe('Echo from gemini-2.5-flash: one two three four');
    // The pacing from the simulator's own record of its writes (a client's reads may merge events on a busy machine):
    // one write per event, spread over the intervals. A buffered stream writes them together (gaps of ~0); half an
    // interval leaves room for a timer measured from a loop time a stalled process read late.
    const [call] = sim.calls({ method: 'streamGenerateContent', email: 't@x.com' });
    const at = call!.eventsAt!;
    expect(at).toHaveLength(4);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(75);
  });
});
