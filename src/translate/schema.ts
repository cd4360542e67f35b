import { append } from '../util/append.js';
import { limitMessage, SchemaBudget, SchemaLimitError } from './schema-budget.js';
import { isJsonObject, jsonText, mergeAllOf, repairMcpQuirks, resolveLocalRef, setOwn, type JsonObject, type MergeMeter } from './schema-refs.js';
import { TranslationError } from './translation-error.js';

/** A schema in the OpenAPI subset Gemini's `Schema` message accepts (function `parameters`, `responseSchema`). */
export type GeminiSchema = Record<string, unknown>;

/**
 * JSON Schema → the OpenAPI-3.0 subset of Gemini's `Schema` (docs/google-protocols.md#schemas). Pure; the
 * input is never modified. What Gemini's proto rejects ("Unknown name …", "only allowed for OBJECT type",
 * "should be non-empty for OBJECT type", "items: missing field", "enum: only allowed for STRING type") is
 * rewritten, and what it cannot express is kept as a hint in `description`, so the model still sees the
 * intent:
 * - kept: `type`, `description`, `nullable`, `enum` (strings), `properties`, `required` (pruned to known
 *   properties), `items`, `anyOf`, `minItems`/`maxItems`, `minimum`/`maximum`, and `format` only where
 *   Gemini defines it (string: enum, date-time; number: float, double; integer: int32, int64);
 * - `$ref` to local `$defs`/`definitions`/any JSON pointer is inlined, also inside `anyOf`/`oneOf`/`allOf`
 *   (a cycle, depth > 24 or more than 2000 inlined refs becomes an untyped stub naming the reference; what
 *   inlining copies is bounded by the budget below);
 *   `allOf` is merged; `const` becomes a one-value `enum`;
 * - `anyOf`/`oneOf`/type arrays: null branches become `nullable`; one remaining branch is inlined; string
 *   literals collapse into one `enum`; other unions stay `anyOf` (Gemini's Schema has it);
 * - an object with no properties has no valid OBJECT form: at the root it stays `{type: object}` (callers
 *   omit `parameters` then), nested it becomes an untyped schema described as a free-form object;
 * - an array without `items` gets string items (Gemini requires `items`);
 * - MCP quirks: bare property maps and `required: true` on properties (see repairMcpQuirks).
 * The conversion is charged to `context.budget` (schema-budget.ts), shared by all schemas of a request;
 * past its limits it throws a TranslationError naming the schema (`label`, `field`) and the limit.
 */
export function sanitizeSchemaForGemini(schema: unknown, context: SchemaContext = {}): GeminiSchema {
  const root = isJsonObject(schema) ? schema : {};
  const walk: Walk = { root, refs: [], inlined: { count: 0 }, budget: context.budget ?? new SchemaBudget(), resolved: new Map() };
  try {
    return convert(root, walk, true);
  } catch (err) {
    if (!(err instanceof SchemaLimitError)) throw err;
    const field = context.field ?? 'schema';
    throw new TranslationError(field, `${context.label ?? 'the schema'} (${field}): ${limitMessage(err)}`);
  }
}

export interface SchemaContext {
  /** The cost so far of the request's schemas; a fresh budget when absent. */
  budget?: SchemaBudget;
  /** Where the schema sits in the client body, e.g. `tools[2].function.parameters`. */
  field?: string;
  /** What the schema belongs to, e.g. `function "get_weather"`. */
  label?: string;
}

interface Walk {
  readonly root: JsonObject;
  /** `$ref`s being inlined on the current path: the cycle guard. */
  readonly refs: readonly string[];
  /** `$ref`s inlined so far in the whole schema: past MAX_REFS_INLINED further ones become stubs. */
  readonly inlined: { count: number };
  /** The work and output charged so far (shared by the request's schemas): past it the conversion stops. */
  readonly budget: SchemaBudget;
  /** `$ref` → its target, resolved once per schema. */
  readonly resolved: Map<string, unknown>;
}

const MAX_REF_DEPTH = 24;
const MAX_REFS_INLINED = 2000;
const KEPT_FORMATS: Record<string, readonly string[]> = {
  string: ['enum', 'date-time'],
  number: ['float', 'double'],
  integer: ['int32', 'int64'],
};
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);
// Keywords Gemini's Schema cannot carry whose meaning survives as a description hint.
const HINTED = [
  'minLength', 'maxLength', 'pattern', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'uniqueItems',
  'minProperties', 'maxProperties', 'default', 'examples', 'example', 'deprecated', 'readOnly', 'writeOnly',
  'contentEncoding', 'contentMediaType',
];
const ANNOTATIONS = [...HINTED, 'description', 'title'];

function convert(input: unknown, walk: Walk, isRoot = false): GeminiSchema {
  walk.budget.visit(input, at(walk));
  if (!isJsonObject(input)) return {};
  walk.budget.enter(at(walk));
  try {
    return convertNode(repairMcpQuirks(input), walk, isRoot);
  } finally {
    walk.budget.leave();
  }
}

function convertNode(node: JsonObject, walk: Walk, isRoot: boolean): GeminiSchema {
  if (typeof node['$ref'] === 'string') return convertRef(node, node['$ref'], walk, isRoot);
  if (Array.isArray(node['allOf'])) {
    const followed: string[] = [];
    const merged = mergeAllOf(node, (b) => deref(b, walk, followed), meter(walk));
    return convert(merged, along(walk, followed), isRoot);
  }

  const hints: string[] = [];
  let nullable = node['nullable'] === true;

  const union = [...asArray(node['anyOf']), ...asArray(node['oneOf'])];
  if (union.length > 0) return convertUnion(node, union, walk, isRoot, nullable);

  let types = typeList(node);
  if (types.includes('null')) {
    nullable = true;
    types = types.filter((t) => t !== 'null');
  }
  if (types.length > 1) {
    const { type: _t, ...rest } = node;
    const branch = omit(rest, ANNOTATIONS);
    const out: GeminiSchema = { anyOf: types.map((t) => convert({ ...branch, type: t }, walk)) };
    return finish(describe(out, rest, hints, walk), nullable);
  }

  let enumValues = enumOf(node);
  if (enumValues?.includes(null)) {
    nullable = true;
    enumValues = enumValues.filter((v) => v !== null);
  }
  const type = types[0] ?? inferType(node, enumValues);
  const out: GeminiSchema = {};
  if (type !== undefined) out['type'] = type;

  switch (type) {
    case 'object':
      convertObject(node, out, walk, isRoot, hints);
      break;
    case 'array':
      convertArray(node, out, walk, hints);
      break;
    case 'number':
    case 'integer':
      for (const bound of ['minimum', 'maximum'] as const) {
        if (typeof node[bound] === 'number') out[bound] = node[bound];
      }
      break;
  }

  if (enumValues && enumValues.length > 0) {
    // Gemini accepts enum only on STRING schemas; elsewhere the values become a hint.
    if (type === 'string') out['enum'] = enumValues.map((v) => (typeof v === 'string' ? v : jsonText(v)));
    else hints.push(`allowed values: ${enumValues.map(jsonText).join(', ')}`);
  }
  const format = node['format'];
  if (typeof format === 'string') {
    if (type !== undefined && KEPT_FORMATS[type]?.includes(format)) out['format'] = format;
    else hints.push(`format: ${format}`);
  }
  if (type === undefined && typeof node['type'] === 'string' && node['type'] !== 'null') hints.push(`type: ${node['type']}`);
  return finish(describe(out, node, hints, walk), nullable);
}

function convertUnion(node: JsonObject, union: unknown[], walk: Walk, isRoot: boolean, nullable: boolean): GeminiSchema {
  const { anyOf: _a, oneOf: _o, ...rest } = node;
  // Each branch is converted on its own path, with the ref it was resolved through (the cycle guard).
  const branches = union.map((b) => {
    const followed: string[] = [];
    return { schema: deref(b, walk, followed), walk: along(walk, followed) };
  });
  const nonNull = branches.filter((b) => !isNullSchema(b.schema));
  const isNullable = nullable || nonNull.length < branches.length;
  if (!nonNull.some((b) => isStructural(b.schema))) {
    // Constraint-only branches (`anyOf: [{required: [a]}, {required: [b]}]`) refine the parent: keep it, hint them.
    const base = strOf(rest['description']);
    const hints = nonNull.length > 0 ? [`one of: ${nonNull.map((b) => shown(b.schema, walk)).join(' | ')}`] : [];
    const text = join(base, hintText(base, hints));
    return finish(convert(text === undefined ? rest : { ...rest, description: text }, walk, isRoot), isNullable);
  }
  const literals = collapseStringLiterals(nonNull.map((b) => b.schema));
  if (literals) return finish(convert({ ...rest, type: 'string', enum: literals }, walk, isRoot), isNullable);
  const [only] = nonNull;
  if (only && nonNull.length === 1) return finish(convert({ ...only.schema, ...rest }, only.walk, isRoot), isNullable);
  // Properties shared by every branch (`{properties: common, oneOf: [A, B]}`) are distributed into each one.
  const shared = omit(rest, ANNOTATIONS);
  const distribute = isJsonObject(shared['properties']);
  const out: GeminiSchema = {
    anyOf: nonNull.map((b) => convert(distribute ? mergeAllOf({ allOf: [shared, b.schema] }, asObject, meter(walk)) : b.schema, b.walk)),
  };
  return finish(describe(out, rest, [], walk), isNullable);
}

function convertRef(node: JsonObject, ref: string, walk: Walk, isRoot: boolean): GeminiSchema {
  const { $ref: _r, ...siblings } = node;
  const target = resolve(ref, walk);
  if (!isJsonObject(target)) {
    const base = strOf(siblings['description']);
    return convert({ ...siblings, description: join(base, hintText(base, [`see ${ref}`])) }, walk, isRoot);
  }
  if (!mayInline(ref, walk)) {
    // A recursive type cannot be inlined; tell the model what goes here instead.
    const name = ref === '#' ? 'the root schema' : (ref.split('/').pop() ?? ref);
    const base = strOf(siblings['description']) ?? strOf(target['description']);
    const stub = { description: join(base, hintText(base, [`recursive: same shape as ${name}`])) ?? '' };
    walk.budget.emit(stub, at(walk));
    return stub;
  }
  // Siblings of $ref (typically a description) refine the target.
  walk.inlined.count++;
  return convert(refined(target, siblings), { ...walk, refs: [...walk.refs, ref] }, isRoot);
}

function convertObject(node: JsonObject, out: GeminiSchema, walk: Walk, isRoot: boolean, hints: string[]): void {
  const props = isJsonObject(node['properties']) ? node['properties'] : {};
  const properties: GeminiSchema = {};
  for (const [name, schema] of Object.entries(props)) setOwn(properties, name, convert(schema, walk));
  if (Object.keys(properties).length === 0) {
    // Gemini rejects an OBJECT without properties (a proto map cannot tell absent from empty).
    if (!isRoot) {
      delete out['type'];
      hints.push('a free-form JSON object');
    }
    return;
  }
  out['properties'] = properties;
  const extra = node['additionalProperties'];
  if (extra === true || isJsonObject(extra)) hints.push('additional properties are allowed');
  const required = asArray(node['required']).filter((n): n is string => typeof n === 'string' && Object.hasOwn(properties, n));
  if (required.length > 0) out['required'] = [...new Set(required)];
}

function convertArray(node: JsonObject, out: GeminiSchema, walk: Walk, hints: string[]): void {
  const tuple = Array.isArray(node['prefixItems']) ? node['prefixItems'] : Array.isArray(node['items']) ? node['items'] : undefined;
  if (tuple) {
    hints.push('items in order: a tuple');
    out['items'] = tuple.length === 1 ? convert(tuple[0], walk) : convert({ anyOf: tuple }, walk);
  } else if (isJsonObject(node['items'])) {
    out['items'] = convert(node['items'], walk);
  } else {
    out['items'] = { type: 'string' };
  }
  for (const bound of ['minItems', 'maxItems'] as const) {
    if (typeof node[bound] === 'number') out[bound] = node[bound];
  }
}

/**
 * Sets `description` from the node's own text plus the hints collected for what Gemini cannot carry; the
 * node is then complete (bar `nullable`) and is charged to the budget.
 */
function describe(out: GeminiSchema, node: JsonObject, hints: string[], walk: Walk): GeminiSchema {
  for (const key of HINTED) {
    if (node[key] !== undefined && node[key] !== false) hints.push(`${key}: ${hintValue(node[key])}`);
  }
  const base = strOf(node['description']) ?? strOf(node['title']);
  const text = join(base, hintText(base, hints));
  if (text !== undefined) out['description'] = text;
  walk.budget.emit(out, at(walk));
  return out;
}

function finish(out: GeminiSchema, nullable: boolean): GeminiSchema {
  if (nullable) out['nullable'] = true;
  return out;
}

/** Whether `ref` may be inlined here: not a cycle, not too deep, and within the whole schema's budget. */
function mayInline(ref: string, walk: Walk): boolean {
  return !walk.refs.includes(ref) && walk.refs.length < MAX_REF_DEPTH && walk.inlined.count < MAX_REFS_INLINED;
}

/** The target of a local `$ref`, looked up once per schema however often it is referenced. */
function resolve(ref: string, walk: Walk): unknown {
  if (walk.resolved.has(ref)) return walk.resolved.get(ref);
  walk.budget.spend(1 + (ref.length >> 5), at(walk));
  const target = resolveLocalRef(walk.root, ref);
  walk.resolved.set(ref, target);
  return target;
}

/** A branch as JSON text for a hint, charged as it is written (many branches may each be a large target). */
function shown(schema: JsonObject, walk: Walk): string {
  const text = jsonText(schema);
  walk.budget.spend(1 + (text.length >> 5), at(walk));
  return text;
}

/** The `$ref` being inlined where the walk is, for the error that names where a limit ran out. */
function at(walk: Walk): string | undefined {
  return walk.refs[walk.refs.length - 1];
}

/** Charges the work and depth of merging allOf branches (outside convert) to the walk's budget. */
function meter(walk: Walk): MergeMeter {
  const ref = at(walk);
  return { spend: (units) => walk.budget.spend(units, ref), enter: () => walk.budget.enter(ref), leave: () => walk.budget.leave() };
}

/**
 * A branch's own `$ref` resolved (one level), for union and allOf inspection. An inlined ref counts
 * against the budget and is appended to `followed`, which the caller puts on the path of whatever it
 * converts from the result, exactly as convertRef does. A ref that may not be inlined (cycle, depth,
 * budget) or does not resolve stays a `$ref`, for convertRef to turn into a stub or a hint.
 */
function deref(branch: unknown, walk: Walk, followed: string[]): JsonObject {
  if (!isJsonObject(branch)) return {};
  const ref = branch['$ref'];
  if (typeof ref !== 'string') return branch;
  const target = resolve(ref, walk);
  if (!isJsonObject(target) || !mayInline(ref, walk)) return branch;
  // A step per key of the target: what copying, merging or inspecting it costs, converted afterwards or not.
  walk.budget.spend(1 + Object.keys(target).length, at(walk));
  walk.inlined.count++;
  followed.push(ref);
  const { $ref: _r, ...siblings } = branch;
  return refined(target, siblings);
}

/** A `$ref`'s target with the ref's siblings over it; the target itself (never modified) when there are none. */
function refined(target: JsonObject, siblings: JsonObject): JsonObject {
  return Object.keys(siblings).length > 0 ? { ...target, ...siblings } : target;
}

/** The walk with `refs` added to the path. */
function along(walk: Walk, refs: readonly string[]): Walk {
  return refs.length === 0 ? walk : { ...walk, refs: [...walk.refs, ...refs] };
}

function asObject(value: unknown): JsonObject {
  return isJsonObject(value) ? value : {};
}

const STRUCTURAL = ['type', 'properties', 'items', 'enum', 'const', '$ref', 'anyOf', 'oneOf', 'allOf'];

function isStructural(schema: JsonObject): boolean {
  return STRUCTURAL.some((key) => key in schema);
}

function omit(node: JsonObject, keys: readonly string[]): JsonObject {
  return Object.fromEntries(Object.entries(node).filter(([key]) => !keys.includes(key)));
}

function isNullSchema(schema: JsonObject): boolean {
  const values = schema['enum'];
  return schema['type'] === 'null' || schema['const'] === null || (Array.isArray(values) && values.every((v) => v === null));
}

/** `oneOf: [{const: "a"}, {const: "b"}]` (pydantic Literal, MCP) → `["a", "b"]`; else undefined. */
function collapseStringLiterals(branches: JsonObject[]): string[] | undefined {
  if (branches.length < 2) return undefined;
  const values: string[] = [];
  for (const b of branches) {
    const literals = enumOf(b);
    if (!literals || !literals.every((v) => typeof v === 'string')) return undefined;
    append(values, literals as string[]);
  }
  return [...new Set(values)];
}

function typeList(node: JsonObject): string[] {
  const type = node['type'];
  const list = Array.isArray(type) ? type : typeof type === 'string' ? [type] : [];
  return list.filter((t): t is string => typeof t === 'string' && (TYPES.has(t) || t === 'null'));
}

function enumOf(node: JsonObject): unknown[] | undefined {
  if (Array.isArray(node['enum'])) return node['enum'];
  return 'const' in node ? [node['const']] : undefined;
}

function inferType(node: JsonObject, enumValues: unknown[] | undefined): string | undefined {
  if (isJsonObject(node['properties'])) return 'object';
  if (node['items'] !== undefined || node['prefixItems'] !== undefined) return 'array';
  if (!enumValues || enumValues.length === 0) return undefined;
  if (enumValues.every((v) => typeof v === 'boolean')) return 'boolean';
  if (enumValues.every((v) => typeof v === 'number')) return enumValues.every(Number.isInteger) ? 'integer' : 'number';
  return 'string';
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function strOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function join(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : `${a} ${b}`;
}

/** Hints follow a description in parentheses, or stand alone. */
function hintText(base: string | undefined, hints: readonly string[]): string | undefined {
  if (hints.length === 0) return undefined;
  return base === undefined ? hints.join('; ') : `(${hints.join('; ')})`;
}

function hintValue(value: unknown): string {
  return typeof value === 'string' ? value : jsonText(value);
}
