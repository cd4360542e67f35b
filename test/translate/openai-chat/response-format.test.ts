import { describe, expect, it } from 'vitest';
import { convertResponseFormat, prepareResponseJsonSchema } from '../../../src/translate/openai-chat/response-format.js';

describe('convertResponseFormat', () => {
  it('maps text to nothing, json_object to JSON mode and a schema-less json_schema to JSON mode', () => {
    expect(convertResponseFormat({ type: 'text' })).toStrictEqual({});
    expect(convertResponseFormat(undefined)).toStrictEqual({});
    expect(convertResponseFormat({ type: 'json_object' })).toStrictEqual({ responseMimeType: 'application/json' });
    expect(convertResponseFormat({ type: 'json_schema', json_schema: { name: 'x' } }, 'openapi')).toStrictEqual({
      responseMimeType: 'application/json',
    });
  });
});

describe('prepareResponseJsonSchema', () => {
  it('strips non-$ siblings of $ref wherever a schema can sit, and nothing else', () => {
    const schema = {
      type: 'object',
      properties: {
        a: { $ref: '#/$defs/A', description: 'dropped', $comment: 'kept' },
        list: { type: 'array', items: { $ref: '#/$defs/A', title: 'dropped' } },
        either: { anyOf: [{ $ref: '#/$defs/A', default: 1 }, { type: 'null' }] },
        ref: { const: { $ref: 'data, not a schema', note: 'kept' } },
      },
      additionalProperties: { $ref: '#/$defs/A', description: 'dropped' },
      $defs: { A: { type: 'string', description: 'kept' }, B: { $ref: '#/$defs/A', description: 'dropped' } },
    };
    expect(prepareResponseJsonSchema(schema)).toStrictEqual({
      type: 'object',
      properties: {
        a: { $ref: '#/$defs/A', $comment: 'kept' },
        list: { type: 'array', items: { $ref: '#/$defs/A' } },
        either: { anyOf: [{ $ref: '#/$defs/A' }, { type: 'null' }] },
        ref: { const: { $ref: 'data, not a schema', note: 'kept' } },
      },
      additionalProperties: { $ref: '#/$defs/A' },
      $defs: { A: { type: 'string', description: 'kept' }, B: { $ref: '#/$defs/A' } },
    });
  });
});
