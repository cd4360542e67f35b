import { describe, expect, it } from 'vitest';
import {
  convertGeminiEmbeddingsToOpenAI,
  convertOpenAIEmbeddingsRequestToGemini,
  EMBEDDINGS_MAX_INPUTS,
  EMBEDDINGS_MAX_TOKENS_PER_INPUT,
  EMBEDDINGS_MAX_TOTAL_TOKENS,
  estimateEmbeddingTokens,
  float32Base64,
  GEMINI_EMBED_BATCH_LIMIT,
  openAIEmbeddingsRequestSchema,
} from '../../../src/translate/openai-chat/embeddings.js';
import { TranslationError } from '../../../src/translate/translation-error.js';
import { formatZodIssues } from '../../../src/translate/zod-message.js';

function translate(body: unknown) {
  return convertOpenAIEmbeddingsRequestToGemini(openAIEmbeddingsRequestSchema.parse(body));
}

describe('embeddings request', () => {
  it('sends each input as one batchEmbedContents request with the model and dimensions', () => {
    expect(translate({ model: 'models/gemini-embedding-001', input: ['a', 'b'], dimensions: 768, user: 'u', encoding_format: 'float' })).toStrictEqual({
      model: 'gemini-embedding-001',
      batches: [
        {
          requests: [
            { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] }, outputDimensionality: 768 },
            { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] }, outputDimensionality: 768 },
          ],
        },
      ],
    });
    expect(translate({ model: 'gemini-embedding-001', input: 'hello' })).toStrictEqual({
      model: 'gemini-embedding-001',
      batches: [{ requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'hello' }] } }] }],
    });
  });

  it('splits more inputs than one batch takes, keeping the order', () => {
    const input = Array.from({ length: GEMINI_EMBED_BATCH_LIMIT * 2 + 1 }, (_, i) => `t${i}`);
    const { batches } = translate({ model: 'm', input });
    expect(batches.map((b) => b.requests.length)).toStrictEqual([100, 100, 1]);
    expect(batches[2]?.requests[0]?.content.parts[0]?.text).toBe('t200');
  });

  it.each<[string, unknown, string, string]>([
    ['token arrays', { model: 'm', input: [1, 2, 3] }, 'input', 'token arrays are not supported: Gemini embeds text, so send the input as strings'],
    ['arrays of token arrays', { model: 'm', input: [[1], [2]] }, 'input', 'token arrays are not supported: Gemini embeds text, so send the input as strings'],
    ['an empty list', { model: 'm', input: [] }, 'input', 'must not be empty'],
    ['an empty string in a list', { model: 'm', input: ['a', ' '] }, 'input[1]', 'must not be an empty string'],
    ['an empty string', { model: 'm', input: '' }, 'input', 'must not be an empty string'],
  ])('refuses %s with a TranslationError', (_label, body, field, message) => {
    expect(() => translate(body)).toThrowError(expect.objectContaining({ name: 'TranslationError', field, message }));
    expect(() => translate(body)).toThrow(TranslationError);
  });

  it.each<[string, unknown, string]>([
    ['a numeric input', { model: 'm', input: 5 }, 'input: expected string, array of strings or token arrays, got number'],
    ['an unknown encoding', { model: 'm', input: 'x', encoding_format: 'int8' }, 'encoding_format: must be one of "float", "base64"'],
    ['zero dimensions', { model: 'm', input: 'x', dimensions: 0 }, 'dimensions: must be > 0'],
    ['no model', { input: 'x' }, 'model: is required'],
  ])('rejects %s in the schema with a message naming the field', (_label, body, message) => {
    const result = openAIEmbeddingsRequestSchema.safeParse(body);
    expect(result.success).toBe(false);
    if (!result.success) expect(formatZodIssues(result.error)).toBe(message);
  });
});

describe('embeddings request limits', () => {
  const refusal = (body: unknown) => {
    try {
      translate(body);
    } catch (err) {
      expect(err).toBeInstanceOf(TranslationError);
      return { field: (err as TranslationError).field, message: (err as Error).message };
    }
    throw new Error('not refused');
  };

  it(`refuses more than ${EMBEDDINGS_MAX_INPUTS} inputs, and takes ${EMBEDDINGS_MAX_INPUTS} short ones`, () => {
    expect(refusal({ model: 'm', input: Array.from({ length: 3000 }, (_, i) => `t${i}`) })).toStrictEqual({
      field: 'input',
      message: '3000 inputs, over the limit of 2048 inputs per request',
    });
    const { batches } = translate({ model: 'm', input: Array.from({ length: EMBEDDINGS_MAX_INPUTS }, (_, i) => `text number ${i}`) });
    expect(batches).toHaveLength(21);
    expect(batches.reduce((n, b) => n + b.requests.length, 0)).toBe(EMBEDDINGS_MAX_INPUTS);
  });

  it('estimates tokens high: UTF-8 bytes / 3, rounded up', () => {
    expect(estimateEmbeddingTokens('a')).toBe(1);
    expect(estimateEmbeddingTokens('abcdef')).toBe(2);
    expect(estimateEmbeddingTokens('日本語')).toBe(3); // 9 bytes
    expect(estimateEmbeddingTokens('é'.repeat(3))).toBe(2); // 6 bytes
  });

  it(`refuses an input of more than ${EMBEDDINGS_MAX_TOKENS_PER_INPUT} estimated tokens, naming it`, () => {
    const most = 'x'.repeat(EMBEDDINGS_MAX_TOKENS_PER_INPUT * 3);
    expect(translate({ model: 'm', input: ['a', most] }).batches[0]?.requests).toHaveLength(2);
    expect(translate({ model: 'm', input: '語'.repeat(EMBEDDINGS_MAX_TOKENS_PER_INPUT) }).batches).toHaveLength(1);
    expect(refusal({ model: 'm', input: ['a', `${most}x`] })).toStrictEqual({
      field: 'input[1]',
      message: 'about 2049 tokens (estimated as UTF-8 bytes / 3), over the limit of 2048 tokens per input',
    });
    expect(refusal({ model: 'm', input: '語'.repeat(EMBEDDINGS_MAX_TOKENS_PER_INPUT + 1) }).field).toBe('input');
  });

  it(`refuses more than ${EMBEDDINGS_MAX_TOTAL_TOKENS} estimated tokens in all`, () => {
    const input = Array.from({ length: 150 }, () => 'y'.repeat(6000)); // 2000 tokens each: 300,000
    expect(translate({ model: 'm', input }).batches).toHaveLength(2);
    expect(refusal({ model: 'm', input: [...input, 'one more'] })).toStrictEqual({
      field: 'input',
      message: 'about 300003 tokens in all (estimated as UTF-8 bytes / 3), over the limit of 300000 tokens per request',
    });
  });
});

describe('embeddings response', () => {
  const responses = [
    { embeddings: [{ values: [0.5, -1] }, { values: [0.25] }] },
    { embeddings: [{ values: [1, 2] }], usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 } },
  ];

  it('lists the vectors of all batches in input order', () => {
    expect(convertGeminiEmbeddingsToOpenAI(responses, { model: 'text-embedding-3-small' })).toStrictEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, -1] },
        { object: 'embedding', index: 1, embedding: [0.25] },
        { object: 'embedding', index: 2, embedding: [1, 2] },
      ],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
  });

  it('encodes base64 as little-endian float32, as OpenAI does', () => {
    const out = convertGeminiEmbeddingsToOpenAI([{ embeddings: [{ values: [1, -2.5] }] }], { model: 'm', encodingFormat: 'base64' });
    // 1.0f = 00 00 80 3f, -2.5f = 00 00 20 c0 (little-endian).
    expect(out.data[0]?.embedding).toBe(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0]).toString('base64'));
    expect(out.usage).toStrictEqual({ prompt_tokens: 0, total_tokens: 0 });
    const decoded = Buffer.from(float32Base64([0.1, 3]), 'base64');
    expect([decoded.readFloatLE(0), decoded.readFloatLE(4)]).toStrictEqual([Math.fround(0.1), 3]);
  });
});
