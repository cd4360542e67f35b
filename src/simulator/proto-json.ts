/**
 * A strict proto-JSON reader, as Google's front ends parse request bodies: unknown fields and wrong types are
 * 400 INVALID_ARGUMENT, each field is accepted in its lowerCamel and its snake_case spelling, null means unset,
 * enums match case-insensitively (or by number), 64-bit ints and floats may come as strings.
 * Error texts follow the ones Google returns ("Unknown name \"x\" at 'request.generation_config': Cannot
 * find field.", "Invalid value at 'a.b' (TYPE_INT32), 1.5"); paths use proto (snake_case) names.
 */
import { isPlainObject } from './http-io.js';
import type { FieldViolation } from './rpc-errors.js';

export type ProtoType =
  | { kind: 'string' | 'bool' | 'int32' | 'int64' | 'float' | 'double' | 'bytes' | 'struct' | 'value' }
  | { kind: 'enum'; name: string; values: readonly string[] }
  | { kind: 'message'; spec: () => MessageSpec }
  /** A message whose inside the simulator does not model: any JSON object. */
  | { kind: 'loose'; name: string };

export interface FieldSpec {
  type: ProtoType;
  repeated?: boolean;
  map?: boolean;
}

export interface MessageSpec {
  /** Fully qualified proto name, shown in type errors. */
  name: string;
  /** Keyed by lowerCamel json name. */
  fields: Record<string, FieldSpec>;
}

export type ProtoObject = Record<string, unknown>;

export interface ProtoResult {
  value: ProtoObject;
  violations: FieldViolation[];
}

const MAX_VIOLATIONS = 100;
const MAX_DEPTH = 64;

interface IndexedField {
  camel: string;
  snake: string;
  spec: FieldSpec;
}

const indexes = new WeakMap<MessageSpec, Map<string, IndexedField>>();

function toSnake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function indexOf(spec: MessageSpec): Map<string, IndexedField> {
  let index = indexes.get(spec);
  if (!index) {
    index = new Map();
    for (const [camel, field] of Object.entries(spec.fields)) {
      const entry = { camel, snake: toSnake(camel), spec: field };
      index.set(camel, entry);
      index.set(entry.snake, entry);
    }
    indexes.set(spec, index);
  }
  return index;
}

/** Reads `input` as message `spec`; `path` is the proto path of the message itself ('' at the root). */
export function readProto(input: unknown, spec: MessageSpec, path = ''): ProtoResult {
  const reader = new Reader();
  if (!isPlainObject(input)) {
    reader.violate(path, `Invalid value at '${path || '(root)'}' (type.googleapis.com/${spec.name}), ${show(input)}`);
    return { value: {}, violations: reader.violations };
  }
  return { value: reader.message(input, spec, path, 0), violations: reader.violations };
}

class Reader {
  readonly violations: FieldViolation[] = [];

  violate(field: string, description: string): void {
    if (this.violations.length >= MAX_VIOLATIONS) return;
    this.violations.push(field ? { field, description } : { description });
  }

  message(input: Record<string, unknown>, spec: MessageSpec, path: string, depth: number): ProtoObject {
    const out: ProtoObject = {};
    if (depth > MAX_DEPTH) {
      this.violate(path, `Invalid JSON payload received. Message nesting too deep${at(path)}.`);
      return out;
    }
    const index = indexOf(spec);
    for (const [key, raw] of Object.entries(input)) {
      const field = index.get(key);
      if (!field) {
        this.violate(path, `Invalid JSON payload received. Unknown name ${JSON.stringify(key)}${at(path)}: Cannot find field.`);
        continue;
      }
      if (raw === null) continue;
      const childPath = path ? `${path}.${field.snake}` : field.snake;
      const parsed = this.field(key, raw, field.spec, path, childPath, depth);
      if (parsed !== undefined) out[field.camel] = parsed;
    }
    return out;
  }

  private field(key: string, raw: unknown, spec: FieldSpec, parentPath: string, path: string, depth: number): unknown {
    if (spec.map) {
      if (!isPlainObject(raw)) {
        this.violate(path, `Invalid value at '${path}' (map<string, ${label(spec.type)}>), ${show(raw)}`);
        return undefined;
      }
      const out: Record<string, unknown> = {};
      Object.entries(raw).forEach(([k, v], i) => {
        const parsed = this.single(v, spec.type, `${path}[${i}].value`, depth);
        if (parsed !== undefined) out[k] = parsed;
      });
      return out;
    }
    if (spec.repeated) {
      if (!Array.isArray(raw)) {
        this.violate(path, `Invalid value at '${path}' (${label(spec.type)}), ${show(raw)}`);
        return undefined;
      }
      const out: unknown[] = [];
      raw.forEach((item: unknown, i) => {
        const parsed = this.single(item, spec.type, `${path}[${i}]`, depth);
        if (parsed !== undefined) out.push(parsed);
      });
      return out;
    }
    if (Array.isArray(raw) && spec.type.kind !== 'value') {
      this.violate(
        parentPath,
        `Invalid JSON payload received. Unknown name ${JSON.stringify(key)}${at(parentPath)}: Proto field is not repeating, cannot start list.`,
      );
      return undefined;
    }
    return this.single(raw, spec.type, path, depth);
  }

  private single(raw: unknown, type: ProtoType, path: string, depth: number): unknown {
    const bad = (): undefined => {
      const what = isPlainObject(raw) && isScalar(type) ? 'Starting an object on a scalar field' : show(raw);
      this.violate(path, `Invalid value at '${path}' (${label(type)}), ${what}`);
      return undefined;
    };
    switch (type.kind) {
      case 'string':
        return typeof raw === 'string' ? raw : bad();
      case 'bool':
        return typeof raw === 'boolean' ? raw : bad();
      case 'int32':
      case 'int64': {
        const n = toNumber(raw);
        const limit = type.kind === 'int32' ? 2 ** 31 : 2 ** 63;
        return n !== undefined && Number.isInteger(n) && n >= -limit && n < limit ? n : bad();
      }
      case 'float':
      case 'double': {
        const n = toNumber(raw, true);
        return n !== undefined ? n : bad();
      }
      case 'bytes':
        if (typeof raw !== 'string') return bad();
        if (!isBase64(raw)) {
          this.violate(path, `Invalid value at '${path}' (TYPE_BYTES), Base64 decoding failed for ${show(raw)}`);
          return undefined;
        }
        return raw;
      case 'enum': {
        if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw < type.values.length) return type.values[raw];
        if (typeof raw !== 'string') return bad();
        const upper = raw.toUpperCase();
        return type.values.includes(upper) ? upper : bad();
      }
      case 'struct':
      case 'loose':
        return isPlainObject(raw) ? raw : bad();
      case 'value':
        return raw;
      case 'message':
        return isPlainObject(raw) ? this.message(raw, type.spec(), path, depth + 1) : bad();
    }
  }
}

function at(path: string): string {
  return path ? ` at '${path}'` : '';
}

function isScalar(type: ProtoType): boolean {
  return !['message', 'struct', 'loose', 'value'].includes(type.kind);
}

function label(type: ProtoType): string {
  switch (type.kind) {
    case 'enum':
      return `type.googleapis.com/${type.name}`;
    case 'message':
      return `type.googleapis.com/${type.spec().name}`;
    case 'loose':
      return `type.googleapis.com/${type.name}`;
    case 'struct':
      return 'type.googleapis.com/google.protobuf.Struct';
    case 'value':
      return 'type.googleapis.com/google.protobuf.Value';
    default:
      return `TYPE_${type.kind.toUpperCase()}`;
  }
}

function toNumber(raw: unknown, allowSpecial = false): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  if (allowSpecial && ['NaN', 'Infinity', '-Infinity'].includes(raw)) return Number(raw);
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) return undefined;
  return Number(raw);
}

/** Standard or URL-safe base64, padded or not (Google's parser accepts both alphabets). */
function isBase64(text: string): boolean {
  return /^[A-Za-z0-9+/_-]*={0,2}$/.test(text) && text.replace(/=+$/, '').length % 4 !== 1;
}

function show(raw: unknown): string {
  if (raw === undefined) return 'undefined';
  const text = isPlainObject(raw) ? '{...}' : Array.isArray(raw) ? '[...]' : JSON.stringify(raw);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
