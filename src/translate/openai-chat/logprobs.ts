import type { GeminiLogprobsCandidate, GeminiLogprobsResult } from '../../types/gemini.js';
import type { OpenAIChoiceLogprobs, OpenAITopLogprob } from './types.js';

const encoder = new TextEncoder();

/**
 * Gemini `logprobsResult` → OpenAI `choices[].logprobs`: one entry per chosen token, with its UTF-8 bytes
 * and the step's top candidates (`topCandidates` is aligned with `chosenCandidates` by step). `null` when
 * Gemini sent no token data, as OpenAI does when logprobs were not asked for.
 */
export function convertGeminiLogprobs(result: GeminiLogprobsResult | undefined): OpenAIChoiceLogprobs | null {
  const chosen = result?.chosenCandidates;
  if (!chosen || chosen.length === 0) return null;
  return {
    content: chosen.map((candidate, step) => ({
      ...token(candidate),
      top_logprobs: (result.topCandidates?.[step]?.candidates ?? []).map(token),
    })),
    refusal: null,
  };
}

function token(candidate: GeminiLogprobsCandidate): OpenAITopLogprob {
  const text = candidate.token ?? '';
  return { token: text, logprob: candidate.logProbability ?? 0, bytes: [...encoder.encode(text)] };
}
