/** Structured output from a schema, several candidates, and log-probabilities. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Simulator } from '../../src/simulator/index.js';
import { apiCall, apiRaw, call, envelope, sseEvents, start, tokenFor, tokens, userText } from './helpers.js';

const KEY = 'AIzaSy-output-key';
let sim: Simulator;
const gen = (body: unknown, model = 'gemini-2.5-flash') => apiCall(sim, model, 'generateContent', KEY, body);
const textOf = (r: { body: any }, i = 0): string => r.body.candidates[i].content.parts[0].text;

beforeAll(async () => {
  sim = await start({ accounts: [{ email: 'o@x.com' }], apiKeys: [{ key: KEY, projectId: 'proj-o' }], streamEvents: 3 });
});
afterAll(() => sim.close());

describe('JSON from a schema', () => {
  it('responseJsonSchema: all properties, $ref, anyOf, allOf, const, formats, nullable types; zod parses it', async () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 10 },
        age: { type: 'integer', minimum: 18 },
        score: { type: 'number', maximum: 0.5 },
        ok: { type: 'boolean' },
        kind: { enum: ['cat', 'dog'] },
        version: { const: 2 },
        when: { type: 'string', format: 'date-time' },
        nickname: { type: ['string', 'null'] },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
        owner: { $ref: '#/$defs/person' },
        pet: { anyOf: [{ type: 'null' }, { type: 'object', properties: { legs: { type: 'integer' } }, required: ['legs'] }] },
        extra: { allOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { properties: { b: { type: 'boolean' } } }] },
      },
      required: ['name', 'age'],
      additionalProperties: false,
      $defs: { person: { type: 'object', properties: { email: { type: 'string', format: 'email' } } } },
    };
    const r = await gen(userText('give me json', { generationConfig: { responseMimeType: 'application/json', responseJsonSchema: schema } }));
    expect(r.status).toBe(200);
    const value: unknown = JSON.parse(textOf(r));
    expect(value).toEqual({
      name: 'examplexxx',
      age: 18,
      score: 0.5,
      ok: true,
      kind: 'cat',
      version: 2,
      when: '2025-01-01T00:00:00Z',
      nickname: 'example',
      tags: ['example', 'example'],
      owner: { email: 'user@example.com' },
      pet: { legs: 1 },
      extra: { a: 'example', b: true },
    });
    const parsed = z
      .strictObject({
        name: z.string().min(10),
        age: z.number().int().min(18),
        score: z.number().max(0.5),
        ok: z.boolean(),
        kind: z.enum(['cat', 'dog']),
        version: z.literal(2),
        when: z.iso.datetime(),
        nickname: z.string().nullable(),
        tags: z.array(z.string()).min(2),
        owner: z.object({ email: z.email() }),
        pet: z.object({ legs: z.number().int() }).nullable(),
        extra: z.object({ a: z.string(), b: z.boolean() }),
      })
      .safeParse(value);
    expect(parsed.success).toBe(true);
  });

  it('responseSchema (OpenAPI subset): propertyOrdering, enums, nested arrays of objects, on Code Assist too', async () => {
    const responseSchema = {
      type: 'OBJECT',
      properties: {
        items: { type: 'ARRAY', items: { type: 'OBJECT', properties: { id: { type: 'INTEGER' }, label: { type: 'STRING', enum: ['a', 'b'] } } } },
        title: { type: 'STRING' },
        done: { type: 'BOOLEAN', nullable: true },
      },
      propertyOrdering: ['title', 'items'],
    };
    const config = { generationConfig: { responseMimeType: 'application/json', responseSchema } };
    const r = await gen(userText('list', config));
    expect(textOf(r)).toBe('{"title":"example","items":[{"id":1,"label":"a"}],"done":true}');
    const token = await tokenFor(sim, 'o@x.com');
    const ca = await call(sim, 'generateContent', token, envelope('o@x.com', 'list', config));
    expect(ca.body.response.candidates[0].content.parts[0].text).toBe(textOf(r));
  });

  it('JSON without a schema wraps the echo; text/x.enum answers the first value', async () => {
    const plain = await gen(userText('hi', { generationConfig: { responseMimeType: 'application/json' } }));
    expect(JSON.parse(textOf(plain))).toEqual({ echo: 'Echo from gemini-2.5-flash: hi' });
    const enumReply = await gen(userText('pick', { generationConfig: { responseMimeType: 'text/x.enum', responseSchema: { type: 'STRING', enum: ['red', 'green'] } } }));
    expect(textOf(enumReply)).toBe('red');
  });

  it('streams the JSON text in slices that join back into it', async () => {
    const body = userText('s', { generationConfig: { responseMimeType: 'application/json', responseJsonSchema: { type: 'object', properties: { n: { type: 'number' } } } } });
    const events = sseEvents(await (await apiRaw(sim, 'gemini-2.5-flash', 'streamGenerateContent', KEY, body, '?alt=sse')).text());
    expect(JSON.parse(events.map((e) => e.candidates[0].content.parts[0].text).join(''))).toEqual({ n: 1 });
  });
});

describe('candidateCount', () => {
  it('answers n candidates, index 0..n-1, suffixed from the second, usage summed', async () => {
    const r = await gen(userText('hi', { generationConfig: { candidateCount: 3 } }));
    const texts = ['Echo from gemini-2.5-flash: hi', 'Echo from gemini-2.5-flash: hi (candidate 1)', 'Echo from gemini-2.5-flash: hi (candidate 2)'];
    expect(r.body.candidates).toEqual(texts.map((text, index) => ({ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index })));
    expect(r.body.usageMetadata.candidatesTokenCount).toBe(texts.reduce((s, t) => s + tokens(t.length), 0));
    const events = sseEvents(await (await apiRaw(sim, 'gemini-2.5-flash', 'streamGenerateContent', KEY, userText('hi', { generationConfig: { candidateCount: 2 } }), '?alt=sse')).text());
    for (const i of [0, 1]) {
      expect(events.map((e) => e.candidates[i].content.parts[0].text).join('')).toBe(texts[i]);
      expect(events.every((e) => e.candidates[i].index === i)).toBe(true);
    }
  });

  it('Code Assist leaves out index 0 (proto3 JSON) but not the others', async () => {
    const token = await tokenFor(sim, 'o@x.com');
    const ca = await call(sim, 'generateContent', token, envelope('o@x.com', 'two', { generationConfig: { candidateCount: 2 } }));
    expect(ca.body.response.candidates.map((c: { index?: number }) => c.index)).toEqual([undefined, 1]);
  });
});

describe('log-probabilities', () => {
  it('responseLogprobs + logprobs k: chosen and top candidates per word token, and avgLogprobs', async () => {
    const r = await gen(userText('a b', { generationConfig: { responseLogprobs: true, logprobs: 2 } }));
    const words = ['Echo', ' from', ' gemini-2.5-flash:', ' a', ' b'];
    const chosen = [-0.0625, -0.125, -0.25, -0.5, -0.0625];
    const candidate = r.body.candidates[0];
    expect(candidate.logprobsResult.chosenCandidates).toEqual(words.map((token, i) => ({ token, logProbability: chosen[i] })));
    expect(candidate.logprobsResult.topCandidates).toHaveLength(5);
    expect(candidate.logprobsResult.topCandidates[0].candidates).toEqual([
      { token: 'Echo', logProbability: -0.0625 },
      { token: ' the', logProbability: -1.0625 },
    ]);
    expect(candidate.avgLogprobs).toBeCloseTo(chosen.reduce((s, x) => s + x, 0) / 5, 10);
    const chosenOnly = await gen(userText('a b', { generationConfig: { responseLogprobs: true } }));
    expect(chosenOnly.body.candidates[0].logprobsResult.topCandidates).toBeUndefined();
    expect((await gen(userText('a b'))).body.candidates[0].logprobsResult).toBeUndefined();
  });

  it('streams split at word boundaries, each chunk with the logprobs of its own words', async () => {
    const body = userText('one two three four', { generationConfig: { responseLogprobs: true, logprobs: 1 } });
    const events = sseEvents(await (await apiRaw(sim, 'gemini-2.5-flash', 'streamGenerateContent', KEY, body, '?alt=sse')).text());
    expect(events).toHaveLength(3);
    const whole = await gen(body);
    const streamed = events.flatMap((e) => e.candidates[0].logprobsResult.chosenCandidates);
    expect(streamed).toEqual(whole.body.candidates[0].logprobsResult.chosenCandidates);
    for (const e of events) {
      const c = e.candidates[0];
      expect(c.logprobsResult.chosenCandidates.map((t: { token: string }) => t.token).join('')).toBe(c.content.parts[0].text);
    }
    expect(events.at(-1).candidates[0].avgLogprobs).toBe(whole.body.candidates[0].avgLogprobs);
  });
});
