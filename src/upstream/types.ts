/** The interface every upstream route (Code Assist, the Gemini API; Vertex AI later) implements. */
import type {
  GeminiBatchEmbedContentsRequest,
  GeminiBatchEmbedContentsResponse,
  GeminiCountTokensResponse,
  GeminiRequest,
  GeminiResponse,
} from '../types/gemini.js';
import type { CallSignal } from '../util/call-signal.js';

/** What an upstream needs from a credential: a token and, for Code Assist, the project. */
export interface UpstreamCredential {
  readonly id: string;
  readonly projectId: string | undefined;
  getAccessToken(): Promise<string>;
  /** The current token when it is valid and needs no refresh (no promise, no timer: the hot path). */
  cachedAccessToken?(): string | undefined;
}

export interface UpstreamCall {
  model: string;
  request: GeminiRequest;
  signal: CallSignal;
}

/** A stream whose first event has already arrived (so failover before the first byte is the caller's). */
export interface OpenedStream {
  first: GeminiResponse;
  rest: AsyncIterator<GeminiResponse>;
  /** Stops reading and releases the connection. */
  close(): void;
}

/** batchEmbedContents request and response, as the Gemini API defines them. */
export type GeminiEmbedRequest = GeminiBatchEmbedContentsRequest;
export type GeminiEmbedResponse = GeminiBatchEmbedContentsResponse;

export interface EmbedCall {
  model: string;
  request: GeminiEmbedRequest;
  signal: CallSignal;
}

export interface UpstreamClient {
  generate(cred: UpstreamCredential, call: UpstreamCall): Promise<GeminiResponse>;
  stream(cred: UpstreamCredential, call: UpstreamCall): Promise<OpenedStream>;
  countTokens(cred: UpstreamCredential, call: UpstreamCall): Promise<GeminiCountTokensResponse>;
  /** Only on routes whose registry entry says they can embed. */
  embed?(cred: UpstreamCredential, call: EmbedCall): Promise<GeminiEmbedResponse>;
}

/** The client went away; nothing is to blame and nothing is retried. */
export class ClientAbortError extends Error {
  override readonly name = 'ClientAbortError';
  constructor() {
    super('client closed the request');
  }
}
