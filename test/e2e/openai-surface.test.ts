/** The rest of the OpenAI surface through the real openai SDK: media, structured output, reasoning, search, safety, embeddings. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { zodResponseFormat } from 'openai/helpers/zod';
import { startStack, type Stack } from './harness.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** The last generation request as the upstream saw it: inside the Code Assist envelope, or plain on the Gemini API. */
function lastRequest(stack: Stack, method = 'generateContent') {
  const body = stack.sim.calls({ method }).at(-1)!.body as { request?: Record<string, any> } & Record<string, any>;
  return { request: body.request ?? body };
}

describe('the OpenAI surface', () => {
  let stack: Stack;
  let media: Server;
  let mediaUrl: string;
  beforeAll(async () => {
    media = createServer((req, res) => {
      if (req.url === '/cat.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      if (req.url === '/page.html') return res.writeHead(200, { 'content-type': 'application/x-msdownload' }).end('MZ');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => media.listen(0, '127.0.0.1', r));
    mediaUrl = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
    stack = await startStack({
      accounts: [{ email: 's1@example.com' }],
      apiKeys: [{ key: 'AQ.sim-key-one-0123456789', projectId: 'embed-project' }],
      env: { MEDIA_FETCH_ALLOW_PRIVATE: 'true' },
    });
  });
  afterAll(async () => {
    await stack.close();
    media.close();
  });

  it('fetches an http(s) image URL and sends it inline', async () => {
    const res = await stack.openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'describe' }, { type: 'image_url', image_url: { url: `${mediaUrl}/cat.png` } }] }],
    });
    expect(res.choices[0]!.message.content).toContain('[1 image(s)]');
    const parts = lastRequest(stack).request.contents[0].parts;
    expect(parts[1]).toEqual({ inlineData: { mimeType: 'image/png', data: PNG.toString('base64') } });
  });

  it('refuses media that is not an image, and URLs that do not answer, with a 400', async () => {
    await expect(
      stack.openai.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `${mediaUrl}/page.html` } }] }],
      }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/not an image/) });
    await expect(
      stack.openai.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `${mediaUrl}/missing.png` } }] }],
      }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/404/) });
  });

  it('sends audio and file parts inline', async () => {
    await stack.openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
            { type: 'text', text: 'listen and read' },
          ],
        },
      ],
    });
    const parts = lastRequest(stack).request.contents[0].parts;
    expect(parts.slice(0, 2)).toEqual([
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
    ]);
  });

  it('returns json_schema output that the SDK parses with zod', async () => {
    const Recipe = z.object({ title: z.string(), servings: z.number(), vegan: z.boolean(), tags: z.array(z.string()) });
    const res = await stack.openai.chat.completions.parse({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'a recipe' }],
      response_format: zodResponseFormat(Recipe, 'recipe'),
    });
    const parsed = res.choices[0]!.message.parsed!;
    expect(Recipe.parse(parsed)).toEqual(parsed);
    const cfg = lastRequest(stack).request.generationConfig;
    expect(cfg.responseMimeType).toBe('application/json');
    expect(cfg.responseJsonSchema).toMatchObject({ type: 'object', properties: { title: { type: 'string' } } });
  });

  it('maps reasoning_effort to a thinking budget and returns reasoning_content with reasoning tokens', async () => {
    const res = await stack.openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      reasoning_effort: 'high',
      messages: [{ role: 'user', content: 'think hard' }],
    });
    expect(lastRequest(stack).request.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 24576, includeThoughts: true });
    const msg = res.choices[0]!.message as { content: string; reasoning_content?: string };
    expect(msg.reasoning_content).toBeTruthy();
    expect(msg.content).toBe('Echo from gemini-2.5-flash: think hard');
    const u = res.usage!;
    expect(u.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
    expect(u.prompt_tokens + u.completion_tokens).toBe(u.total_tokens);
  });

  it('streams reasoning as delta.reasoning_content and a final usage chunk with empty choices', async () => {
    const stream = await stack.openai.chat.completions.create({
      model: 'gemini-3-flash-preview',
      reasoning_effort: 'low',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'stream thoughts' }],
    });
    let reasoning = '';
    let last: { choices: unknown[]; usage?: unknown } | undefined;
    for await (const chunk of stream) {
      for (const c of chunk.choices) reasoning += (c.delta as { reasoning_content?: string }).reasoning_content ?? '';
      last = chunk;
    }
    expect(reasoning.length).toBeGreaterThan(0);
    expect(last!.choices).toEqual([]);
    expect(last!.usage).toMatchObject({ total_tokens: expect.any(Number) });
    expect(lastRequestStream(stack).request.generationConfig.thinkingConfig).toMatchObject({ thinkingLevel: 'low', includeThoughts: true });
  });

  it('grounds with Google Search and returns url_citation annotations', async () => {
    const res = await stack.openai.chat.completions.create({ model: 'gemini-2.5-flash-search', messages: [{ role: 'user', content: 'latest news' }] });
    expect(lastRequest(stack).request.tools).toEqual([{ googleSearch: {} }]);
    expect(res.model).toBe('gemini-2.5-flash-search');
    const annotations = (res.choices[0]!.message as { annotations?: Array<{ type: string; url_citation: { url: string; start_index: number; end_index: number } }> }).annotations!;
    expect(annotations.length).toBeGreaterThan(0);
    const content = res.choices[0]!.message.content!;
    for (const a of annotations) {
      expect(a.type).toBe('url_citation');
      expect(a.url_citation.url).toMatch(/^https:\/\/example\.(com|org)\//);
      expect(a.url_citation.end_index).toBeLessThanOrEqual(content.length);
    }
  });

  it('reports a blocked prompt as content_filter with a refusal', async () => {
    const res = await stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'something [blocked]' }] });
    expect(res.choices[0]!.finish_reason).toBe('content_filter');
    expect(res.choices[0]!.message.refusal).toMatch(/SAFETY/);
  });

  it('passes n, seed, penalties and stop through, and rejects wrong types naming the field', async () => {
    const res = await stack.openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      n: 2,
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      stop: ['END'],
      user: 'someone',
      metadata: { a: 'b' },
      messages: [{ role: 'user', content: 'two please' }],
    });
    expect(res.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(lastRequest(stack).request.generationConfig).toEqual({
      candidateCount: 2,
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
      stopSequences: ['END'],
    });
    await expect(
      stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', n: 'two' as unknown as number, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/\bn\b/) });
  });

  it('embeds through the Gemini API key, in floats and base64', async () => {
    const res = await stack.openai.embeddings.create({ model: 'gemini-embedding-001', input: ['hello', 'world'], dimensions: 8 });
    expect(res.data.map((d) => d.index)).toEqual([0, 1]);
    expect(res.data[0]!.embedding).toHaveLength(8);
    expect(res.data[0]!.embedding).not.toEqual(res.data[1]!.embedding);
    const b64 = await stack.openai.embeddings.create({ model: 'gemini-embedding-001', input: 'hello', dimensions: 8, encoding_format: 'base64' });
    const raw = b64.data[0]!.embedding as unknown as string;
    const bytes = Buffer.from(raw, 'base64');
    const floats = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expect(floats.map((f) => f.toFixed(5))).toEqual((res.data[0]!.embedding as number[]).map((f) => Math.fround(f).toFixed(5)));
    const call = stack.sim.calls({ method: 'batchEmbedContents' }).at(-1)!;
    expect(call.body).toMatchObject({ requests: [{ model: 'models/gemini-embedding-001', outputDimensionality: 8 }] });
  });
});

function lastRequestStream(stack: Stack) {
  return lastRequest(stack, 'streamGenerateContent');
}

describe('embeddings without an API key', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'noembed@example.com' }] });
  });
  afterAll(() => stack.close());

  it('answers a clear 400 on both dialects', async () => {
    await expect(stack.openai.embeddings.create({ model: 'gemini-embedding-001', input: 'x' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/Gemini API key/),
    });
    const r = await fetch(`${stack.rotor.url}/v1beta/models/gemini-embedding-001:embedContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': stack.password!, 'content-type': 'application/json' },
      body: JSON.stringify({ content: { parts: [{ text: 'x' }] } }),
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: { status: 'INVALID_ARGUMENT', message: expect.stringMatching(/Gemini API key/) } });
  });

  it('refuses to fetch media from loopback by default', async () => {
    await expect(
      stack.openai.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `http://127.0.0.1:9/x.png` } }] }],
      }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/non-public address/) });
  });
});
