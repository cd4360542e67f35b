/**
 * Building blocks every dialect's request translation shares: turns merged as Gemini wants them, and the
 * request assembled without empty objects or undefined keys (Google parses strictly).
 */
import { append } from '../util/append.js';
import type { GeminiContent, GeminiGenerationConfig, GeminiPart, GeminiRequest, GeminiTool, GeminiToolConfig } from '../types/gemini.js';

/** Adds `parts` as a turn of `role`, merged into the last turn when it has the same role (Gemini's turns alternate). */
export function pushTurn(contents: GeminiContent[], role: 'user' | 'model', parts: GeminiPart[]): void {
  if (parts.length === 0) return;
  const last = contents[contents.length - 1];
  if (last?.role === role) append(last.parts, parts);
  else contents.push({ role, parts });
}

/** The request from its translated pieces, with only the fields that have something in them. */
export function assembleRequest(
  translated: { contents: GeminiContent[]; systemInstruction?: GeminiContent | undefined },
  tools: { tools?: GeminiTool[] | undefined; toolConfig?: GeminiToolConfig | undefined },
  generationConfig: GeminiGenerationConfig | undefined,
): GeminiRequest {
  const request: GeminiRequest = { contents: translated.contents };
  if (translated.systemInstruction) request.systemInstruction = translated.systemInstruction;
  if (tools.tools) request.tools = tools.tools;
  if (tools.toolConfig) request.toolConfig = tools.toolConfig;
  if (generationConfig) request.generationConfig = generationConfig;
  return request;
}
