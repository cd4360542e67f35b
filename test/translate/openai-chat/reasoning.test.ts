import { describe, expect, it } from 'vitest';
import { convertReasoningToThinkingConfig, thinkingFamily, type ReasoningEffort } from '../../../src/translate/openai-chat/reasoning.js';

const efforts: ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

function table(model: string) {
  return Object.fromEntries(efforts.map((effort) => [effort, convertReasoningToThinkingConfig({ model, effort })]));
}

describe('convertReasoningToThinkingConfig', () => {
  it('gives Gemini 2.5 Flash budgets, off for none', () => {
    expect(table('gemini-2.5-flash')).toStrictEqual({
      none: { thinkingBudget: 0, includeThoughts: false },
      minimal: { thinkingBudget: 128, includeThoughts: true },
      low: { thinkingBudget: 1024, includeThoughts: true },
      medium: { thinkingBudget: 8192, includeThoughts: true },
      high: { thinkingBudget: 24576, includeThoughts: true },
      xhigh: { thinkingBudget: 24576, includeThoughts: true },
    });
  });

  it('keeps Gemini 2.5 Pro thinking at its minimum for none (it cannot switch thinking off)', () => {
    expect(table('gemini-2.5-pro')).toStrictEqual({
      none: { thinkingBudget: 128, includeThoughts: false },
      minimal: { thinkingBudget: 128, includeThoughts: true },
      low: { thinkingBudget: 1024, includeThoughts: true },
      medium: { thinkingBudget: 8192, includeThoughts: true },
      high: { thinkingBudget: 24576, includeThoughts: true },
      xhigh: { thinkingBudget: 32768, includeThoughts: true },
    });
  });

  it('clamps to Flash-Lite range', () => {
    expect(table('gemini-2.5-flash-lite')['minimal']).toStrictEqual({ thinkingBudget: 512, includeThoughts: true });
    expect(table('gemini-2.5-flash-lite')['none']).toStrictEqual({ thinkingBudget: 0, includeThoughts: false });
  });

  it('gives Gemini 3 Pro the levels it has (low, high)', () => {
    expect(table('gemini-3-pro-preview')).toStrictEqual({
      none: { thinkingLevel: 'low', includeThoughts: false },
      minimal: { thinkingLevel: 'low', includeThoughts: true },
      low: { thinkingLevel: 'low', includeThoughts: true },
      medium: { thinkingLevel: 'high', includeThoughts: true },
      high: { thinkingLevel: 'high', includeThoughts: true },
      xhigh: { thinkingLevel: 'high', includeThoughts: true },
    });
    expect(table('gemini-3.1-pro-preview')['medium']).toStrictEqual({ thinkingLevel: 'high', includeThoughts: true });
  });

  it('gives Gemini 3 Flash all four levels', () => {
    expect(table('gemini-3-flash-preview')).toStrictEqual({
      none: { thinkingLevel: 'minimal', includeThoughts: false },
      minimal: { thinkingLevel: 'minimal', includeThoughts: true },
      low: { thinkingLevel: 'low', includeThoughts: true },
      medium: { thinkingLevel: 'medium', includeThoughts: true },
      high: { thinkingLevel: 'high', includeThoughts: true },
      xhigh: { thinkingLevel: 'high', includeThoughts: true },
    });
    expect(thinkingFamily('models/gemini-3.1-flash-lite')).toStrictEqual({ kind: 'level', levels: ['minimal', 'low', 'medium', 'high'] });
  });

  it('applies the -nothinking / -maxthinking suffixes when reasoning_effort is absent', () => {
    expect(convertReasoningToThinkingConfig({ model: 'gemini-2.5-pro', aliasThinking: 'max' })).toStrictEqual({ thinkingBudget: 32768, includeThoughts: true });
    expect(convertReasoningToThinkingConfig({ model: 'gemini-2.5-flash', aliasThinking: 'none' })).toStrictEqual({ thinkingBudget: 0, includeThoughts: false });
    expect(convertReasoningToThinkingConfig({ model: 'gemini-3-pro-preview', aliasThinking: 'max' })).toStrictEqual({ thinkingLevel: 'high', includeThoughts: true });
    expect(convertReasoningToThinkingConfig({ model: 'gemini-2.5-flash', aliasThinking: 'max', effort: 'low' })).toStrictEqual({ thinkingBudget: 1024, includeThoughts: true });
  });

  it("lets Google's passthrough win, and ignores an empty one", () => {
    expect(
      convertReasoningToThinkingConfig({ model: 'gemini-3-flash-preview', effort: 'high', passthrough: { thinking_level: 'LOW', include_thoughts: true } }),
    ).toStrictEqual({ thinkingLevel: 'low', includeThoughts: true });
    expect(convertReasoningToThinkingConfig({ model: 'gemini-2.5-flash', effort: 'low', passthrough: {} })).toStrictEqual({
      thinkingBudget: 1024,
      includeThoughts: true,
    });
  });

  it('sets nothing without a request, or for models without thinking controls', () => {
    expect(convertReasoningToThinkingConfig({ model: 'gemini-2.5-flash' })).toBeUndefined();
    expect(convertReasoningToThinkingConfig({ model: 'gemma-4-31b-it', effort: 'high' })).toBeUndefined();
    expect(convertReasoningToThinkingConfig({ model: 'gemini-2.0-flash', effort: 'low' })).toBeUndefined();
  });
});
