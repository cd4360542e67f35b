/**
 * What converting client JSON Schemas may cost. Inlining `$ref`s multiplies a schema: one definition with a
 * large `enum` referenced 2,000 times, or a chain of definitions that each reference the next twice, turns
 * a request of a few hundred KB into hundreds of MB and seconds of CPU. Counting references does not bound
 * that (it ignores what each copies), so the conversion is charged for its work and for its output, and
 * stops with SchemaLimitError as soon as either runs out; sanitizeSchemaForGemini turns that into a
 * TranslationError (a 400) naming the schema and the limit.
 */
import { isJsonObject, type JsonObject } from './schema-refs.js';

/**
 * Most bytes of JSON the converted schemas of one request may add up to (estimated from string lengths;
 * escapes are not counted). 4 MiB is about a million tokens, more than any Gemini model's whole context, so
 * no schema Google could take is refused.
 */
export const SCHEMA_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * Most work units converting the schemas of one request may take: a node visited costs 1 plus its keys plus
 * the items of its arrays (enum, required, anyOf…); a merged or copied key 1; a `$ref` resolved, or a branch
 * written into a hint, 1 per 32 characters. A 300-property tool takes about 2,000, a schema that converts
 * to SCHEMA_MAX_OUTPUT_BYTES of small properties about 500,000. The costliest units measured (keys copied
 * over and over) run at about 5 million a second, so the limit keeps one request's CPU to ~100 ms.
 */
export const SCHEMA_MAX_STEPS = 500_000;

/**
 * Most schemas nested in one another while converting (a property's schema inside its object's, an inlined
 * target inside its reference…). Real schemas nest a few dozen at most; the conversion recurses, and a
 * schema nested thousands deep (a ~100 KB request) would otherwise exhaust the stack.
 */
export const SCHEMA_MAX_DEPTH = 256;

export type SchemaLimit = 'output' | 'steps' | 'depth';

/** The budget ran out: which limit, and the `$ref` being inlined at the time (if any). */
export class SchemaLimitError extends Error {
  override readonly name = 'SchemaLimitError';
  constructor(
    readonly limit: SchemaLimit,
    readonly max: number,
    readonly ref: string | undefined,
  ) {
    super(`schema over the ${limit} limit of ${max}`);
  }
}

/** The running cost of converting the schemas of one request; share one instance across them. */
export class SchemaBudget {
  /** Work units spent so far. */
  steps = 0;
  /** Bytes of converted JSON produced so far (estimated from string lengths: escapes are not counted). */
  output = 0;
  /** Schemas being converted inside one another now. */
  depth = 0;

  constructor(
    readonly maxSteps = SCHEMA_MAX_STEPS,
    readonly maxOutput = SCHEMA_MAX_OUTPUT_BYTES,
    readonly maxDepth = SCHEMA_MAX_DEPTH,
  ) {}

  /** One level deeper: call leave() when that schema is done. */
  enter(ref?: string): void {
    if (++this.depth > this.maxDepth) throw new SchemaLimitError('depth', this.maxDepth, ref);
  }

  leave(): void {
    this.depth--;
  }

  /** Charges `units` of work. */
  spend(units: number, ref?: string): void {
    this.steps += units;
    if (this.steps > this.maxSteps) throw new SchemaLimitError('steps', this.maxSteps, ref);
  }

  /** Charges a visit of an input node: 1, its keys, the items of its arrays, and a `$ref`'s length. */
  visit(node: unknown, ref?: string): void {
    let units = 1;
    if (isJsonObject(node)) {
      for (const key of Object.keys(node)) {
        const value = node[key];
        units += 1 + (Array.isArray(value) ? value.length : key === '$ref' && typeof value === 'string' ? value.length >> 5 : 0);
      }
    }
    this.spend(units, ref);
  }

  /**
   * Charges one converted node, shallowly: its keys, strings and string lists (enum, required) and the
   * names of its properties. Nested schemas are charged when they are emitted themselves.
   */
  emit(out: JsonObject, ref?: string): void {
    let chars = 2;
    for (const key of Object.keys(out)) {
      const value = out[key];
      chars += key.length + 4;
      if (typeof value === 'string') chars += value.length;
      else if (Array.isArray(value)) for (const item of value) chars += typeof item === 'string' ? item.length + 3 : 1;
      else if (isJsonObject(value) && key === 'properties') for (const name of Object.keys(value)) chars += name.length + 4;
      else chars += 8;
    }
    this.output += chars;
    if (this.output > this.maxOutput) throw new SchemaLimitError('output', this.maxOutput, ref);
  }
}

/** What ran out, for the client: the limit by name and value, and where (quoted short: it is client text). */
export function limitMessage(err: SchemaLimitError): string {
  if (err.limit === 'depth') return `the schema is nested more than ${err.max} levels deep (SCHEMA_MAX_DEPTH)`;
  const limit = err.limit === 'output' ? `over ${err.max} bytes of JSON (SCHEMA_MAX_OUTPUT_BYTES` : `over ${err.max} steps of work (SCHEMA_MAX_STEPS`;
  const ref = err.ref !== undefined && err.ref.length > 100 ? `${err.ref.slice(0, 100)}…` : err.ref;
  const at = ref === undefined ? '' : `, reached while inlining ${ref}`;
  return `the schema is too large to convert with its $refs inlined: ${limit}, for all schemas of one request together)${at}`;
}
