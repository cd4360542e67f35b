import type { GeminiThinkingConfig } from '../../types/gemini.js';
import { TranslationError } from '../translation-error.js';

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

/** Google's `extra_body.google.thinking_config`, sent through as it is. */
export interface GoogleThinkingConfig {
  thinking_budget?: number | null;
  include_thoughts?: boolean | null;
  thinking_level?: string | null;
}

export interface ReasoningInput {
  /** The upstream model id (alias suffixes already removed). */
  model: string;
  effort?: ReasoningEffort | null;
  /** From a `-nothinking` / `-maxthinking` model suffix. */
  aliasThinking?: 'none' | 'max';
  /** Google's passthrough form; wins over everything else. */
  passthrough?: GoogleThinkingConfig | null;
  /** Where the passthrough came from, for error messages. */
  passthroughField?: string;
}

type Level = 'minimal' | 'low' | 'medium' | 'high';
const LEVEL_ORDER: readonly Level[] = ['minimal', 'low', 'medium', 'high'];

type Family =
  | { kind: 'budget'; min: number; max: number; canDisable: boolean }
  | { kind: 'level'; levels: readonly Level[] };

// Google's own OpenAI layer: low 1K, medium 8K, high 24K (ai.google.dev OpenAI compatibility).
const EFFORT_BUDGET = { low: 1024, medium: 8192, high: 24576 } as const;

/**
 * Budget ranges (docs/google-protocols.md#thinking-budgets-and-levels): 2.5 Pro 128–32768 and cannot switch
 * thinking off, 2.5 Flash 0–24576 (its smallest useful budget taken as 128, LiteLLM's choice), 2.5 Flash-Lite
 * 512–24576. Gemini 3 uses levels: Pro `low|high`, Flash `minimal|low|medium|high`. Other models: no thinking
 * config.
 */
export function thinkingFamily(model: string): Family | undefined {
  const id = model.toLowerCase().replace(/^models\//, '');
  if (id.startsWith('gemini-2.5-pro')) return { kind: 'budget', min: 128, max: 32768, canDisable: false };
  if (id.startsWith('gemini-2.5-flash-lite')) return { kind: 'budget', min: 512, max: 24576, canDisable: true };
  if (id.startsWith('gemini-2.5-flash')) return { kind: 'budget', min: 128, max: 24576, canDisable: true };
  if (/^gemini-(?:[3-9]|\d{2,})/.test(id)) {
    return id.includes('flash') ? { kind: 'level', levels: LEVEL_ORDER } : { kind: 'level', levels: ['low', 'high'] };
  }
  return undefined;
}

/**
 * OpenAI `reasoning_effort`, a model suffix or Google's passthrough → `generationConfig.thinkingConfig`
 * (docs/google-protocols.md#reasoning-effort). Precedence: passthrough, then reasoning_effort, then the
 * suffix; none of them → `undefined` (the model's default thinking). Thoughts are included unless thinking is
 * off ("none"), so clients get `reasoning_content`. On a model that cannot switch thinking off, "none" means
 * its minimum. Models without thinking controls (Gemma, 2.0) ignore reasoning_effort and the suffixes.
 */
export function convertReasoningToThinkingConfig(input: ReasoningInput): GeminiThinkingConfig | undefined {
  const field = input.passthroughField ?? 'extra_body.google.thinking_config';
  const passthrough = input.passthrough && passthroughConfig(input.passthrough, field);
  if (passthrough && Object.keys(passthrough).length > 0) return passthrough;
  const family = thinkingFamily(input.model);
  if (family === undefined) return undefined;
  const effort: ReasoningEffort | undefined =
    input.effort ?? (input.aliasThinking === 'none' ? 'none' : input.aliasThinking === 'max' ? 'xhigh' : undefined);
  if (effort === undefined) return undefined;
  const includeThoughts = effort !== 'none';
  if (family.kind === 'budget') return { thinkingBudget: budgetFor(effort, family), includeThoughts };
  return { thinkingLevel: levelFor(effort, family.levels), includeThoughts };
}

function budgetFor(effort: ReasoningEffort, family: Extract<Family, { kind: 'budget' }>): number {
  switch (effort) {
    case 'none':
      return family.canDisable ? 0 : family.min;
    case 'minimal':
      return family.min;
    case 'xhigh':
      return family.max;
    default:
      return Math.min(family.max, Math.max(family.min, EFFORT_BUDGET[effort]));
  }
}

/** The wanted level, or the next higher one the model has, or its highest. */
function levelFor(effort: ReasoningEffort, levels: readonly Level[]): Level {
  const wanted: Level = effort === 'none' || effort === 'minimal' ? 'minimal' : effort === 'xhigh' ? 'high' : effort;
  const from = LEVEL_ORDER.indexOf(wanted);
  return LEVEL_ORDER.slice(from).find((l) => levels.includes(l)) ?? levels[levels.length - 1] ?? 'high';
}

function passthroughConfig(config: GoogleThinkingConfig, field: string): GeminiThinkingConfig {
  if (config.thinking_budget != null && config.thinking_level != null) {
    // Gemini rejects both together (docs/google-protocols.md#thinking-configuration).
    throw new TranslationError(field, 'set thinking_budget or thinking_level, not both');
  }
  const out: GeminiThinkingConfig = {};
  if (config.thinking_budget != null) out.thinkingBudget = config.thinking_budget;
  if (config.thinking_level != null) out.thinkingLevel = config.thinking_level.toLowerCase();
  if (config.include_thoughts != null) out.includeThoughts = config.include_thoughts;
  return out;
}
