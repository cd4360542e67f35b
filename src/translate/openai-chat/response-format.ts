import type { GeminiGenerationConfig } from '../../types/gemini.js';
import { SCHEMA_MAX_DEPTH } from '../schema-budget.js';
import { isJsonObject, type JsonObject } from '../schema-refs.js';
import { sanitizeSchemaForGemini } from '../schema.js';
import { TranslationError } from '../translation-error.js';
import type { OpenAIChatRequest } from './request-schema.js';

/**
 * How `response_format: json_schema` reaches Gemini: `json` (default) sends the client's JSON Schema as
 * `responseJsonSchema`, which Gemini reads as real JSON Schema ($ref, $defs, anyOf, const,
 * additionalProperties…); `openapi` sends `responseSchema` rewritten by sanitizeSchemaForGemini, for
 * backends or models that only know the OpenAPI subset.
 */
export type SchemaMode = 'json' | 'openapi';

type StructuredOutput = Pick<GeminiGenerationConfig, 'responseMimeType' | 'responseSchema' | 'responseJsonSchema'>;

/**
 * `response_format` → Gemini's structured-output fields (docs/google-protocols.md#structured-output): `text`
 * sets nothing (plain text is Gemini's default), `json_object` asks for `application/json`, `json_schema`
 * adds the schema in the chosen mode (a json_schema without a schema is plain JSON mode). `name`,
 * `description` and `strict` have no Gemini counterpart: Gemini always follows a given schema.
 */
export function convertResponseFormat(format: OpenAIChatRequest['response_format'], mode: SchemaMode = 'json'): StructuredOutput {
  if (format == null || format.type === 'text') return {};
  if (format.type === 'json_object') return { responseMimeType: 'application/json' };
  const schema = format.json_schema.schema;
  if (schema == null) return { responseMimeType: 'application/json' };
  if (mode === 'openapi') {
    const responseSchema = sanitizeSchemaForGemini(schema, { field: 'response_format.json_schema.schema', label: 'response_format' });
    return { responseMimeType: 'application/json', responseSchema };
  }
  return { responseMimeType: 'application/json', responseJsonSchema: prepareResponseJsonSchema(schema) };
}

// Keywords whose value is a schema or a map/list of schemas (where a nested `$ref` can sit).
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMAS = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'];

/**
 * The client's JSON Schema as given, minus the one shape Gemini's JSON-Schema mode rejects: a sub-schema
 * with `$ref` may carry no other keywords except `$`-prefixed ones (GenerationConfig.responseJsonSchema
 * reference), so e.g. pydantic's `{"$ref": "#/$defs/X", "description": "…"}` loses the description.
 * Cyclic `$ref`s are left alone: Gemini unrolls them when the property is not required. A schema nested
 * more than SCHEMA_MAX_DEPTH deep is refused (this recursion, like JSON.stringify, would exhaust the stack).
 */
export function prepareResponseJsonSchema(schema: JsonObject, depth = 0): JsonObject {
  if (depth > SCHEMA_MAX_DEPTH) {
    const field = 'response_format.json_schema.schema';
    throw new TranslationError(field, `response_format (${field}): the schema is nested more than ${SCHEMA_MAX_DEPTH} levels deep (SCHEMA_MAX_DEPTH)`);
  }
  const inner = (s: unknown) => (isJsonObject(s) ? prepareResponseJsonSchema(s, depth + 1) : s);
  const mapSchemas = (map: unknown) => (isJsonObject(map) ? Object.fromEntries(Object.entries(map).map(([k, v]) => [k, inner(v)])) : map);
  if (typeof schema['$ref'] === 'string') {
    const kept = Object.entries(schema).filter(([key]) => key.startsWith('$'));
    return Object.fromEntries(kept.map(([k, v]) => [k, k === '$defs' || k === 'definitions' ? mapSchemas(v) : v]));
  }
  const out: JsonObject = { ...schema };
  for (const key of SCHEMA_MAPS) if (isJsonObject(out[key])) out[key] = mapSchemas(out[key]);
  for (const key of SCHEMA_LISTS) {
    const list = out[key];
    if (Array.isArray(list)) out[key] = list.map(inner);
  }
  for (const key of SCHEMAS) {
    const value = out[key];
    if (isJsonObject(value)) out[key] = inner(value);
    else if (Array.isArray(value)) out[key] = value.map(inner);
  }
  return out;
}
