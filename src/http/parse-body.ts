import type { z } from 'zod';
import { formatFieldPath, formatZodIssues } from '../translate/zod-message.js';
import { ApiError } from './errors.js';

/**
 * Validates a parsed JSON body against a route's zod schema; a non-object or a bad field is a 400 that names
 * the field. `shape` finishes the sentence "request body must be a JSON object …".
 */
export function parseJsonObject<T>(schema: z.ZodType<T>, body: unknown, shape: string): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, `request body must be a JSON object ${shape}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ApiError(400, `invalid request: ${formatZodIssues(parsed.error)}`, first ? formatFieldPath(first.path) : undefined);
  }
  return parsed.data;
}
