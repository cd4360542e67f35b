import { describe, expect, it } from 'vitest';
import { mapGeminiFinishReason } from '../../../src/translate/openai-chat/map-gemini-finish-reason.js';

describe('mapGeminiFinishReason', () => {
  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['IMAGE_SAFETY', 'content_filter'],
    ['LANGUAGE', 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', 'stop'],
    ['OTHER', 'stop'],
    ['FINISH_REASON_UNSPECIFIED', 'stop'],
    ['SOMETHING_NEW', 'stop'],
    [undefined, 'stop'],
  ])('maps %s to %s', (reason, expected) => {
    expect(mapGeminiFinishReason(reason, false)).toBe(expected);
  });

  it.each(['STOP', 'MAX_TOKENS', 'SAFETY', undefined])('reports tool_calls whenever tool calls were emitted (%s)', (reason) => {
    expect(mapGeminiFinishReason(reason, true)).toBe('tool_calls');
  });
});
