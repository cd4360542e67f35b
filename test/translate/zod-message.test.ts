import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatFieldPath, formatZodIssues, unionTypeError } from '../../src/translate/zod-message.js';

function messageFor(schema: z.ZodType, input: unknown): string {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('expected a failure');
  return formatZodIssues(result.error);
}

describe('formatFieldPath', () => {
  it('joins keys with dots and indices with brackets', () => {
    expect(formatFieldPath(['messages', 0, 'content', 2, 'image_url', 'url'])).toBe('messages[0].content[2].image_url.url');
  });
  it('quotes keys that are not identifiers and names the empty path', () => {
    expect(formatFieldPath(['metadata', 'my key'])).toBe('metadata["my key"]');
    expect(formatFieldPath([])).toBe('request body');
  });
});

describe('formatZodIssues', () => {
  const schema = z.object({
    name: z.string().min(2).max(4),
    count: z.number().int().min(1).max(10),
    tags: z.array(z.string()).min(1).max(2),
    mode: z.enum(['a', 'b']),
    kind: z.literal('k'),
    value: z.union([z.string(), z.array(z.number())], { error: unionTypeError('string or array of numbers') }),
    plain: z.union([z.string(), z.number()]).optional(),
  });

  it('writes one line naming every bad field', () => {
    expect(
      messageFor(schema, { name: 'x', count: 2.5, tags: [], mode: 'c', kind: 'j', value: true, plain: false }),
    ).toBe(
      'name: must be at least 2 characters long; count: must be an integer; tags: must have at least 1 item; ' +
        'mode: must be one of "a", "b"; kind: must be "k"; value: expected string or array of numbers, got boolean; ' +
        'plain: expected string or number, got boolean',
    );
  });

  it('reports bounds, missing fields and nested union failures', () => {
    expect(messageFor(schema, { name: 'xxxxx', count: 11, tags: ['a', 'b', 'c'], kind: 'k', value: [1, 'two'] })).toBe(
      'name: must be at most 4 characters long; count: must be <= 10; tags: must have at most 2 items; ' +
        'mode: must be one of "a", "b"; value[1]: expected number, got string',
    );
  });

  it('describes exclusive bounds and unknown keys', () => {
    expect(messageFor(z.number().positive(), 0)).toBe('request body: must be > 0');
    expect(messageFor(z.strictObject({ a: z.string() }), { a: 'x', b: 1, c: 2 })).toBe('request body: unknown fields b, c');
  });

  it('keeps messages a schema wrote itself', () => {
    expect(messageFor(z.object({ a: z.string({ error: 'must be the model id' }) }), { a: 1 })).toBe('a: must be the model id');
  });
});
