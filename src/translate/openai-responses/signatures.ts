/**
 * Gemini 3 thought signatures through Responses clients (docs/google-protocols.md#thought-signatures).
 * Clients that keep no server state (`store: false`, Codex sends the whole transcript every turn) ask for
 * `include: ["reasoning.encrypted_content"]` and replay reasoning items verbatim, but drop item ids. So the
 * signatures of one Gemini answer travel in its reasoning item's `encrypted_content`, in an envelope of
 * Rotor's: `rotor.v1.<base64url JSON>` with `c` (call id → signature of that function call) and `t` (the
 * signature Gemini put on a part that was not a call: the last part of an answer without calls). When the item
 * comes back, the converter puts each signature back on the part it came with. Any other `encrypted_content`
 * (e.g. a real OpenAI one, from a conversation that switched providers) is ignored.
 */

export const ENCRYPTED_PREFIX = 'rotor.v1.';

/** The signatures of one Gemini answer. */
export interface AnswerSignatures {
  /** call_id → the thought signature of that function call. */
  calls: Record<string, string>;
  /** The signature on the answer's last non-call part. */
  text?: string;
}

/** The signature of a call, own keys only (a call id such as "constructor" must not find Object's). */
export function callSignature(s: AnswerSignatures, callId: string): string | undefined {
  return Object.hasOwn(s.calls, callId) ? s.calls[callId] : undefined;
}

export function hasSignatures(s: AnswerSignatures): boolean {
  return s.text !== undefined || Object.keys(s.calls).length > 0;
}

export function encodeAnswerSignatures(s: AnswerSignatures): string {
  const body: { c?: Record<string, string>; t?: string } = {};
  if (Object.keys(s.calls).length > 0) body.c = s.calls;
  if (s.text !== undefined) body.t = s.text;
  return ENCRYPTED_PREFIX + Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

// Gemini's thought signatures are base64 (standard or URL-safe alphabet).
const BASE64 = /^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$/;

/**
 * The signatures in an `encrypted_content` Rotor wrote; `undefined` for anything else. Never throws. A value
 * that is not base64 cannot be Gemini's (the envelope was made up or altered): it is dropped, so it is never sent
 * as a thought signature, and the call is signed as if the item carried none.
 */
export function decodeAnswerSignatures(encrypted: string | null | undefined): AnswerSignatures | undefined {
  if (typeof encrypted !== 'string' || !encrypted.startsWith(ENCRYPTED_PREFIX)) return undefined;
  const payload = encrypted.slice(ENCRYPTED_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(payload)) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { c, t } = body as { c?: unknown; t?: unknown };
  const calls: Record<string, string> = {};
  if (typeof c === 'object' && c !== null) {
    for (const [id, sig] of Object.entries(c)) if (typeof sig === 'string' && BASE64.test(sig)) calls[id] = sig;
  }
  return typeof t === 'string' && BASE64.test(t) ? { calls, text: t } : { calls };
}
