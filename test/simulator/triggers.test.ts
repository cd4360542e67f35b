/** Deterministic triggers (README.md): parallel calls, signatures, thoughts, grounding, blocked replies. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { apiCall, apiRaw, call, envelope, raw, sseEvents, start, tokenFor, userText } from './helpers.js';

const KEY = 'AIzaSy-trigger-key';
const sig = (label: string) => Buffer.from(`sim-signature:${label}`).toString('base64');
const TOOLS = [
  {
    functionDeclarations: [
      { name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } },
      { name: 'get_time', parameters: { type: 'OBJECT', properties: { tz: { type: 'STRING' } } } },
      { name: 'get' },
    ],
  },
];

let sim: Simulator;
let token: string;
const gen = (body: unknown, model = 'gemini-2.5-flash') => apiCall(sim, model, 'generateContent', KEY, body);
const stream = async (body: unknown, model = 'gemini-2.5-flash') =>
  sseEvents((await (await apiRaw(sim, model, 'streamGenerateContent', KEY, body, '?alt=sse')).text()));
const partsOf = (r: { body: any }) => r.body.candidates[0].content.parts;

beforeAll(async () => {
  sim = await start({ accounts: [{ email: 't@x.com' }], apiKeys: [{ key: KEY, projectId: 'proj-t' }], streamEvents: 3 });
  token = await tokenFor(sim, 't@x.com');
});
afterAll(() => sim.close());

describe('function calls', () => {
  it('one call per whole-word mention, in order, each with the JSON after it; mentions inside args do not count', async () => {
    const text = 'call get_weather {"city":"Paris"}, then get_time {"tz":"UTC"} and get_weather {"city":"Oslo","note":"not get_time"}';
    const r = await gen(userText(text, { tools: TOOLS }));
    expect(partsOf(r)).toEqual([
      { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
      { functionCall: { name: 'get_time', args: { tz: 'UTC' } } },
      { functionCall: { name: 'get_weather', args: { city: 'Oslo', note: 'not get_time' } } },
    ]);
    expect(r.body.candidates[0].finishReason).toBe('STOP');
    // Calls share the first JSON object written after them.
    expect(partsOf(await gen(userText('get_weather and get_time for {"city":"Lima"}', { tools: TOOLS })))).toEqual([
      { functionCall: { name: 'get_weather', args: { city: 'Lima' } } },
      { functionCall: { name: 'get_time', args: { city: 'Lima' } } },
    ]);
    // "get" is declared too, but only ever appears inside longer names.
    expect(partsOf(await gen(userText('use get_time.', { tools: TOOLS })))).toEqual([{ functionCall: { name: 'get_time', args: {} } }]);
  });

  it('answers function responses with text, unless new user text in the same turn asks again', async () => {
    const contents = [
      { role: 'user', parts: [{ text: 'get_time' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_time', args: {} } }] },
    ];
    const response = { functionResponse: { name: 'get_time', response: { t: 1 } } };
    const only = await gen({ tools: TOOLS, contents: [...contents, { role: 'user', parts: [response] }] });
    expect(partsOf(only)).toEqual([{ text: 'Echo from gemini-2.5-flash: (no text)' }]);
    const again = await gen({ tools: TOOLS, contents: [...contents, { role: 'user', parts: [response, { text: 'now get_weather' }] }] });
    expect(partsOf(again)).toEqual([{ functionCall: { name: 'get_weather', args: {} } }]);
  });

  it('on Gemini 3 only the first of parallel calls carries the signature; the next turn is accepted with it', async () => {
    const first = userText('get_weather {"city":"Rome"} get_time', { tools: TOOLS });
    const r = await gen(first, 'gemini-3-flash-preview');
    const parts = partsOf(r);
    expect(parts).toEqual([
      { functionCall: { name: 'get_weather', args: { city: 'Rome' } }, thoughtSignature: sig('get_weather') },
      { functionCall: { name: 'get_time', args: {} } },
    ]);
    const responses = [
      { functionResponse: { name: 'get_weather', response: { temp: 20 } } },
      { functionResponse: { name: 'get_time', response: { time: '12:00' } } },
    ];
    const next = await gen({ tools: TOOLS, contents: [...first.contents, { role: 'model', parts }, { role: 'user', parts: responses }] }, 'gemini-3-flash-preview');
    expect(next.status).toBe(200);
    // No call this time: the text part is signed instead.
    expect(partsOf(next)).toEqual([{ text: 'Echo from gemini-3-flash-preview: (no text)', thoughtSignature: sig('text') }]);
  });

  it('parallel calls stream whole, in one event, then a closing event (Code Assist too)', async () => {
    const events = await stream(userText('get_time and get_weather', { tools: TOOLS }), 'gemini-3-pro-preview');
    expect(events).toHaveLength(2);
    expect(events[0].candidates[0].content.parts.map((p: { functionCall: { name: string } }) => p.functionCall.name)).toEqual(['get_time', 'get_weather']);
    expect(events[1].candidates[0]).toMatchObject({ content: { parts: [{ text: '' }] }, finishReason: 'STOP' });
    const ca = await call(sim, 'generateContent', token, envelope('t@x.com', 'get_time get_weather', { tools: TOOLS }, 'gemini-3-pro-preview'));
    expect(ca.body.response.candidates[0].content.parts).toHaveLength(2);
    expect(ca.body.response.candidates[0].content.parts[0].thoughtSignature).toBe(sig('get_time'));
  });
});

describe('thoughts and signatures on text', () => {
  it('includeThoughts puts "Thinking about: …" first, counted in thoughtsTokenCount; budget 0 thinks not', async () => {
    const thinking = { generationConfig: { thinkingConfig: { includeThoughts: true } } };
    const r = await gen(userText('why is the sky blue', thinking));
    expect(partsOf(r)).toEqual([{ text: 'Thinking about: why is the sky blue', thought: true }, { text: 'Echo from gemini-2.5-flash: why is the sky blue' }]);
    expect(r.body.usageMetadata.thoughtsTokenCount).toBe(Math.ceil('Thinking about: why is the sky blue'.length / 4));
    const off = await gen(userText('x', { generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 0 } } }));
    expect(partsOf(off)).toHaveLength(1);
    expect(off.body.usageMetadata.thoughtsTokenCount).toBeUndefined();
  });

  it('Gemini 3 streams sign the last text chunk; [late-signature] sends it alone on an empty part afterwards', async () => {
    const normal = await stream(userText('hello'), 'gemini-3-flash-preview');
    expect(normal).toHaveLength(3);
    expect(normal[2].candidates[0].content.parts).toEqual([{ text: expect.any(String), thoughtSignature: sig('text') }]);
    expect(normal.slice(0, 2).every((e) => e.candidates[0].content.parts[0].thoughtSignature === undefined)).toBe(true);

    const late = await stream(userText('hello [late-signature]'), 'gemini-3-flash-preview');
    expect(late).toHaveLength(4);
    expect(late.slice(0, 3).map((e) => e.candidates[0].content.parts[0].text).join('')).toBe('Echo from gemini-3-flash-preview: hello [late-signature]');
    expect(late.slice(0, 3).some((e) => e.candidates[0].content.parts.some((p: { thoughtSignature?: string }) => p.thoughtSignature))).toBe(false);
    expect(late[3].candidates[0]).toMatchObject({ content: { parts: [{ text: '', thoughtSignature: sig('text') }] }, finishReason: 'STOP' });
    const whole = await gen(userText('hello [late-signature]'), 'gemini-3-flash-preview');
    expect(partsOf(whole)).toEqual([{ text: 'Echo from gemini-3-flash-preview: hello [late-signature]' }, { text: '', thoughtSignature: sig('text') }]);
    // Gemini 2.5 never signs text.
    expect(partsOf(await gen(userText('hello [late-signature]')))).toHaveLength(1);
  });
});

describe('Google Search grounding', () => {
  const search = { tools: [{ googleSearch: {} }] };

  it('cites two example sources with supports whose byte offsets index the reply text exactly', async () => {
    const r = await gen(userText('Who won the 2022 World Cup?', search));
    const reply = 'Echo from gemini-2.5-flash: Who won the 2022 World Cup?';
    expect(partsOf(r)).toEqual([{ text: reply }]);
    const g = r.body.candidates[0].groundingMetadata;
    expect(g.webSearchQueries).toEqual(['Who won the 2022 World Cup?']);
    expect(g.groundingChunks).toEqual([
      { web: { uri: 'https://example.com/who-won-the-2022-world-cup', title: 'example.com' } },
      { web: { uri: 'https://example.org/who-won-the-2022-world-cup', title: 'example.org' } },
    ]);
    expect(g.groundingSupports).toEqual([
      { segment: { endIndex: 27, text: 'Echo from gemini-2.5-flash:' }, groundingChunkIndices: [0] },
      { segment: { startIndex: 28, endIndex: reply.length, text: 'Who won the 2022 World Cup?' }, groundingChunkIndices: [1] },
    ]);
    for (const s of g.groundingSupports) expect(reply.slice(s.segment.startIndex ?? 0, s.segment.endIndex)).toBe(s.segment.text);
    expect(g.searchEntryPoint.renderedContent).toContain('Who won the 2022 World Cup?');
  });

  it('counts offsets in UTF-8 bytes, and streams the metadata on the last chunk only', async () => {
    const r = await gen(userText('café ☕ prices', search));
    const reply = Buffer.from('Echo from gemini-2.5-flash: café ☕ prices');
    const support = r.body.candidates[0].groundingMetadata.groundingSupports[1];
    expect(support.segment).toEqual({ startIndex: 28, endIndex: reply.length, text: 'café ☕ prices' });
    expect(reply.subarray(support.segment.startIndex, support.segment.endIndex).toString()).toBe('café ☕ prices');
    const events = await stream(userText('café ☕ prices', search));
    expect(events.slice(0, -1).some((e) => e.candidates[0].groundingMetadata)).toBe(false);
    expect(events.at(-1).candidates[0].groundingMetadata).toEqual(r.body.candidates[0].groundingMetadata);
  });

  it('answers a query with a lone surrogate normally (Google accepts any JSON string), as U+FFFD in the search link', async () => {
    // JSON.stringify writes the lone surrogate as the escape \ud800, as a client's JSON would carry it.
    const body = JSON.stringify(userText('price of \ud800 today', search));
    expect(body).toContain('\\ud800');
    const codeAssist = await call(sim, 'generateContent', token, JSON.stringify(envelope('t@x.com', 'price of \ud800 today', search)));
    for (const r of [await gen(body), { status: codeAssist.status, body: codeAssist.body?.response }]) {
      expect(r.status).toBe(200);
      const g = r.body.candidates[0].groundingMetadata;
      expect(g.webSearchQueries).toEqual(['price of \uFFFD today']);
      expect(g.searchEntryPoint.renderedContent).toContain('q=price%20of%20%EF%BF%BD%20today');
    }
    const events = await stream(body);
    expect(events.at(-1).candidates[0].groundingMetadata.webSearchQueries).toEqual(['price of \uFFFD today']);
  });
});

describe('blocked and filtered replies', () => {
  it('[blocked]: no candidates, promptFeedback SAFETY with ratings, on both APIs and in streams', async () => {
    const r = await gen(userText('tell me [blocked] things'));
    expect(r.status).toBe(200);
    expect(r.body.candidates).toBeUndefined();
    expect(r.body.promptFeedback.blockReason).toBe('SAFETY');
    expect(r.body.promptFeedback.safetyRatings).toContainEqual({ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true });
    expect(r.body.usageMetadata).toMatchObject({ promptTokenCount: expect.any(Number), totalTokenCount: r.body.usageMetadata.promptTokenCount });
    const events = await stream(userText('[blocked]'));
    expect(events).toHaveLength(1);
    expect(events[0].promptFeedback.blockReason).toBe('SAFETY');
    const ca = await call(sim, 'generateContent', token, envelope('t@x.com', '[blocked]'));
    expect(ca.body.response.promptFeedback.blockReason).toBe('SAFETY');
    expect(ca.body.response.candidates).toBeUndefined();
  });

  it('[safety], [recitation], [malformed-call]: a candidate without content and the finish reason', async () => {
    const safety = await gen(userText('[safety]'));
    expect(safety.body.candidates).toEqual([{ finishReason: 'SAFETY', safetyRatings: expect.any(Array), index: 0 }]);
    expect((await gen(userText('[recitation]'))).body.candidates).toEqual([{ finishReason: 'RECITATION', index: 0 }]);
    const malformed = await gen(userText('[malformed-call] get_weather', { tools: TOOLS }));
    expect(malformed.body.candidates).toEqual([{ finishReason: 'MALFORMED_FUNCTION_CALL', finishMessage: expect.stringMatching(/^Malformed function call: /), index: 0 }]);
    const events = await stream(userText('[safety]'));
    expect(events).toHaveLength(1);
    expect(events[0].candidates[0].finishReason).toBe('SAFETY');
    const ca = await raw(sim, 'streamGenerateContent', token, envelope('t@x.com', '[recitation]'), '?alt=sse');
    const caEvents = sseEvents(await ca.text());
    expect(caEvents).toHaveLength(1);
    expect(caEvents[0].response.candidates).toEqual([{ finishReason: 'RECITATION' }]);
  });
});
