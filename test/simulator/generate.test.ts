/** generateContent and countTokens: deterministic replies, exact usage, model / project / auth checks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { call, envelope, start, tokenFor, tokens } from './helpers.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const WEATHER_TOOL = {
  functionDeclarations: [
    { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } },
  ],
};

let sim: Simulator;
let token: string;
const gen = (body: unknown) => call(sim, 'generateContent', token, body);

beforeAll(async () => {
  sim = await start({ accounts: [{ email: 'g@x.com' }, { email: 'other@x.com' }] });
  token = await tokenFor(sim, 'g@x.com');
});
afterAll(() => sim.close());

describe('generateContent', () => {
  it('echoes the last user text with exact usage, in the Code Assist envelope', async () => {
    const r = await gen(envelope('g@x.com', 'Hello there', { systemInstruction: { parts: [{ text: 'Be brief.' }] } }));
    expect(r.status).toBe(200);
    const text = 'Echo from gemini-2.5-flash: Hello there';
    expect(r.body).toEqual({
      response: {
        candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 10, totalTokenCount: 15, trafficType: 'ON_DEMAND' },
        modelVersion: 'gemini-2.5-flash',
        createTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        responseId: expect.any(String),
      },
      traceId: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(tokens('Be brief.'.length + 'Hello there'.length)).toBe(5);
    expect(tokens(text.length)).toBe(10);
    expect(r.headers.get('x-cloudaicompanion-trace-id')).toBe(r.body.traceId);
  });

  it('uses the last user turn, counts images, and says "(no text)" when there is none', async () => {
    const multi = await gen({
      ...envelope('g@x.com', ''),
      request: {
        contents: [
          { role: 'user', parts: [{ text: 'first' }] },
          { role: 'model', parts: [{ text: 'reply one' }] },
          { role: 'user', parts: [{ text: 'what is this?' }, { inlineData: { mimeType: 'image/png', data: PNG } }] },
        ],
      },
    });
    expect(multi.body.response.candidates[0].content.parts[0].text).toBe('Echo from gemini-2.5-flash: what is this? [1 image(s)]');
    expect(multi.body.response.usageMetadata.promptTokenCount).toBe(tokens('first'.length + 'reply one'.length + 'what is this?'.length) + 258);
    const imageOnly = await gen({ ...envelope('g@x.com', ''), request: { contents: [{ role: 'user', parts: [{ inline_data: { mime_type: 'image/png', data: PNG } }] }] } });
    expect(imageOnly.body.response.candidates[0].content.parts[0].text).toBe('Echo from gemini-2.5-flash: (no text) [1 image(s)]');
  });

  it('truncates at maxOutputTokens with MAX_TOKENS, and cuts at the first stop sequence', async () => {
    const short = await gen(envelope('g@x.com', 'a long question indeed', { generationConfig: { maxOutputTokens: 3 } }));
    const cand = short.body.response.candidates[0];
    expect(cand.content.parts[0].text).toBe('Echo from ge');
    expect(cand.finishReason).toBe('MAX_TOKENS');
    expect(short.body.response.usageMetadata.candidatesTokenCount).toBe(3);
    const stopped = await gen(envelope('g@x.com', 'stop here', { generationConfig: { stopSequences: ['here', '2.5'] } }));
    expect(stopped.body.response.candidates[0]).toMatchObject({ content: { parts: [{ text: 'Echo from gemini-' }] }, finishReason: 'STOP' });
  });

  it('returns thoughts first, counted apart, when includeThoughts is set', async () => {
    const r = await gen(envelope('g@x.com', 'think', { generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } } }));
    const parts = r.body.response.candidates[0].content.parts;
    expect(parts).toHaveLength(2);
    expect(parts[0]).toEqual({ text: expect.any(String), thought: true });
    expect(parts[1]).toEqual({ text: 'Echo from gemini-2.5-flash: think' });
    const usage = r.body.response.usageMetadata;
    expect(usage.thoughtsTokenCount).toBe(tokens(parts[0].text.length));
    expect(usage.totalTokenCount).toBe(usage.promptTokenCount + usage.candidatesTokenCount + usage.thoughtsTokenCount);
  });

  it('calls a declared function named in the prompt, whole, signed on Gemini 3', async () => {
    const body = envelope('g@x.com', 'please call get_weather {"city":"Paris"}', { tools: [WEATHER_TOOL] }, 'gemini-3-flash-preview');
    const r = await gen(body);
    const part = r.body.response.candidates[0].content.parts[0];
    expect(part.functionCall).toEqual({ name: 'get_weather', args: { city: 'Paris' } });
    expect(typeof part.thoughtSignature).toBe('string');
    const next = await gen({
      ...body,
      request: {
        tools: [WEATHER_TOOL],
        contents: [
          body.request.contents[0],
          { role: 'model', parts: [part] },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }] },
        ],
      },
    });
    expect(next.status).toBe(200);
    expect(next.body.response.candidates[0].content.parts[0].text).toBe('Echo from gemini-3-flash-preview: (no text)');
    const none = await gen(envelope('g@x.com', 'get_weather maybe', { tools: [WEATHER_TOOL], toolConfig: { functionCallingConfig: { mode: 'NONE' } } }));
    expect(none.body.response.candidates[0].content.parts[0].text).toBe('Echo from gemini-2.5-flash: get_weather maybe');
  });

  it('logs each call with account, model, project and the body as sent', async () => {
    sim.resetStats();
    const body = envelope('g@x.com', 'logged');
    await gen(body);
    expect(sim.calls({ method: 'generateContent' })).toEqual([
      { method: 'generateContent', route: 'code-assist', email: 'g@x.com', model: 'gemini-2.5-flash', project: 'sim-project-g', body, at: expect.any(Number), status: 200, inputTokens: 2 },
    ]);
    expect(sim.counts()).toEqual({ 'g@x.com': { generateContent: 1 } });
  });
});

describe('what generateContent refuses', () => {
  it('another account’s project is 403 PERMISSION_DENIED', async () => {
    const r = await gen({ ...envelope('g@x.com', 'x'), project: 'sim-project-other' });
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED', message: expect.stringContaining('sim-project-other') });
  });

  it('an unknown model or a models/ prefix is 404 NOT_FOUND', async () => {
    for (const model of ['gemini-9-ultra', 'models/gemini-2.5-flash']) {
      const r = await gen({ ...envelope('g@x.com', 'x'), model });
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' } });
    }
  });

  it('a missing or unknown token is 401 UNAUTHENTICATED', async () => {
    const none = await call(sim, 'generateContent', undefined, envelope('g@x.com', 'x'));
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    expect(none.body.error.details[0]).toMatchObject({ reason: 'CREDENTIALS_MISSING' });
    const bogus = await call(sim, 'generateContent', 'ya29.forged', envelope('g@x.com', 'x'));
    expect(bogus.status).toBe(401);
    expect(bogus.body.error.message).toMatch(/^Request had invalid authentication credentials/);
  });

  it('an unknown method or path is 404 google.rpc.Status', async () => {
    expect((await call(sim, 'frobnicate', token, {})).status).toBe(404);
    const r = await fetch(`${sim.url}/nowhere`);
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });
});

describe('countTokens', () => {
  it('counts the contents of a models/-prefixed request like the prompt of a reply', async () => {
    const contents = [{ role: 'user', parts: [{ text: 'count these words please' }] }];
    const r = await call(sim, 'countTokens', token, { request: { model: 'models/gemini-2.5-flash', contents } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ totalTokens: tokens('count these words please'.length) });
    expect((await call(sim, 'countTokens', token, { request: { model: 'models/nope', contents } })).status).toBe(404);
    const extra = await call(sim, 'countTokens', token, { project: 'p', request: { model: 'models/gemini-2.5-flash', contents } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toBe('Invalid JSON payload received. Unknown name "project": Cannot find field.');
  });
});
