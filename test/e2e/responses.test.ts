/** The OpenAI Responses API (`/v1/responses`) through the real openai SDK, against the simulator. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent, Tool } from 'openai/resources/responses/responses';
import { loadConfig } from '../../src/config/config.js';
import { startStack, type Stack } from './harness.js';

type Body = { request: { contents: Array<{ role: string; parts: Array<Record<string, unknown>> }>; [k: string]: unknown } };

const weather: Tool[] = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Weather for a city',
    strict: true,
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
  {
    type: 'function',
    name: 'get_time',
    description: 'Local time in a city',
    strict: false,
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
];

/** What the simulator signs a call with (src/simulator/README.md): base64 of `sim-signature:<name>`. */
const simSignature = (name: string) => Buffer.from(`sim-signature:${name}`).toString('base64');

describe('the Responses API through the openai SDK', () => {
  let stack: Stack;
  const lastBody = (method = 'generateContent') => stack.sim.calls({ method }).at(-1)!.body as Body;
  /** Empties the server-side signature cache, so only what the conversation itself carries can sign a call. */
  const forgetCachedSignatures = async () => {
    for (const { key } of await stack.rotor.store.kvList('sig')) await stack.rotor.store.kvDelete('sig', key);
  };

  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'r1@example.com' }, { email: 'r2@example.com' }], sim: { streamEvents: 3 } });
  });
  afterAll(() => stack.close());

  it('answers text with the fields clients check', async () => {
    const res = await stack.openai.responses.create({
      model: 'gemini-2.5-flash',
      instructions: 'Be brief.',
      input: 'Hello there',
      temperature: 0.2,
      max_output_tokens: 200,
      prompt_cache_retention: '24h',
      service_tier: 'auto',
      truncation: 'auto',
      metadata: { run: 'e2e' },
    });
    expect(res.object).toBe('response');
    expect(res.id).toMatch(/^resp_/);
    expect(res.status).toBe('completed');
    expect(res.model).toBe('gemini-2.5-flash');
    expect(res.output_text).toBe('Echo from gemini-2.5-flash: Hello there');
    const message = res.output[0]!;
    expect(message.type === 'message' && message.content[0]).toEqual({
      type: 'output_text',
      text: 'Echo from gemini-2.5-flash: Hello there',
      annotations: [],
      logprobs: [],
    });
    expect(res.usage!.input_tokens).toBeGreaterThan(0);
    expect(res.usage!.total_tokens).toBe(res.usage!.input_tokens + res.usage!.output_tokens);
    expect(res.usage!.input_tokens_details.cached_tokens).toBe(0);
    expect(res.usage!.output_tokens_details.reasoning_tokens).toBe(0);
    expect(res.metadata).toEqual({ run: 'e2e' });
    expect(lastBody().request).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hello there' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { temperature: 0.2, maxOutputTokens: 200 },
    });
  });

  it('sends images given as data URLs inline', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const res = await stack.openai.responses.create({
      model: 'gemini-2.5-pro',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'what is this?' }, { type: 'input_image', image_url: `data:image/png;base64,${png}`, detail: 'auto' }] }],
    });
    expect(res.output_text).toBe('Echo from gemini-2.5-pro: what is this? [1 image(s)]');
    expect(lastBody().request.contents).toEqual([{ role: 'user', parts: [{ text: 'what is this?' }, { inlineData: { mimeType: 'image/png', data: png } }] }]);
  });

  it('streams the typed events in order, with reasoning summaries from Gemini thoughts', async () => {
    const stream = stack.openai.responses.stream({
      model: 'gemini-2.5-flash',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'stream me please now' }] }],
      reasoning: { effort: 'low', summary: 'auto' },
    });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const final = await stream.finalResponse();

    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const created = events[0]!.type === 'response.created' ? events[0]!.response : undefined;
    expect(created).toMatchObject({ status: 'in_progress', model: 'gemini-2.5-flash', output: [], usage: { total_tokens: 0 } });
    const types = events.map((e) => e.type);
    const deltas = types.filter((t) => t === 'response.output_text.delta').length;
    expect(deltas).toBeGreaterThan(1);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      ...Array<string>(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Echo from gemini-2.5-flash: stream me please now');
    const reasoning = final.output[0]!;
    expect(reasoning.type === 'reasoning' && reasoning.summary).toEqual([{ type: 'summary_text', text: 'Thinking about: stream me please now' }]);
    expect(final.usage!.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(lastBody('streamGenerateContent').request.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
  });

  it('runs a three-turn tool loop on Gemini 3 with store: false, the signatures riding in encrypted_content', async () => {
    const model = 'gemini-3-pro-preview';
    const include: OpenAI.Responses.ResponseIncludable[] = ['reasoning.encrypted_content'];
    const turn = async (input: ResponseInputItem[]) => {
      const stream = stack.openai.responses.stream({ model, input, tools: weather, include, store: false, parallel_tool_calls: true, prompt_cache_key: 'conv-1' });
      return stream.finalResponse();
    };
    // As Codex replays them: output items without their ids.
    const replay = (output: OpenAI.Responses.ResponseOutputItem[]): ResponseInputItem[] =>
      output.map((item) => {
        const { id: _id, ...rest } = item as OpenAI.Responses.ResponseOutputItem & { id?: string };
        return rest as ResponseInputItem;
      });

    const input: ResponseInputItem[] = [
      { role: 'developer', content: 'You are a weather agent.' },
      { role: 'user', content: 'Call get_weather and get_time for {"city":"Paris"}' },
    ];
    const first = await turn(input);
    const calls = first.output.filter((o) => o.type === 'function_call');
    expect(calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_time', { city: 'Paris' }],
    ]);
    const reasoning = first.output.find((o) => o.type === 'reasoning')!;
    expect(reasoning.encrypted_content).toMatch(/^rotor\.v1\./);

    // Only encrypted_content can bring the signatures back now.
    await forgetCachedSignatures();
    input.push(...replay(first.output));
    for (const c of calls) input.push({ type: 'function_call_output', call_id: c.call_id, output: JSON.stringify({ ok: true, city: 'Paris' }) });
    input.push({ role: 'user', content: 'Now call get_weather for {"city":"Oslo"}' });
    const second = await turn(input);
    const call2 = second.output.find((o) => o.type === 'function_call')!;
    expect([call2.name, JSON.parse(call2.arguments)]).toEqual(['get_weather', { city: 'Oslo' }]);

    await forgetCachedSignatures();
    input.push(...replay(second.output));
    input.push({ type: 'function_call_output', call_id: call2.call_id, output: [{ type: 'input_text', text: 'sunny, 21 C' }] });
    const third = await turn(input);
    expect(third.status).toBe('completed');
    expect(third.output_text).toMatch(/^Echo from gemini-3-pro-preview/);

    const contents = lastBody('streamGenerateContent').request.contents;
    expect(contents.map((c) => c.role)).toEqual(['user', 'model', 'user', 'model', 'user']);
    // Turn one's two results in one content, in call order, then the new question.
    expect(contents[2]!.parts.map((p) => Object.keys(p)[0])).toEqual(['functionResponse', 'functionResponse', 'text']);
    expect(contents[2]!.parts[0]).toEqual({ functionResponse: { name: 'get_weather', response: { ok: true, city: 'Paris' } } });
    expect(contents[4]!.parts).toEqual([{ functionResponse: { name: 'get_weather', response: { output: 'sunny, 21 C' } } }]);
    // Each model turn carries the signature Gemini issued, on its first call.
    expect(contents[1]!.parts[0]!.thoughtSignature).toBe(simSignature('get_weather'));
    expect(contents[1]!.parts[1]!.thoughtSignature).toBeUndefined();
    expect(contents[3]!.parts[0]!.thoughtSignature).toBe(simSignature('get_weather'));
    // store: false kept nothing.
    for (const r of [first, second, third]) expect(await stack.rotor.store.kvGet('resp', r.id)).toBeUndefined();
  });

  it('signs a replayed call from the server-side cache when the client kept neither store nor encrypted_content', async () => {
    const model = 'gemini-3-flash-preview';
    const input: ResponseInputItem[] = [{ role: 'user', content: 'get_time {"city":"Lima"}' }];
    const first = await stack.openai.responses.create({ model, input, tools: weather, store: false });
    const call = first.output.find((o) => o.type === 'function_call')!;
    expect(first.output.map((o) => o.type)).toEqual(['function_call']);
    input.push(call, { type: 'function_call_output', call_id: call.call_id, output: '09:00' });
    const second = await stack.openai.responses.create({ model, input, tools: weather, store: false });
    expect(second.status).toBe('completed');
    expect(lastBody().request.contents[1]!.parts[0]!.thoughtSignature).toBe(simSignature('get_time'));
  });

  it('maps a custom tool to a function with one string argument and back to custom_tool_call items', async () => {
    const patch = '*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch';
    const tools: Tool[] = [
      ...weather,
      {
        type: 'custom',
        name: 'apply_patch',
        description: 'Use `apply_patch` to edit files.',
        format: { type: 'grammar', syntax: 'lark', definition: 'start: begin_patch hunk+ end_patch' },
      },
      { type: 'local_shell' },
    ];
    const input: ResponseInputItem[] = [{ role: 'user', content: `Please apply_patch ${JSON.stringify({ input: patch })}` }];
    const stream = stack.openai.responses.stream({ model: 'gemini-3-flash-preview', input, tools, include: ['reasoning.encrypted_content'], store: false });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const first = await stream.finalResponse();
    const call = first.output.find((o) => o.type === 'custom_tool_call')!;
    expect(call).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch', input: patch, status: 'completed' });
    expect(types).toContain('response.custom_tool_call_input.delta');
    expect(types).toContain('response.custom_tool_call_input.done');
    const declared = lastBody('streamGenerateContent').request.tools as Array<{ functionDeclarations: Array<{ name: string; parameters: unknown }> }>;
    const fn = declared[0]!.functionDeclarations.find((d) => d.name === 'apply_patch')!;
    expect(fn.parameters).toMatchObject({ type: 'object', properties: { input: { type: 'string' } }, required: ['input'] });

    input.push(...(first.output as ResponseInputItem[]), { type: 'custom_tool_call_output', call_id: call.call_id, output: 'Done!' });
    const second = await stack.openai.responses.create({ model: 'gemini-3-flash-preview', input, tools, store: false });
    expect(second.output_text).toMatch(/^Echo from gemini-3-flash-preview/);
    const contents = lastBody().request.contents;
    expect(contents[1]).toEqual({
      role: 'model',
      parts: [{ functionCall: { name: 'apply_patch', args: { input: patch } }, thoughtSignature: simSignature('apply_patch') }],
    });
    expect(contents[2]).toEqual({ role: 'user', parts: [{ functionResponse: { name: 'apply_patch', response: { output: 'Done!' } } }] });
  });

  it('continues a stored response by previous_response_id, and GET returns it', async () => {
    const model = 'gemini-3-flash-preview';
    const first = await stack.openai.responses.create({ model, input: 'get_weather {"city":"Rome"}', tools: weather });
    const call = first.output.find((o) => o.type === 'function_call')!;
    // The signature is not in the client's hands (no include): the stored response carries it.
    expect(first.output.some((o) => o.type === 'reasoning')).toBe(false);
    await forgetCachedSignatures();
    const second = await stack.openai.responses.create({
      model,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp": 21}' }],
      tools: weather,
    });
    expect(second.output_text).toMatch(/^Echo from gemini-3-flash-preview/);
    expect(second.previous_response_id).toBe(first.id);
    expect(lastBody().request.contents).toEqual([
      { role: 'user', parts: [{ text: 'get_weather {"city":"Rome"}' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Rome' } }, thoughtSignature: simSignature('get_weather') }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }] },
    ]);

    const third = await stack.openai.responses.create({ model, previous_response_id: second.id, input: 'And tomorrow?', instructions: 'Answer in French.' });
    expect(third.output_text).toBe('Echo from gemini-3-flash-preview: And tomorrow?');
    expect(lastBody().request.contents).toHaveLength(5);

    const fetched = await stack.openai.responses.retrieve(first.id);
    expect(fetched).toMatchObject({ id: first.id, status: 'completed', output: first.output });

    const unknown = await stack.openai.responses.create({ model, previous_response_id: 'resp_nope', input: 'hi' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.BadRequestError);
    expect((unknown as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("'resp_nope'");
    expect((unknown as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('previous_response_id');
    await expect(stack.openai.responses.retrieve('resp_nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    await stack.openai.responses.delete(first.id);
    await expect(stack.openai.responses.retrieve(first.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('answers text.format json_schema with JSON that fits the schema', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
      required: ['name', 'age'],
      additionalProperties: false,
    };
    const res = await stack.openai.responses.create({
      model: 'gemini-2.5-flash',
      input: 'Invent a person',
      text: { format: { type: 'json_schema', name: 'person', schema, strict: true } },
    });
    expect(JSON.parse(res.output_text)).toEqual({ name: 'example', age: 1 });
    expect(lastBody().request.generationConfig).toEqual({ responseMimeType: 'application/json', responseJsonSchema: schema });
  });

  it('maps web_search to Google Search, with citations and a web_search_call item', async () => {
    const res = await stack.openai.responses.create({ model: 'gemini-2.5-flash', input: 'Rotor news: what happened', tools: [{ type: 'web_search' }] });
    expect(lastBody().request.tools).toEqual([{ googleSearch: {} }]);
    const message = res.output.find((o) => o.type === 'message')!;
    const text = message.type === 'message' && message.content[0]!.type === 'output_text' ? message.content[0] : undefined;
    expect(text!.annotations.length).toBeGreaterThan(0);
    for (const a of text!.annotations) expect(a).toMatchObject({ type: 'url_citation', url: expect.stringMatching(/^https:\/\/example\.(com|org)\//) });
    expect(res.output.find((o) => o.type === 'web_search_call')).toMatchObject({ status: 'completed', action: { type: 'search' } });
  });

  it('ends a stream cut by max_output_tokens with response.incomplete', async () => {
    const stream = stack.openai.responses.stream({ model: 'gemini-2.5-flash', input: 'a fairly long question to be cut short', max_output_tokens: 2 });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    expect(types.at(-1)).toBe('response.incomplete');
    expect(final.status).toBe('incomplete');
    expect(final.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('ends a stream that Google cuts midway with response.failed', async () => {
    stack.sim.injectFault({ fault: { type: 'cut-stream', afterEvents: 1 }, method: 'streamGenerateContent', times: 1 });
    const stream = stack.openai.responses.stream({ model: 'gemini-2.5-flash', input: 'a long enough answer to be cut' });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const last = events.at(-1)!;
    expect(events.slice(0, 2).map((e) => e.type)).toEqual(['response.created', 'response.in_progress']);
    expect(last.type).toBe('response.failed');
    expect(last.type === 'response.failed' && last.response).toMatchObject({ status: 'failed', error: { code: 'server_error', message: expect.any(String) } });
  });

  it('answers a WebSocket upgrade on GET /v1/responses with 426 at once', async () => {
    const url = new URL(stack.rotor.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: url.hostname,
        port: url.port,
        path: '/v1/responses',
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'OpenAI-Beta': 'responses_websockets=2026-02-04',
          Authorization: `Bearer ${stack.password}`,
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(426);
  });
});

describe('RESPONSES_TTL', () => {
  const ttl = (value: string | undefined) => {
    const result = loadConfig(value === undefined ? {} : { RESPONSES_TTL: value });
    return result.ok ? result.config.responsesTtlMs : result.errors.join('; ');
  };
  it('defaults to an hour and takes a number of seconds or a duration with a unit', () => {
    expect(ttl(undefined)).toBe(3_600_000);
    expect(ttl('900')).toBe(900_000);
    expect(ttl('90m')).toBe(5_400_000);
    expect(ttl('2h')).toBe(7_200_000);
    expect(ttl('1d')).toBe(86_400_000);
    expect(ttl('1500ms')).toBe(1_500);
    expect(ttl('soon')).toMatch(/^RESPONSES_TTL: expected a duration/);
    expect(ttl('0')).toMatch(/^RESPONSES_TTL: expected a duration/);
  });
});
