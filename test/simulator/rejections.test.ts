/** What Google rejects in schemas, function names and turns, on both APIs, with their own wordings. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { apiCall, call, start, tokenFor } from './helpers.js';

const KEY = 'AIzaSy-rejections-key';
let sim: Simulator;
let token: string;

/** The 400 message of the same inner request on Code Assist and on the Gemini API. */
async function messages(request: Record<string, unknown>, model = 'gemini-2.5-flash'): Promise<{ ca: string; api: string }> {
  const full = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], ...request };
  const ca = await call(sim, 'generateContent', token, { model, project: 'sim-project-r', request: full });
  const api = await apiCall(sim, model, 'generateContent', KEY, full);
  expect([ca.status, api.status]).toEqual([400, 400]);
  expect([ca.body.error.status, api.body.error.status]).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
  return { ca: ca.body.error.message, api: api.body.error.message };
}

const fn = (parameters: unknown, name = 'f') => ({ tools: [{ functionDeclarations: [{ name, parameters }] }] });

beforeAll(async () => {
  sim = await start({ accounts: [{ email: 'r@x.com' }], apiKeys: [{ key: KEY, projectId: 'proj-r' }] });
  token = await tokenFor(sim, 'r@x.com');
});
afterAll(() => sim.close());

describe('schemas', () => {
  it('JSON-Schema-only keywords in parameters / responseSchema are unknown names', async () => {
    for (const keyword of ['additionalProperties', '$ref', 'const', '$schema', 'oneOf', 'exclusiveMinimum']) {
      const { ca, api } = await messages(fn({ type: 'OBJECT', properties: { a: { type: 'STRING' } }, [keyword]: keyword === 'oneOf' ? [] : 'x' }));
      expect(ca).toBe(`Invalid JSON payload received. Unknown name ${JSON.stringify(keyword)} at 'request.tools[0].function_declarations[0].parameters': Cannot find field.`);
      expect(api).toBe(`Invalid JSON payload received. Unknown name ${JSON.stringify(keyword)} at 'tools[0].function_declarations[0].parameters': Cannot find field.`);
    }
    const { api } = await messages({ generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { a: { type: 'STRING', const: 'x' } } } } });
    expect(api).toBe(`Invalid JSON payload received. Unknown name "const" at 'generation_config.response_schema.properties[0].value': Cannot find field.`);
  });

  it('an OBJECT needs properties, at any depth, in parameters and responseSchema', async () => {
    const top = await messages(fn({ type: 'OBJECT', properties: {} }));
    expect(top.api).toBe('* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties: should be non-empty for OBJECT type\n');
    expect(top.ca).toBe(top.api);
    const nested = await messages({
      generationConfig: {
        responseMimeType: 'application/json',
        responseSchema: { type: 'OBJECT', properties: { endpoints: { type: 'ARRAY', items: { type: 'OBJECT', properties: { params: { type: 'OBJECT' } } } } } },
      },
    });
    expect(nested.api).toBe(
      '* GenerateContentRequest.generation_config.response_schema.properties["endpoints"].items.properties["params"].properties: should be non-empty for OBJECT type\n',
    );
  });

  it('a STRING format may only be enum or date-time; every problem is listed', async () => {
    const { api } = await messages(
      fn({ type: 'OBJECT', properties: { url: { type: 'STRING', format: 'uri' }, at: { type: 'STRING', format: 'date-time' }, o: { type: 'OBJECT' } } }),
    );
    expect(api).toBe(
      `* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties["url"].format: only 'enum' and 'date-time' are supported for STRING type\n` +
        '* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties["o"].properties: should be non-empty for OBJECT type\n',
    );
  });

  it('JSON Schema fields take JSON Schema, and a function may have no parameters', async () => {
    const tools = [{ functionDeclarations: [{ name: 'f', parametersJsonSchema: { type: 'object', properties: {}, additionalProperties: false, $defs: {} } }, { name: 'g' }] }];
    const config = { responseMimeType: 'application/json', responseJsonSchema: { type: 'object', properties: { a: { const: 1 } }, additionalProperties: false } };
    const r = await apiCall(sim, 'gemini-2.5-flash', 'generateContent', KEY, { contents: [{ role: 'user', parts: [{ text: 'x' }] }], tools, generationConfig: config });
    expect(r.status).toBe(200);
    expect(r.body.candidates[0].content.parts[0].text).toBe('{"a":1}');
  });
});

describe('functions and turns', () => {
  it('function names must match ^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$', async () => {
    for (const name of ['1abc', 'has space', 'a'.repeat(65), 'emoji😀']) {
      const { api } = await messages({ tools: [{ functionDeclarations: [{ name }] }] });
      expect(api).toMatch(/^The GenerateContentRequest proto is invalid:\n {2}\* tools\[0\]\.function_declarations\[0\]\.name: \[FIELD_INVALID\] Invalid function name/);
    }
    const ok = await apiCall(sim, 'gemini-2.5-flash', 'generateContent', KEY, {
      contents: [{ role: 'user', parts: [{ text: 'x' }] }],
      tools: [{ functionDeclarations: [{ name: '_ns.tool:v1-x' }, { name: 'a'.repeat(64) }] }],
    });
    expect(ok.status).toBe(200);
  });

  it('Google Search next to function declarations is refused; either alone passes', async () => {
    const { ca, api } = await messages({ tools: [{ functionDeclarations: [{ name: 'f' }] }, { googleSearch: {} }] });
    expect([ca, api]).toEqual(['Tool use with function calling is unsupported', 'Tool use with function calling is unsupported']);
    for (const tools of [[{ googleSearch: {} }], [{ functionDeclarations: [{ name: 'f' }] }]]) {
      const ok = await apiCall(sim, 'gemini-2.5-flash', 'generateContent', KEY, { contents: [{ role: 'user', parts: [{ text: 'x' }] }], tools });
      expect(ok.status).toBe(200);
    }
  });

  it('function responses must match the call count of the preceding model turn', async () => {
    const call1 = { functionCall: { name: 'f', args: {} } };
    const reply = { functionResponse: { name: 'f', response: {} } };
    const { ca, api } = await messages({
      contents: [{ role: 'user', parts: [{ text: 'go' }] }, { role: 'model', parts: [call1] }, { role: 'user', parts: [reply, reply] }],
    });
    const text = 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.';
    expect([ca, api]).toEqual([text, text]);
  });

  it('Gemini 3 needs the current turn’s signatures: earlier turns are not checked', async () => {
    const unsigned = { functionCall: { name: 'list_dir', args: {} } };
    const response = { functionResponse: { name: 'list_dir', response: {} } };
    const contents = [
      { role: 'user', parts: [{ text: 'earlier question' }] },
      { role: 'model', parts: [unsigned] },
      { role: 'user', parts: [response] },
      { role: 'model', parts: [{ text: 'done' }] },
      { role: 'user', parts: [{ text: 'now' }] },
      { role: 'model', parts: [unsigned] },
      { role: 'user', parts: [response] },
    ];
    const { ca, api } = await messages({ contents }, 'gemini-3-flash-preview');
    expect(ca).toMatch(/^Unable to submit request because function call `list_dir` in the 6\. content block is missing a `thought_signature`\./);
    expect(api).toBe(
      'Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:list_dir` , position 6. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.',
    );
    // Only the current turn counts: sign its call and the unsigned one of the earlier turn passes.
    contents[5] = { role: 'model', parts: [{ ...unsigned, thoughtSignature: 'c2tpcA==' } as never] };
    expect((await apiCall(sim, 'gemini-3-flash-preview', 'generateContent', KEY, { contents })).status).toBe(200);
  });
});
