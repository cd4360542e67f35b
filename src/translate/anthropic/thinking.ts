import type { GeminiThinkingConfig } from '../../types/gemini.js';
import { convertReasoningToThinkingConfig, thinkingFamily, type ReasoningEffort } from '../openai-chat/reasoning.js';
import type { AnthropicEffort, AnthropicThinking } from './request-schema.js';

/**
 * Anthropic's `thinking` (and `output_config.effort`) → `generationConfig.thinkingConfig` per model family
 * (docs/google-protocols.md#thinking-budgets-and-levels, reasoning.ts):
 * - `enabled` + `budget_tokens`: on 2.5 models that budget, clamped to the model's range; on Gemini 3 the
 *   level whose budget it is nearest (≤1024 low, ≤8192 medium, more high; rounded up to a level the model has);
 * - `adaptive` (and any newer type such as `between_tools`): the effort's level or budget when one is given,
 *   else the model's own dynamic thinking (budget -1 on 2.5 models, the default level on Gemini 3);
 * - `disabled`: no thinking, or the least the model allows;
 * - absent: the effort alone, if given, without thought text; else nothing (the model's default).
 * Thought text is asked for (`includeThoughts`) whenever thinking is on, unless `display: "omitted"`.
 * Models without thinking controls get none.
 */
export function convertThinking(model: string, thinking: AnthropicThinking | null | undefined, effort: AnthropicEffort | null | undefined): GeminiThinkingConfig | undefined {
  const family = thinkingFamily(model);
  if (family === undefined) return undefined;
  const wanted = effort == null ? undefined : toEffort(effort);
  if (thinking == null) {
    if (wanted === undefined) return undefined;
    const config = convertReasoningToThinkingConfig({ model, effort: wanted });
    return config && { ...config, includeThoughts: false };
  }
  if (thinking.type === 'disabled') return convertReasoningToThinkingConfig({ model, effort: 'none' });
  const includeThoughts = thinking.display !== 'omitted';
  if (thinking.type === 'enabled' && thinking.budget_tokens != null) {
    if (family.kind === 'budget') {
      return { thinkingBudget: Math.min(family.max, Math.max(family.min, thinking.budget_tokens)), includeThoughts };
    }
    const config = convertReasoningToThinkingConfig({ model, effort: effortOfBudget(thinking.budget_tokens) });
    return config && { ...config, includeThoughts };
  }
  if (wanted !== undefined) {
    const config = convertReasoningToThinkingConfig({ model, effort: wanted });
    return config && { ...config, includeThoughts };
  }
  return family.kind === 'budget' ? { thinkingBudget: -1, includeThoughts } : { includeThoughts };
}

function toEffort(effort: AnthropicEffort): ReasoningEffort {
  return effort === 'max' ? 'xhigh' : effort;
}

/** The effort whose budget (Google's OpenAI layer: 1024 / 8192 / 24576) a token budget is closest to. */
function effortOfBudget(budget: number): ReasoningEffort {
  if (budget <= 1024) return 'low';
  if (budget <= 8192) return 'medium';
  return 'high';
}
