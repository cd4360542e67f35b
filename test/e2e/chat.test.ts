import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startStack, type Stack } from './harness.js';

describe('OpenAI /v1 through the real openai SDK', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'a@example.com' }, { email: 'b@example.com' }], sim: { streamEvents: 4 } });
  });
  afterAll(() => stack.close());

  it('answers a non-streaming chat with mapped usage and finish_reason', async () => {
    const res = await stack.openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello there' },
      ],
      temperature: 0.2,
      max_tokens: 200,
    });
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('gemini-2.5-flash');
    expect(res.choices[0]!.message.content).toBe('Echo from gemini-2.5-flash: Hello there');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
    const call = stack.sim.calls({ method: 'generateContent' }).at(-1)!;
    const body = call.body as { request: { systemInstruction: unknown; generationConfig: unknown } };
    expect(body.request.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }] });
    expect(body.request.generationConfig).toEqual({ temperature: 0.2, maxOutputTokens: 200 });
  });

  it('keeps multi-turn history and images in the upstream request', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const res = await stack.openai.chat.completions.create({
      model: 'gemini-2.5-pro',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'reply one' },
        { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] },
      ],
    });
    expect(res.choices[0]!.message.content).toBe('Echo from gemini-2.5-pro: what is this? [1 image(s)]');
    const body = stack.sim.calls({ method: 'generateContent' }).at(-1)!.body as { request: { contents: unknown[] } };
    expect(body.request.contents).toEqual([
      { role: 'user', parts: [{ text: 'first' }] },
      { role: 'model', parts: [{ text: 'reply one' }] },
      { role: 'user', parts: [{ text: 'what is this?' }, { inlineData: { mimeType: 'image/png', data: png } }] },
    ]);
  });

  it('streams chunks that add up to the reply, then [DONE]', async () => {
    const stream = await stack.openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'stream me please now' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finishes: Array<string | null> = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        finishes.push(c.finish_reason);
      }
    }
    expect(text).toBe('Echo from gemini-2.5-flash: stream me please now');
    expect(chunks).toBeGreaterThanOrEqual(4);
    expect(finishes.filter((f) => f !== null)).toEqual(['stop']);
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it('ends the raw SSE with data: [DONE]', async () => {
    const r = await fetch(`${stack.rotor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.password}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await r.text();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('lists models in the OpenAI shape', async () => {
    const models = await stack.openai.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toContain('gemini-2.5-pro');
    expect(models.data[0]!.object).toBe('model');
    const one = await stack.openai.models.retrieve('gemini-2.5-flash');
    expect(one.id).toBe('gemini-2.5-flash');
  });

  it('rejects a wrong or missing password with a 401 in OpenAI form', async () => {
    const bad = new OpenAI({ baseURL: `${stack.rotor.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401, type: 'authentication_error' });
    const r = await fetch(`${stack.rotor.url}/v1/models`);
    expect(r.status).toBe(401);
    const body = (await r.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/Authorization: Bearer/);
  });

  it('names the bad field of a malformed body and sends nothing upstream', async () => {
    const before = stack.sim.calls().length;
    await expect(
      stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 42 as unknown as string }] }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/messages\[0\]\.content/) });
    await expect(
      stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' as unknown as number }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/temperature/) });
    await expect(stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [] })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/messages/),
    });
    const r = await fetch(`${stack.rotor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.password}`, 'content-type': 'application/json' },
      body: '{"model": "x", "messages": [',
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
    expect(stack.sim.calls().length).toBe(before);
  });

  it('returns an unknown model as a 404 at once without cooling any credential', async () => {
    await expect(
      stack.openai.chat.completions.create({ model: 'gemini-0-nonexistent', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 404 });
    expect(stack.sim.calls({ method: 'generateContent' }).filter((c) => c.model === 'gemini-0-nonexistent')).toHaveLength(1);
    const status = stack.rotor.pool.status();
    expect(status.summary.available).toBe(2);
  });

  it('answers a gzip body as it answers a plain one, with a request id either way', async () => {
    const { gzipSync } = await import('node:zlib');
    const body = JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'same answer' }] });
    const headers = { authorization: `Bearer ${stack.password}`, 'content-type': 'application/json' };
    const plain = await fetch(`${stack.rotor.url}/v1/chat/completions`, { method: 'POST', headers, body });
    const gzipped = await fetch(`${stack.rotor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...headers, 'content-encoding': 'gzip' },
      body: gzipSync(body),
    });
    const a = (await plain.json()) as { choices: unknown; object: string };
    const b = (await gzipped.json()) as { choices: unknown; object: string };
    expect([plain.status, gzipped.status]).toEqual([200, 200]);
    expect(a.choices).toEqual(b.choices);
    expect(plain.headers.get('x-request-id')).toBeTruthy();
    expect(gzipped.headers.get('x-request-id')).not.toBe(plain.headers.get('x-request-id'));
  });
});
