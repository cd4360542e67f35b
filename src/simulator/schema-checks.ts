/**
 * The checks Google runs on OpenAPI-subset schemas (function `parameters` / `response`, and
 * `generationConfig.responseSchema`) after they parse: an OBJECT needs at least one property, and a STRING's
 * `format` may only be "enum" or "date-time". Keywords the subset does not have (additionalProperties, $ref,
 * const, $schema, ...) never get here: the proto reader rejects them as unknown names. JSON Schema fields
 * (`parametersJsonSchema`, `responseJsonSchema`) are not checked, as Google accepts JSON Schema there.
 * Message texts are the ones clients report (docs/google-protocols.md#schemas):
 *   * GenerateContentRequest.generation_config.response_schema.properties["a"].properties: should be non-empty for OBJECT type
 */
import { isPlainObject } from './http-io.js';
import type { ProtoObject } from './proto-json.js';
import { rpcError, type RpcError } from './rpc-errors.js';

const STRING_FORMATS = new Set(['enum', 'date-time']);
const MAX_DEPTH = 32;
const MAX_PROBLEMS = 20;

function walk(schema: ProtoObject, path: string, problems: string[], depth: number): void {
  if (depth > MAX_DEPTH || problems.length >= MAX_PROBLEMS) return;
  const properties = isPlainObject(schema['properties']) ? schema['properties'] : {};
  const anyOf = Array.isArray(schema['anyOf']) ? (schema['anyOf'] as unknown[]).filter(isPlainObject) : [];
  if (schema['type'] === 'OBJECT' && Object.keys(properties).length === 0 && anyOf.length === 0) {
    problems.push(`${path}.properties: should be non-empty for OBJECT type`);
  }
  const format = schema['format'];
  if (schema['type'] === 'STRING' && typeof format === 'string' && format !== '' && !STRING_FORMATS.has(format)) {
    problems.push(`${path}.format: only 'enum' and 'date-time' are supported for STRING type`);
  }
  for (const [key, value] of Object.entries(properties)) {
    if (isPlainObject(value)) walk(value, `${path}.properties[${JSON.stringify(key)}]`, problems, depth + 1);
  }
  if (isPlainObject(schema['items'])) walk(schema['items'], `${path}.items`, problems, depth + 1);
  anyOf.forEach((branch, i) => walk(branch, `${path}.any_of[${i}]`, problems, depth + 1));
}

export function checkSchemas(request: ProtoObject): RpcError | undefined {
  const problems: string[] = [];
  const tools = Array.isArray(request['tools']) ? (request['tools'] as unknown[]).filter(isPlainObject) : [];
  tools.forEach((tool, i) => {
    const decls = Array.isArray(tool['functionDeclarations']) ? (tool['functionDeclarations'] as unknown[]).filter(isPlainObject) : [];
    decls.forEach((decl, j) => {
      for (const field of ['parameters', 'response'] as const) {
        const schema = decl[field];
        if (isPlainObject(schema)) walk(schema, `GenerateContentRequest.tools[${i}].function_declarations[${j}].${field}`, problems, 0);
      }
    });
  });
  const config = request['generationConfig'];
  const responseSchema = isPlainObject(config) ? config['responseSchema'] : undefined;
  if (isPlainObject(responseSchema)) walk(responseSchema, 'GenerateContentRequest.generation_config.response_schema', problems, 0);
  if (problems.length === 0) return undefined;
  return rpcError(400, problems.map((p) => `* ${p}\n`).join(''));
}
