import type { GeminiFinishReason } from '../../types/gemini.js';
import type { OpenAIFinishReason } from './types.js';

/**
 * Gemini `finishReason` → OpenAI `finish_reason` (docs/google-protocols.md#finish-reason-mapping). Total:
 * unknown or absent reasons become `stop`. A response that carries tool calls always ends with `tool_calls`,
 * because Gemini reports STOP there and OpenAI clients only run tools on `tool_calls`.
 */
export function mapGeminiFinishReason(
  reason: GeminiFinishReason | undefined,
  hasToolCalls: boolean,
): OpenAIFinishReason {
  if (hasToolCalls) return 'tool_calls';
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
    case 'LANGUAGE':
      return 'content_filter';
    case 'STOP':
    case 'MALFORMED_FUNCTION_CALL':
    case 'OTHER':
    case 'FINISH_REASON_UNSPECIFIED':
    default:
      return 'stop';
  }
}
