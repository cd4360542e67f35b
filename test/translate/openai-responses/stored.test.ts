import { describe, expect, it } from 'vitest';
import { openAIResponsesAdapter } from '../../../src/translate/openai-responses/adapter.js';
import { inputItems } from '../../../src/translate/openai-responses/convert-request.js';
import { responsesRequestSchema } from '../../../src/translate/openai-responses/request-schema.js';
import { decodeAnswerSignatures, encodeAnswerSignatures } from '../../../src/translate/openai-responses/signatures.js';
import {
  continueConversation,
  conversationOf,
  parseStoredResponse,
  serialiseStoredResponse,
  storedResponse,
} from '../../../src/translate/openai-responses/stored.js';
import { fixtureContext } from './fixtures.js';

describe('encrypted_content', () => {
  it('carries call and text signatures and reads them back exactly', () => {
    // Both base64 alphabets (Gemini's signatures are base64; anything else is dropped: hostile.test.ts).
    const s = { calls: { call_1: 'c2lnLWE=', call_2: 'c2ln/2I+Yw==', call_3: 'c2ln_2I-Yw' }, text: 'dA==' };
    const encrypted = encodeAnswerSignatures(s);
    expect(encrypted).toMatch(/^rotor\.v1\.[A-Za-z0-9_-]+$/);
    expect(decodeAnswerSignatures(encrypted)).toStrictEqual(s);
  });

  it.each([undefined, null, '', 'gAAAAABoXyz', 'rotor.v1.***', 'rotor.v1.bm90IGpzb24', `rotor.v1.${Buffer.from('[1]').toString('base64url')}`])(
    'reads nothing from %j',
    (value) => {
      const decoded = decodeAnswerSignatures(value);
      expect(decoded === undefined || (Object.keys(decoded.calls).length === 0 && decoded.text === undefined)).toBe(true);
    },
  );
});

describe('the request schema', () => {
  it('keeps item and tool types it does not translate as ignored, so any Codex transcript parses', () => {
    const req = responsesRequestSchema.parse({
      model: 'm',
      input: [
        { type: 'item_reference', id: 'msg_1' },
        { id: 'rs_1' },
        { type: 'local_shell_call', call_id: 'x', action: {} },
        { type: 'mcp_list_tools', server_label: 's', tools: [] },
        { role: 'user', content: 'hi' },
      ],
      tools: [{ type: 'local_shell' }, { type: 'namespace', name: 'n', tools: [] }, { type: 'mcp', server_label: 's' }],
      tool_choice: { type: 'mcp', server_label: 's' },
      conversation: 'conv_1',
      context_management: [{ type: 'compaction' }],
    });
    expect(inputItems(req.input).map((i) => (i.type === 'ignored' ? i.ignored_type : i.type))).toStrictEqual([
      'item_reference',
      'item_reference',
      'local_shell_call',
      'mcp_list_tools',
      'message',
    ]);
    // Echoed as sent.
    expect(req.tools).toStrictEqual([{ type: 'local_shell' }, { type: 'namespace', name: 'n', tools: [] }, { type: 'mcp', server_label: 's' }]);
    expect(req).not.toHaveProperty('conversation');
  });
});

describe('stored responses', () => {
  const req = responsesRequestSchema.parse({
    model: 'gemini-3-pro-preview',
    input: [{ role: 'user', content: 'get_weather {"city":"Rome"}' }],
    tools: [{ type: 'function', name: 'get_weather', parameters: null, strict: null }],
  });
  const ctx = fixtureContext({ model: 'gemini-3-pro-preview', toolNames: { get_weather: 'get_weather' } });
  openAIResponsesAdapter.toResponse(
    {
      candidates: [
        { content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Rome' } }, thoughtSignature: 'c2lnLWE=' }] }, finishReason: 'STOP' },
      ],
    },
    ctx,
  );
  const stored = parseStoredResponse(serialiseStoredResponse(storedResponse(req, ctx.result!)))!;

  it('read back as written', () => {
    expect(stored.response).toStrictEqual(ctx.result!.response);
    expect(stored.input).toStrictEqual(inputItems(req.input));
    expect(stored.signatures).toStrictEqual({ calls: { call_0123456789abcdef_0: 'c2lnLWE=' } });
  });

  it('continue with their input, their output and, for the signatures the client never saw, a reasoning item', () => {
    const next = continueConversation(
      responsesRequestSchema.parse({ model: 'm', input: [{ type: 'function_call_output', call_id: 'call_0123456789abcdef_0', output: 'sunny' }] }),
      conversationOf(stored),
    );
    expect(next.input).toStrictEqual([
      { type: 'message', role: 'user', content: 'get_weather {"city":"Rome"}' },
      { type: 'function_call', call_id: 'call_0123456789abcdef_0', name: 'get_weather', arguments: '{"city":"Rome"}', id: 'fc_0123456789abcdef_0' },
      { type: 'reasoning', summary: [], encrypted_content: encodeAnswerSignatures(stored.signatures) },
      { type: 'function_call_output', call_id: 'call_0123456789abcdef_0', output: 'sunny' },
    ]);
  });

  it.each(['not json', '{}', '{"v":2,"response":{},"input":[]}', '{"v":1,"response":{},"input":[{"type":"message"}]}'])('are not read from %s', (text) => {
    expect(parseStoredResponse(text)).toBeUndefined();
  });
});
