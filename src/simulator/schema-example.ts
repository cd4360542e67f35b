/**
 * A deterministic JSON value that conforms to a response schema, for `responseMimeType: application/json`
 * replies: objects with all their properties (declared order, or `propertyOrdering`), strings "example"
 * (a valid date / date-time for those formats, padded to minLength), numbers and integers 1 (or `minimum`
 * when 1 is out of range), booleans true, enums and `const` their (first) value, arrays max(1, minItems)
 * items, anyOf / oneOf their first branch, allOf merged, nullable-only types null. Works on both spellings:
 * `responseSchema` (OpenAPI subset, TYPE in upper case) and `responseJsonSchema` (JSON Schema, local $refs).
 */
import { isPlainObject } from './http-io.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, unknown>;

const MAX_DEPTH = 24;

export function exampleFor(schema: unknown): Json {
  return isPlainObject(schema) ? walk(schema, schema, 0) : {};
}

function typeOf(schema: Schema): string | undefined {
  const t = schema['type'];
  if (typeof t === 'string') return t.toLowerCase();
  if (Array.isArray(t)) {
    const names = t.filter((x): x is string => typeof x === 'string').map((x) => x.toLowerCase());
    return names.find((x) => x !== 'null') ?? names[0];
  }
  if (isPlainObject(schema['properties'])) return 'object';
  if (schema['items'] !== undefined) return 'array';
  return undefined;
}

/** "#/$defs/x" or "#/definitions/x" against the root schema. */
function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter((s) => s !== '')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isPlainObject(node) ? node[key] : undefined;
  }
  return isPlainObject(node) ? node : undefined;
}

function walk(schema: Schema, root: Schema, depth: number): Json {
  if (depth > MAX_DEPTH) return null;
  if (typeof schema['$ref'] === 'string') {
    const target = resolveRef(root, schema['$ref']);
    return target ? walk(target, root, depth + 1) : {};
  }
  if ('const' in schema) return schema['const'] as Json;
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0] as Json;
  for (const key of ['anyOf', 'oneOf']) {
    const branches = schema[key];
    if (Array.isArray(branches)) {
      const first = branches.filter(isPlainObject).find((b) => typeOf(b) !== 'null') ?? branches.find(isPlainObject);
      if (first) return walk(first, root, depth + 1);
    }
  }
  if (Array.isArray(schema['allOf'])) {
    const merged: Schema = {};
    const properties: Schema = {};
    for (const part of schema['allOf'].filter(isPlainObject)) {
      Object.assign(merged, part);
      if (isPlainObject(part['properties'])) Object.assign(properties, part['properties']);
    }
    const { allOf: _allOf, ...rest } = schema;
    return walk({ ...merged, ...rest, ...(Object.keys(properties).length > 0 ? { properties } : {}) }, root, depth + 1);
  }
  switch (typeOf(schema)) {
    case 'object':
      return objectExample(schema, root, depth);
    case 'array': {
      const items = isPlainObject(schema['items']) ? schema['items'] : {};
      const count = Math.max(1, Number(schema['minItems'] ?? 0) || 0);
      return Array.from({ length: Math.min(count, 100) }, () => walk(items, root, depth + 1));
    }
    case 'string':
      return stringExample(schema);
    case 'number':
    case 'integer':
      return numberExample(schema);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return 'example';
  }
}

function objectExample(schema: Schema, root: Schema, depth: number): Json {
  const properties = isPlainObject(schema['properties']) ? schema['properties'] : {};
  const ordering = Array.isArray(schema['propertyOrdering']) ? (schema['propertyOrdering'] as unknown[]).filter((k): k is string => typeof k === 'string') : [];
  const keys = [...ordering.filter((k) => k in properties), ...Object.keys(properties).filter((k) => !ordering.includes(k))];
  const out: { [key: string]: Json } = {};
  for (const key of keys) {
    const property = properties[key];
    out[key] = isPlainObject(property) ? walk(property, root, depth + 1) : 'example';
  }
  return out;
}

function stringExample(schema: Schema): string {
  const format = typeof schema['format'] === 'string' ? schema['format'] : '';
  if (format === 'date-time') return '2025-01-01T00:00:00Z';
  if (format === 'date') return '2025-01-01';
  if (format === 'time') return '00:00:00';
  if (format === 'email') return 'user@example.com';
  if (format === 'uri' || format === 'url') return 'https://example.com/';
  if (format === 'uuid') return '00000000-0000-4000-8000-000000000000';
  let text = 'example';
  const min = Number(schema['minLength'] ?? 0) || 0;
  const max = Number(schema['maxLength'] ?? Number.POSITIVE_INFINITY);
  while (text.length < min) text += 'x';
  return Number.isFinite(max) && max >= 0 ? text.slice(0, Math.max(min, max)) : text;
}

function numberExample(schema: Schema): number {
  const min = typeof schema['minimum'] === 'number' ? schema['minimum'] : undefined;
  const exclusiveMin = typeof schema['exclusiveMinimum'] === 'number' ? schema['exclusiveMinimum'] : undefined;
  const max = typeof schema['maximum'] === 'number' ? schema['maximum'] : undefined;
  let n = 1;
  if (min !== undefined && n < min) n = min;
  if (exclusiveMin !== undefined && n <= exclusiveMin) n = Math.floor(exclusiveMin) + 1;
  if (max !== undefined && n > max) n = max;
  return typeOf(schema) === 'integer' ? Math.ceil(n) : n;
}
