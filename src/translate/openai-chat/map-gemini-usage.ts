import type { GeminiUsageMetadata } from '../../types/gemini.js';
import type { OpenAIUsage } from './types.js';

/**
 * Gemini `usageMetadata` → OpenAI `usage` (docs/google-protocols.md#usage-mapping, LiteLLM convention):
 * completion tokens include thinking tokens, so prompt + completion = total, as with OpenAI reasoning models.
 * Missing counts are 0; the details objects appear only when Gemini reported the count.
 */
export function mapGeminiUsage(meta: GeminiUsageMetadata | undefined): OpenAIUsage {
  const prompt = meta?.promptTokenCount ?? 0;
  const thoughts = meta?.thoughtsTokenCount;
  const completion = (meta?.candidatesTokenCount ?? 0) + (thoughts ?? 0);
  const usage: OpenAIUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: meta?.totalTokenCount ?? prompt + completion,
  };
  const cached = meta?.cachedContentTokenCount;
  if (cached !== undefined) usage.prompt_tokens_details = { cached_tokens: cached };
  if (thoughts !== undefined) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  return usage;
}

/**
 * Whether a chunk's `usageMetadata` holds real counts. Code Assist streams send interim
 * `{ trafficType: "ON_DEMAND" }` objects that must not overwrite the counts remembered so far.
 */
export function hasGeminiUsageCounts(meta: GeminiUsageMetadata | undefined): meta is GeminiUsageMetadata {
  return (
    meta !== undefined &&
    (meta.promptTokenCount !== undefined ||
      meta.candidatesTokenCount !== undefined ||
      meta.totalTokenCount !== undefined)
  );
}
