import type { z } from 'zod';

/**
 * Turns zod issues into one human line that names every bad field, e.g.
 * `messages[0].content: expected string or array of content parts, got number; temperature: must be <= 2`.
 * Works on zod's default issues; a schema can sharpen a union's wording with `unionTypeError(label)`.
 */
export function formatZodIssues(error: z.ZodError): string {
  const lines = error.issues.flatMap((issue) => describeIssue(issue, []));
  return [...new Set(lines)].join('; ');
}

/** `['messages', 0, 'content']` → `messages[0].content`; the empty path is the body itself. */
export function formatFieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === '' ? 'request body' : out;
}

/**
 * An `error` option for `z.union` that names the accepted shapes in words ("string or array of content
 * parts") when the value matched none of them by type. Deeper failures keep zod's per-branch issues.
 */
export function unionTypeError(label: string): (issue: { code?: string; input?: unknown; errors?: unknown }) => string | undefined {
  return (issue) => {
    if (issue.code !== 'invalid_union' || !Array.isArray(issue.errors)) return undefined;
    const branches = issue.errors as ZodIssue[][];
    if (!branches.every(isShallowTypeMismatch)) return undefined;
    const got = typeof issue.input === 'string' ? JSON.stringify(issue.input.slice(0, 40)) : describeValue(issue.input);
    return `expected ${label}, got ${got}`;
  };
}

type ZodIssue = z.core.$ZodIssue;

// zod's own English messages all start this way; anything else was written by a schema and is kept.
const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too (big|small)|Unrecognized)\b/;

function describeIssue(issue: ZodIssue, prefix: ReadonlyArray<PropertyKey>): string[] {
  const path = [...prefix, ...issue.path];
  const at = formatFieldPath(path);
  const custom = !ZOD_DEFAULT_MESSAGE.test(issue.message);
  switch (issue.code) {
    case 'invalid_union': {
      if (custom) return [`${at}: ${issue.message}`];
      if (issue.discriminator !== undefined && 'options' in issue && issue.options) {
        return [`${at}: must be one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`];
      }
      const deep = issue.errors.filter((branch) => !isShallowTypeMismatch(branch));
      const chosen = deep[0];
      if (chosen) return chosen.flatMap((inner) => describeIssue(inner, path));
      const expected = [...new Set(issue.errors.flat().map((i) => (i.code === 'invalid_type' ? typeName(i.expected) : 'value')))];
      return [`${at}: expected ${joinOr(expected)}, got ${receivedOf(issue)}`];
    }
    case 'invalid_type': {
      if (custom) return [`${at}: ${issue.message}`];
      const received = receivedOf(issue);
      if (received === 'undefined') return [`${at}: is required`];
      if (issue.expected === 'int' && received === 'number') return [`${at}: must be an integer`];
      return [`${at}: expected ${typeName(issue.expected)}, got ${received}`];
    }
    case 'too_big':
      return [`${at}: ${custom ? issue.message : boundText('at most', '<', issue.origin, issue.maximum, issue.inclusive)}`];
    case 'too_small':
      return [`${at}: ${custom ? issue.message : boundText('at least', '>', issue.origin, issue.minimum, issue.inclusive)}`];
    case 'invalid_value':
      if (custom) return [`${at}: ${issue.message}`];
      return [`${at}: must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}`];
    case 'unrecognized_keys':
      return [`${at}: unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}`];
    default:
      return [`${at}: ${issue.message}`];
  }
}

function boundText(words: string, sign: '<' | '>', origin: string, bound: number | bigint, inclusive?: boolean): string {
  const n = Number(bound);
  if (origin === 'array' || origin === 'set') {
    const count = inclusive === false ? (sign === '<' ? n - 1 : n + 1) : n;
    return `must have ${words} ${count} item${count === 1 ? '' : 's'}`;
  }
  if (origin === 'string') return `must be ${words} ${n} character${n === 1 ? '' : 's'} long`;
  return `must be ${sign}${inclusive === false ? '' : '='} ${n}`;
}

function isShallowTypeMismatch(branch: ZodIssue[]): boolean {
  return branch.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'));
}

function receivedOf(issue: ZodIssue): string {
  if ('input' in issue) return describeValue(issue.input);
  const nested = issue.code === 'invalid_union' ? issue.errors.flat()[0] : undefined;
  const match = /received (\w+)/.exec(nested?.message ?? issue.message);
  return match?.[1] ?? 'an invalid value';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function typeName(expected: string): string {
  return expected === 'int' ? 'integer' : expected;
}

function joinOr(words: string[]): string {
  if (words.length <= 1) return words[0] ?? 'value';
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}
