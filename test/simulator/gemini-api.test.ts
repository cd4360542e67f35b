/** The public Gemini API (/v1beta): API keys, bare responses, streams, countTokens, models, the request log. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { apiCall, apiRaw, call, json, sseEvents, start, tokenFor, tokens, userText } from './helpers.js';

const KEY = 'AIzaSyA-test-key-one-0000000000000000000';
const KEY2 = 'AIzaSyB-test-key-two-0000000000000000000';
let sim: Simulator;
const gen = (body: unknown, model = 'gemini-2.5-flash', key: string | undefined = KEY) => apiCall(sim, model, 'generateContent', key, body);

beforeAll(async () => {
  sim = await start({
    accounts: [{ email: 'ca@x.com' }],
    apiKeys: [{ key: KEY, projectId: 'proj-a' }, { key: KEY2, projectId: 'proj-a' }],
    streamEvents: 3,
  });
});
afterAll(() => sim.close());

describe('API keys', () => {
  it('accepts the key in x-goog-api-key or ?key=, and the base URL is the simulator URL', async () => {
    expect(sim.geminiApiBaseUrl).toBe(sim.url);
    expect((await gen(userText('hi'))).status).toBe(200);
    const byQuery = await json(
      await fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:generateContent?key=${KEY}`, { method: 'POST', body: JSON.stringify(userText('q')) }),
    );
    expect(byQuery.status).toBe(200);
  });

  it('answers an unknown key with the exact 400 API_KEY_INVALID body', async () => {
    const r = await gen(userText('hi'), 'gemini-2.5-flash', 'AIzaSy-not-a-key');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
          { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' },
        ],
      },
    });
  });

  it('answers a request without a key 403, and a removed key 400', async () => {
    const none = await apiCall(sim, 'gemini-2.5-flash', 'generateContent', undefined, userText('hi'));
    expect(none.status).toBe(403);
    expect(none.body.error).toMatchObject({ status: 'PERMISSION_DENIED', message: expect.stringMatching(/^Method doesn't allow unregistered callers/) });
    sim.addApiKey({ key: 'AIzaSy-temporary-key', projectId: 'proj-t' });
    expect((await gen(userText('hi'), 'gemini-2.5-flash', 'AIzaSy-temporary-key')).status).toBe(200);
    sim.removeApiKey('AIzaSy-temporary-key');
    expect((await gen(userText('hi'), 'gemini-2.5-flash', 'AIzaSy-temporary-key')).body.error.details[0].reason).toBe('API_KEY_INVALID');
  });
});

describe('generateContent', () => {
  it('answers a bare GenerateContentResponse with index, usage details, modelVersion and responseId', async () => {
    const r = await gen({ contents: [{ parts: [{ text: 'Hello there' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] } });
    expect(r.status).toBe(200);
    const text = 'Echo from gemini-2.5-flash: Hello there';
    expect(r.body).toEqual({
      candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: tokens(text.length), totalTokenCount: 5 + tokens(text.length), promptTokensDetails: [{ modality: 'TEXT', tokenCount: 5 }] },
      modelVersion: 'gemini-2.5-flash',
      responseId: expect.any(String),
    });
  });

  it('accepts Gemini API fields Code Assist does not know (functionCall id), and refuses Vertex-only ones', async () => {
    const contents = [
      { role: 'user', parts: [{ text: 'go' }] },
      { role: 'model', parts: [{ functionCall: { id: 'c1', name: 'f', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { id: 'c1', name: 'f', response: { ok: true } } }] },
    ];
    expect((await gen({ contents })).status).toBe(200);
    const vertexOnly = await gen(userText('x', { generationConfig: { audioTimestamp: true }, labels: { a: 'b' } }));
    expect(vertexOnly.status).toBe(400);
    expect(vertexOnly.body.error.message).toContain(`Unknown name "audioTimestamp" at 'generation_config': Cannot find field.`);
    expect(vertexOnly.body.error.message).toContain(`Unknown name "labels": Cannot find field.`);
  });

  it('answers an unknown model, or an embedding model, 404 in the Gemini API wording', async () => {
    for (const model of ['gemini-9-ultra', 'gemini-embedding-001']) {
      const r = await gen(userText('x'), model);
      expect(r.status).toBe(404);
      expect(r.body).toEqual({
        error: {
          code: 404,
          message: `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
          status: 'NOT_FOUND',
        },
      });
    }
    const r = await fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:frobnicate`, { method: 'POST', headers: { 'x-goog-api-key': KEY }, body: '{}' });
    expect(r.status).toBe(404);
  });
});

describe('streamGenerateContent', () => {
  it('alt=sse: data events framed by CRLF CRLF, bare responses, finish and full usage on the last', async () => {
    const res = await apiRaw(sim, 'gemini-2.5-flash', 'streamGenerateContent', KEY, userText('stream me'), '?alt=sse');
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sseEvents(await res.text());
    expect(events).toHaveLength(3);
    expect(events.map((e) => e.candidates[0].content.parts[0].text).join('')).toBe('Echo from gemini-2.5-flash: stream me');
    expect(events[0].candidates[0].finishReason).toBeUndefined();
    expect(events[0].usageMetadata).toEqual({ promptTokenCount: 3, totalTokenCount: 3, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 3 }] });
    expect(events[2].candidates[0]).toMatchObject({ finishReason: 'STOP', index: 0 });
    const whole = await gen(userText('stream me'));
    expect(events[2].usageMetadata).toEqual(whole.body.usageMetadata);
    expect(events.every((e) => e.responseId === events[0].responseId && e.modelVersion === 'gemini-2.5-flash')).toBe(true);
  });

  it('without alt=sse: one JSON array of the same responses', async () => {
    const res = await apiRaw(sim, 'gemini-2.5-flash', 'streamGenerateContent', KEY, userText('array'));
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.text();
    const events = JSON.parse(body) as Array<{ candidates: Array<{ content: { parts: Array<{ text: string }> } }> }>;
    expect(events).toHaveLength(3);
    expect(events.map((e) => e.candidates[0]!.content.parts[0]!.text).join('')).toBe('Echo from gemini-2.5-flash: array');
    // Google's layout: elements separated by "\n,\r\n", the array closed by "\n]".
    expect(body.startsWith('[{') && body.endsWith('}\n]')).toBe(true);
    expect(body.slice(1, -2).split('\n,\r\n')).toHaveLength(3);
  });
});

describe('countTokens', () => {
  it('counts {contents} and {generateContentRequest} alike, with details', async () => {
    const contents = [{ role: 'user', parts: [{ text: 'count these words please' }] }];
    const n = tokens('count these words please'.length);
    const plain = await apiCall(sim, 'gemini-2.5-flash', 'countTokens', KEY, { contents });
    expect(plain.body).toEqual({ totalTokens: n, promptTokensDetails: [{ modality: 'TEXT', tokenCount: n }] });
    const wrapped = await apiCall(sim, 'gemini-2.5-flash', 'countTokens', KEY, { generateContentRequest: { model: 'models/gemini-2.5-flash', contents } });
    expect(wrapped.body.totalTokens).toBe(n);
  });

  it('refuses both forms at once, a generateContentRequest without model, and unknown models', async () => {
    const contents = [{ role: 'user', parts: [{ text: 'x' }] }];
    expect((await apiCall(sim, 'gemini-2.5-flash', 'countTokens', KEY, { contents, generateContentRequest: { model: 'models/gemini-2.5-flash', contents } })).status).toBe(400);
    const noModel = await apiCall(sim, 'gemini-2.5-flash', 'countTokens', KEY, { generateContentRequest: { contents } });
    expect(noModel.status).toBe(400);
    expect(noModel.body.error.message).toMatch(/generate_content_request\.model/);
    expect((await apiCall(sim, 'nope', 'countTokens', KEY, { contents })).status).toBe(404);
  });
});

describe('models', () => {
  const get = async (path: string) => json(await fetch(`${sim.url}/v1beta/${path}`, { headers: { 'x-goog-api-key': KEY } }));

  it('lists generation and embedding models, paged with pageSize / pageToken', async () => {
    const all = await get('models');
    const names = all.body.models.map((m: { name: string }) => m.name);
    expect(names).toContain('models/gemini-2.5-flash');
    expect(names).toContain('models/gemini-embedding-001');
    expect(names).toContain('models/text-embedding-004');
    expect(all.body.nextPageToken).toBeUndefined();
    const pages: string[] = [];
    let token = '';
    for (let i = 0; i < 10; i++) {
      const page = await get(`models?pageSize=3${token ? `&pageToken=${token}` : ''}`);
      expect(page.body.models.length).toBeLessThanOrEqual(3);
      pages.push(...page.body.models.map((m: { name: string }) => m.name));
      if (!page.body.nextPageToken) break;
      token = page.body.nextPageToken;
    }
    expect(pages).toEqual(names);
    expect((await get('models?pageToken=garbage')).status).toBe(400);
  });

  it('gets one model in the Model shape, and 404s an unknown one', async () => {
    const one = await get('models/gemini-2.5-pro');
    expect(one.body).toMatchObject({
      name: 'models/gemini-2.5-pro',
      displayName: 'Gemini 2.5 Pro',
      inputTokenLimit: 1048576,
      outputTokenLimit: 65536,
      supportedGenerationMethods: expect.arrayContaining(['generateContent', 'countTokens']),
      thinking: true,
    });
    const embed = await get('models/gemini-embedding-001');
    expect(embed.body.supportedGenerationMethods).toContain('embedContent');
    const missing = await get('models/gemini-0');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 404, message: 'Model is not found: models/gemini-0 for api version v1beta', status: 'NOT_FOUND' } });
  });
});

describe('request log', () => {
  it('logs route, method, masked key and project; counts by key:<projectId>, one bucket per project', async () => {
    sim.resetStats();
    const body = userText('logged');
    await gen(body);
    await apiCall(sim, 'gemini-2.5-flash', 'countTokens', KEY2, { contents: body.contents });
    await gen(body, 'gemini-2.5-flash', 'AIzaSy-unknown-key-xyz');
    expect(sim.calls({ route: 'gemini-api', method: 'generateContent' })).toEqual([
      { method: 'generateContent', route: 'gemini-api', apiKey: 'AIza...0000', model: 'gemini-2.5-flash', project: 'proj-a', body, at: expect.any(Number), status: 200, inputTokens: 2 },
      { method: 'generateContent', route: 'gemini-api', apiKey: 'AIza...-xyz', model: 'gemini-2.5-flash', body, at: expect.any(Number), status: 400 },
    ]);
    expect(sim.calls({ project: 'proj-a' })).toHaveLength(2);
    expect(sim.counts()).toEqual({ 'key:proj-a': { generateContent: 1, countTokens: 1 }, '(none)': { generateContent: 1 } });
  });

  it('Code Assist calls are logged with route code-assist, and Code Assist has no embedContent (404)', async () => {
    sim.resetStats();
    const token = await tokenFor(sim, 'ca@x.com');
    const r = await call(sim, 'embedContent', token, { model: 'gemini-embedding-001', content: { parts: [{ text: 'x' }] } });
    expect(r.status).toBe(404);
    expect(r.body.error.status).toBe('NOT_FOUND');
    expect(sim.calls({ route: 'code-assist' }).map((c) => c.method)).toEqual(['embedContent']);
  });
});
