import { describe, expect, it } from 'vitest';
import { convertGeminiResponseToOpenAIChat } from '../../../src/translate/openai-chat/convert-gemini-response-to-openai.js';
import { convertOpenAIChatRequestToGemini } from '../../../src/translate/openai-chat/convert-openai-request-to-gemini.js';
import { openAIChatRequestSchema } from '../../../src/translate/openai-chat/request-schema.js';
import { convertGeminiChunkToOpenAIChunks, createOpenAIStreamState } from '../../../src/translate/openai-chat/stream.js';
import {
  BYPASS_THOUGHT_SIGNATURE,
  decodeToolCallIdSignature,
  encodeToolCallId,
  extractThoughtSignatures,
} from '../../../src/translate/openai-chat/thought-signature.js';
import type { OpenAIResponseToolCall } from '../../../src/translate/openai-chat/types.js';
import type { GeminiPart, GeminiResponse } from '../../../src/types/gemini.js';

const ctx = { id: 'chatcmpl-abc', created: 1767999333, model: 'gemini-3-flash-preview' };
// Real signatures are long base64; this one has '+', '/' and padding.
const SIGNATURE = Buffer.from([0xfb, 0xff, 0x01, 0x02, 0x03, 0xfe, 0x00]).toString('base64');

function geminiCalls(parts: GeminiPart[]): GeminiResponse {
  return { candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP' }] };
}

/** The client's next request: the assistant turn as it received it, each call answered. */
function nextRequest(toolCalls: ReadonlyArray<Partial<OpenAIResponseToolCall> & { id: string; function: { name: string; arguments: string } }>) {
  return openAIChatRequestSchema.parse({
    model: 'gemini-3-flash-preview',
    messages: [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: null, tool_calls: toolCalls.map((c) => ({ type: 'function', ...c })) },
      ...toolCalls.map((c) => ({ role: 'tool', tool_call_id: c.id, content: 'done' })),
    ],
  });
}

function signaturesSent(req: ReturnType<typeof nextRequest>, lookupSignature?: (id: string) => string | undefined) {
  const { request } = convertOpenAIChatRequestToGemini(req, lookupSignature ? { lookupSignature } : {});
  return request.contents[1]?.parts.map((p) => p.thoughtSignature);
}

describe('tool-call id encoding', () => {
  it.each([
    ['canonical base64', SIGNATURE],
    ['the bypass value', BYPASS_THOUGHT_SIGNATURE],
    ['non-canonical text', 'abc=def'],
    ['url-safe base64', 'ab-_cd'],
  ])('round-trips %s exactly, with only id-safe characters', (_label, signature) => {
    const id = encodeToolCallId('call_x_0', signature);
    expect(id).toMatch(/^call_x_0__thought__[A-Za-z0-9_-]+$/);
    expect(decodeToolCallIdSignature(id)).toBe(signature);
  });

  it('finds no signature in ordinary or foreign ids', () => {
    expect(decodeToolCallIdSignature('call_123')).toBeUndefined();
    expect(decodeToolCallIdSignature('call__thought__')).toBeUndefined();
    expect(decodeToolCallIdSignature('call__thought__zAAAA')).toBeUndefined();
    expect(decodeToolCallIdSignature('call__thought__b!!')).toBeUndefined();
  });
});

describe('thought signatures from response to the next request', () => {
  it('returns the signature on the first call of a parallel turn through the id, and none on the others', () => {
    const res = convertGeminiResponseToOpenAIChat(
      geminiCalls([
        { functionCall: { name: 'a', args: {} }, thoughtSignature: SIGNATURE },
        { functionCall: { name: 'b', args: {} } },
      ]),
      ctx,
    );
    const calls = res.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => c.id)).toStrictEqual([encodeToolCallId('call_abc_0', SIGNATURE), 'call_abc_1']);
    expect(extractThoughtSignatures(res)).toStrictEqual([{ callId: calls[0]?.id, signature: SIGNATURE }]);
    // The client sends back only id, type and function: the signature survives in the id.
    const stripped = calls.map(({ id, function: fn }) => ({ id, function: fn }));
    expect(signaturesSent(nextRequest(stripped))).toStrictEqual([SIGNATURE, undefined]);
  });

  it('falls back to the cache when the client rewrote the ids, then to the bypass value', () => {
    const res = convertGeminiResponseToOpenAIChat(geminiCalls([{ functionCall: { name: 'a', args: {} }, thoughtSignature: SIGNATURE }]), {
      ...ctx,
      signaturesInToolCallIds: false,
    });
    const [entry] = extractThoughtSignatures(res);
    expect(entry).toStrictEqual({ callId: 'call_abc_0', signature: SIGNATURE });
    const cache = new Map([[entry?.callId ?? '', entry?.signature ?? '']]);
    const req = nextRequest([{ id: 'call_abc_0', function: { name: 'a', arguments: '{}' } }]);
    expect(signaturesSent(req, (id) => cache.get(id))).toStrictEqual([SIGNATURE]);
    expect(signaturesSent(req, () => undefined)).toStrictEqual([BYPASS_THOUGHT_SIGNATURE]);
    expect(signaturesSent(req)).toStrictEqual([BYPASS_THOUGHT_SIGNATURE]);
  });

  it("prefers the id, then the client's extra_content, then the cache", () => {
    const viaExtra = nextRequest([
      { id: 'call_1', function: { name: 'a', arguments: '{}' }, extra_content: { google: { thought_signature: 'ZXh0cmE=' } } },
    ]);
    expect(signaturesSent(viaExtra, () => 'Y2FjaGU=')).toStrictEqual(['ZXh0cmE=']);
    const viaId = nextRequest([
      { id: encodeToolCallId('call_1', 'aWQ='), function: { name: 'a', arguments: '{}' }, extra_content: { google: { thought_signature: 'ZXh0cmE=' } } },
    ]);
    expect(signaturesSent(viaId, () => 'Y2FjaGU=')).toStrictEqual(['aWQ=']);
  });

  it('signs the first call of every sequential step', () => {
    const req = openAIChatRequestSchema.parse({
      model: 'gemini-3-pro-preview',
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', tool_calls: [{ id: 's1', type: 'function', function: { name: 'a', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 's1', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: encodeToolCallId('s2', 'c2ln'), type: 'function', function: { name: 'b', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: encodeToolCallId('s2', 'c2ln'), content: 'y' },
      ],
    });
    const { request } = convertOpenAIChatRequestToGemini(req);
    expect(request.contents.filter((c) => c.role === 'model').map((c) => c.parts[0]?.thoughtSignature)).toStrictEqual([
      BYPASS_THOUGHT_SIGNATURE,
      'c2ln',
    ]);
  });

  it('reports signatures from stream chunks too', () => {
    const state = createOpenAIStreamState({ ...ctx, includeUsage: false });
    const chunks = convertGeminiChunkToOpenAIChunks(geminiCalls([{ functionCall: { name: 'a' }, thoughtSignature: SIGNATURE }]), state);
    const id = encodeToolCallId('call_abc_0', SIGNATURE);
    expect(chunks.flatMap(extractThoughtSignatures)).toStrictEqual([{ callId: id, signature: SIGNATURE }]);
  });

  it('uses the idFactory for the base of each id', () => {
    let n = 0;
    const res = convertGeminiResponseToOpenAIChat(
      geminiCalls([{ functionCall: { name: 'a' }, thoughtSignature: 'c2ln' }, { functionCall: { name: 'b' } }]),
      { ...ctx, idFactory: () => `call_r${n++}` },
    );
    expect(res.choices[0]?.message.tool_calls?.map((c) => c.id)).toStrictEqual(['call_r0__thought__bc2ln', 'call_r1']);
  });
});
