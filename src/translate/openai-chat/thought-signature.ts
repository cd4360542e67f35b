/**
 * Gemini 3 thought signatures across OpenAI clients
 * (docs/google-protocols.md#signatures-through-openai-clients). A signature Gemini sends with a function call
 * must come back on that call in the next request, but OpenAI clients only keep a tool call's `id`, `type`
 * and `function`. Rotor therefore carries it three ways, tried in this order:
 * 1. inside the tool-call id: `<base id>__thought__<tag><base64url>`, with only `[A-Za-z0-9_-]`, so any
 *    client keeps it. Tag `b`: the signature was canonical base64, carried as its bytes (shortest);
 *    tag `t`: carried as its UTF-8 text. Either way the exact original string comes back;
 * 2. `tool_calls[].extra_content.google.thought_signature`, the field of Google's own OpenAI layer;
 * 3. a server-side cache keyed by the tool-call id (extractThoughtSignatures feeds it, the request
 *    converter's `lookupSignature` reads it);
 * and, failing all, Google's documented bypass value.
 */

/** Google's documented placeholder for a function call whose real signature is unknown. */
export const BYPASS_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

export const THOUGHT_SIGNATURE_SEPARATOR = '__thought__';

/** The base id with the signature appended; a base id must not itself contain the separator. */
export function encodeToolCallId(baseId: string, signature: string): string {
  const bytes = Buffer.from(signature, 'base64');
  const canonical = signature !== '' && bytes.toString('base64') === signature;
  const payload = canonical ? `b${bytes.toString('base64url')}` : `t${Buffer.from(signature, 'utf8').toString('base64url')}`;
  return `${baseId}${THOUGHT_SIGNATURE_SEPARATOR}${payload}`;
}

/** The signature carried by an id made by encodeToolCallId; `undefined` for any other id. */
export function decodeToolCallIdSignature(id: string): string | undefined {
  const at = id.indexOf(THOUGHT_SIGNATURE_SEPARATOR);
  if (at < 0) return undefined;
  const payload = id.slice(at + THOUGHT_SIGNATURE_SEPARATOR.length);
  const data = payload.slice(1);
  if (data === '' || !/^[A-Za-z0-9_-]+$/.test(data)) return undefined;
  const bytes = Buffer.from(data, 'base64url');
  if (payload.startsWith('b')) return bytes.toString('base64');
  if (payload.startsWith('t')) return bytes.toString('utf8');
  return undefined;
}

/** A signature and the tool-call id it belongs to, for a server-side cache. */
export interface ThoughtSignatureEntry {
  callId: string;
  signature: string;
}

interface ToolCallLike {
  id?: string;
  extra_content?: { google?: { thought_signature?: string } };
}

/**
 * Every (tool-call id, signature) pair in a translated response or stream chunk, read from the tool
 * calls' `extra_content`. Call it on each output the HTTP layer sends and store the pairs (e.g. an LRU
 * keyed by call id); pass the store's `get` as `lookupSignature` when translating later requests.
 */
export function extractThoughtSignatures(output: {
  choices: ReadonlyArray<{ message?: { tool_calls?: readonly ToolCallLike[] }; delta?: { tool_calls?: readonly ToolCallLike[] } }>;
}): ThoughtSignatureEntry[] {
  const entries: ThoughtSignatureEntry[] = [];
  for (const choice of output.choices) {
    for (const call of choice.message?.tool_calls ?? choice.delta?.tool_calls ?? []) {
      const signature = call.extra_content?.google?.thought_signature;
      if (call.id !== undefined && signature !== undefined) entries.push({ callId: call.id, signature });
    }
  }
  return entries;
}
