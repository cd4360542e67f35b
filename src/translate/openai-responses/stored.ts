/**
 * Stored responses (`store`, default true; `previous_response_id`; `GET /v1/responses/{id}`), as pure values:
 * what is kept of a finished response, and how a follow-up continues it. The handler reads and writes them in
 * the state store (http/handlers/responses.ts).
 */
import type { ResponseResult } from './response-builder.js';
import { inputItemsSchema, type ResponsesInputItem, type ResponsesRequest } from './request-schema.js';
import { encodeAnswerSignatures, hasSignatures, type AnswerSignatures } from './signatures.js';
import type { ResponseObject } from './types.js';
import { inputItems } from './convert-request.js';

/** What is kept of a response: the object the client got, the whole input it answered, and every signature. */
export interface StoredResponse {
  response: ResponseObject;
  /** The earlier responses' items and this request's input, in order (instructions are not carried over). */
  input: ResponsesInputItem[];
  signatures: AnswerSignatures;
  /**
   * Set when the conversation was too large to keep (its size and the limit, in bytes of JSON): the response is
   * kept for `GET`, but a follow-up cannot continue it by `previous_response_id`.
   */
  dropped?: { bytes: number; limit: number };
}

export function storedResponse(req: ResponsesRequest, result: ResponseResult): StoredResponse {
  return { response: result.response, input: inputItems(req.input), signatures: result.signatures };
}

export function serialiseStoredResponse(stored: StoredResponse): string {
  return JSON.stringify({ v: 1, ...stored });
}

/**
 * The record to keep, at most `limit` bytes of conversation: each stored response holds its whole conversation
 * (so a follow-up needs one read), which makes a long chain of `previous_response_id`s grow every record; past
 * the limit the conversation is dropped and only the response is kept.
 */
export function boundedStoredRecord(stored: StoredResponse, limit: number): string {
  const record = serialiseStoredResponse(stored);
  const bytes = Buffer.byteLength(record);
  if (bytes <= limit) return record;
  return serialiseStoredResponse({ response: stored.response, input: [], signatures: { calls: {} }, dropped: { bytes, limit } });
}

/** A stored record read back; `undefined` when it is not one Rotor wrote in this shape. */
export function parseStoredResponse(text: string): StoredResponse | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { v, response, input, signatures, dropped } = raw as Record<string, unknown>;
  if (v !== 1 || typeof response !== 'object' || response === null) return undefined;
  const items = inputItemsSchema.safeParse(input);
  if (!items.success) return undefined;
  const sigs = typeof signatures === 'object' && signatures !== null ? (signatures as AnswerSignatures) : { calls: {} };
  const out: StoredResponse = { response: response as ResponseObject, input: items.data, signatures: { calls: sigs.calls ?? {}, ...(sigs.text ? { text: sigs.text } : {}) } };
  const d = dropped as { bytes?: unknown; limit?: unknown } | undefined;
  if (typeof d === 'object' && d !== null && typeof d.bytes === 'number' && typeof d.limit === 'number') out.dropped = { bytes: d.bytes, limit: d.limit };
  return out;
}

/**
 * The conversation a follow-up continues: the stored input, then the response's output items as input items
 * (web search calls are left out), then — so the answer's signatures reach Gemini even when the client never saw
 * them — a reasoning item carrying them.
 */
export function conversationOf(stored: StoredResponse): ResponsesInputItem[] {
  const output = inputItemsSchema.safeParse(stored.response.output);
  const items = [...stored.input, ...(output.success ? output.data : [])];
  if (hasSignatures(stored.signatures)) items.push({ type: 'reasoning', summary: [], encrypted_content: encodeAnswerSignatures(stored.signatures) });
  return items;
}

/** The request with the earlier conversation in front of its own input. */
export function continueConversation(req: ResponsesRequest, earlier: readonly ResponsesInputItem[]): ResponsesRequest {
  return { ...req, input: [...earlier, ...inputItems(req.input)] };
}
