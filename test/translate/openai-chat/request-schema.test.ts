import { describe, expect, it } from 'vitest';
import { openAIChatRequestSchema } from '../../../src/translate/openai-chat/request-schema.js';
import { formatZodIssues } from '../../../src/translate/zod-message.js';
import { listFixtures, readJsonFixture } from './fixtures.js';

function rejection(body: unknown): string {
  const result = openAIChatRequestSchema.safeParse(body);
  if (result.success) throw new Error('expected the schema to reject the body');
  return formatZodIssues(result.error);
}

const user = { role: 'user', content: 'Hi' };

describe('openAIChatRequestSchema', () => {
  it.each(listFixtures('request-', '.json'))('accepts the client body of %s', (name) => {
    const { openai } = readJsonFixture<{ openai: unknown }>(`${name}.json`);
    expect(openAIChatRequestSchema.safeParse(openai).success).toBe(true);
  });

  it('strips unknown fields at every level', () => {
    const parsed = openAIChatRequestSchema.parse({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }], x: 1 }],
      store: true,
      service_tier: 'auto',
      prediction: { type: 'content', content: 'x' },
    });
    expect(parsed).toStrictEqual({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] });
  });

  it('accepts null for optional fields and for message content', () => {
    const parsed = openAIChatRequestSchema.parse({
      model: 'm',
      messages: [{ role: 'assistant', content: null, tool_calls: null }, { role: 'user', content: null }],
      temperature: null,
      stop: null,
    });
    expect(parsed.temperature).toBeNull();
    expect(parsed.messages).toHaveLength(2);
  });

  it('accepts every message role and content part type (the converter decides what it supports)', () => {
    const result = openAIChatRequestSchema.safeParse({
      model: 'm',
      messages: [
        { role: 'developer', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,AAAA', filename: 'a.pdf' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }] },
        { role: 'function', name: 'f', content: 'result' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' }, strict: true } },
      reasoning_effort: 'high',
      logprobs: true,
      top_logprobs: 3,
    });
    expect(result.success).toBe(true);
  });

  it('accepts Google Search tools in both spellings, web_search_options and Google extras', () => {
    const parsed = openAIChatRequestSchema.parse({
      model: 'm',
      messages: [user],
      tools: [{ type: 'google_search' }, { google_search: {} }],
      web_search_options: {},
      extra_body: { google: { thinking_config: { thinking_budget: 0 }, cached_content: 'x' } },
      google: { thinking_config: { thinking_level: 'low' } },
    });
    expect(parsed.tools).toStrictEqual([{ type: 'google_search' }, { type: 'google_search', google_search: {} }]);
    expect(parsed.extra_body).toStrictEqual({ google: { thinking_config: { thinking_budget: 0 } } });
  });

  it('keeps the thought signature clients return in extra_content', () => {
    const parsed = openAIChatRequestSchema.parse({
      model: 'm',
      messages: [
        user,
        {
          role: 'assistant',
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' }, extra_content: { google: { thought_signature: 'c2ln' } } }],
        },
      ],
    });
    expect(parsed.messages[1]).toMatchObject({ tool_calls: [{ extra_content: { google: { thought_signature: 'c2ln' } } }] });
  });

  it.each<[string, unknown, string]>([
    ['a missing model and messages', {}, 'model: is required; messages: is required'],
    ['an empty messages array', { model: 'm', messages: [] }, 'messages: must have at least 1 item'],
    ['a non-object body', [], 'request body: expected object, got array'],
    [
      'numeric content',
      { model: 'm', messages: [{ role: 'user', content: 5 }], temperature: 3 },
      'messages[0].content: expected string or array of content parts, got number; temperature: must be <= 2',
    ],
    [
      'an unknown role',
      { model: 'm', messages: [{ role: 'robot', content: 'x' }] },
      'messages[0].role: must be one of "system", "developer", "user", "assistant", "tool", "function"',
    ],
    [
      'an unknown content part type',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] },
      'messages[0].content[0].type: must be one of "text", "image_url", "input_audio", "file", "refusal"',
    ],
    [
      'a text part without text',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'text' }] }] },
      'messages[0].content[0].text: is required',
    ],
    [
      'an image part with a numeric url',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 1 } }] }] },
      'messages[0].content[0].image_url.url: expected string, got number',
    ],
    [
      'a tool message without tool_call_id',
      { model: 'm', messages: [user, { role: 'tool', content: 'x' }] },
      'messages[1].tool_call_id: is required',
    ],
    [
      'tool call arguments given as an object',
      {
        model: 'm',
        messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] }],
      },
      'messages[0].tool_calls[0].function.arguments: expected string, got object',
    ],
    [
      'out-of-range sampling options',
      { model: 'm', messages: [user], top_p: 1.5, presence_penalty: -3, max_tokens: 0, max_completion_tokens: 1.5, n: 0 },
      'top_p: must be <= 1; max_tokens: must be > 0; max_completion_tokens: must be an integer; n: must be >= 1; ' +
        'presence_penalty: must be >= -2',
    ],
    ['a fractional seed', { model: 'm', messages: [user], seed: 1.5 }, 'seed: must be an integer'],
    [
      'too many stop sequences',
      { model: 'm', messages: [user], stop: ['1', '2', '3', '4', '5', '6'] },
      'stop: must have at most 5 items',
    ],
    ['a numeric stop', { model: 'm', messages: [user], stop: 7 }, 'stop: expected string or array of strings, got number'],
    [
      'an unknown tool_choice',
      { model: 'm', messages: [user], tool_choice: 'sometimes' },
      'tool_choice: expected "none", "auto", "required" or {type:"function",function:{name}}, got "sometimes"',
    ],
    [
      'a string stream flag and unknown reasoning effort',
      { model: 'm', messages: [user], stream: 'yes', reasoning_effort: 'max' },
      'stream: expected boolean, got string; reasoning_effort: must be one of "none", "minimal", "low", "medium", "high", "xhigh"',
    ],
    [
      'a tool of an unknown type',
      { model: 'm', messages: [user], tools: [{ type: 'web_search_preview' }] },
      'tools[0].type: must be one of "function", "google_search"',
    ],
    [
      'a function tool without a name',
      { model: 'm', messages: [user], tools: [{ type: 'function', function: { parameters: {} } }] },
      'tools[0].function.name: is required',
    ],
    [
      'a non-string thought signature',
      {
        model: 'm',
        messages: [user, { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '' }, extra_content: { google: { thought_signature: 1 } } }] }],
      },
      'messages[1].tool_calls[0].extra_content.google.thought_signature: expected string, got number',
    ],
    [
      'a thinking budget that is not an integer',
      { model: 'm', messages: [user], extra_body: { google: { thinking_config: { thinking_budget: 'high' } } } },
      'extra_body.google.thinking_config.thinking_budget: expected number, got string',
    ],
    [
      'non-string metadata values',
      { model: 'm', messages: [user], metadata: { n: 1 } },
      'metadata.n: expected string, got number',
    ],
  ])('rejects %s with a message naming the field', (_label, body, message) => {
    expect(rejection(body)).toBe(message);
  });
});
