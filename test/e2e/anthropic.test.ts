/**
 * Anthropic Messages through the real @anthropic-ai/sdk against the simulator: text, streams, a Gemini 3 tool
 * loop whose thought signatures must round-trip (the simulator refuses a missing one), thinking, images in a
 * tool result, count_tokens, errors; and the raw SSE event sequence.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { startStack, type Stack } from './harness.js';

type Part = Record<string, unknown>;
type Content = { role: string; parts: Part[] };

/** The simulator's signature for a label (base64 of `sim-signature:<label>`), as Google would send it. */
const simSignature = (label: string) => Buffer.from(`sim-signature:${label}`).toString('base64');
const BYPASS = 'skip_thought_signature_validator';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const tools: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Weather for a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
  {
    name: 'get_time',
    description: 'Local time in a city',
    input_schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { city: { type: 'string', format: 'hostname' } } },
  },
];

describe('Anthropic Messages through the real @anthropic-ai/sdk', () => {
  let stack: Stack;
  let client: Anthropic;
  let images: Server;
  let imageUrl: string;

  /** The Gemini request body of the simulator's last call of that method (inside the Code Assist envelope). */
  const lastRequest = (method: string) => (stack.sim.calls({ method }).at(-1)!.body as { request: { contents: Content[] } & Record<string, unknown> }).request;

  beforeAll(async () => {
    images = createServer((_req, res) => {
      res.setHeader('Content-Type', 'image/png');
      res.end(Buffer.from(PNG, 'base64'));
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/shot.png`;
    stack = await startStack({
      accounts: [{ email: 'a1@example.com' }, { email: 'a2@example.com' }],
      sim: { streamEvents: 3 },
      env: { MEDIA_FETCH_ALLOW_PRIVATE: 'true' },
    });
    client = new Anthropic({ baseURL: stack.rotor.url, apiKey: stack.password!, maxRetries: 0 });
  });
  afterAll(async () => {
    await stack.close();
    await new Promise((resolve) => images.close(resolve));
  });

  it('answers messages.create for a Claude model name with Gemini 2.5 Pro, echoing the name asked for', async () => {
    const { data, response } = await client.messages
      .create({
        model: 'claude-sonnet-4-5-20250929',
        max_tokens: 200,
        system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Hello there' }],
        // Gone from this SDK's types, still sent by older clients: honoured.
        temperature: 0.2,
        metadata: { user_id: 'user_e2e_session_1' },
      } as Anthropic.MessageCreateParamsNonStreaming)
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.model).toBe('claude-sonnet-4-5-20250929');
    expect(data.id).toMatch(/^msg_[A-Za-z0-9_-]+$/);
    expect(data.content).toEqual([{ type: 'text', text: 'Echo from gemini-2.5-pro: Hello there' }]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.stop_sequence).toBeNull();
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-rotor-model')).toBe('gemini-2.5-pro');
    const call = stack.sim.calls({ method: 'generateContent' }).at(-1)!;
    expect(call.model).toBe('gemini-2.5-pro');
    const sent = lastRequest('generateContent');
    expect(sent['systemInstruction']).toEqual({ parts: [{ text: 'Be brief.' }] });
    expect(sent['generationConfig']).toEqual({ temperature: 0.2, maxOutputTokens: 200 });
  });

  it('runs a streamed three-turn tool loop with thinking on Gemini 3, the signatures going back on the calls', async () => {
    const model = 'gemini-3-pro-preview';
    const thinking = { type: 'enabled', budget_tokens: 2048 } as const;
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Call get_weather and get_time for {"city":"Paris"}' }];

    const first = await client.messages.stream({ model, max_tokens: 1000, thinking, tools, messages }).finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use', 'tool_use']);
    const thought = first.content[0] as Anthropic.ThinkingBlock;
    expect(thought.thinking).toBe('Thinking about: Call get_weather and get_time for {"city":"Paris"}');
    expect(thought.signature).toBe(simSignature('get_weather'));
    const calls = first.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(calls.map((c) => [c.name, c.input])).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_time', { city: 'Paris' }],
    ]);
    for (const c of calls) expect(c.id).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);

    messages.push({ role: 'assistant', content: first.content });
    messages.push({
      role: 'user',
      content: [
        ...calls.map((c): Anthropic.ToolResultBlockParam => ({ type: 'tool_result', tool_use_id: c.id, content: `${c.name} ok` })),
        { type: 'text', text: 'Now call get_weather for {"city":"Oslo"}' },
      ],
    });
    const second = await client.messages.stream({ model, max_tokens: 1000, thinking, tools, messages }).finalMessage();
    expect(second.stop_reason).toBe('tool_use');
    const call2 = second.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect([call2.name, call2.input]).toEqual(['get_weather', { city: 'Oslo' }]);

    messages.push({ role: 'assistant', content: second.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call2.id, content: 'sunny' }] });
    const third = await client.messages.stream({ model, max_tokens: 1000, thinking, tools, messages }).finalMessage();
    expect(third.stop_reason).toBe('end_turn');
    // The simulator answers a turn of function responses with text (it echoes no user text then).
    expect(third.content.at(-1)).toEqual({ type: 'text', text: 'Echo from gemini-3-pro-preview: (no text)' });

    // Google got both results of turn one in one content, and every call turn with the signature it issued.
    const contents = lastRequest('streamGenerateContent').contents;
    expect(contents.map((c) => c.role)).toEqual(['user', 'model', 'user', 'model', 'user']);
    expect(contents[2]!.parts.filter((p) => 'functionResponse' in p)).toHaveLength(2);
    expect(contents[2]!.parts.at(-1)).toEqual({ text: 'Now call get_weather for {"city":"Oslo"}' });
    const firstCalls = contents.filter((c) => c.role === 'model').map((c) => c.parts.find((p) => 'functionCall' in p)!);
    expect(firstCalls.map((p) => p['thoughtSignature'])).toEqual([simSignature('get_weather'), simSignature('get_weather')]);
    // Thought text is not sent back.
    expect(contents.flatMap((c) => c.parts).some((p) => p['thought'] === true)).toBe(false);
  });

  it('restores signatures from the cache for a client that drops thinking blocks (non-streaming, Gemini 3)', async () => {
    const model = 'gemini-3-flash-preview';
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'get_time {"city":"Rome"}' }];
    const first = await client.messages.create({ model, max_tokens: 500, tools, messages });
    expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    expect((first.content[0] as Anthropic.ThinkingBlock).signature).toBe(simSignature('get_time'));
    const stripped = first.content.filter((b) => b.type !== 'thinking');
    const call = stripped[0] as Anthropic.ToolUseBlock;
    messages.push({ role: 'assistant', content: stripped });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '{"time": "noon"}' }, { type: 'text', text: 'And get_weather {"city":"Rome"}' }] });
    const second = await client.messages.create({ model, max_tokens: 500, tools, messages });
    expect(second.stop_reason).toBe('tool_use');
    messages.push({ role: 'assistant', content: second.content.filter((b) => b.type !== 'thinking') });
    const call2 = second.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call2.id, content: 'rain' }] });
    const third = await client.messages.create({ model, max_tokens: 500, tools, messages });
    expect(third.stop_reason).toBe('end_turn');
    const contents = lastRequest('generateContent').contents;
    const signatures = contents.filter((c) => c.role === 'model').map((c) => c.parts[0]!['thoughtSignature']);
    expect(signatures).toEqual([simSignature('get_time'), simSignature('get_weather')]);
    expect(contents[2]!.parts[0]).toEqual({ functionResponse: { name: 'get_time', response: { time: 'noon' } } });
  });

  it('returns thinking blocks before the answer when thinking is enabled on Gemini 2.5', async () => {
    const res = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'Why is the sky blue?' }],
    });
    expect(res.model).toBe('claude-haiku-4-5');
    expect(res.content).toEqual([
      { type: 'thinking', thinking: 'Thinking about: Why is the sky blue?', signature: '' },
      { type: 'text', text: 'Echo from gemini-2.5-flash: Why is the sky blue?' },
    ]);
    expect(lastRequest('generateContent')['generationConfig']).toEqual({ maxOutputTokens: 4000, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
  });

  it('sends images inside a tool result (base64 and a fetched URL) after the function response', async () => {
    const res = await client.messages.create({
      model: 'gemini-2.5-flash',
      max_tokens: 300,
      tools: [{ name: 'screenshot', input_schema: { type: 'object', properties: { page: { type: 'string' } } } }],
      messages: [
        { role: 'user', content: 'Take a screenshot' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_shot_1', name: 'screenshot', input: { page: 'home' } }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_shot_1',
              content: [
                { type: 'text', text: 'Here it is.' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
                { type: 'image', source: { type: 'url', url: imageUrl } },
              ],
            },
          ],
        },
      ],
    });
    expect(res.content).toEqual([{ type: 'text', text: 'Echo from gemini-2.5-flash: (no text) [2 image(s)]' }]);
    const last = lastRequest('generateContent').contents.at(-1)!;
    expect(last).toEqual({
      role: 'user',
      parts: [
        { functionResponse: { name: 'screenshot', response: { output: 'Here it is.' } } },
        { inlineData: { mimeType: 'image/png', data: PNG } },
        { inlineData: { mimeType: 'image/png', data: PNG } },
      ],
    });
  });

  it('moves system turns from mid-history into the system instruction', async () => {
    const res = await client.messages.create({
      model: 'gemini-3-flash-preview',
      max_tokens: 100,
      system: 'You are Claude Code.',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'reply one' },
        { role: 'system', content: 'Plan mode is on.' },
        { role: 'user', content: 'second' },
      ],
    });
    expect(res.content).toEqual([{ type: 'text', text: 'Echo from gemini-3-flash-preview: second' }]);
    const sent = lastRequest('generateContent');
    expect(sent['systemInstruction']).toEqual({ parts: [{ text: 'You are Claude Code.' }, { text: 'Plan mode is on.' }] });
    expect(sent.contents.map((c) => c.role)).toEqual(['user', 'model', 'user']);
  });

  it('continues a trailing assistant message (prefill) as the last model turn', async () => {
    for (const model of ['gemini-2.5-flash', 'gemini-3-flash-preview']) {
      const res = await client.messages.create({
        model,
        max_tokens: 100,
        messages: [
          { role: 'user', content: 'List three colours as JSON.' },
          { role: 'assistant', content: '{"colours": [' },
        ],
      });
      expect(res.stop_reason).toBe('end_turn');
      expect(lastRequest('generateContent').contents.at(-1)).toEqual({ role: 'model', parts: [{ text: '{"colours": [' }] });
    }
  });

  it('answers the web search server tool with server_tool_use and web_search_tool_result blocks from grounding', async () => {
    const webSearch: Anthropic.WebSearchTool20250305 = { type: 'web_search_20250305', name: 'web_search', max_uses: 3 };
    const res = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 500, tools: [webSearch], messages: [{ role: 'user', content: 'Latest Gemini news' }] });
    expect(res.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_search_tool_result', 'text']);
    const use = res.content[0] as Anthropic.ServerToolUseBlock;
    expect(use).toMatchObject({ name: 'web_search', input: { query: 'Latest Gemini news' } });
    const result = res.content[1] as Anthropic.WebSearchToolResultBlock;
    expect(result.tool_use_id).toBe(use.id);
    const links = result.content as Anthropic.WebSearchResultBlock[];
    expect(links.map((l) => l.type)).toEqual(['web_search_result', 'web_search_result']);
    expect(links.every((l) => /^https:\/\/example\.(com|org)\//.test(l.url))).toBe(true);
    expect(res.usage.server_tool_use).toEqual({ web_search_requests: 1 });
    expect(lastRequest('generateContent')['tools']).toEqual([{ googleSearch: {} }]);

    const streamed = await client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 500, tools: [webSearch], messages: [{ role: 'user', content: 'Latest Gemini news' }] }).finalMessage();
    // A stream learns the grounding with its last chunk, so the search blocks follow the text there.
    expect(streamed.content.map((b) => b.type)).toEqual(['text', 'server_tool_use', 'web_search_tool_result']);
    expect((streamed.content[1] as Anthropic.ServerToolUseBlock).input).toEqual({ query: 'Latest Gemini news' });
  });

  it('keeps the client tools and leaves web search out when both are given (Google refuses the two together)', async () => {
    const webSearch: Anthropic.WebSearchTool20250305 = { type: 'web_search_20250305', name: 'web_search' };
    const res = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 500, tools: [...tools, webSearch], messages: [{ role: 'user', content: 'Latest Gemini news' }] });
    expect(res.type).toBe('message');
    const sent = lastRequest('generateContent')['tools'] as Record<string, unknown>[];
    expect(sent.map((t) => Object.keys(t))).toEqual([['functionDeclarations']]);
  });

  it('counts tokens with the system prompt and tools, also on ?beta=true', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Count me' }];
    const bare = await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages });
    const full = await client.messages.countTokens({ model: 'claude-sonnet-4-5', system: 'A long system prompt that costs tokens.', tools, messages });
    expect(bare.input_tokens).toBeGreaterThan(0);
    expect(full.input_tokens).toBeGreaterThan(bare.input_tokens);
    const call = stack.sim.calls({ method: 'countTokens' }).at(-1)!;
    expect(call.model).toBe('gemini-2.5-pro');
    const parts = (call.body as { request: { contents: Content[] } }).request.contents[0]!.parts;
    expect(parts[0]).toEqual({ text: 'A long system prompt that costs tokens.' });
    expect(String(parts[1]!['text'])).toContain('"name":"get_weather"');
    const beta = await client.beta.messages.countTokens({ model: 'claude-sonnet-4-5', system: 'A long system prompt that costs tokens.', tools, messages });
    expect(beta.input_tokens).toBe(full.input_tokens);
    // Tools alone (messages without content) are counted; nothing at all is 0, without asking Google.
    const toolsOnly = await client.messages.countTokens({ model: 'claude-haiku-4-5', tools, messages: [{ role: 'user', content: '' }] });
    expect(toolsOnly.input_tokens).toBeGreaterThan(0);
    const calls = stack.sim.calls({ method: 'countTokens' }).length;
    expect(await client.messages.countTokens({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: [] }] })).toEqual({ input_tokens: 0 });
    expect(stack.sim.calls({ method: 'countTokens' })).toHaveLength(calls);
  });

  it('answers a bad request with BadRequestError and Anthropic\'s error body', async () => {
    const err = await client.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 'ten' as unknown as number, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const bad = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(bad.status).toBe(400);
    expect(bad.error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'invalid request: max_tokens: expected number, got string' } });
    expect(bad.type).toBe('invalid_request_error');
  });

  it('answers a wrong key with AuthenticationError, and unknown /v1/messages paths in Anthropic\'s shape', async () => {
    const wrong = new Anthropic({ baseURL: stack.rotor.url, apiKey: 'not-the-password', maxRetries: 0 });
    const err = await wrong.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });

    const res = await fetch(`${stack.rotor.url}/v1/messages/batches`, { headers: { 'x-api-key': stack.password! } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });

    // The chain's own refusals (body, method) answer in Anthropic's shape on these routes too.
    const broken = await fetch(`${stack.rotor.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': stack.password!, 'content-type': 'application/json' }, body: '{"model": ' });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/not valid JSON/) } });
    const get = await fetch(`${stack.rotor.url}/v1/messages/count_tokens`, { headers: { 'x-api-key': stack.password! } });
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('turns an upstream failure after the first event into an error event the SDK throws', async () => {
    stack.sim.injectFault({ fault: { type: 'cut-stream', afterEvents: 1 }, method: 'streamGenerateContent', times: 1 });
    const stream = client.messages.stream({ model: 'gemini-2.5-flash', max_tokens: 100, messages: [{ role: 'user', content: 'this stream will break' }] });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const body = (err as InstanceType<typeof Anthropic.APIError>).error as { type: string; error: { type: string } };
    expect(body.type).toBe('error');
    // The connection to Google dropped mid-stream: a 502, Anthropic's api_error.
    expect(body.error.type).toBe('api_error');
  });

  it('streams the exact event sequence, with Bearer auth, ?beta=true and Claude Code\'s headers', async () => {
    const res = await fetch(`${stack.rotor.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${stack.password}`,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,prompt-caching-scope-2026-01-05,some-future-beta',
        'x-app': 'cli',
      },
      body: JSON.stringify({
        model: 'gemini-3-flash-preview',
        max_tokens: 1000,
        stream: true,
        thinking: { type: 'enabled', budget_tokens: 4000 },
        tools,
        context_management: { edits: [{ type: 'clear_thinking_20251015' }] },
        messages: [{ role: 'user', content: [{ type: 'text', text: 'get_weather and get_time for {"city":"Lima"}', cache_control: { type: 'ephemeral' } }] }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const events = text
      .split('\n\n')
      .filter((block) => block.trim() !== '' && !block.startsWith(':'))
      .map((block) => {
        const event = /^event: (.+)$/m.exec(block)![1]!;
        const data = JSON.parse(/^data: (.+)$/m.exec(block)![1]!) as Record<string, unknown> & { type: string };
        expect(data.type).toBe(event);
        return data;
      });
    const delta = (e: Record<string, unknown>) => (e['delta'] as { type?: string; stop_reason?: string } | undefined);
    expect(events.map((e) => [e.type, e['index'] ?? null, (e['content_block'] as { type?: string } | undefined)?.type ?? delta(e)?.type ?? delta(e)?.stop_reason ?? null])).toEqual([
      ['message_start', null, null],
      ['content_block_start', 0, 'thinking'],
      ['content_block_delta', 0, 'thinking_delta'],
      ['content_block_delta', 0, 'signature_delta'],
      ['content_block_stop', 0, null],
      ['content_block_start', 1, 'tool_use'],
      ['content_block_delta', 1, 'input_json_delta'],
      ['content_block_stop', 1, null],
      ['content_block_start', 2, 'tool_use'],
      ['content_block_delta', 2, 'input_json_delta'],
      ['content_block_stop', 2, null],
      ['message_delta', null, 'tool_use'],
      ['message_stop', null, null],
    ]);
    const start = events[0]!['message'] as Anthropic.Message;
    expect(start).toMatchObject({ type: 'message', role: 'assistant', model: 'gemini-3-flash-preview', content: [], stop_reason: null });
    expect((events[3]!['delta'] as { signature: string }).signature).toBe(simSignature('get_weather'));
    expect(events[5]!['content_block']).toMatchObject({ type: 'tool_use', name: 'get_weather', input: {} });
    expect(JSON.parse((events[6]!['delta'] as { partial_json: string }).partial_json)).toEqual({ city: 'Lima' });
    const usage = events[11]!['usage'] as Anthropic.MessageDeltaUsage;
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);
  });
});
