import type { z } from 'zod';
import { TranslationError } from './translation-error.js';
import { formatFieldPath, formatZodIssues } from './zod-message.js';

/**
 * Validates a parsed JSON body against a dialect's zod schema; a non-object or a bad field is a TranslationError
 * (a 400) that names the field. `shape` finishes the sentence "request body must be a JSON object …".
 */
export function parseJsonObject<T>(schema: z.ZodType<T>, body: unknown, shape: string): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new TranslationError('', `request body must be a JSON object ${shape}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new TranslationError(first ? formatFieldPath(first.path) : '', `invalid request: ${formatZodIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** Accepts `gemini-2.5-flash` and `models/gemini-2.5-flash`. */
export function normaliseModelId(model: string): string {
  return model.startsWith('models/') ? model.slice('models/'.length) : model;
}
