/**
 * Structural helpers for schema.ts: local `$ref` resolution, `allOf` merging, the repair of malformed
 * schemas that MCP servers commonly emit, and JSON text for hints. Pure, never mutate their input.
 */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `target[key] = value` as an own data property, so a key named `__proto__` is kept as a key (plain
 * assignment would set the prototype and lose it) and the object still serialises as a normal one.
 */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A client value (an example, a default, an enum member) as JSON for a hint. JSON.stringify recurses: a
 * value nested a few thousand deep exhausts the stack, and is then only described.
 */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof RangeError) return '(a value nested too deep to show)';
    throw err;
  }
}

/**
 * Resolves a local JSON pointer (`#/$defs/Address`, `#/definitions/x`, `#/properties/a/items`) against the
 * root schema; `undefined` for remote references and dangling pointers.
 */
export function resolveLocalRef(root: JsonObject, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeSegment(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) node = node[Number(key)];
    else if (isJsonObject(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

/** Percent-decoding of a pointer segment; a `%` that is not an escape (`50%_off`) is taken literally. */
function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * `allOf` → one schema: properties merged (a property named by several branches is itself merged),
 * `required` united, descriptions joined, any other keyword taken from the first schema that has it.
 * `deref` resolves a branch's own `$ref` first, so `allOf: [{$ref}, {...}]` (pydantic, zod) merges the target.
 * `meter` is told the work and the depth as the merge goes, so a caller can stop one that costs too much
 * (many branches each repeating a large schema, properties nested thousands deep) by throwing from it.
 */
export function mergeAllOf(node: JsonObject, deref: (branch: unknown) => JsonObject, meter: MergeMeter = FREE): JsonObject {
  const { allOf, ...rest } = node;
  const branches = Array.isArray(allOf) ? allOf.map(deref) : [];
  return [rest, ...branches].reduce<JsonObject>((acc, branch) => mergeTwo(acc, branch, meter), {});
}

/** What a merge reports as it goes. */
export interface MergeMeter {
  /** Work done: a unit per key copied or walked. */
  spend(units: number): void;
  /** The merge goes one level of properties deeper; leave() when it is back. */
  enter(): void;
  leave(): void;
}

const FREE: MergeMeter = { spend() {}, enter() {}, leave() {} };

function mergeTwo(a: JsonObject, b: JsonObject, meter: MergeMeter): JsonObject {
  const entries = Object.entries(b);
  // Copying `a` and walking `b` are the work of this merge.
  meter.spend(1 + Object.keys(a).length + entries.length);
  const out: JsonObject = { ...a };
  for (const [key, value] of entries) {
    if (!Object.hasOwn(out, key)) {
      setOwn(out, key, value);
    } else if (key === 'properties' && isJsonObject(out[key]) && isJsonObject(value)) {
      const merged: JsonObject = { ...(out[key] as JsonObject) };
      const named = Object.entries(value);
      meter.spend(Object.keys(merged).length + named.length);
      for (const [name, schema] of named) {
        const existing = Object.hasOwn(merged, name) ? merged[name] : undefined;
        setOwn(merged, name, isJsonObject(existing) && isJsonObject(schema) ? mergeNested(existing, schema, meter) : schema);
      }
      out[key] = merged;
    } else if (key === 'required' && Array.isArray(out[key]) && Array.isArray(value)) {
      meter.spend((out[key] as unknown[]).length + value.length);
      out[key] = [...new Set([...(out[key] as unknown[]), ...value])];
    } else if (key === 'description' && typeof out[key] === 'string' && typeof value === 'string' && out[key] !== value) {
      out[key] = `${out[key] as string} ${value}`;
    }
  }
  return out;
}

function mergeNested(a: JsonObject, b: JsonObject, meter: MergeMeter): JsonObject {
  meter.enter();
  try {
    return mergeTwo(a, b, meter);
  } finally {
    meter.leave();
  }
}

// Keywords whose object value is not a property definition (anything else object-valued on an untyped
// node is taken to be a bare property, the MCP quirk).
const OBJECT_VALUED_KEYWORDS = new Set([
  'properties', 'patternProperties', 'additionalProperties', 'items', 'prefixItems', 'additionalItems',
  '$defs', 'definitions', 'dependentSchemas', 'dependentRequired', 'dependencies', 'if', 'then', 'else',
  'not', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems', 'contentSchema',
  'default', 'const', 'example', 'examples', 'discriminator', 'xml', 'externalDocs', 'enum', 'required',
  'allOf', 'anyOf', 'oneOf', 'type',
]);

/**
 * Repairs two shapes MCP tool schemas are known for (CLIProxyAPI `normalizeMalformedSchemaObjects`):
 * - a bare property map (`{"path": {"type": "string"}}` without `type`/`properties` wrappers) becomes
 *   `{type: object, properties}`;
 * - `required: true` on a property definition (draft-3 style) moves into the parent's `required` array.
 */
export function repairMcpQuirks(node: JsonObject): JsonObject {
  let out = node;
  const declared = node['type'];
  const mayBeObject = declared === undefined || declared === 'object';
  if (mayBeObject && !('$ref' in node)) {
    const bare = Object.entries(node).filter(
      ([key, value]) => !OBJECT_VALUED_KEYWORDS.has(key) && !key.startsWith('$') && !key.startsWith('x-') && isJsonObject(value),
    );
    if (bare.length > 0) {
      out = Object.fromEntries(Object.entries(node).filter(([key]) => !bare.some(([b]) => b === key)));
      out['properties'] = { ...(isJsonObject(node['properties']) ? node['properties'] : {}), ...Object.fromEntries(bare) };
      if (declared === undefined) out['type'] = 'object';
    }
  }
  const properties = out['properties'];
  if (!isJsonObject(properties)) return out;
  const promoted: string[] = [];
  const fixed: JsonObject = {};
  for (const [name, schema] of Object.entries(properties)) {
    if (isJsonObject(schema) && typeof schema['required'] === 'boolean') {
      const { required, ...rest } = schema;
      if (required === true) promoted.push(name);
      setOwn(fixed, name, rest);
    } else {
      setOwn(fixed, name, schema);
    }
  }
  if (promoted.length === 0 && out === node) return node;
  const existing = Array.isArray(out['required']) ? (out['required'] as unknown[]) : [];
  const result: JsonObject = { ...out, properties: fixed };
  if (promoted.length > 0) result['required'] = [...new Set([...existing, ...promoted])];
  return result;
}
