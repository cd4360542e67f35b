import { normaliseModelId } from '../parse-body.js';

/** One MODEL_ALIASES rule: a client model name pattern (`*` matches any run of characters) → a Gemini model. */
export interface ModelAliasRule {
  pattern: string;
  model: string;
}

/**
 * The Gemini model a client's model name stands for. MODEL_ALIASES rules are tried first, in order (case
 * does not matter, `*` is a wildcard, the whole name must match). Then Claude names get defaults by family,
 * with or without a date or version (`claude-sonnet-4-5-20250929`, `claude-3-5-haiku-latest`): haiku → the
 * flash model served, every other `claude-*` (opus, sonnet, newer families) → the pro model served. Any
 * other name (Gemini's own) passes through, without a `models/` prefix.
 */
export function resolveModel(requested: string, rules: readonly ModelAliasRule[], served: readonly string[]): string {
  const name = normaliseModelId(requested.trim());
  for (const rule of rules) if (globMatches(rule.pattern, name)) return rule.model;
  if (!/^claude-/i.test(name)) return name;
  return /haiku/i.test(name) ? defaultFlash(served) : defaultPro(served);
}

/** `gemini-2.5-pro` when served, else the first served Pro model, else `gemini-2.5-pro` all the same. */
export function defaultPro(served: readonly string[]): string {
  if (served.includes('gemini-2.5-pro')) return 'gemini-2.5-pro';
  return served.find((m) => /-pro\b/.test(m)) ?? 'gemini-2.5-pro';
}

/** `gemini-2.5-flash` when served, else the first served Flash model (not Flash-Lite if another is), else `gemini-2.5-flash`. */
export function defaultFlash(served: readonly string[]): string {
  if (served.includes('gemini-2.5-flash')) return 'gemini-2.5-flash';
  return served.find((m) => /flash/.test(m) && !/lite/.test(m)) ?? served.find((m) => /flash/.test(m)) ?? 'gemini-2.5-flash';
}

const compiled = new Map<string, RegExp>();

function globMatches(pattern: string, name: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    const source = pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${source}$`, 'i');
    compiled.set(pattern, re);
  }
  return re.test(name);
}
