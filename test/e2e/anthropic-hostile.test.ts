/**
 * The Anthropic routes against a hostile client and a flaky network, end to end at the default body limit
 * (20 MB): a client that leaves mid-stream, requests whose conversion used to take seconds or overflow the stack,
 * a thousand tool calls, count_tokens with huge tools, two credentials at once, a 10 KB model name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { startStack, type Stack } from './harness.js';
import { enumBomb } from '../translate/schema-bombs.js';

type Part = Record<string, unknown>;

async function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe('the Anthropic routes against a hostile client', () => {
  let stack: Stack;
  let client: Anthropic;
  const post = async (path: string, body: unknown, headers: Record<string, string> = { 'x-api-key': stack.password! }) => {
    const res = await fetch(`${stack.rotor.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };
  const health = async () => (await fetch(`${stack.rotor.url}/health`)).status;
  const unhandled = () => stack.logs.filter((l) => /unhandled error/.test(l));

  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'x1@example.com' }, { email: 'x2@example.com' }], sim: { streamEvents: 20, streamIntervalMs: 100 } });
    client = new Anthropic({ baseURL: stack.rotor.url, apiKey: stack.password!, maxRetries: 0 });
  });
  afterAll(() => stack.close());

  it('aborts the upstream stream when the client leaves mid-stream, and cools nothing', async () => {
    const before = stack.sim.aborted();
    const controller = new AbortController();
    const stream = client.messages.stream(
      { model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: 'a long story that goes on and on and on' }] },
      { signal: controller.signal },
    );
    let deltas = 0;
    try {
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && ++deltas === 2) controller.abort();
      }
    } catch {
      /* the SDK ends the iteration with an abort error */
    }
    expect(deltas).toBeLessThan(20);
    await waitFor(() => stack.sim.aborted() === before + 1);
    expect(stack.sim.aborted()).toBe(before + 1);
    expect(stack.rotor.pool.status().summary.available).toBe(2);
    expect(unhandled()).toEqual([]);
    const ok = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'still there?' }] });
    expect(ok.content[0]).toMatchObject({ type: 'text', text: 'Echo from gemini-2.5-pro: still there?' });
  });

  it('serves 200,000 blocks in a message merged with the one before (a stack overflow: a 500, after seconds of work)', async () => {
    const blocks = Array.from({ length: 200_000 }, () => ({ type: 'text', text: 'a' }));
    const pending = post('/v1/messages', { model: 'gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'x' }, { role: 'user', content: blocks }] });
    expect(await health()).toBe(200);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.json.type).toBe('message');
    expect(unhandled()).toEqual([]);
  }, 30_000);

  it('answers a thousand tool_use blocks on Gemini 3 with exactly their thousand results, in call order', async () => {
    const n = 1000;
    const calls = Array.from({ length: n }, (_, i) => ({ type: 'tool_use' as const, id: `toolu_${i}`, name: 'probe', input: { i } }));
    // Out of order, one missing, one nobody asked for.
    const results = calls.slice(1).reverse().map((c) => ({ type: 'tool_result' as const, tool_use_id: c.id, content: `r${c.input.i}` }));
    results.push({ type: 'tool_result', tool_use_id: 'toolu_nobody', content: 'stray' });
    const before = stack.sim.calls({ method: 'generateContent' }).length;
    const res = await client.messages.create({
      model: 'gemini-3-pro-preview',
      max_tokens: 10,
      tools: [{ name: 'probe', input_schema: { type: 'object', properties: { i: { type: 'integer' } } } }],
      messages: [
        { role: 'user', content: 'probe everything' },
        { role: 'assistant', content: calls },
        { role: 'user', content: results },
      ],
    });
    expect(res.type).toBe('message');
    const sent = stack.sim.calls({ method: 'generateContent' }).slice(before).at(-1)!.body as { request: { contents: Array<{ parts: Part[] }> } };
    const answers = sent.request.contents[2]!.parts;
    const responses = answers.filter((p) => p['functionResponse']);
    expect(responses).toHaveLength(n);
    expect(responses[0]).toStrictEqual({ functionResponse: { name: 'probe', response: { error: 'the client sent no tool_result for this call' } } });
    expect(responses[999]).toStrictEqual({ functionResponse: { name: 'probe', response: { output: 'r999' } } });
    expect(answers.at(-1)).toStrictEqual({ text: '[result of tool call toolu_nobody]\nstray' });
  });

  it('counts huge tool lists, and refuses a schema bomb in count_tokens at once while /health keeps answering', async () => {
    const tools = Array.from({ length: 2000 }, (_, i) => ({
      name: `tool_${i}`,
      description: `Tool number ${i}`,
      input_schema: { type: 'object' as const, properties: { a: { type: 'string', description: 'x'.repeat(300) }, b: { type: 'array', items: { type: 'integer' } } } },
    }));
    const counted = await client.messages.countTokens({ model: 'claude-sonnet-4-5', tools, messages: [{ role: 'user', content: 'hi' }] });
    expect(counted.input_tokens).toBeGreaterThan(2000);

    const pending = post('/v1/messages/count_tokens', { model: 'claude-sonnet-4-5', tools: [{ name: 'bomb', input_schema: enumBomb(2000, 2000) }], messages: [{ role: 'user', content: 'hi' }] });
    expect(await health()).toBe(200);
    const refused = await pending;
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(refused.json.error.message).toMatch(/tool "bomb".*SCHEMA_MAX_/);
  }, 30_000);

  it('checks the Bearer token when x-api-key comes too (Claude Code with ANTHROPIC_AUTH_TOKEN and a stray ANTHROPIC_API_KEY)', async () => {
    // This SDK takes one of apiKey and authToken; older ones (and Claude Code) send both headers.
    const both = new Anthropic({ baseURL: stack.rotor.url, authToken: stack.password!, defaultHeaders: { 'x-api-key': 'sk-ant-api03-the-users-own-key' }, maxRetries: 0 });
    const res = await both.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.type).toBe('message');
    const wrongBearer = await post('/v1/messages', { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': stack.password!, authorization: 'Bearer wrong' });
    expect(wrongBearer).toStrictEqual({ status: 401, json: { type: 'error', error: { type: 'authentication_error', message: 'invalid API key (it does not match GEMINI_AUTH_PASSWORD)' } } });
  });

  it('refuses a 10 KB model name naming the field, before any upstream call', async () => {
    const before = stack.sim.calls().length;
    const err = await client.messages.create({ model: `claude-${'x'.repeat(10_000)}`, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).toMatch(/model: .*at most 256/);
    expect(stack.sim.calls().length).toBe(before);
  });
});
