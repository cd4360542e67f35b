/** Tool schemas whose `$ref`s expand far beyond their own size, for the unit and end-to-end tests. */

export type Json = Record<string, unknown>;

/** One definition with a large enum, referenced `refs` times: the 2,000-reference bomb, smaller. */
export function enumBomb(refs = 2000, values = 2000): Json {
  const properties: Json = {};
  for (let i = 0; i < refs; i++) properties[`p${i}`] = { $ref: '#/$defs/Big' };
  return { type: 'object', properties, $defs: { Big: { type: 'string', enum: Array.from({ length: values }, (_, i) => `choice-${i}`) } } };
}

/** Definitions that each reference the one below twice, the last with a long description: 2^depth copies. */
export function fanOutBomb(depth = 20, description = 'x'.repeat(20_000)): Json {
  const $defs: Json = { D0: { type: 'string', description } };
  for (let i = 1; i <= depth; i++) $defs[`D${i}`] = { type: 'object', properties: { l: { $ref: `#/$defs/D${i - 1}` }, r: { $ref: `#/$defs/D${i - 1}` } } };
  return { type: 'object', properties: { root: { $ref: `#/$defs/D${depth}` } }, $defs };
}
