/** Tool use through the real openai SDK: parallel calls over several turns, streaming, Gemini 3 signatures. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { startStack, type Stack } from './harness.js';

const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      description: 'Local time in a city',
      parameters: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { city: { type: 'string', format: 'hostname' } } },
    },
  },
];

type Msg = OpenAI.ChatCompletionMessageParam;

describe('tools through the openai SDK', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 't1@example.com' }, { email: 't2@example.com' }] });
  });
  afterAll(() => stack.close());

  it('runs a three-turn tool loop with parallel calls on Gemini 3 without a missing-signature 400', async () => {
    const model = 'gemini-3-pro-preview';
    const messages: Msg[] = [{ role: 'user', content: 'Call get_weather and get_time for {"city":"Paris"}' }];
    const first = await stack.openai.chat.completions.create({ model, messages, tools });
    const calls = first.choices[0]!.message.tool_calls!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(calls.map((c) => (c.type === 'function' ? c.function.name : ''))).toEqual(['get_weather', 'get_time']);
    expect(calls.map((c) => (c.type === 'function' ? JSON.parse(c.function.arguments) : null))).toEqual([{ city: 'Paris' }, { city: 'Paris' }]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);

    messages.push(first.choices[0]!.message as Msg);
    for (const c of calls) messages.push({ role: 'tool', tool_call_id: c.id, content: JSON.stringify({ ok: c.id.length }) });
    messages.push({ role: 'user', content: 'Now call get_weather for {"city":"Oslo"}' });
    const second = await stack.openai.chat.completions.create({ model, messages, tools });
    const call2 = second.choices[0]!.message.tool_calls![0]!;
    expect(call2.type === 'function' && call2.function.name).toBe('get_weather');

    messages.push(second.choices[0]!.message as Msg);
    messages.push({ role: 'tool', tool_call_id: call2.id, content: 'sunny' });
    const third = await stack.openai.chat.completions.create({ model, messages, tools });
    expect(third.choices[0]!.finish_reason).toBe('stop');
    expect(third.choices[0]!.message.content).toMatch(/^Echo from gemini-3-pro-preview/);

    // The upstream got both results of turn one in one content, with the signatures the simulator issued.
    const sent = stack.sim.calls({ method: 'generateContent' }).at(-1)!.body as {
      request: { contents: Array<{ role: string; parts: Array<Record<string, unknown>> }> };
    };
    const contents = sent.request.contents;
    const responses = contents.find((c) => c.parts.some((p) => 'functionResponse' in p))!;
    expect(responses.parts.filter((p) => 'functionResponse' in p)).toHaveLength(2);
    const modelTurns = contents.filter((c) => c.role === 'model');
    for (const turn of modelTurns) {
      const sig = turn.parts[0]!.thoughtSignature as string;
      expect(sig).toBeTruthy();
      expect(sig).not.toBe('skip_thought_signature_validator');
    }
  });

  it('restores signatures from its cache when a client rewrites tool-call ids', async () => {
    const model = 'gemini-3-flash-preview';
    const first = await stack.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'get_weather {"city":"Rome"}' }], tools });
    const msg = first.choices[0]!.message;
    const call = msg.tool_calls![0]!;
    // A client that keeps the id but drops extra_content still gets the signature through the id.
    const plain = { role: 'assistant' as const, content: null, tool_calls: [{ id: call.id, type: 'function' as const, function: call.type === 'function' ? call.function : { name: '', arguments: '' } }] };
    const res = await stack.openai.chat.completions.create({
      model,
      tools,
      messages: [{ role: 'user', content: 'get_weather {"city":"Rome"}' }, plain, { role: 'tool', tool_call_id: call.id, content: '{"temp": 21}' }],
    });
    expect(res.choices[0]!.finish_reason).toBe('stop');
  });

  it('streams tool calls as deltas with index, id, name and arguments', async () => {
    const stream = await stack.openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      stream: true,
      tools,
      messages: [{ role: 'user', content: 'get_weather and get_time please {"city":"Lima"}' }],
    });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    const finishes: string[] = [];
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        deltas.push(...(c.delta.tool_calls ?? []));
        if (c.finish_reason) finishes.push(c.finish_reason);
      }
    }
    expect(deltas.map((d) => [d.index, d.function?.name])).toEqual([
      [0, 'get_weather'],
      [1, 'get_time'],
    ]);
    expect(deltas.every((d) => d.id && d.type === 'function' && JSON.parse(d.function!.arguments!).city === 'Lima')).toBe(true);
    expect(finishes).toEqual(['tool_calls']);
  });

  it('forces a named tool with tool_choice and maps names Gemini rejects', async () => {
    const odd: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'lookup-user!v2', parameters: { type: 'object', properties: { id: { type: 'integer' } } } } },
    ];
    const res = await stack.openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      tools: odd,
      tool_choice: { type: 'function', function: { name: 'lookup-user!v2' } },
      messages: [{ role: 'user', content: 'find {"id": 7}' }],
    });
    const call = res.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('lookup-user!v2');
    const sent = stack.sim.calls({ method: 'generateContent' }).at(-1)!.body as { request: { toolConfig: unknown; tools: Array<{ functionDeclarations: Array<{ name: string }> }> } };
    const sentName = sent.request.tools[0]!.functionDeclarations[0]!.name;
    expect(sentName).toMatch(/^[A-Za-z_][A-Za-z0-9_.:-]*$/);
    expect(sent.request.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [sentName] } });
  });
});
