import { z } from 'zod';
import type { GeminiBatchEmbedContentsRequest, GeminiBatchEmbedContentsResponse } from '../../types/gemini.js';
import { TranslationError } from '../translation-error.js';
import { unionTypeError } from '../zod-message.js';

/**
 * `POST /v1/embeddings` as Rotor accepts it. Token arrays pass the schema so the converter can say why
 * they are refused (Gemini embeds text, it has no OpenAI tokenizer). Unknown fields are stripped.
 */
export const openAIEmbeddingsRequestSchema = z.object({
  model: z.string().min(1),
  input: z.union(
    [z.string(), z.array(z.string()), z.array(z.number().int()), z.array(z.array(z.number().int()))],
    { error: unionTypeError('string, array of strings or token arrays') },
  ),
  dimensions: z.number().int().positive().nullish(),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  user: z.string().nullish(),
});

export type OpenAIEmbeddingsRequest = z.infer<typeof openAIEmbeddingsRequestSchema>;

/** Gemini's cap on requests in one `:batchEmbedContents` call. */
export const GEMINI_EMBED_BATCH_LIMIT = 100;

/** Most inputs in one request: OpenAI's limit (more would fan out into many upstream calls). */
export const EMBEDDINGS_MAX_INPUTS = 2048;
/** Most tokens in one input: what gemini-embedding-001 (and text-embedding-004) take. */
export const EMBEDDINGS_MAX_TOKENS_PER_INPUT = 2048;
/** Most tokens in one request, all inputs together: OpenAI's limit. */
export const EMBEDDINGS_MAX_TOTAL_TOKENS = 300_000;

/**
 * A deliberately high token estimate, UTF-8 bytes / 3 rounded up, so Rotor refuses before Google would
 * (the translator has no tokenizer). Gemini's tokenizer averages about 4 characters per token in English
 * and about one token per CJK character (3 bytes): the estimate is a third high for English and about
 * right for CJK. Text denser in tokens than that (long runs of digits or symbols) can be underestimated.
 */
export function estimateEmbeddingTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 3);
}

/** The translated embeddings request: send each batch to `models/<model>:batchEmbedContents`, in order. */
export interface GeminiEmbeddingsTranslation {
  /** The upstream model id, without `models/`. */
  model: string;
  batches: GeminiBatchEmbedContentsRequest[];
}

/**
 * OpenAI embeddings request → Gemini `batchEmbedContents` bodies (docs/google-protocols.md#embeddings): one
 * `{model: "models/<m>", content: {parts: [{text}]}, outputDimensionality?}` per input, split into batches
 * of GEMINI_EMBED_BATCH_LIMIT. `dimensions` becomes `outputDimensionality`; `user` is ignored. More than
 * EMBEDDINGS_MAX_INPUTS inputs, an input over EMBEDDINGS_MAX_TOKENS_PER_INPUT or a request over
 * EMBEDDINGS_MAX_TOTAL_TOKENS (estimated by estimateEmbeddingTokens) is a TranslationError naming the limit.
 */
export function convertOpenAIEmbeddingsRequestToGemini(req: OpenAIEmbeddingsRequest): GeminiEmbeddingsTranslation {
  const model = req.model.replace(/^models\//, '');
  const inputs = textInputs(req.input);
  const requests = inputs.map((text) => ({
    model: `models/${model}`,
    content: { parts: [{ text }] },
    ...(req.dimensions != null ? { outputDimensionality: req.dimensions } : {}),
  }));
  const batches: GeminiBatchEmbedContentsRequest[] = [];
  for (let i = 0; i < requests.length; i += GEMINI_EMBED_BATCH_LIMIT) {
    batches.push({ requests: requests.slice(i, i + GEMINI_EMBED_BATCH_LIMIT) });
  }
  return { model, batches };
}

/** The inputs as strings, within the limits on their number and (estimated) tokens. */
function textInputs(input: OpenAIEmbeddingsRequest['input']): string[] {
  const list = typeof input === 'string' ? [input] : input;
  if (list.length === 0) throw new TranslationError('input', 'must not be empty');
  if (list.length > EMBEDDINGS_MAX_INPUTS) {
    throw new TranslationError('input', `${list.length} inputs, over the limit of ${EMBEDDINGS_MAX_INPUTS} inputs per request`);
  }
  let total = 0;
  const texts = list.map((item, i) => {
    const field = typeof input === 'string' ? 'input' : `input[${i}]`;
    if (typeof item !== 'string') {
      throw new TranslationError('input', 'token arrays are not supported: Gemini embeds text, so send the input as strings');
    }
    // Gemini rejects empty content, as OpenAI rejects empty input.
    if (item.trim() === '') throw new TranslationError(field, 'must not be an empty string');
    const tokens = estimateEmbeddingTokens(item);
    if (tokens > EMBEDDINGS_MAX_TOKENS_PER_INPUT) {
      throw new TranslationError(field, `about ${tokens} tokens (${ESTIMATE}), over the limit of ${EMBEDDINGS_MAX_TOKENS_PER_INPUT} tokens per input`);
    }
    total += tokens;
    return item;
  });
  if (total > EMBEDDINGS_MAX_TOTAL_TOKENS) {
    throw new TranslationError('input', `about ${total} tokens in all (${ESTIMATE}), over the limit of ${EMBEDDINGS_MAX_TOTAL_TOKENS} tokens per request`);
  }
  return texts;
}

const ESTIMATE = 'estimated as UTF-8 bytes / 3';

export interface OpenAIEmbedding {
  object: 'embedding';
  index: number;
  /** Floats, or with `encoding_format: "base64"` their little-endian float32 bytes in base64 (as OpenAI sends). */
  embedding: number[] | string;
}

export interface OpenAIEmbeddingsResponse {
  object: 'list';
  data: OpenAIEmbedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface EmbeddingsResponseContext {
  /** The model name to report, normally the one the client asked for. */
  model: string;
  encodingFormat?: 'float' | 'base64' | null;
}

/**
 * The `batchEmbedContents` responses, in batch order → OpenAI's embeddings list. Usage comes from
 * `usageMetadata` when the backend sends it, else 0 (the Gemini API reports no token counts for embeddings).
 */
export function convertGeminiEmbeddingsToOpenAI(
  responses: readonly GeminiBatchEmbedContentsResponse[],
  ctx: EmbeddingsResponseContext,
): OpenAIEmbeddingsResponse {
  const vectors = responses.flatMap((r) => r.embeddings ?? []).map((e) => e.values ?? []);
  const prompt = responses.reduce((sum, r) => sum + (r.usageMetadata?.promptTokenCount ?? 0), 0);
  return {
    object: 'list',
    data: vectors.map((values, index) => ({
      object: 'embedding',
      index,
      embedding: ctx.encodingFormat === 'base64' ? float32Base64(values) : values,
    })),
    model: ctx.model,
    usage: { prompt_tokens: prompt, total_tokens: prompt },
  };
}

/** Little-endian float32 bytes, base64: what OpenAI's `encoding_format: "base64"` returns. */
export function float32Base64(values: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return Buffer.from(view.buffer).toString('base64');
}
