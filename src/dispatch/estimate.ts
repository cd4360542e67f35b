/**
 * A request's input tokens, estimated before it goes out, for the tokens-per-minute window (corrected from
 * usageMetadata once Google answers). Text at about four characters a token; an inline image, audio or file at
 * Google's flat 258 tokens; tool calls and schemas by their JSON size. Cheap and conservative, not exact.
 */
import type { GeminiContent, GeminiRequest } from '../types/gemini.js';

const MEDIA_TOKENS = 258;

function contentTokens(c: GeminiContent | undefined): number {
  let chars = 0;
  let media = 0;
  for (const p of c?.parts ?? []) {
    if (typeof p.text === 'string') chars += p.text.length;
    else if (p.inlineData || p.fileData) media++;
    else if (p.functionCall) chars += JSON.stringify(p.functionCall.args ?? {}).length + p.functionCall.name.length;
    else if (p.functionResponse) chars += JSON.stringify(p.functionResponse.response ?? {}).length;
  }
  return Math.ceil(chars / 4) + media * MEDIA_TOKENS;
}

export function estimateInputTokens(request: GeminiRequest): number {
  let total = contentTokens(request.systemInstruction);
  for (const c of request.contents ?? []) total += contentTokens(c);
  if (request.tools) total += Math.ceil(JSON.stringify(request.tools).length / 4);
  return Math.max(1, total);
}
