import type { GeminiFunctionCall } from '../../types/gemini.js';
import { encodeToolCallId } from './thought-signature.js';
import type { OpenAIResponseContext, OpenAIResponseToolCall } from './types.js';

/**
 * The tool-call id maker of one response (or one stream): the caller's idFactory, else
 * `call_<response id without "chatcmpl-">_<n>`, unique per response since the response id is.
 */
export function createToolCallIdSource(ctx: OpenAIResponseContext): () => string {
  if (ctx.idFactory) return ctx.idFactory;
  // Worked out on the first call: most responses have no tool call.
  let base: string | undefined;
  let n = 0;
  return () => `call_${(base ??= ctx.id.replace(/^chatcmpl-/, '').replace(/[^A-Za-z0-9]/g, ''))}_${n++}`;
}

/**
 * A Gemini `functionCall` part → an OpenAI tool call (docs/google-protocols.md#openai-stream-chunks): the
 * client's original function name (via `toolNames`), the arguments as one JSON string, and, when Gemini
 * signed the call, the signature both in the id (unless `signaturesInToolCallIds` is false) and in
 * `extra_content`.
 */
export function convertGeminiFunctionCall(
  call: GeminiFunctionCall,
  signature: string | undefined,
  ctx: OpenAIResponseContext,
  nextId: () => string,
): OpenAIResponseToolCall {
  const baseId = nextId();
  const signed = signature !== undefined && signature !== '';
  const id = signed && ctx.signaturesInToolCallIds !== false ? encodeToolCallId(baseId, signature) : baseId;
  const out: OpenAIResponseToolCall = {
    id,
    type: 'function',
    function: { name: ctx.toolNames?.get(call.name) ?? call.name, arguments: JSON.stringify(call.args ?? {}) },
  };
  if (signed) {
    out.extra_content = { google: { thought_signature: signature } };
    ctx.onSignature?.(id, signature);
  }
  return out;
}
