/**
 * The Responses adapter against a hostile client: requests small enough to pass the body limit whose cost must
 * still be linear, numbers and names no model takes, and encrypted_content a client made up. Each case is a
 * regression test for a finding of the hardening pass.
 */
import { describe, expect, it } from 'vitest';
import { openAIResponsesAdapter } from '../../../src/translate/openai-responses/adapter.js';
import { decodeAnswerSignatures, encodeAnswerSignatures } from '../../../src/translate/openai-responses/signatures.js';
import { boundedStoredRecord, parseStoredResponse } from '../../../src/translate/openai-responses/stored.js';
import { BYPASS_THOUGHT_SIGNATURE } from '../../../src/translate/openai-chat/thought-signature.js';
import { TranslationError } from '../../../src/translate/translation-error.js';

const inputs = { params: {}, media: () => undefined, signatures: () => undefined, id: 'fuzz', created: 1 };

function translate(body: unknown) {
  const req = openAIResponsesAdapter.parse(body, {});
  openAIResponsesAdapter.signatureIds(req);
  return openAIResponsesAdapter.toGemini(req, inputs).request;
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

const N = 200_000;
const texts = (type: string) => Array.from({ length: N }, () => ({ type, text: 'a' }));
const tools = [{ type: 'function', name: 'f' }];

describe('cost linear in the request', () => {
  // Each of these spread 200,000 parts into one push() call: "Maximum call stack size exceeded", a 500.
  it('merges a user message of 200,000 parts into the user turn before it', () => {
    const request = translate({ model: 'gemini-2.5-flash', input: [{ role: 'user', content: 'x' }, { role: 'user', content: texts('input_text') }] });
    expect(request.contents).toHaveLength(1);
    expect(request.contents[0]!.parts).toHaveLength(N + 1);
  });

  it('takes a developer message of 200,000 parts as instructions', () => {
    const request = translate({ model: 'gemini-2.5-flash', input: [{ role: 'developer', content: texts('input_text') }, { role: 'user', content: 'x' }] });
    expect(request.systemInstruction!.parts).toHaveLength(N);
  });

  it('sends an assistant message of 200,000 parts as one model turn', () => {
    const request = translate({ model: 'gemini-2.5-flash', input: [{ role: 'user', content: 'x' }, { role: 'assistant', content: texts('output_text') }] });
    expect(request.contents[1]!.parts).toHaveLength(N);
  });

  it('sends a tool output of 200,000 images after its function response', () => {
    const images = Array.from({ length: N }, () => ({ type: 'input_image', image_url: 'data:image/png;base64,AAAA' }));
    const input = [{ role: 'user', content: 'x' }, { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' }, { type: 'function_call_output', call_id: 'c', output: images }];
    expect(translate({ model: 'gemini-2.5-flash', tools, input }).contents[2]!.parts).toHaveLength(N + 1);
  });

  // No clock: at this size the quadratic version (the finding) takes about a minute, past the test's timeout.
  it('pairs 200,000 calls with their outputs in linear time', () => {
    const n = N;
    const input: unknown[] = [{ role: 'user', content: 'x' }];
    for (let i = 0; i < n; i++) input.push({ type: 'function_call', call_id: `c${i}`, name: 'f', arguments: '{}' });
    for (let i = n - 1; i >= 1; i--) input.push({ type: 'function_call_output', call_id: `c${i}`, output: 'ok' });
    const request = translate({ model: 'gemini-2.5-flash', tools, input });
    const answers = request.contents[2]!.parts;
    expect(answers).toHaveLength(n);
    expect(answers[0]!.functionResponse!.response).toStrictEqual({ output: 'No output was returned for this call.' });
    // Was 1.7 s for 40,000 (a search of the pending calls for each output) on a quiet machine, 23 s at the body limit.
  });
});

describe('numbers and names no model takes', () => {
  it.each([2 ** 31, 1e15])('refuses max_output_tokens %d naming it (Google would answer about its own field)', (n) => {
    const err = refusal({ model: 'gemini-2.5-flash', input: 'hi', max_output_tokens: n });
    expect(err.field).toBe('max_output_tokens');
    expect(err.message).toMatch(/2147483647/);
  });

  it.each([
    ['10 KB', 'x'.repeat(10_000), /at most 256/],
    ['a header injection', 'gemini-2.5-flash\r\nX-Injected: 1', /printable/],
    ['a NUL', 'gemini-2.5-flash\u0000', /printable/],
  ])('refuses a model name of %s', (_label, model, message) => {
    const err = refusal({ model, input: 'hi' });
    expect(err.field).toBe('model');
    expect(err.message).toMatch(message);
  });

  it('refuses a previous_response_id longer than any id Rotor gives, without echoing it', () => {
    const err = refusal({ model: 'gemini-2.5-flash', input: 'hi', previous_response_id: 'x'.repeat(20_000) });
    expect(err.field).toBe('previous_response_id');
    expect(err.message.length).toBeLessThan(300);
  });
});

describe('encrypted_content a client made up', () => {
  const conversation = (encrypted: string) => ({
    model: 'gemini-3-pro-preview',
    tools,
    input: [
      { role: 'user', content: 'hi' },
      { type: 'reasoning', summary: [], encrypted_content: encrypted },
      { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
      { type: 'function_call', call_id: 'call_2', name: 'f', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
      { type: 'function_call_output', call_id: 'call_2', output: 'ok' },
    ],
  });
  const callSignatures = (encrypted: string) => translate(conversation(encrypted)).contents[1]!.parts.map((p) => p.thoughtSignature);

  it.each(['not base64 !', '<script>alert(1)</script>', 'QUFB\u0000QQ==', '\ud800'])(
    'never sends a signature that is not base64 (%j): the call is signed as if the item had none',
    (forged) => {
      expect(callSignatures(encodeAnswerSignatures({ calls: { call_1: forged, call_2: forged } }))).toStrictEqual([BYPASS_THOUGHT_SIGNATURE, undefined]);
      expect(decodeAnswerSignatures(encodeAnswerSignatures({ calls: { call_1: forged }, text: forged }))).toStrictEqual({ calls: {} });
    },
  );

  it('keeps the well-formed signatures of an envelope with forged ones', () => {
    expect(callSignatures(encodeAnswerSignatures({ calls: { call_1: '!!', call_2: 'c2lnLTI=' } }))).toStrictEqual([BYPASS_THOUGHT_SIGNATURE, 'c2lnLTI=']);
  });

  it.each([
    ['signatures that are not strings', 'rotor.v1.' + Buffer.from('{"c":{"call_1":42,"call_2":{"x":1}},"t":[]}').toString('base64url')],
    ['a prototype key', 'rotor.v1.' + Buffer.from('{"c":{"__proto__":"c2ln","constructor":"c2ln"}}').toString('base64url')],
    ['a JSON array', 'rotor.v1.' + Buffer.from('[1,2]').toString('base64url')],
    ['no JSON', 'rotor.v1.' + Buffer.from('not json').toString('base64url')],
    ['bytes that are not UTF-8', 'rotor.v1.' + Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')],
    ['nothing', 'rotor.v1.'],
  ])('reads nothing from an envelope with %s, and takes nothing for text', (_label, encrypted) => {
    const request = translate(conversation(encrypted));
    expect(request.contents[1]!.parts.map((p) => p.thoughtSignature)).toStrictEqual([BYPASS_THOUGHT_SIGNATURE, undefined]);
    expect(request.contents.flatMap((c) => c.parts).filter((p) => p.text !== undefined)).toStrictEqual([{ text: 'hi' }]);
    expect(Object.getPrototypeOf(decodeAnswerSignatures(encrypted)?.calls ?? {})).toBe(Object.prototype);
  });
});

describe('stored conversations', () => {
  const response = { id: 'resp_1', object: 'response', output: [] } as never;
  const input = [{ type: 'message' as const, role: 'user' as const, content: 'x'.repeat(1000) }];

  it('keep the whole conversation up to the limit', () => {
    const stored = parseStoredResponse(boundedStoredRecord({ response, input, signatures: { calls: { c: 'c2ln' } } }, 10_000))!;
    expect(stored.input).toStrictEqual(input);
    expect(stored.dropped).toBeUndefined();
  });

  it('past the limit keep the response alone, and say how large the conversation was', () => {
    const record = boundedStoredRecord({ response, input, signatures: { calls: { c: 'c2ln' } } }, 500);
    expect(record.length).toBeLessThan(500);
    const stored = parseStoredResponse(record)!;
    expect(stored).toStrictEqual({ response, input: [], signatures: { calls: {} }, dropped: { bytes: expect.any(Number), limit: 500 } });
    expect(stored.dropped!.bytes).toBeGreaterThan(1000);
  });
});
