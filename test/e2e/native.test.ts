import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleGenAI } from '@google/genai';
import { startStack, type Stack } from './harness.js';

describe('native Gemini /v1beta through the real @google/genai SDK', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'n1@example.com' }, { email: 'n2@example.com' }], sim: { streamEvents: 3 } });
  });
  afterAll(() => stack.close());

  it('generates content, passing the body through inside the Code Assist envelope', async () => {
    const res = await stack.genai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Tell me a joke',
      config: { temperature: 0.5, systemInstruction: 'Be funny' },
    });
    expect(res.text).toBe('Echo from gemini-2.5-flash: Tell me a joke');
    expect(res.candidates?.[0]?.finishReason).toBe('STOP');
    expect(res.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    const call = stack.sim.calls({ method: 'generateContent' }).at(-1)!;
    const env = call.body as { model: string; project: string; request: Record<string, unknown> };
    expect(env.model).toBe('gemini-2.5-flash');
    expect(env.project).toMatch(/^sim-project-n[12]$/);
    expect(env.request.generationConfig).toEqual({ temperature: 0.5 });
    expect(env.request.systemInstruction).toMatchObject({ parts: [{ text: 'Be funny' }] });
  });

  it('streams with alt=sse', async () => {
    const stream = await stack.genai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'one two three four' });
    const parts: string[] = [];
    let last: string | undefined;
    for await (const chunk of stream) {
      parts.push(chunk.text ?? '');
      last = chunk.candidates?.[0]?.finishReason ?? last;
    }
    expect(parts.length).toBe(3);
    expect(parts.join('')).toBe('Echo from gemini-2.5-pro: one two three four');
    expect(last).toBe('STOP');
  });

  it('streams a JSON array without alt=sse', async () => {
    const r = await fetch(`${stack.rotor.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': stack.password!, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'array please' }] }] }),
    });
    expect(r.status).toBe(200);
    const body = await r.text();
    const arr = JSON.parse(body) as Array<{ candidates: Array<{ content: { parts: Array<{ text: string }> } }> }>;
    expect(arr).toHaveLength(3);
    expect(arr.map((e) => e.candidates[0]!.content.parts[0]!.text).join('')).toBe('Echo from gemini-2.5-flash: array please');
    // Google's byte layout, which clients that split on \r\n (Portkey's google provider) depend on.
    expect(body.startsWith('[{')).toBe(true);
    expect(body.endsWith('}\n]')).toBe(true);
    const elements = body.slice(1, -2).split('\n,\r\n');
    expect(elements.map((e) => JSON.parse(e) as unknown)).toEqual(arr);
  });

  it('counts tokens', async () => {
    const res = await stack.genai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'count these words please' });
    expect(res.totalTokens).toBeGreaterThan(0);
    const call = stack.sim.calls({ method: 'countTokens' }).at(-1)!;
    expect((call.body as { request: { model: string } }).request.model).toBe('models/gemini-2.5-flash');
  });

  it('lists and gets models in the Gemini shape', async () => {
    const pager = await stack.genai.models.list();
    const names: string[] = [];
    for await (const m of pager) names.push(m.name ?? '');
    expect(names).toContain('models/gemini-2.5-flash');
    const one = await stack.genai.models.get({ model: 'gemini-2.5-pro' });
    expect(one.name).toBe('models/gemini-2.5-pro');
  });

  it('accepts the password as ?key= and Bearer, rejects a wrong one as google.rpc.Status', async () => {
    const ok = await fetch(`${stack.rotor.url}/v1beta/models?key=${stack.password}`);
    expect(ok.status).toBe(200);
    const bearer = await fetch(`${stack.rotor.url}/v1beta/models`, { headers: { authorization: `Bearer ${stack.password}` } });
    expect(bearer.status).toBe(200);
    const bad = new GoogleGenAI({ apiKey: 'nope', httpOptions: { baseUrl: stack.rotor.url } });
    await expect(bad.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' })).rejects.toThrow(/401/);
    const r = await fetch(`${stack.rotor.url}/v1beta/models`);
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    // A key in the query never reaches the log, right or wrong, on either path.
    await fetch(`${stack.rotor.url}/v1beta/models?key=not-the-password-7731`);
    await fetch(`${stack.rotor.url}/v1beta/models/gemini-2.5-flash:generateContent?key=not-the-password-7731`, { method: 'POST', body: '{}' });
    expect(stack.logs.join('\n')).not.toContain('not-the-password-7731');
  });

  it('rejects a body without contents with a 400 naming the field, and passes Google 400s through', async () => {
    const r = await fetch(`${stack.rotor.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': stack.password!, 'content-type': 'application/json' },
      body: JSON.stringify({ contnts: [] }),
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { status: string; message: string } };
    expect(body.error.status).toBe('INVALID_ARGUMENT');
    expect(body.error.message).toMatch(/contents/);

    const g = await fetch(`${stack.rotor.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': stack.password!, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }], generationConfig: { bogusField: 1 } }),
    });
    expect(g.status).toBe(400);
    const gb = (await g.json()) as { error: { message: string } };
    expect(gb.error.message).toMatch(/bogusField|bogus_field/);
    expect(stack.rotor.pool.status().summary.available).toBe(2);
  });

  it('answers an unknown method with a 404', async () => {
    const r = await fetch(`${stack.rotor.url}/v1beta/models/gemini-2.5-flash:frobnicate`, {
      method: 'POST',
      headers: { 'x-goog-api-key': stack.password!, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });
});
