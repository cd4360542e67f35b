/** Inputs with hundreds of thousands of items (well within the body limit) must not overflow the stack. */
import { describe, expect, it } from 'vitest';
import { sanitizeSchemaForGemini } from '../../src/translate/schema.js';
import { convertOpenAIChatRequestToGemini } from '../../src/translate/openai-chat/convert-openai-request-to-gemini.js';
import { openAIChatRequestSchema } from '../../src/translate/openai-chat/request-schema.js';

const MANY = 200_000;

describe('large inputs', () => {
  it('a oneOf of string literals with a 150,000-value enum collapses without a stack overflow', () => {
    const values = Array.from({ length: 150_000 }, (_, i) => `v${i}`);
    const out = sanitizeSchemaForGemini({ oneOf: [{ enum: values }, { const: 'z' }] }) as { enum?: string[] };
    expect(out.enum).toHaveLength(150_001);
  });

  it('a system message, an assistant turn and merged user turns with 200,000 items each translate', () => {
    const parts = Array.from({ length: MANY }, () => ({ type: 'text' as const, text: 'x' }));
    const calls = Array.from({ length: MANY }, (_, i) => ({ id: `c${i}`, type: 'function' as const, function: { name: 'f', arguments: '{}' } }));
    const req = openAIChatRequestSchema.parse({
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: parts },
        { role: 'user', content: parts },
        { role: 'user', content: 'and more' },
        { role: 'assistant', content: null, tool_calls: calls },
      ],
    });
    const { request } = convertOpenAIChatRequestToGemini(req);
    expect(request.systemInstruction?.parts).toHaveLength(MANY);
    expect(request.contents[0]!.parts).toHaveLength(MANY + 1);
    expect(request.contents[1]!.parts).toHaveLength(MANY);
  });
});
