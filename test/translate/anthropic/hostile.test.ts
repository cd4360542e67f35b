/**
 * The Anthropic adapter against a hostile client: requests small enough to pass the body limit whose cost
 * must still be linear, numbers and names no model takes, signatures a client made up, and who the caller is
 * when it sends two credentials. Each case is a regression test for a finding of the hardening pass.
 */
import { describe, expect, it } from 'vitest';
import { anthropicDialect, createAnthropicAdapter, parseAnthropicRequest, unsignedToolUseIds } from '../../../src/translate/anthropic/adapter.js';
import { convertAnthropicRequestToGemini } from '../../../src/translate/anthropic/convert-request.js';
import { TranslationError } from '../../../src/translate/translation-error.js';
import { DEFAULT_MODELS } from '../../../src/config/config.js';

const inputs = { params: {}, media: () => undefined, signatures: () => undefined, id: 'fuzz', created: 1 };
const adapter = createAnthropicAdapter({ served: DEFAULT_MODELS });

function translate(body: unknown) {
  const req = adapter.parse(body, {});
  adapter.signatureIds(req);
  return adapter.toGemini(req, inputs).request;
}

function refusal(body: unknown): { field: string; message: string } {
  try {
    translate(body);
  } catch (err) {
    if (err instanceof TranslationError) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error('expected a TranslationError');
}

const user = { role: 'user', content: 'hi' };

describe('cost linear in the request', () => {
  it('merges a user message of 200,000 blocks into its neighbour without overflowing the stack', () => {
    // Two user messages in a row are merged into one Gemini turn; spreading 200,000 parts into push() threw
    // "Maximum call stack size exceeded" (a 500) after seconds of quadratic field-path lookups.
    const blocks = Array.from({ length: 200_000 }, () => ({ type: 'text', text: 'a' }));
    const request = translate({ model: 'gemini-2.5-flash', messages: [user, { role: 'user', content: blocks }] });
    expect(request.contents).toHaveLength(1);
    expect(request.contents[0]!.parts).toHaveLength(200_001);
  });

  // No clock in these: at these sizes the quadratic versions (the findings) take minutes, past the test's timeout.
  it('pairs 200,000 tool_use blocks with their results in linear time', () => {
    const n = 200_000;
    const calls = Array.from({ length: n }, (_, i) => ({ type: 'tool_use', id: `t${i}`, name: 'f', input: {} }));
    // Results in reverse order, one missing, one for an id nobody called.
    const results = Array.from({ length: n - 1 }, (_, i) => ({ type: 'tool_result', tool_use_id: `t${n - 1 - i}`, content: 'x' }));
    results.push({ type: 'tool_result', tool_use_id: 'stray', content: 'y' });
    const body = { model: 'gemini-2.5-flash', messages: [user, { role: 'assistant', content: calls }, { role: 'user', content: results }] };
    const request = translate(body);
    const answers = request.contents[2]!.parts;
    expect(answers.filter((p) => p.functionResponse)).toHaveLength(n);
    expect(answers[0]!.functionResponse).toStrictEqual({ name: 'f', response: { error: 'the client sent no tool_result for this call' } });
    expect(answers[n]).toStrictEqual({ text: '[result of tool call stray]\ny' });
    // Was 3.4 s for 40,000 (O(n²) lookups) on a quiet machine: over a minute for this many.
  });

  it('keeps field paths exact past unknown blocks, without searching the array for each block', () => {
    const content = [
      ...Array.from({ length: 100_000 }, () => ({ type: 'brand_new_block' })),
      ...Array.from({ length: 100_000 }, () => ({ type: 'text', text: 'a' })),
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: '!!!' } },
    ];
    const err = refusal({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content }] });
    expect(err.field).toBe('messages[0].content[200000].source.data');
  });

  it('merges a tool result of 200,000 images into its turn', () => {
    const images = Array.from({ length: 200_000 }, () => ({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }));
    const body = {
      model: 'gemini-2.5-flash',
      messages: [user, { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: images }] }],
    };
    expect(translate(body).contents[2]!.parts).toHaveLength(200_001);
  });
});

describe('numbers and names no model takes', () => {
  it.each([
    [{ max_tokens: 2 ** 31 }, 'max_tokens'],
    [{ max_tokens: 1e15 }, 'max_tokens'],
    [{ top_k: 2 ** 31 }, 'top_k'],
    [{ thinking: { type: 'enabled', budget_tokens: 1e15 } }, 'thinking.budget_tokens'],
    [{ thinking: { type: 'enabled', budget_tokens: -(2 ** 31) - 1 } }, 'thinking.budget_tokens'],
  ])('refuses %j naming %s (Google would answer about its own field, or not at all)', (extra, field) => {
    const err = refusal({ model: 'claude-sonnet-4-5', messages: [user], ...extra });
    expect(err.field).toBe(field);
    expect(err.message).toMatch(/2147483647/);
  });

  it('takes the largest int32 max_tokens', () => {
    expect(translate({ model: 'claude-sonnet-4-5', messages: [user], max_tokens: 2 ** 31 - 1 }).generationConfig?.maxOutputTokens).toBe(2 ** 31 - 1);
  });

  it.each([
    ['a Claude name of 10 KB', 'claude-' + 'x'.repeat(10_000), /at most 256/],
    ['257 characters', 'x'.repeat(257), /at most 256/],
    ['a header injection', 'gemini-2.5-flash\r\nX-Injected: 1', /printable/],
    ['spaces', 'gemini 2.5 flash', /printable/],
    ['a NUL', 'gemini-2.5-flash\u0000', /printable/],
  ])('refuses a model name with %s', (_label, model, message) => {
    const err = refusal({ model, messages: [user] });
    expect(err.field).toBe('model');
    expect(err.message).toMatch(message);
  });
});

describe('signatures a client made up', () => {
  const conversation = (signature: unknown) => ({
    model: 'gemini-3-pro-preview',
    tools: [{ name: 'f', input_schema: { type: 'object', properties: { a: { type: 'string' } } } }],
    messages: [
      user,
      { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'thinking', thinking: 'x', signature }, { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
    ],
  });

  it.each(['not base64 !', '<script>alert(1)</script>', 'QUFB\u0000QQ==', '\ud800', 'QUFBQQ==QUFBQQ=='])('refuses %j naming the block, before Google sees it', (signature) => {
    const err = refusal(conversation(signature));
    expect(err.field).toBe('messages[1].content[1].signature');
    expect(err.message).toMatch(/thought signature/);
  });

  it('sends a well-formed one on the next tool_use only, and never as text', () => {
    const request = translate(conversation('QUFBQQ=='));
    expect(request.contents[1]!.parts).toStrictEqual([{ text: 'Let me look.' }, { functionCall: { name: 'f', args: {} }, thoughtSignature: 'QUFBQQ==' }]);
    expect(JSON.stringify(request.contents.filter((c) => c.role === 'user'))).not.toContain('QUFBQQ==');
  });

  it('lets an empty signature fall back to the cache', () => {
    const req = parseAnthropicRequest(conversation(''));
    expect(unsignedToolUseIds(req)).toStrictEqual(['toolu_1']);
    const { request } = convertAnthropicRequestToGemini(req, { lookupSignature: (id) => (id === 'toolu_1' ? 'Q0FDSEU=' : undefined) });
    expect(request.contents[1]!.parts[1]!.thoughtSignature).toBe('Q0FDSEU=');
  });
});

describe('two credentials in one request', () => {
  it('takes the Bearer token over x-api-key, as the /v1beta dialect takes it over x-goog-api-key', () => {
    // Claude Code sends both when ANTHROPIC_AUTH_TOKEN (Rotor's password, as the README says) and an
    // ANTHROPIC_API_KEY from the user's own Anthropic account are both set.
    const q = new URLSearchParams();
    expect(anthropicDialect.secret({ 'x-api-key': 'sk-ant-elsewhere', authorization: 'Bearer rotor' }, q)).toBe('rotor');
    expect(anthropicDialect.secret({ 'x-api-key': 'rotor', authorization: 'Basic dXNlcjpwYXNz' }, q)).toBe('rotor');
    expect(anthropicDialect.secret({ 'x-api-key': 'rotor' }, q)).toBe('rotor');
  });
});
