/**
 * A dialect adapter is everything Rotor knows about one client API, as pure functions: where the client puts
 * its secret, how its errors look, and — for generation routes — its request schema, the translation to and
 * from Gemini, and a per-request stream state that turns each Gemini chunk into the frames to write.
 * One generic handler (http/handlers/generate.ts) runs every adapter: adding a dialect is one adapter plus its
 * route lines.
 */
import type { GeminiBlob, GeminiRequest, GeminiResponse, GoogleRpcStatus } from '../types/gemini.js';
import type { Frame } from '../sse/write.js';

export type { Frame };

export type DialectId = 'openai' | 'google' | 'anthropic' | 'responses';

/** Request headers as Node gives them (lower-case names). */
export type Headers = Record<string, string | string[] | undefined>;

/** An error as every dialect renders it. */
export interface ErrorInfo {
  status: number;
  message: string;
  /** The field at fault, for 400s. */
  param?: string;
  /** A short machine-readable code. */
  code?: string;
  /** Google's own error body, passed through to native clients. */
  rpc?: GoogleRpcStatus;
}

export interface Dialect {
  readonly id: DialectId;
  /** The secret the client presents, from where this dialect's SDKs put it. */
  secret(headers: Headers, query: URLSearchParams): string | undefined;
  /** Where to put it, for the 401 that says it is missing (e.g. "an x-api-key header or "). */
  readonly secretHint: string;
  /** The dialect's error body. */
  errorBody(error: ErrorInfo): unknown;
}

/** A Gemini 3 thought signature and the id (tool call, reasoning item) the client will send back with it. */
export interface SignatureEntry {
  id: string;
  signature: string;
}

/** What the generic handler prepared for a request's translation: all I/O is done before. */
export interface TranslateInputs {
  /** Route parameters: the model named in the path, the method's streaming, query options. */
  params: RouteParams;
  /** Bytes of the remote media the adapter listed (mediaUrls). */
  media: (url: string) => GeminiBlob | undefined;
  /** Thought signatures the adapter asked for (signatureIds), from the store. */
  signatures: (id: string) => string | undefined;
  /** Values chosen by the caller, never invented by a translator. */
  id: string;
  created: number;
}

export interface RouteParams {
  /** The model in the path (native routes). */
  model?: string;
  /** The route's method streams (native `:streamGenerateContent`). */
  stream?: boolean;
  /** `?alt=` (native routes: `sse` or the JSON-array layout). */
  alt?: string;
}

/** The translated request and what the response translators need to answer it. */
export interface GenerationPlan<Ctx> {
  /** The upstream model (the client's name without Rotor's suffixes or aliases). */
  model: string;
  request: GeminiRequest;
  stream: boolean;
  ctx: Ctx;
}

/** Per-request stream state: one upstream chunk in, the frames to write out. */
export interface StreamTranslator {
  chunk(chunk: GeminiResponse): Frame[];
  /** The upstream stream ended: the closing frames. */
  finish(): Frame[];
  /** The upstream failed after the first frame: the dialect's error frames (the stream then ends). */
  fail(error: ErrorInfo): Frame[];
  /** Signatures met so far; the handler stores and clears them. */
  readonly signatures: SignatureEntry[];
}

export interface GenerationAdapter<Req, Ctx> extends Dialect {
  /** Validates the body; throws ApiError-shaped TranslationErrors naming the field. */
  parse(body: unknown, params: RouteParams): Req;
  /** http(s) media URLs the handler must fetch first. */
  mediaUrls(req: Req): string[];
  /** Ids whose thought signatures the handler must look up first (the client dropped them). */
  signatureIds(req: Req): string[];
  toGemini(req: Req, inputs: TranslateInputs): GenerationPlan<Ctx>;
  /** A whole Gemini response → the dialect's body, and the signatures it carries. */
  toResponse(res: GeminiResponse, ctx: Ctx): { body: unknown; signatures: SignatureEntry[] };
  openStream(ctx: Ctx): StreamTranslator;
  /** How the stream is framed: SSE for every dialect, except Google's JSON-array layout without alt=sse. */
  framing(ctx: Ctx): 'sse' | 'json-array';
  /** What to send while Google is silent (default: an SSE comment). */
  readonly heartbeat?: Frame;
  /** The request's conversation key, if it names one (prompt_cache_key, user, metadata.user_id…). */
  affinityKey?(req: Req): string | undefined;
}

/** The Bearer token of an Authorization header, if any. */
export function bearer(headers: Headers): string | undefined {
  const auth = headers.authorization;
  if (typeof auth !== 'string' || auth === '') return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
  return m ? m[1]!.trim() : undefined;
}

/** A header's value when it is a non-empty string. */
export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' && v !== '' ? v.trim() : undefined;
}
