import { describe, expect, it } from 'vitest';
import { convertGeminiResponseToOpenAIChat } from '../../../src/translate/openai-chat/convert-gemini-response-to-openai.js';
import type { GeminiResponse } from '../../../src/types/gemini.js';
import { fixtureContext, listFixtures, readJsonFixture, type FixtureContext } from './fixtures.js';

const ctx = { id: 'chatcmpl-test', created: 1767999333, model: 'gemini-2.5-flash' };

describe('convertGeminiResponseToOpenAIChat', () => {
  it.each(listFixtures('response-', '.json'))('translates %s to the exact OpenAI response', (name) => {
    const fixture = readJsonFixture<{ gemini: GeminiResponse; openai: unknown; ctx?: FixtureContext }>(`${name}.json`);
    expect(convertGeminiResponseToOpenAIChat(fixture.gemini, { ...ctx, ...fixtureContext(fixture.ctx) })).toStrictEqual(fixture.openai);
  });

  it('answers an empty response with one empty stop choice and zero usage', () => {
    expect(convertGeminiResponseToOpenAIChat({}, ctx)).toMatchInlineSnapshot(`
      {
        "choices": [
          {
            "finish_reason": "stop",
            "index": 0,
            "logprobs": null,
            "message": {
              "content": null,
              "role": "assistant",
            },
          },
        ],
        "created": 1767999333,
        "id": "chatcmpl-test",
        "model": "gemini-2.5-flash",
        "object": "chat.completion",
        "usage": {
          "completion_tokens": 0,
          "prompt_tokens": 0,
          "total_tokens": 0,
        },
      }
    `);
  });

  it('gives null content when only thoughts came back, and skips empty and non-text parts', () => {
    const res: GeminiResponse = {
      candidates: [
        {
          content: {
            role: 'model',
            parts: [{ text: 'hmm', thought: true }, { text: '' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }],
          },
          finishReason: 'MAX_TOKENS',
        },
      ],
    };
    expect(convertGeminiResponseToOpenAIChat(res, ctx).choices).toStrictEqual([
      {
        index: 0,
        message: { role: 'assistant', content: null, reasoning_content: 'hmm' },
        finish_reason: 'length',
        logprobs: null,
      },
    ]);
  });

  it('reports the model name from the context, not the upstream modelVersion', () => {
    const out = convertGeminiResponseToOpenAIChat({ modelVersion: 'gemini-2.5-flash-001' }, { ...ctx, model: 'my-alias' });
    expect(out.model).toBe('my-alias');
  });
});
