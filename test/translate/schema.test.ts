import { describe, expect, it } from 'vitest';
import { SchemaBudget } from '../../src/translate/schema-budget.js';
import { sanitizeSchemaForGemini } from '../../src/translate/schema.js';

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties, ...extra });

describe('sanitizeSchemaForGemini', () => {
  it('inlines local $defs references and lets sibling keywords refine the target', () => {
    const schema = obj(
      { home: { $ref: '#/$defs/Address', description: 'Where they live' }, work: { $ref: '#/definitions/Address' } },
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $defs: { Address: obj({ city: { type: 'string' } }, { required: ['city'], description: 'An address' }) },
        definitions: { Address: obj({ zip: { type: 'string' } }) },
      },
    );
    expect(sanitizeSchemaForGemini(schema)).toStrictEqual({
      type: 'object',
      properties: {
        home: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], description: 'Where they live' },
        work: { type: 'object', properties: { zip: { type: 'string' } } },
      },
    });
  });

  it('stops at a recursive reference with a described stub, and leaves remote references as hints', () => {
    const schema = obj(
      { tree: { $ref: '#/$defs/Node' }, remote: { $ref: 'https://example.com/schema.json', description: 'External' } },
      { $defs: { Node: obj({ label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } }) } },
    );
    expect(sanitizeSchemaForGemini(schema)).toStrictEqual({
      type: 'object',
      properties: {
        tree: {
          type: 'object',
          properties: {
            label: { type: 'string' },
            children: { type: 'array', items: { description: 'recursive: same shape as Node' } },
          },
        },
        remote: { description: 'External (see https://example.com/schema.json)' },
      },
    });
  });

  it('turns a null branch of anyOf or a type array into nullable', () => {
    const schema = obj({
      a: { anyOf: [{ type: 'string', maxLength: 5 }, { type: 'null' }], description: 'Optional name' },
      b: { type: ['integer', 'null'] },
      c: { oneOf: [{ $ref: '#/$defs/Point' }, { type: 'null' }] },
      d: { enum: ['x', null] },
    }, { $defs: { Point: obj({ x: { type: 'number' } }) } });
    expect(sanitizeSchemaForGemini(schema)['properties']).toStrictEqual({
      a: { type: 'string', description: 'Optional name (maxLength: 5)', nullable: true },
      b: { type: 'integer', nullable: true },
      c: { type: 'object', properties: { x: { type: 'number' } }, nullable: true },
      d: { type: 'string', enum: ['x'], nullable: true },
    });
  });

  it('keeps real unions as anyOf, splits type arrays into typed branches and collapses string literals into one enum', () => {
    const schema = obj({
      shape: { oneOf: [obj({ radius: { type: 'number' } }), obj({ side: { type: 'number' } })] },
      id: { type: ['string', 'integer'], description: 'Either form', default: 0 },
      mode: { anyOf: [{ const: 'fast' }, { const: 'safe', description: 'Careful' }] },
    });
    expect(sanitizeSchemaForGemini(schema)['properties']).toStrictEqual({
      shape: {
        anyOf: [
          { type: 'object', properties: { radius: { type: 'number' } } },
          { type: 'object', properties: { side: { type: 'number' } } },
        ],
      },
      id: { anyOf: [{ type: 'string' }, { type: 'integer' }], description: 'Either form (default: 0)' },
      mode: { type: 'string', enum: ['fast', 'safe'] },
    });
  });

  it('distributes shared properties into the branches of a discriminated union', () => {
    const schema = {
      type: 'object',
      properties: { kind: { type: 'string' } },
      required: ['kind'],
      oneOf: [obj({ url: { type: 'string' } }, { required: ['url'] }), obj({ path: { type: 'string' } })],
    };
    expect(sanitizeSchemaForGemini(schema)).toStrictEqual({
      anyOf: [
        { type: 'object', properties: { kind: { type: 'string' }, url: { type: 'string' } }, required: ['kind', 'url'] },
        { type: 'object', properties: { kind: { type: 'string' }, path: { type: 'string' } }, required: ['kind'] },
      ],
    });
  });

  it('keeps the parent of constraint-only branches and describes the constraint', () => {
    const schema = obj({ a: { type: 'string' }, b: { type: 'string' } }, { anyOf: [{ required: ['a'] }, { required: ['b'] }] });
    expect(sanitizeSchemaForGemini(schema)).toStrictEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' } },
      description: 'one of: {"required":["a"]} | {"required":["b"]}',
    });
  });

  it('merges allOf, including a referenced base', () => {
    const schema = {
      allOf: [{ $ref: '#/$defs/Base' }, obj({ extra: { type: 'boolean' } }, { required: ['extra'], description: 'More.' })],
      description: 'Combined.',
      $defs: { Base: obj({ id: { type: 'string' } }, { required: ['id'] }) },
    };
    expect(sanitizeSchemaForGemini(schema)).toStrictEqual({
      type: 'object',
      properties: { id: { type: 'string' }, extra: { type: 'boolean' } },
      required: ['id', 'extra'],
      description: 'Combined. More.',
    });
  });

  it('turns const into a one-value enum, stringifies string enums and moves non-string enums into hints', () => {
    expect(
      sanitizeSchemaForGemini(
        obj({
          version: { const: 'v1' },
          level: { type: 'string', enum: ['low', 2, true] },
          count: { type: 'integer', enum: [1, 2, 3] },
          flag: { const: true },
          ratio: { enum: [0.5, 1.5] },
        }),
      )['properties'],
    ).toStrictEqual({
      version: { type: 'string', enum: ['v1'] },
      level: { type: 'string', enum: ['low', '2', 'true'] },
      count: { type: 'integer', description: 'allowed values: 1, 2, 3' },
      flag: { type: 'boolean', description: 'allowed values: true' },
      ratio: { type: 'number', description: 'allowed values: 0.5, 1.5' },
    });
  });

  it('drops additionalProperties and other unknown keywords, keeping their meaning as hints', () => {
    const schema = obj(
      {
        tags: { type: 'array', items: { type: 'string' }, uniqueItems: true, minItems: 1, maxItems: 3 },
        score: { type: 'number', exclusiveMinimum: 0, multipleOf: 0.5, maximum: 10, 'x-unit': 'points' },
        meta: obj({ k: { type: 'string' } }, { additionalProperties: true, propertyNames: { pattern: '^[a-z]+$' } }),
      },
      { additionalProperties: false, $comment: 'internal', title: 'Input', examples: [{ tags: ['a'] }] },
    );
    expect(sanitizeSchemaForGemini(schema)).toStrictEqual({
      type: 'object',
      properties: {
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3, description: 'uniqueItems: true' },
        score: { type: 'number', maximum: 10, description: 'exclusiveMinimum: 0; multipleOf: 0.5' },
        meta: { type: 'object', properties: { k: { type: 'string' } }, description: 'additional properties are allowed' },
      },
      description: 'Input (examples: [{"tags":["a"]}])',
    });
  });

  it('never emits an OBJECT without properties: the root stays a bare object, nested ones become free-form', () => {
    expect(sanitizeSchemaForGemini({ type: 'object', properties: {}, additionalProperties: false })).toStrictEqual({ type: 'object' });
    expect(sanitizeSchemaForGemini(obj({ options: { type: 'object', description: 'Extra options' }, any: {} }))).toStrictEqual({
      type: 'object',
      properties: { options: { description: 'Extra options (a free-form JSON object)' }, any: {} },
    });
  });

  it('keeps only the string formats Gemini knows (enum, date-time) and numeric formats per type', () => {
    expect(
      sanitizeSchemaForGemini(
        obj({
          at: { type: 'string', format: 'date-time' },
          day: { type: 'string', format: 'date' },
          mail: { type: 'string', format: 'email', description: 'Contact' },
          n: { type: 'integer', format: 'int64' },
          x: { type: 'number', format: 'int32' },
        }),
      )['properties'],
    ).toStrictEqual({
      at: { type: 'string', format: 'date-time' },
      day: { type: 'string', description: 'format: date' },
      mail: { type: 'string', description: 'Contact (format: email)' },
      n: { type: 'integer', format: 'int64' },
      x: { type: 'number', description: 'format: int32' },
    });
  });

  it('prunes required names that are not properties, and removes required, properties and items where they do not belong', () => {
    const schema = obj(
      { name: { type: 'string', properties: { a: { type: 'string' } }, required: ['a'], items: { type: 'string' } } },
      { required: ['name', 'ghost', 'name'] },
    );
    expect(sanitizeSchemaForGemini(schema)).toStrictEqual({
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
    });
  });

  it('gives arrays without items string items and describes tuples', () => {
    expect(
      sanitizeSchemaForGemini(
        obj({ list: { type: 'array' }, pair: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'string' }] } }),
      )['properties'],
    ).toStrictEqual({
      list: { type: 'array', items: { type: 'string' } },
      pair: { type: 'array', items: { anyOf: [{ type: 'number' }, { type: 'string' }] }, description: 'items in order: a tuple' },
    });
  });

  it('repairs MCP quirks: bare property maps, boolean required and missing object types', () => {
    expect(
      sanitizeSchemaForGemini({
        path: { type: 'string', required: true, description: 'File path' },
        recursive: { type: 'boolean', required: false },
        filter: { properties: { glob: { type: 'string' } }, required: ['glob'] },
      }),
    ).toStrictEqual({
      type: 'object',
      properties: {
        path: { type: 'string', description: 'File path' },
        recursive: { type: 'boolean' },
        filter: { type: 'object', properties: { glob: { type: 'string' } }, required: ['glob'] },
      },
      required: ['path'],
    });
  });

  it('treats non-objects as an empty schema and never modifies its input', () => {
    expect(sanitizeSchemaForGemini(undefined)).toStrictEqual({});
    expect(sanitizeSchemaForGemini(true)).toStrictEqual({});
    const input = obj({ a: { $ref: '#/$defs/A' } }, { $defs: { A: { const: 'x' } }, anyOf: [{ required: ['a'] }] });
    const before = structuredClone(input);
    sanitizeSchemaForGemini(input);
    expect(input).toStrictEqual(before);
  });
});

describe('sanitizeSchemaForGemini limits', () => {
  it('stops inlining a schema whose references fan out exponentially', () => {
    const $defs: Record<string, unknown> = { D0: { type: 'string' } };
    for (let i = 1; i <= 20; i++) $defs[`D${i}`] = obj({ l: { $ref: `#/$defs/D${i - 1}` }, r: { $ref: `#/$defs/D${i - 1}` } });
    // 2^20 paths; the inlining budget turns all but the first 2000 references into stubs.
    const budget = new SchemaBudget();
    const out = JSON.stringify(sanitizeSchemaForGemini({ $ref: '#/$defs/D20', $defs }, { budget }));
    expect(out).toContain('same shape as D');
    expect(budget.steps).toBeLessThan(50_000);
  });
});

describe('sanitizeSchemaForGemini references followed through anyOf, oneOf, allOf and tuples', () => {
  // pydantic: class Node(BaseModel): value: int; next: Optional['Node'] = None
  const pydanticNode = {
    $defs: {
      Node: {
        properties: { value: { type: 'integer' }, next: { anyOf: [{ $ref: '#/$defs/Node' }, { type: 'null' }], default: null } },
        required: ['value'],
        title: 'Node',
        type: 'object',
      },
    },
    properties: { head: { anyOf: [{ $ref: '#/$defs/Node' }, { type: 'null' }], default: null } },
    type: 'object',
  };

  it('stops an Optional recursive type (anyOf with a $ref to itself) with the recursive stub', () => {
    const stub = { description: 'recursive: same shape as Node', nullable: true };
    const node = (next: unknown) => ({ type: 'object', properties: { value: { type: 'integer' }, next }, required: ['value'], description: 'Node (default: null)' });
    expect(sanitizeSchemaForGemini(pydanticNode)).toStrictEqual({
      type: 'object',
      properties: { head: { ...node(stub), nullable: true } },
    });
  });

  it('stops recursion reached through oneOf, allOf and tuple items', () => {
    const $defs = {
      A: obj({ x: { oneOf: [{ $ref: '#/$defs/A' }, obj({ leaf: { type: 'string' } })] } }),
      B: obj({ y: { allOf: [{ $ref: '#/$defs/B' }], description: 'again' } }),
      C: { type: 'array', prefixItems: [{ $ref: '#/$defs/C' }, { type: 'string' }] },
    };
    const out = sanitizeSchemaForGemini(obj({ a: { $ref: '#/$defs/A' }, b: { allOf: [{ $ref: '#/$defs/B' }] }, c: { $ref: '#/$defs/C' } }, { $defs }));
    expect(out['properties']).toStrictEqual({
      a: {
        type: 'object',
        properties: {
          x: { anyOf: [{ description: 'recursive: same shape as A' }, { type: 'object', properties: { leaf: { type: 'string' } } }] },
        },
      },
      b: { type: 'object', properties: { y: { description: 'again (recursive: same shape as B)' } } },
      c: {
        type: 'array',
        items: { anyOf: [{ description: 'recursive: same shape as C' }, { type: 'string' }] },
        description: 'items in order: a tuple',
      },
    });
  });

  it('bounds a chain of unions that each reference the next twice by the inlining budget', () => {
    const $defs: Record<string, unknown> = { D16: obj({ v: { type: 'string' } }) };
    for (let i = 0; i < 16; i++) $defs[`D${i}`] = { anyOf: [{ $ref: `#/$defs/D${i + 1}`, description: 'a' }, { $ref: `#/$defs/D${i + 1}`, description: 'b' }] };
    const budget = new SchemaBudget();
    const out = JSON.stringify(sanitizeSchemaForGemini(obj({ r: { anyOf: [{ $ref: '#/$defs/D0' }, { type: 'null' }] } }, { $defs }), { budget }));
    expect(budget.steps).toBeLessThan(100_000);
    expect(out.length).toBeLessThan(1_000_000);
    expect(out).toContain('same shape as D');
  });
});

describe('sanitizeSchemaForGemini property names', () => {
  it('prunes required names inherited from Object.prototype, which are not properties', () => {
    expect(sanitizeSchemaForGemini(obj({ q: { type: 'string' } }, { required: ['q', 'constructor', 'toString'] }))).toStrictEqual({
      type: 'object',
      properties: { q: { type: 'string' } },
      required: ['q'],
    });
  });

  it('keeps properties named __proto__ and constructor, as own keys of a plain object', () => {
    const schema = JSON.parse(
      '{"type":"object","properties":{"__proto__":{"type":"string","required":true},"constructor":{"type":"number"}},"required":["__proto__","constructor","toString"]}',
    ) as unknown;
    const out = sanitizeSchemaForGemini(schema);
    // Compared as JSON: deep equality is unreliable for an own `__proto__` key.
    expect(JSON.stringify(out)).toBe(
      '{"type":"object","properties":{"__proto__":{"type":"string"},"constructor":{"type":"number"}},"required":["__proto__","constructor"]}',
    );
    expect(Object.getPrototypeOf(out['properties'])).toBe(Object.prototype);
  });

  it('merges allOf branches with __proto__ and constructor keys as ordinary keys', () => {
    const schema = JSON.parse(
      '{"allOf":[{"type":"object","properties":{"constructor":{"type":"string"}}},{"properties":{"__proto__":{"type":"integer"}},"required":["__proto__"]}]}',
    ) as unknown;
    expect(JSON.stringify(sanitizeSchemaForGemini(schema))).toBe(
      '{"type":"object","properties":{"constructor":{"type":"string"},"__proto__":{"type":"integer"}},"required":["__proto__"]}',
    );
  });

  it('resolves a $ref whose pointer has a % not followed by hex, and leaves undecodable dangling ones as hints', () => {
    const schema = obj({ d: { $ref: '#/$defs/50%_off' }, e: { $ref: '#/$defs/%E0%A4%A' } }, { $defs: { '50%_off': { type: 'string' } } });
    expect(sanitizeSchemaForGemini(schema)['properties']).toStrictEqual({
      d: { type: 'string' },
      e: { description: 'see #/$defs/%E0%A4%A' },
    });
  });
});
