/**
 * Random mutations of the valid bodies in bodies.ts: wrong types at every level, nulls, deletions, unknown
 * fields, huge strings and arrays, deep nesting, odd numbers and escapes, malformed JSON, invalid UTF-8.
 * Each says what a correct answer is, decided per mutation from what the route accepts by design.
 */
import type { Rng } from './prng.js';
import { allPaths, getAt, keysOf, pattern, setAt, typeOf, under, ALL_TEMPLATES, type BodyRoute, type Json, type Path, type Template } from './bodies.js';
import { ALL, dialectOfRoute, FAIL, jsonRequest, namesAny, NOT_OBJECT, PASS, type CaseContext, type Expectation, type FuzzCase } from './cases.js';

const REPLACEMENTS: Array<[Json, string]> = [
  [42, 'number'],
  [-1.5, 'number'],
  ['x', 'string'],
  ['', 'string'],
  [true, 'boolean'],
  [false, 'boolean'],
  [{}, 'object'],
  [{ zz: 1 }, 'object'],
  [[], 'array'],
  [[1, 'two'], 'array'],
];

interface Target {
  template: Template;
  route: BodyRoute;
}

function pickTarget(rng: Rng): Target {
  const template = rng.pick(ALL_TEMPLATES);
  return { template, route: rng.pick(template.routes) };
}

/** Paths whose node may hold anything: free-form trees, and (countTokens) what is never forwarded. */
function unconstrained(t: Template, path: Path): boolean {
  if (under(path, t.freeForm)) return true;
  if (t.forwardedOnly && path.length > 0) {
    const p = pattern(path);
    const forwarded = t.forwardedOnly.some((f) => p === f || p.startsWith(f + '.') || f.startsWith(p + '.'));
    if (!forwarded) return true;
  }
  return false;
}

/** Paths the dialect never reads: whatever is there, the request is served. */
function ignoredPath(t: Template, path: Path): boolean {
  return path.length > 0 && under(path, t.ignored ?? []);
}

/**
 * Routes whose dialect ignores unknown fields by design (OpenAI chat, Anthropic, Responses); /v1beta forwards
 * them to Google, which rejects them by name.
 */
const IGNORES_UNKNOWN: ReadonlySet<BodyRoute> = new Set(['chat', 'messages', 'count-messages', 'responses']);

/** The message must name the field, one of its parents, or (at the root) say the body must be an object. */
function mentionFor(path: Path): RegExp {
  const keys = keysOf(path);
  return keys.length === 0 ? NOT_OBJECT : namesAny(keys);
}

type Mutator = (rng: Rng, t: Target, ctx: CaseContext) => FuzzCase | undefined;

function mutationCase(kind: string, note: string, t: Target, body: Json | undefined, ctx: CaseContext, expect: Expectation): FuzzCase {
  const text = body === undefined ? '' : JSON.stringify(body);
  return { kind, note: `${t.template.name} ${t.route} ${note}`, dialect: dialectOfRoute(t.route), request: jsonRequest(t.route, text, ctx), expect };
}

const wrongType: Mutator = (rng, t, ctx) => {
  const body = t.template.body;
  const path = rng.pick(allPaths(body));
  const oldType = typeOf(getAt(body, path));
  const options = REPLACEMENTS.filter(([, type]) => type !== oldType);
  const [value, newType] = rng.pick(options);
  const mutated = setAt(body, path, value);
  const note = `${JSON.stringify(path)} ${oldType} -> ${JSON.stringify(value)}`;
  if (path.length === 0) return mutationCase('type', note, t, mutated, ctx, FAIL(NOT_OBJECT, [400]));
  if (ignoredPath(t.template, path)) return mutationCase('type', `${note} (ignored field)`, t, mutated, ctx, PASS());
  const lenient =
    unconstrained(t.template, path) ||
    (t.template.polymorphic[pattern(path)] ?? []).includes(newType as never);
  return mutationCase('type', note, t, mutated, ctx, lenient ? ALL() : FAIL(mentionFor(path), [400]));
};

const setNull: Mutator = (rng, t, ctx) => {
  const path = rng.pick(allPaths(t.template.body));
  const mutated = setAt(t.template.body, path, null);
  return mutationCase('null', JSON.stringify(path), t, mutated, ctx, path.length === 0 ? FAIL(NOT_OBJECT, [400]) : ALL());
};

const remove: Mutator = (rng, t, ctx) => {
  const paths = allPaths(t.template.body).filter((p) => p.length > 0);
  const path = rng.pick(paths);
  return mutationCase('delete', JSON.stringify(path), t, setAt(t.template.body, path, undefined), ctx, ALL());
};

const unknownField: Mutator = (rng, t, ctx) => {
  const body = t.template.body;
  const objects = allPaths(body).filter((p) => typeOf(getAt(body, p)) === 'object');
  const path = rng.pick(objects);
  const name = `zzUnknown${rng.int(1000)}`;
  const mutated = setAt(body, [...path, name], 'x');
  const note = `${JSON.stringify([...path, name])}`;
  const inMap = /(^|\.)(properties|metadata)$/.test(pattern(path));
  if (unconstrained(t.template, [...path, name]) || inMap) return mutationCase('unknown', note, t, mutated, ctx, ALL());
  // By design: /v1 ignores unknown fields; /v1beta forwards them to Google, which rejects them by name.
  return mutationCase('unknown', note, t, mutated, ctx, IGNORES_UNKNOWN.has(t.route) ? PASS() : FAIL(new RegExp(name), [400]));
};

const hugeString: Mutator = (rng, t, ctx) => {
  const body = t.template.body;
  const strings = allPaths(body).filter((p) => typeOf(getAt(body, p)) === 'string');
  const path = rng.pick(strings);
  const size = rng.between(8_000, Math.floor(ctx.limit * 0.8));
  const filler = rng.pick(['x', 'é', '\u{1F600}', '\\', '"', '\n', '\u0000']);
  const value = filler.repeat(Math.ceil(size / Math.max(1, Buffer.byteLength(JSON.stringify(filler)) - 2)));
  const mutated = setAt(body, path, value.slice(0, size));
  if (Buffer.byteLength(JSON.stringify(mutated)) > ctx.limit) return undefined;
  return mutationCase('huge-string', `${JSON.stringify(path)} ${size} x ${JSON.stringify(filler)}`, t, mutated, ctx, ALL());
};

const hugeArray: Mutator = (rng, t, ctx) => {
  const body = t.template.body;
  const arrays = allPaths(body).filter((p) => typeOf(getAt(body, p)) === 'array' && (getAt(body, p) as Json[]).length > 0);
  if (arrays.length === 0) return undefined;
  const path = rng.pick(arrays);
  const item = (getAt(body, path) as Json[])[0]!;
  const each = Buffer.byteLength(JSON.stringify(item)) + 1;
  const n = Math.max(2, Math.min(rng.between(100, 5000), Math.floor((ctx.limit * 0.7) / each)));
  const mutated = setAt(body, path, Array.from({ length: n }, () => item));
  return mutationCase('huge-array', `${JSON.stringify(path)} x${n}`, t, mutated, ctx, ALL());
};

/** 10,000 levels of arrays, as text (JSON.stringify would recurse as deep). */
function deepArrayText(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

const deepNesting: Mutator = (rng, t, ctx) => {
  const body = t.template.body;
  const path = rng.pick(allPaths(body));
  const objects = rng.chance(0.3);
  const depth = objects ? rng.between(1_000, 5_000) : rng.between(2_000, 10_000);
  const marker = '"@@DEEP@@"';
  const text = JSON.stringify(setAt(body, path, '@@DEEP@@'));
  const deep = objects ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : deepArrayText(depth);
  const final = text.replace(marker, deep);
  if (Buffer.byteLength(final) > ctx.limit) return undefined;
  const note = `${JSON.stringify(path)} ${objects ? 'objects' : 'arrays'} x${depth}`;
  // Deeper than any request needs, even in free-form fields: rejected, naming where (or, at the root, why).
  const expect = FAIL(path.length === 0 ? /nested too deeply/ : mentionFor(path), [400]);
  return { kind: 'deep', note: `${t.template.name} ${t.route} ${note}`, dialect: dialectOfRoute(t.route), request: jsonRequest(t.route, final, ctx), expect };
};

const oddNumber: Mutator = (rng, t, ctx) => {
  const body = t.template.body;
  const numbers = allPaths(body).filter((p) => typeOf(getAt(body, p)) === 'number');
  if (numbers.length === 0) return undefined;
  const path = rng.pick(numbers);
  const literal = rng.pick(['1e309', '-1e309', '-0', '1e-400', '123456789012345678901234567890', '0.1e1', '-2147483649', '9007199254740993']);
  const text = JSON.stringify(setAt(body, path, '@@NUM@@')).replace('"@@NUM@@"', literal);
  return { kind: 'number', note: `${t.template.name} ${t.route} ${JSON.stringify(path)} = ${literal}`, dialect: dialectOfRoute(t.route), request: jsonRequest(t.route, text, ctx), expect: ALL() };
};

const malformed: Mutator = (rng, t, ctx) => {
  const text = JSON.stringify(t.template.body);
  for (let attempt = 0; attempt < 10; attempt++) {
    const i = rng.int(text.length);
    const how = rng.pick(['truncate', 'insert', 'delete', 'swap-quote', 'trailing-comma', 'comment', 'nan', 'single-quotes', 'garbage-tail', 'unquoted-key']);
    let bad: string;
    switch (how) {
      case 'truncate':
        bad = text.slice(0, i);
        break;
      case 'insert':
        bad = text.slice(0, i) + rng.pick(['{', '}', '[', ']', ',', ':', '"', '\\', 'x', '\u0001']) + text.slice(i);
        break;
      case 'delete':
        bad = text.slice(0, i) + text.slice(i + 1);
        break;
      case 'swap-quote':
        bad = text.replace('"', "'");
        break;
      case 'trailing-comma':
        bad = text.replace(/}$/, ',}');
        break;
      case 'comment':
        bad = '/* hi */' + text;
        break;
      case 'nan':
        bad = text.replace(/:(\s*)[-\d.]+/, ':NaN');
        break;
      case 'single-quotes':
        bad = text.replace(/"/g, "'");
        break;
      case 'garbage-tail':
        bad = text + rng.pick(['x', '}', ' {}', '\u0000']);
        break;
      default:
        bad = text.replace(/"(\w+)":/, '$1:');
    }
    if (isJson(bad)) continue;
    // Truncated to nothing: no body reads as `{}` by design, so the schema names what is missing instead.
    const expect = bad === '' ? FAIL(undefined, [400]) : FAIL(/JSON/, [400]);
    return { kind: 'malformed', note: `${t.template.name} ${t.route} ${how}@${i}`, dialect: dialectOfRoute(t.route), request: jsonRequest(t.route, bad, ctx), expect };
  }
  return undefined;
};

const BAD_UTF8: Array<[number[], string]> = [
  [[0xff], 'byte 0xFF'],
  [[0xc3, 0x28], 'bad continuation'],
  [[0x80], 'lone continuation'],
  [[0xc0, 0xaf], 'overlong'],
  [[0xed, 0xa0, 0x80], 'encoded surrogate'],
  [[0xf4, 0x90, 0x80, 0x80], 'beyond U+10FFFF'],
  [[0xe2, 0x82], 'truncated sequence'],
];

const invalidUtf8: Mutator = (rng, t, ctx) => {
  const body = t.template.body;
  const strings = allPaths(body).filter((p) => typeOf(getAt(body, p)) === 'string');
  const path = rng.pick(strings);
  const [bytes, what] = rng.pick(BAD_UTF8);
  const text = JSON.stringify(setAt(body, path, `ab@@BAD@@cd`));
  const [before, after] = text.split('@@BAD@@') as [string, string];
  const raw = Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
  return { kind: 'utf8', note: `${t.template.name} ${t.route} ${JSON.stringify(path)} ${what}`, dialect: dialectOfRoute(t.route), request: jsonRequest(t.route, raw, ctx), expect: FAIL(/UTF-8/, [400]) };
};

/** JSON escapes that are valid JSON but not valid Unicode: lone surrogates, noncharacters, NUL. */
const oddEscape: Mutator = (rng, t, ctx) => {
  const body = t.template.body;
  const strings = allPaths(body).filter((p) => typeOf(getAt(body, p)) === 'string');
  const path = rng.pick(strings);
  const escape = rng.pick(['\\ud800', '\\udfff', '\\udc00\\ud800', '\\uffff', '\\u0000', '\\ufeff']);
  const text = JSON.stringify(setAt(body, path, 'a@@ESC@@b')).replace('@@ESC@@', escape);
  return { kind: 'escape', note: `${t.template.name} ${t.route} ${JSON.stringify(path)} ${escape}`, dialect: dialectOfRoute(t.route), request: jsonRequest(t.route, text, ctx), expect: ALL() };
};

const MUTATORS: Array<[Mutator, number]> = [
  [oddEscape, 5],
  [wrongType, 30],
  [setNull, 8],
  [remove, 8],
  [unknownField, 12],
  [hugeString, 6],
  [hugeArray, 4],
  [deepNesting, 10],
  [oddNumber, 5],
  [malformed, 10],
  [invalidUtf8, 7],
];

/** One random mutation case; `rng` should be forked per case so a case can be replayed alone. */
export function mutationCaseFor(rng: Rng, ctx: CaseContext): FuzzCase {
  const total = MUTATORS.reduce((n, [, w]) => n + w, 0);
  for (;;) {
    let roll = rng.int(total);
    const [mutator] = MUTATORS.find(([, w]) => (roll -= w) < 0)!;
    const c = mutator(rng, pickTarget(rng), ctx);
    if (c) return c;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
