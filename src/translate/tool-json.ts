/**
 * The JSON on both sides of a function call, the same in every dialect: the client's arguments string → the
 * `functionCall.args` object, and a tool's text output → the `functionResponse.response` object.
 */
import { TranslationError } from './translation-error.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A call's `arguments` (a JSON object encoded as a string; empty means none) → Gemini's `args`. */
export function parseArguments(json: string, field: string): Record<string, unknown> {
  if (json.trim() === '') return {};
  const value = parseJson(json);
  if (!isPlainObject(value)) throw new TranslationError(field, 'must be a JSON object encoded as a string');
  return value;
}

/**
 * A tool's text output → `functionResponse.response`. Gemini wants an object: a JSON object is sent as that
 * object (the model sees its fields), anything else as `{output: text}`, "output" being the key Gemini's docs
 * name for a function's result.
 */
export function toolOutputObject(text: string): Record<string, unknown> {
  const parsed = text.trimStart().startsWith('{') ? parseJson(text) : undefined;
  return isPlainObject(parsed) ? parsed : { output: text };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
