/**
 * The native Gemini dialect (`/v1beta`): the client's body is a Gemini request already, so it passes through
 * (minus what belongs in the URL) and the reply comes back as Google sends it. Streams are SSE with
 * `alt=sse`, else Google's JSON-array layout.
 */
import { z } from 'zod';
import type { GeminiRequest } from '../../types/gemini.js';
import { bearer, header, type Dialect, type ErrorInfo, type GenerationAdapter } from '../dialect.js';
import { normaliseModelId, parseJsonObject } from '../parse-body.js';

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'UNIMPLEMENTED',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** `{"error": google.rpc.Status}`: Google's own body when it sent one, else one in its shape. */
export function googleErrorBody(e: ErrorInfo): unknown {
  return { error: e.rpc ?? { code: e.status, message: e.message, status: GOOGLE_STATUS[e.status] ?? 'UNKNOWN' } };
}

/** Every `/v1beta` route: @google/genai and gemini-cli send `x-goog-api-key` or `?key=`; Bearer works too. */
export const googleDialect: Dialect = {
  id: 'google',
  secret: (headers, query) => bearer(headers) ?? header(headers, 'x-goog-api-key') ?? (query.get('key') || undefined),
  secretHint: 'an x-goog-api-key header, a ?key= parameter or ',
  errorBody: googleErrorBody,
};

const partSchema = z.looseObject({});
export const contentSchema = z.looseObject({
  role: z.enum(['user', 'model']).optional(),
  parts: z.array(partSchema).min(1, 'must contain at least one part'),
});
export const generateSchema = z.looseObject({
  contents: z.array(contentSchema).min(1, 'must contain at least one content'),
  systemInstruction: z.looseObject({ parts: z.array(partSchema) }).optional(),
  system_instruction: z.looseObject({ parts: z.array(partSchema) }).optional(),
  tools: z.array(z.looseObject({})).optional(),
  generationConfig: z.looseObject({}).optional(),
  generation_config: z.looseObject({}).optional(),
  safetySettings: z.array(z.looseObject({})).optional(),
});

type NativeRequest = z.infer<typeof generateSchema>;

export const parseGeminiBody = <T>(schema: z.ZodType<T>, body: unknown): T => parseJsonObject(schema, body, '(a GenerateContentRequest)');

/** The body minus what belongs in the URL; everything else is forwarded as Google defines it. */
export function toGeminiRequest(body: Record<string, unknown>): GeminiRequest {
  const { model: _model, ...rest } = body;
  return rest as unknown as GeminiRequest;
}

interface NativeContext {
  alt: string | undefined;
}

export const geminiAdapter: GenerationAdapter<NativeRequest, NativeContext> = {
  ...googleDialect,
  parse: (body) => parseGeminiBody(generateSchema, body),
  // Native clients carry their media and thought signatures themselves.
  mediaUrls: () => [],
  signatureIds: () => [],
  toGemini: (req, inputs) => ({
    model: normaliseModelId(inputs.params.model ?? ''),
    request: toGeminiRequest(req),
    stream: inputs.params.stream === true,
    ctx: { alt: inputs.params.alt },
  }),
  toResponse: (res) => ({ body: res, signatures: [] }),
  openStream: () => ({
    signatures: [],
    chunk: (chunk) => [{ data: JSON.stringify(chunk) }],
    finish: () => [],
    fail: (error) => [{ data: JSON.stringify(googleErrorBody(error)) }],
  }),
  framing: (ctx) => (ctx.alt === 'sse' ? 'sse' : 'json-array'),
};
