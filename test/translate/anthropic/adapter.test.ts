import { describe, expect, it } from 'vitest';
import {
  anthropicDialect,
  anthropicErrorBody,
  countTokensRequest,
  createAnthropicAdapter,
  parseAnthropicRequest,
  unsignedToolUseIds,
} from '../../../src/translate/anthropic/adapter.js';
import { resolveModel } from '../../../src/translate/anthropic/models.js';
import { convertThinking } from '../../../src/translate/anthropic/thinking.js';
import { convertAnthropicRequestToGemini } from '../../../src/translate/anthropic/convert-request.js';
import { TranslationError } from '../../../src/translate/translation-error.js';
import { DEFAULT_MODELS } from '../../../src/config/config.js';
import { encodeSseFrame } from '../../../src/sse/write.js';
import { enumBomb } from '../schema-bombs.js';

function parseError(body: unknown): { field: string; message: string } {
  try {
    const req = parseAnthropicRequest(body);
    convertAnthropicRequestToGemini(req, { served: DEFAULT_MODELS });
  } catch (err) {
    if (err instanceof TranslationError) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error('expected a TranslationError');
}

const user = { role: 'user', content: 'Hi' };

describe('Anthropic dialect', () => {
  it('reads the secret from a Bearer token, else x-api-key', () => {
    const q = new URLSearchParams('key=nope');
    expect(anthropicDialect.secret({ 'x-api-key': 'k1', authorization: 'Bearer k2' }, q)).toBe('k2');
    expect(anthropicDialect.secret({ 'x-api-key': 'k1' }, q)).toBe('k1');
    expect(anthropicDialect.secret({ authorization: 'Bearer k2' }, q)).toBe('k2');
    expect(anthropicDialect.secret({}, q)).toBeUndefined();
  });

  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [405, 'invalid_request_error'],
    [413, 'request_too_large'],
    [415, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [503, 'overloaded_error'],
    [529, 'overloaded_error'],
  ])('answers status %i with error type %s', (status, type) => {
    expect(anthropicErrorBody({ status, message: 'm' })).toStrictEqual({ type: 'error', error: { type, message: 'm' } });
  });

  it('puts the field at fault in front of a message that does not name it', () => {
    expect(anthropicErrorBody({ status: 400, message: 'no good', param: 'messages[1].content' })).toStrictEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'messages[1].content: no good' },
    });
    expect(anthropicErrorBody({ status: 400, message: 'invalid request: max_tokens: expected number, got string', param: 'max_tokens' })).toStrictEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'invalid request: max_tokens: expected number, got string' },
    });
  });

  it('pings with event: ping while Google is silent, frames streams as SSE, and keys sessions by metadata.user_id', () => {
    const adapter = createAnthropicAdapter();
    expect(adapter.heartbeat).toStrictEqual({ event: 'ping', data: '{"type":"ping"}' });
    expect(encodeSseFrame(adapter.heartbeat!)).toBe('event: ping\ndata: {"type":"ping"}\n\n');
    const req = parseAnthropicRequest({ model: 'm', messages: [user], metadata: { user_id: 'user_1_session_2' } });
    expect(adapter.affinityKey?.(req)).toBe('user_1_session_2');
    expect(adapter.affinityKey?.(parseAnthropicRequest({ model: 'm', messages: [user] }))).toBeUndefined();
    const plan = adapter.toGemini(req, { params: {}, media: () => undefined, signatures: () => undefined, id: 'abc123', created: 0 });
    expect(adapter.framing(plan.ctx)).toBe('sse');
    expect(plan.stream).toBe(false);
    expect(plan.ctx).toMatchObject({ id: 'msg_abc123', model: 'm', idBase: 'abc123' });
  });
});

describe('request validation', () => {
  it('ignores what it cannot honour: unknown fields, block types, tool types, thinking types and betas', () => {
    const req = parseAnthropicRequest({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }, { type: 'brand_new_block', x: 1 }] },
      ],
      tools: [{ type: 'memory_20250818', name: 'memory' }],
      thinking: { type: 'between_tools' },
      context_management: { edits: [] },
      container: 'c1',
      betas: ['whatever-2099-01-01'],
      metadata: { user_id: 'u', extra: { nested: true } },
    });
    const { request } = convertAnthropicRequestToGemini(req, { served: DEFAULT_MODELS });
    expect(request.contents).toStrictEqual([{ role: 'user', parts: [{ text: 'hi' }] }]);
    expect(request.tools).toBeUndefined();
  });

  it.each([
    [{ model: 'm', messages: [] }, 'messages', /at least 1/],
    [{ model: 'm' }, 'messages', /is required/],
    [{ model: 'm', messages: [user], max_tokens: '10' }, 'max_tokens', /expected number, got string/],
    [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'text' }] }] }, 'messages[0].content', /messages\[0\]\.content\[0\]\.text: is required/],
    [{ model: 'm', messages: [{ role: 'user', content: 5 }] }, 'messages[0].content', /string or array of content blocks/],
    [{ model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', /"user", "assistant", "system"/],
    [{ model: 'm', messages: [user], tools: [{ name: 'f' }] }, 'tools[0].input_schema', /is required/],
    [{ model: 'm', messages: [user], tools: [{ name: 'f', input_schema: { type: 'string' } }] }, 'tools[0].input_schema', /type "object"/],
    [{ model: 'm', messages: [user], tools: [{ name: 'f', input_schema: {} }, { name: 'f', input_schema: {} }] }, 'tools[1].name', /duplicate/],
    [{ model: 'm', messages: [user], tool_choice: { type: 'tool', name: 'nope' } }, 'tool_choice.name', /not one of the tools/],
    [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f1' } }] }] }, 'messages[0].content[0].source.file_id', /Files API/],
    [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'not base64!' } }] }] }, 'messages[0].content[0].source.data', /base64/],
    [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'thinking', thinking: 'x' }] }] }, 'messages', /at least one message/],
    [{ model: 'm', messages: [user, { role: 'assistant', content: [{ type: 'mystery' }, { type: 'tool_result', tool_use_id: 'x' }] }] }, 'messages[1].content[1].type', /belong in user messages/],
  ])('refuses %j naming %s', (body, field, message) => {
    const err = parseError(body);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('converts every input_schema within one schema budget, naming the tool past it', () => {
    const err = parseError({ model: 'm', messages: [user], tools: [{ name: 'bomb', input_schema: enumBomb() }] });
    expect(err.field).toBe('tools[0].input_schema');
    expect(err.message).toMatch(/tool "bomb".*SCHEMA_MAX_/);
  });

  it.each([
    [{ type: 'auto' }, { functionCallingConfig: { mode: 'AUTO' } }],
    [{ type: 'any', disable_parallel_tool_use: true }, { functionCallingConfig: { mode: 'ANY' } }],
    [{ type: 'none' }, { functionCallingConfig: { mode: 'NONE' } }],
    [{ type: 'tool', name: 'f' }, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } }],
  ])('maps tool_choice %j', (choice, toolConfig) => {
    const req = parseAnthropicRequest({ model: 'm', messages: [user], tools: [{ name: 'f', input_schema: { type: 'object' } }], tool_choice: choice });
    expect(convertAnthropicRequestToGemini(req).request.toolConfig).toStrictEqual(toolConfig);
  });

  it('leaves tool_choice out when no client tool is declared (web search alone)', () => {
    const req = parseAnthropicRequest({ model: 'm', messages: [user], tools: [{ type: 'web_search_20260318', name: 'web_search' }], tool_choice: { type: 'any' } });
    const { request } = convertAnthropicRequestToGemini(req);
    expect(request.tools).toStrictEqual([{ googleSearch: {} }]);
    expect(request.toolConfig).toBeUndefined();
  });

  it('refuses a body that is not an object', () => {
    expect(() => parseAnthropicRequest([1])).toThrow(/JSON object with "model" and "messages"/);
  });
});

describe('models', () => {
  const served = DEFAULT_MODELS;
  it.each([
    ['claude-sonnet-4-5-20250929', 'gemini-2.5-pro'],
    ['claude-opus-4-1', 'gemini-2.5-pro'],
    ['claude-3-5-sonnet-latest', 'gemini-2.5-pro'],
    ['claude-haiku-4-5-20251001', 'gemini-2.5-flash'],
    ['claude-3-5-haiku-20241022', 'gemini-2.5-flash'],
    ['claude-fable-5-2', 'gemini-2.5-pro'],
    ['gemini-3-pro-preview', 'gemini-3-pro-preview'],
    ['models/gemini-2.5-flash', 'gemini-2.5-flash'],
  ])('maps %s to %s by default', (name, model) => {
    expect(resolveModel(name, [], served)).toBe(model);
  });

  it('tries MODEL_ALIASES first, in order, whole-name and case-blind', () => {
    const rules = [
      { pattern: 'claude-opus-*', model: 'gemini-3-pro-preview' },
      { pattern: 'CLAUDE-*', model: 'gemini-2.5-flash-lite' },
      { pattern: 'gpt', model: 'gemini-2.5-flash' },
    ];
    expect(resolveModel('claude-opus-4-1', rules, served)).toBe('gemini-3-pro-preview');
    expect(resolveModel('claude-haiku-4-5', rules, served)).toBe('gemini-2.5-flash-lite');
    expect(resolveModel('gpt-4o', rules, served)).toBe('gpt-4o');
    expect(resolveModel('gpt', rules, served)).toBe('gemini-2.5-flash');
  });

  it('picks the served Pro and Flash models when the defaults are not served', () => {
    expect(resolveModel('claude-sonnet-4', [], ['gemini-3-flash-preview', 'gemini-3-pro-preview'])).toBe('gemini-3-pro-preview');
    expect(resolveModel('claude-haiku-4', [], ['gemini-2.5-flash-lite', 'gemini-3-flash-preview'])).toBe('gemini-3-flash-preview');
  });
});

describe('thinking', () => {
  it.each([
    ['gemini-2.5-flash', { type: 'enabled', budget_tokens: 4000 }, undefined, { thinkingBudget: 4000, includeThoughts: true }],
    ['gemini-2.5-pro', { type: 'enabled', budget_tokens: 10 }, undefined, { thinkingBudget: 128, includeThoughts: true }],
    ['gemini-2.5-flash', { type: 'enabled', budget_tokens: 4000, display: 'omitted' }, undefined, { thinkingBudget: 4000, includeThoughts: false }],
    ['gemini-3-flash-preview', { type: 'enabled', budget_tokens: 1024 }, undefined, { thinkingLevel: 'low', includeThoughts: true }],
    ['gemini-3-flash-preview', { type: 'enabled', budget_tokens: 5000 }, undefined, { thinkingLevel: 'medium', includeThoughts: true }],
    ['gemini-3-pro-preview', { type: 'enabled', budget_tokens: 5000 }, undefined, { thinkingLevel: 'high', includeThoughts: true }],
    ['gemini-2.5-flash', { type: 'adaptive' }, undefined, { thinkingBudget: -1, includeThoughts: true }],
    ['gemini-3-flash-preview', { type: 'adaptive' }, undefined, { includeThoughts: true }],
    ['gemini-3-flash-preview', { type: 'adaptive' }, 'low', { thinkingLevel: 'low', includeThoughts: true }],
    ['gemini-2.5-flash', { type: 'adaptive' }, 'max', { thinkingBudget: 24576, includeThoughts: true }],
    ['gemini-2.5-flash', { type: 'disabled' }, 'high', { thinkingBudget: 0, includeThoughts: false }],
    ['gemini-3-flash-preview', { type: 'disabled' }, undefined, { thinkingLevel: 'minimal', includeThoughts: false }],
    ['gemini-3-pro-preview', undefined, 'low', { thinkingLevel: 'low', includeThoughts: false }],
    ['gemini-2.5-flash', undefined, undefined, undefined],
    ['gemma-4-31b-it', { type: 'enabled', budget_tokens: 2000 }, undefined, undefined],
  ] as const)('%s with %j and effort %s → %j', (model, thinking, effort, expected) => {
    expect(convertThinking(model, thinking, effort)).toStrictEqual(expected);
  });
});

describe('thought signatures on the way back', () => {
  it('asks the cache only for the first tool_use of assistant messages that carry no thinking signature', () => {
    const req = parseAnthropicRequest({
      model: 'm',
      messages: [
        user,
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }, { type: 'tool_use', id: 't2', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1' }, { type: 'tool_result', tool_use_id: 't2' }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: '', signature: 'c2ln' }, { type: 'tool_use', id: 't3', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't3' }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'x', signature: '' }, { type: 'tool_use', id: 't4', name: 'f', input: {} }] },
      ],
    });
    expect(unsignedToolUseIds(req)).toStrictEqual(['t1', 't4']);
  });

  it('signs the first call of a model turn merged from two assistant messages once', () => {
    const req = parseAnthropicRequest({
      model: 'gemini-3-pro-preview',
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      messages: [
        user,
        { role: 'assistant', content: [{ type: 'text', text: 'one' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }, { type: 'tool_use', id: 't2', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'a' }, { type: 'tool_result', tool_use_id: 't2', content: 'b' }] },
      ],
    });
    const { request } = convertAnthropicRequestToGemini(req, { lookupSignature: (id) => (id === 't1' ? 'Y2FjaGU=' : undefined) });
    expect(request.contents[1]).toStrictEqual({
      role: 'model',
      parts: [{ text: 'one' }, { functionCall: { name: 'f', args: {} }, thoughtSignature: 'Y2FjaGU=' }, { functionCall: { name: 'f', args: {} } }],
    });
  });
});

describe('count_tokens request', () => {
  it('counts the system prompt and the tool declarations as text in the first user content', () => {
    const req = parseAnthropicRequest({
      model: 'claude-haiku-4-5',
      system: 'Be brief.',
      tools: [{ name: 'f', description: 'does f', input_schema: { type: 'object', properties: { a: { type: 'string' } } } }, { type: 'web_search_20250305', name: 'web_search' }],
      messages: [user, { role: 'assistant', content: 'Hello' }],
    });
    const { request } = convertAnthropicRequestToGemini(req, { served: DEFAULT_MODELS });
    expect(countTokensRequest(request)).toStrictEqual({
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'Be brief.' },
            { text: '[{"name":"f","description":"does f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}]' },
            { text: 'Hi' },
          ],
        },
        { role: 'model', parts: [{ text: 'Hello' }] },
      ],
    });
  });

  it('sends contents alone when there is neither system nor tools, and puts them before a leading model turn', () => {
    expect(countTokensRequest({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] })).toStrictEqual({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] });
    expect(countTokensRequest({ contents: [{ role: 'model', parts: [{ text: 'x' }] }], systemInstruction: { parts: [{ text: 's' }] } })).toStrictEqual({
      contents: [
        { role: 'user', parts: [{ text: 's' }] },
        { role: 'model', parts: [{ text: 'x' }] },
      ],
    });
  });
});

describe('MODEL_ALIASES', () => {
  it('parses "pattern=model" rules in order, and refuses a malformed one with one line', async () => {
    const { loadConfig } = await import('../../../src/config/config.js');
    const ok = loadConfig({ MODEL_ALIASES: ' claude-opus-*=gemini-3-pro-preview ; claude-*haiku*= gemini-2.5-flash-lite;' });
    expect(ok.ok && ok.config.modelAliases).toStrictEqual([
      { pattern: 'claude-opus-*', model: 'gemini-3-pro-preview' },
      { pattern: 'claude-*haiku*', model: 'gemini-2.5-flash-lite' },
    ]);
    const unset = loadConfig({});
    expect(unset.ok && unset.config.modelAliases).toStrictEqual([]);
    const bad = loadConfig({ MODEL_ALIASES: 'claude-opus-4' });
    expect(bad).toStrictEqual({ ok: false, errors: ['MODEL_ALIASES: expected "pattern=model[;pattern=model…]" (a pattern may use *), found "claude-opus-4"'] });
  });
});
