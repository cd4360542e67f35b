/**
 * Single requests that once ran Rotor out of memory or fanned out without bound are refused at once with a
 * 400 naming the limit: a hundred media URLs (no download starts), thousands of embedding inputs (no call to
 * Google), while ordinary requests keep being served.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';

describe('requests whose cost has no natural bound', () => {
  let stack: Stack;
  let media: Server;
  let hits = 0;
  let base = '';
  beforeAll(async () => {
    media = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(64));
    });
    await new Promise<void>((r) => media.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
    stack = await startStack({
      accounts: [{ email: 'hostile@example.com' }],
      apiKeys: [{ key: 'AIzaSyHostileKey000000000000000000000000', projectId: 'hostile-project' }],
      env: { MEDIA_FETCH_ALLOW_PRIVATE: 'true' },
    });
  });
  afterAll(async () => {
    await stack.close();
    media.close();
  });

  it('refuses 100 media URLs before downloading any, then serves a request with two', async () => {
    const parts = Array.from({ length: 100 }, (_, i) => ({ type: 'image_url' as const, image_url: { url: `${base}/img-${i}.png` } }));
    const err = await stack.openai.chat.completions
      .create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, ...parts] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/MEDIA_MAX_URLS/);
    expect(hits).toBe(0);
    const ok = await stack.openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'two' }, ...parts.slice(0, 2)] }],
    });
    expect(ok.choices[0]!.message.content).toBeTruthy();
    expect(hits).toBe(2);
  });

  it('refuses 3,000 embedding inputs without calling Google', async () => {
    const before = stack.sim.calls({ method: 'batchEmbedContents' }).length;
    const err = await stack.openai.embeddings.create({ model: 'gemini-embedding-001', input: Array.from({ length: 3000 }, (_, i) => `text ${i}`) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/2048/);
    expect(stack.sim.calls({ method: 'batchEmbedContents' }).length).toBe(before);
    const ok = await stack.openai.embeddings.create({ model: 'gemini-embedding-001', input: Array.from({ length: 250 }, (_, i) => `text ${i}`) });
    expect(ok.data).toHaveLength(250);
    expect(ok.data.map((d) => d.index)).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });
});
