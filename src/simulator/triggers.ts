/**
 * What a reply is built from: the last user turn of a request, the bracketed markers in its text, and the
 * function calls it asks for. Everything here is a pure function of the request, so replies are exact.
 *   - each whole-word mention of a declared function name is one functionCall, in text order; its args are
 *     the first JSON object written after the name (several calls may share one), else {}. Mentions inside
 *     a JSON object do not count. mode ANY with no mention calls the first allowed function; NONE never calls.
 *   - markers: [blocked] [safety] [recitation] [malformed-call] [late-signature] (see README.md).
 */
import { isPlainObject } from './http-io.js';
import type { ProtoObject } from './proto-json.js';
import { contentsOf } from './request-checks.js';

export interface LastUser {
  text?: string;
  images: number;
  /** Only function responses (no text): the reply answers them instead of calling again. */
  isFunctionResponse: boolean;
}

export interface PlannedCall {
  name: string;
  args: ProtoObject;
}

export type Marker = 'blocked' | 'safety' | 'recitation' | 'malformed-call' | 'late-signature';

export function lastUser(request: ProtoObject): LastUser {
  const user = [...contentsOf(request)].reverse().find((c) => c.role === 'user');
  const parts = user?.parts ?? [];
  const texts = parts.filter((p) => typeof p['text'] === 'string' && p['thought'] !== true).map((p) => p['text'] as string);
  return {
    ...(texts.length > 0 ? { text: texts[texts.length - 1] } : {}),
    images: parts.filter((p) => p['inlineData'] !== undefined).length,
    // Tool results merged with new user text into one content still ask for a new answer to that text.
    isFunctionResponse: texts.length === 0 && parts.some((p) => p['functionResponse'] !== undefined),
  };
}

export function hasMarker(user: LastUser, marker: Marker): boolean {
  return user.text !== undefined && user.text.includes(`[${marker}]`);
}

function toolsOf(request: ProtoObject): ProtoObject[] {
  return Array.isArray(request['tools']) ? (request['tools'] as unknown[]).filter(isPlainObject) : [];
}

export function declaredFunctions(request: ProtoObject): string[] {
  return toolsOf(request).flatMap((t) =>
    Array.isArray(t['functionDeclarations']) ? (t['functionDeclarations'] as unknown[]).filter(isPlainObject).map((d) => String(d['name'])) : [],
  );
}

export function hasGoogleSearch(request: ProtoObject): boolean {
  return toolsOf(request).some((t) => t['googleSearch'] !== undefined || t['googleSearchRetrieval'] !== undefined);
}

const WORD = /[A-Za-z0-9_]/;
const NAME_CHAR = /[A-Za-z0-9_.:-]/;

/** `name` at `at` is a whole word: not inside a longer identifier (a trailing "." ending a sentence is fine). */
function isWholeWord(text: string, at: number, end: number): boolean {
  const before = text[at - 1];
  if (before !== undefined && NAME_CHAR.test(before)) return false;
  const after = text[end];
  if (after === undefined) return true;
  if (WORD.test(after)) return false;
  return !(/[.:-]/.test(after) && WORD.test(text[end + 1] ?? ''));
}

interface Mention {
  name: string;
  at: number;
  end: number;
}

function mentionsOf(text: string, names: string[]): Mention[] {
  const out: Mention[] = [];
  for (const name of new Set(names)) {
    if (name === '') continue;
    for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + name.length)) {
      if (isWholeWord(text, at, at + name.length)) out.push({ name, at, end: at + name.length });
    }
  }
  return out.sort((a, b) => a.at - b.at || b.end - a.end);
}

/** The end (exclusive) of the balanced JSON object starting at `start`, strings and escapes respected. */
function objectEnd(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return undefined;
}

interface JsonSpan {
  start: number;
  end: number;
  value: ProtoObject;
}

/** Failed "{" starts looked at before giving up: code-like prompts must not cost quadratic time. */
const MAX_FAILED_STARTS = 64;

/** The top-level JSON objects written in a text, in order (a "{" that starts none is skipped). */
function jsonObjects(text: string): JsonSpan[] {
  const spans: JsonSpan[] = [];
  let failures = 0;
  for (let start = text.indexOf('{'); start >= 0 && failures < MAX_FAILED_STARTS; ) {
    const end = objectEnd(text, start);
    let value: unknown;
    try {
      value = end === undefined ? undefined : JSON.parse(text.slice(start, end));
    } catch {
      value = undefined;
    }
    if (end !== undefined && isPlainObject(value)) {
      spans.push({ start, end, value });
      start = text.indexOf('{', end);
    } else {
      failures += 1;
      start = text.indexOf('{', start + 1);
    }
  }
  return spans;
}

export function chooseFunctionCalls(request: ProtoObject, user: LastUser): PlannedCall[] {
  if (user.isFunctionResponse) return [];
  let names = declaredFunctions(request);
  const toolConfig = isPlainObject(request['toolConfig']) ? request['toolConfig'] : {};
  const calling = isPlainObject(toolConfig['functionCallingConfig']) ? toolConfig['functionCallingConfig'] : {};
  const mode = typeof calling['mode'] === 'string' ? calling['mode'] : 'AUTO';
  if (mode === 'NONE' || names.length === 0) return [];
  const allowed = calling['allowedFunctionNames'];
  if (mode === 'ANY' && Array.isArray(allowed) && allowed.length > 0) names = names.filter((n) => allowed.includes(n));
  const text = user.text ?? '';
  const objects = jsonObjects(text);
  const argsAfter = (at: number): ProtoObject => structuredClone(objects.find((o) => o.start >= at)?.value ?? {});
  const calls: PlannedCall[] = mentionsOf(text, names)
    .filter((m) => !objects.some((o) => m.at >= o.start && m.at < o.end))
    .map((m) => ({ name: m.name, args: argsAfter(m.end) }));
  if (calls.length === 0 && mode === 'ANY' && names[0] !== undefined) calls.push({ name: names[0], args: argsAfter(0) });
  return calls;
}
