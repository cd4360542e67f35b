import { describe, expect, it } from 'vitest';
import { hasGeminiUsageCounts, mapGeminiUsage } from '../../../src/translate/openai-chat/map-gemini-usage.js';

describe('mapGeminiUsage', () => {
  it('counts thinking tokens as completion tokens and reports the details', () => {
    expect(
      mapGeminiUsage({
        promptTokenCount: 100,
        candidatesTokenCount: 20,
        thoughtsTokenCount: 30,
        cachedContentTokenCount: 64,
        totalTokenCount: 150,
        trafficType: 'ON_DEMAND',
      }),
    ).toStrictEqual({
      prompt_tokens: 100,
      completion_tokens: 50,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 64 },
      completion_tokens_details: { reasoning_tokens: 30 },
    });
  });

  it('keeps the upstream total even when it includes tool-use prompt tokens', () => {
    expect(mapGeminiUsage({ promptTokenCount: 5, candidatesTokenCount: 5, toolUsePromptTokenCount: 3, totalTokenCount: 13 })).toStrictEqual({
      prompt_tokens: 5,
      completion_tokens: 5,
      total_tokens: 13,
    });
  });

  it('treats missing counts as 0 and sums a missing total', () => {
    expect(mapGeminiUsage({ promptTokenCount: 7, thoughtsTokenCount: 0 })).toStrictEqual({
      prompt_tokens: 7,
      completion_tokens: 0,
      total_tokens: 7,
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(mapGeminiUsage({ candidatesTokenCount: 4 })).toStrictEqual({ prompt_tokens: 0, completion_tokens: 4, total_tokens: 4 });
    expect(mapGeminiUsage(undefined)).toStrictEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });
});

describe('hasGeminiUsageCounts', () => {
  it('ignores interim metadata that only names the traffic type', () => {
    expect(hasGeminiUsageCounts({ trafficType: 'ON_DEMAND' })).toBe(false);
    expect(hasGeminiUsageCounts(undefined)).toBe(false);
    expect(hasGeminiUsageCounts({ promptTokenCount: 0 })).toBe(true);
    expect(hasGeminiUsageCounts({ totalTokenCount: 3 })).toBe(true);
  });
});
