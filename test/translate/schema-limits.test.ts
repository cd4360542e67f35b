/**
 * What converting a tool schema may cost: schemas whose `$ref`s expand far beyond their size are refused
 * with a TranslationError naming the tool and the limit, after work bounded by the budget; real schemas,
 * large and recursive ones included, still convert.
 */
import { describe, expect, it } from 'vitest';
import { convertOpenAIToolsToGemini } from '../../src/translate/openai-chat/convert-openai-tools-to-gemini.js';
import { convertResponseFormat } from '../../src/translate/openai-chat/response-format.js';
import type { OpenAIChatRequest } from '../../src/translate/openai-chat/request-schema.js';
import { SCHEMA_MAX_DEPTH, SCHEMA_MAX_OUTPUT_BYTES, SCHEMA_MAX_STEPS, SchemaBudget } from '../../src/translate/schema-budget.js';
import { sanitizeSchemaForGemini } from '../../src/translate/schema.js';
import { TranslationError } from '../../src/translate/translation-error.js';
import { enumBomb, fanOutBomb, type Json } from './schema-bombs.js';

function tools(...schemas: Array<[string, Json]>): OpenAIChatRequest {
  return {
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'hi' }],
    tools: schemas.map(([name, parameters]) => ({ type: 'function', function: { name, parameters } })),
  } as OpenAIChatRequest;
}

function refusal(fn: () => unknown): TranslationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TranslationError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('schema expansion bombs', () => {
  it('refuses 2,000 references to a large enum, naming the function, the field and the output limit', () => {
    const err = refusal(() => convertOpenAIToolsToGemini(tools(['get_weather', { type: 'object', properties: { city: { type: 'string' } } }], ['lookup', enumBomb()])));
    expect(err.field).toBe('tools[1].function.parameters');
    expect(err.message).toBe(
      `function "lookup" (tools[1].function.parameters): the schema is too large to convert with its $refs inlined: over ${SCHEMA_MAX_OUTPUT_BYTES} bytes of JSON ` +
        '(SCHEMA_MAX_OUTPUT_BYTES, for all schemas of one request together), reached while inlining #/$defs/Big',
    );
  });

  it('stops the enum bomb after work and output bounded by the budget, not by what the schema would expand to', () => {
    const budget = new SchemaBudget();
    const bomb = enumBomb();
    expect(() => sanitizeSchemaForGemini(bomb, { budget })).toThrow(TranslationError);
    // Unbounded, it would be 2,000 copies of the enum (~27 MB); it stops one copy past the limit.
    const oneCopy = JSON.stringify((bomb['$defs'] as Json)['Big']).length;
    expect(budget.output).toBeGreaterThan(SCHEMA_MAX_OUTPUT_BYTES);
    expect(budget.output).toBeLessThan(SCHEMA_MAX_OUTPUT_BYTES + oneCopy);
    expect(budget.steps).toBeLessThanOrEqual(SCHEMA_MAX_STEPS);
  });

  it('refuses a small schema whose references fan out into copies of a long description', () => {
    const bomb = fanOutBomb();
    expect(JSON.stringify(bomb).length).toBeLessThan(25_000);
    const budget = new SchemaBudget();
    const err = refusal(() => sanitizeSchemaForGemini(bomb, { budget, field: 'tools[0].function.parameters', label: 'function "tree"' }));
    expect(err.message).toMatch(/^function "tree" \(tools\[0\]\.function\.parameters\): .*SCHEMA_MAX_OUTPUT_BYTES.*reached while inlining #\/\$defs\/D0$/);
    // About 4 MiB of output from ~200 copies: a few thousand steps of work.
    expect(budget.steps).toBeLessThan(10_000);
  });

  it('refuses, on the step limit, references that copy many keys which produce no output', () => {
    const junk: Json = { type: 'string' };
    for (let i = 0; i < 5000; i++) junk[`x-note-${i}`] = i;
    const properties: Json = {};
    for (let i = 0; i < 1000; i++) properties[`p${i}`] = { $ref: '#/$defs/J', description: `field ${i}` };
    const budget = new SchemaBudget();
    const err = refusal(() => sanitizeSchemaForGemini({ type: 'object', properties, $defs: { J: junk } }, { budget, field: 'f', label: 'function "notes"' }));
    expect(err.message).toContain(`over ${SCHEMA_MAX_STEPS} steps of work (SCHEMA_MAX_STEPS, for all schemas of one request together)`);
    expect(budget.steps).toBeLessThan(SCHEMA_MAX_STEPS + 6000);
    expect(budget.output).toBeLessThan(100_000);
  });

  it('refuses allOf branches that each merge the same large definition', () => {
    const wide: Json = {};
    for (let i = 0; i < 2000; i++) wide[`k${i}`] = { type: 'string' };
    const properties: Json = {};
    for (let i = 0; i < 10; i++) properties[`q${i}`] = { allOf: Array.from({ length: 300 }, () => ({ $ref: '#/$defs/Wide' })) };
    const budget = new SchemaBudget();
    const err = refusal(() => sanitizeSchemaForGemini({ type: 'object', properties, $defs: { Wide: { type: 'object', properties: wide } } }, { budget }));
    expect(err.field).toBe('schema');
    expect(err.message).toContain('(SCHEMA_MAX_STEPS');
    expect(budget.steps).toBeLessThan(SCHEMA_MAX_STEPS + 10_000);
  });

  it('refuses a union of references to a large untyped definition, written into a hint once per branch', () => {
    const blob: Json = { description: 'notes', 'x-data': { text: 'y'.repeat(50_000) } };
    const union = { anyOf: Array.from({ length: 2000 }, () => ({ $ref: '#/$defs/Blob' })) };
    const budget = new SchemaBudget();
    const err = refusal(() => sanitizeSchemaForGemini({ type: 'object', properties: { u: union }, $defs: { Blob: blob } }, { budget }));
    expect(err.message).toContain('(SCHEMA_MAX_STEPS');
  });

  it('quotes a long reference short in the message', () => {
    const name = 'B'.repeat(5000);
    const bomb = enumBomb();
    const $defs = bomb['$defs'] as Json;
    const renamed = { ...bomb, $defs: { [name]: $defs['Big'] }, properties: Object.fromEntries(Object.keys(bomb['properties'] as Json).map((k) => [k, { $ref: `#/$defs/${name}` }])) };
    const err = refusal(() => sanitizeSchemaForGemini(renamed));
    expect(err.message).toContain(`reached while inlining #/$defs/${'B'.repeat(92)}…`);
    expect(err.message.length).toBeLessThan(400);
  });

  it('holds one budget for all the tools of a request, and names the tool that ran it out', () => {
    // Each converts alone (about 30% of the limit); together they run out at the fourth.
    const part = enumBomb(45, 2000);
    const alone = new SchemaBudget();
    sanitizeSchemaForGemini(part, { budget: alone });
    expect(Math.floor(SCHEMA_MAX_OUTPUT_BYTES / alone.output)).toBe(3);
    expect(() => convertOpenAIToolsToGemini(tools(['a', part], ['b', part], ['c', part]))).not.toThrow();
    const err = refusal(() => convertOpenAIToolsToGemini(tools(['a', part], ['b', part], ['c', part], ['d', part], ['e', part])));
    expect(err.field).toBe('tools[3].function.parameters');
    expect(err.message).toContain('function "d"');
  });

  it('refuses a response_format schema bomb in openapi mode, naming response_format', () => {
    const format = { type: 'json_schema', json_schema: { name: 'out', schema: fanOutBomb() } } as OpenAIChatRequest['response_format'];
    const err = refusal(() => convertResponseFormat(format, 'openapi'));
    expect(err.field).toBe('response_format.json_schema.schema');
    expect(err.message).toMatch(/^response_format \(response_format\.json_schema\.schema\): /);
  });
});

/** Objects nested `depth` deep through the property `a`, a string at the bottom. */
function nested(depth: number): Json {
  let schema: Json = { type: 'string' };
  for (let i = 0; i < depth; i++) schema = { type: 'object', properties: { a: schema } };
  return schema;
}

describe('schemas nested deeper than the stack allows', () => {
  it(`refuses properties nested more than ${SCHEMA_MAX_DEPTH} deep with a 400, not a stack overflow`, () => {
    expect(() => sanitizeSchemaForGemini(nested(SCHEMA_MAX_DEPTH - 1))).not.toThrow();
    const err = refusal(() => convertOpenAIToolsToGemini(tools(['deep', nested(5000)])));
    expect(err.field).toBe('tools[0].function.parameters');
    expect(err.message).toBe(`function "deep" (tools[0].function.parameters): the schema is nested more than ${SCHEMA_MAX_DEPTH} levels deep (SCHEMA_MAX_DEPTH)`);
  });

  it('refuses allOf branches whose properties are nested that deep, while merging them', () => {
    const err = refusal(() => sanitizeSchemaForGemini({ allOf: [nested(5000), nested(5000)] }));
    expect(err.message).toContain('(SCHEMA_MAX_DEPTH)');
  });

  it('describes a default nested too deep for JSON.stringify instead of failing', () => {
    let value: unknown = 1;
    for (let i = 0; i < 20_000; i++) value = { v: value };
    const out = sanitizeSchemaForGemini({ type: 'object', properties: { p: { type: 'object', properties: { q: { type: 'string' } }, default: value } } });
    expect((out['properties'] as Json)['p']).toMatchObject({ description: 'default: (a value nested too deep to show)' });
  });

  it('refuses a response_format JSON Schema nested that deep, in json mode too', () => {
    const format = { type: 'json_schema', json_schema: { name: 'out', schema: nested(5000) } } as OpenAIChatRequest['response_format'];
    for (const mode of ['json', 'openapi'] as const) {
      const err = refusal(() => convertResponseFormat(format, mode));
      expect(err.field).toBe('response_format.json_schema.schema');
      expect(err.message).toBe(`response_format (response_format.json_schema.schema): the schema is nested more than ${SCHEMA_MAX_DEPTH} levels deep (SCHEMA_MAX_DEPTH)`);
    }
  });
});

describe('real schemas within the budget', () => {
  it('converts a 300-property tool, its output estimated within 15% of its JSON size', () => {
    const properties: Json = {};
    for (let i = 0; i < 300; i++) {
      properties[`field_${i}`] =
        i % 3 === 0
          ? { type: 'string', enum: ['low', 'medium', 'high'], description: `How much of item ${i} to use.` }
          : i % 3 === 1
            ? { type: 'array', items: { type: 'object', properties: { x: { type: 'number' }, y: { type: ['number', 'null'] } }, required: ['x'] } }
            : { type: 'string', format: 'date-time', description: `When item ${i} happened, in ISO 8601.`, maxLength: 40 };
    }
    const budget = new SchemaBudget();
    const out = sanitizeSchemaForGemini({ type: 'object', properties, required: Object.keys(properties) }, { budget });
    expect(Object.keys(out['properties'] as Json)).toHaveLength(300);
    const size = JSON.stringify(out).length;
    expect(Math.abs(budget.output - size) / size).toBeLessThan(0.15);
    expect(budget.steps).toBeLessThan(SCHEMA_MAX_STEPS / 50);
  });

  it('converts a recursive pydantic model (an expression tree) with stubs where it recurses', () => {
    const ref = (name: string) => ({ $ref: `#/$defs/${name}` });
    const schema = {
      $defs: {
        Expr: { anyOf: [ref('Num'), ref('BinOp'), ref('Call')], title: 'Expr' },
        Num: { properties: { value: { title: 'Value', type: 'number' } }, required: ['value'], title: 'Num', type: 'object' },
        BinOp: {
          properties: { op: { enum: ['+', '-', '*', '/'], title: 'Op', type: 'string' }, left: ref('Expr'), right: ref('Expr') },
          required: ['op', 'left', 'right'],
          title: 'BinOp',
          type: 'object',
        },
        Call: {
          properties: { name: { title: 'Name', type: 'string' }, args: { items: ref('Expr'), title: 'Args', type: 'array' }, next: { anyOf: [ref('Call'), { type: 'null' }], default: null } },
          required: ['name'],
          title: 'Call',
          type: 'object',
        },
      },
      properties: { expression: ref('Expr') },
      required: ['expression'],
      title: 'Evaluate',
      type: 'object',
    };
    const out = JSON.stringify(sanitizeSchemaForGemini(schema));
    expect(out).toContain('"op":{"type":"string","enum":["+","-","*","/"],"description":"Op"}');
    expect(out).toContain('recursive: same shape as Expr');
  });

  it('converts a graph of entities that reference each other (OpenAPI style), within the budget', () => {
    const $defs: Json = {};
    for (let i = 0; i < 12; i++) {
      $defs[`Entity${i}`] = {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string', description: 'Display name' },
          parent: { $ref: `#/$defs/Entity${(i + 1) % 12}` },
          owner: { $ref: `#/$defs/Entity${(i + 2) % 12}` },
          links: { type: 'array', items: { $ref: `#/$defs/Entity${(i + 3) % 12}` } },
        },
      };
    }
    const budget = new SchemaBudget();
    const out = sanitizeSchemaForGemini({ type: 'object', properties: { root: { $ref: '#/$defs/Entity0' } }, $defs }, { budget });
    expect(JSON.stringify(out)).toContain('same shape as Entity');
    expect(budget.output).toBeLessThan(SCHEMA_MAX_OUTPUT_BYTES / 4);
  });
});
