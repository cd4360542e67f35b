/**
 * Requests are parsed as strictly as Google does (docs/google-protocols.md#strict-parsing): unknown names and
 * wrong types are 400s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { call, envelope, raw, start, tokenFor } from './helpers.js';

let sim: Simulator;
let token: string;
const gen = (body: unknown) => call(sim, 'generateContent', token, body);
const withRequest = (request: Record<string, unknown>, model = 'gemini-2.5-flash') => ({
  model,
  project: 'sim-project-v',
  request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], ...request },
});
const messageOf = async (body: unknown): Promise<string> => {
  const r = await gen(body);
  expect(r.status).toBe(400);
  expect(r.body.error.status).toBe('INVALID_ARGUMENT');
  return r.body.error.message as string;
};

beforeAll(async () => {
  sim = await start({ accounts: [{ email: 'v@x.com' }, { email: 'q@x.com', rpm: 1 }], rateWindowMs: 60_000 });
  token = await tokenFor(sim, 'v@x.com');
});
afterAll(() => sim.close());

describe('unknown fields', () => {
  it('names the field and where it was, with a BadRequest detail', async () => {
    const r = await gen(withRequest({ generationConfig: { temperature: 0.2, effortLevel: 'HIGH' } }));
    expect(r.status).toBe(400);
    const message = `Invalid JSON payload received. Unknown name "effortLevel" at 'request.generation_config': Cannot find field.`;
    expect(r.body).toEqual({
      error: {
        code: 400,
        message,
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'request.generation_config', description: message }] }],
      },
    });
  });

  it('rejects them at every level, reporting all of them', async () => {
    expect(await messageOf({ ...withRequest({}), userAgent: 'x' })).toBe('Invalid JSON payload received. Unknown name "userAgent": Cannot find field.');
    const all = await messageOf(
      withRequest({
        contents: [{ role: 'user', parts: [{ text: 'hi', cache_control: {} }] }],
        generationConfig: { thinkingConfig: { effort: 'low' } },
        safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE', level: 1 }],
        systemInstruction: { parts: [{ text: 's' }], name: 'sys' },
        toolConfig: { functionCallingConfig: { mode: 'AUTO', strict: true } },
        tools: [{ functionDeclarations: [{ name: 'f', strict: true, parameters: { type: 'object', properties: { a: { type: 'string', additionalProperties: false } } } }] }],
        response_format: {},
      }),
    );
    for (const where of [
      `"cache_control" at 'request.contents[0].parts[0]'`,
      `"effort" at 'request.generation_config.thinking_config'`,
      `"level" at 'request.safety_settings[0]'`,
      `"name" at 'request.system_instruction'`,
      `"strict" at 'request.tool_config.function_calling_config'`,
      `"strict" at 'request.tools[0].function_declarations[0]'`,
      `"additionalProperties" at 'request.tools[0].function_declarations[0].parameters.properties[0].value'`,
      `"response_format" at 'request'`,
    ]) {
      expect(all).toContain(`Unknown name ${where}: Cannot find field.`);
    }
  });

  it('rejects `id` on functionCall and functionResponse, as Code Assist does', async () => {
    const message = await messageOf(
      withRequest({
        contents: [
          { role: 'user', parts: [{ text: 'go' }] },
          { role: 'model', parts: [{ functionCall: { id: 'call_1', name: 'f', args: {} } }] },
          { role: 'user', parts: [{ functionResponse: { id: 'call_1', name: 'f', response: { ok: true } } }] },
        ],
      }),
    );
    expect(message).toContain(`Unknown name "id" at 'request.contents[1].parts[0].function_call'`);
    expect(message).toContain(`Unknown name "id" at 'request.contents[2].parts[0].function_response'`);
  });
});

describe('spellings and types', () => {
  it('accepts snake_case and camelCase alike, numbers as strings, enums in any case', async () => {
    const r = await gen({
      model: 'gemini-2.5-flash',
      project: 'sim-project-v',
      user_prompt_id: 'u1',
      request: {
        contents: [{ role: 'user', parts: [{ text: 'snake case works' }, { inline_data: { mime_type: 'image/png', data: 'iVBORw0K' } }] }],
        system_instruction: { parts: [{ text: 'sys' }] },
        generation_config: { max_output_tokens: '4', top_k: 64, stop_sequences: [], thinking_config: { thinking_budget: 0, include_thoughts: false } },
        safety_settings: [{ category: 'harm_category_harassment', threshold: 'block_none' }],
        tools: [{ function_declarations: [{ name: 'f', parameters_json_schema: { type: 'object', additionalProperties: false } }] }],
        tool_config: { function_calling_config: { mode: 'none' } },
        session_id: 's1',
      },
    });
    expect(r.status).toBe(200);
    // max_output_tokens was read: 4 tokens of reply, cut short.
    expect(r.body.response.candidates[0]).toMatchObject({ finishReason: 'MAX_TOKENS', content: { parts: [{ text: 'Echo from gemini' }] } });
  });

  it('rejects wrong types with the path and the proto type', async () => {
    expect(await messageOf(withRequest({ generationConfig: { temperature: 'hot' } }))).toBe(
      `Invalid value at 'request.generation_config.temperature' (TYPE_FLOAT), "hot"`,
    );
    expect(await messageOf(withRequest({ generationConfig: { maxOutputTokens: 1.5 } }))).toBe(
      `Invalid value at 'request.generation_config.max_output_tokens' (TYPE_INT32), 1.5`,
    );
    expect(await messageOf(withRequest({ contents: [{ role: 'user', parts: [{ text: 42 }] }] }))).toBe(
      `Invalid value at 'request.contents[0].parts[0].text' (TYPE_STRING), 42`,
    );
    expect(await messageOf(withRequest({ contents: [{ role: 'user', parts: [{ text: { value: 'x' } }] }] }))).toBe(
      `Invalid value at 'request.contents[0].parts[0].text' (TYPE_STRING), Starting an object on a scalar field`,
    );
    expect(await messageOf(withRequest({ generationConfig: { responseMimeType: ['a', 'b'] } }))).toBe(
      `Invalid JSON payload received. Unknown name "responseMimeType" at 'request.generation_config': Proto field is not repeating, cannot start list.`,
    );
    expect(await messageOf(withRequest({ contents: 'hello' }))).toMatch(/^Invalid value at 'request.contents' \(type.googleapis.com\/.*Content\), "hello"$/);
    expect(await messageOf(withRequest({ generationConfig: { thinkingConfig: { thinkingLevel: 'EXTREME' } } }))).toMatch(
      /^Invalid value at 'request.generation_config.thinking_config.thinking_level' \(type.googleapis.com\/.*ThinkingLevel\), "EXTREME"$/,
    );
    expect(await messageOf(withRequest({ contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: 'not base64!' } }] }] }))).toContain(
      `(TYPE_BYTES), Base64 decoding failed for "not base64!"`,
    );
    expect(await messageOf(withRequest({ contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: 'ok' } }] }] }))).toContain(
      `(type.googleapis.com/google.protobuf.Struct), "ok"`,
    );
  });

  it('answers a body that is not JSON with 400 "Invalid JSON payload received."', async () => {
    const r = await raw(sim, 'generateContent', token, '{"model": "gemini-2.5-flash", "request": {');
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/^Invalid JSON payload received\./);
  });
});

describe('semantic checks', () => {
  it('contents must be present, with user/model roles and non-empty parts holding one datum each', async () => {
    expect(await messageOf({ ...withRequest({}), request: {} })).toMatch(/contents is not specified/);
    expect(await messageOf(withRequest({ contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }))).toBe('Please use a valid role: user, model.');
    expect(await messageOf(withRequest({ contents: [{ parts: [{ text: 'x' }] }] }))).toBe('Please use a valid role: user, model.');
    expect(await messageOf(withRequest({ contents: [{ role: 'user', parts: [] }] }))).toMatch(/contents\[0\]\.parts: contents\.parts must not be empty/);
    expect(await messageOf(withRequest({ contents: [{ role: 'user', parts: [{ thought: true }] }] }))).toMatch(/required oneof field 'data'/);
    expect(await messageOf(withRequest({ contents: [{ role: 'user', parts: [{ text: 'x', fileData: { fileUri: 'gs://b/o' } }] }] }))).toMatch(
      /Oneof field 'data' is already set/,
    );
  });

  it('function responses must answer the previous turn’s calls one for one', async () => {
    const call1 = { functionCall: { name: 'f', args: {} } };
    const reply = { functionResponse: { name: 'f', response: {} } };
    const message = await messageOf(
      withRequest({ contents: [{ role: 'user', parts: [{ text: 'go' }] }, { role: 'model', parts: [call1, call1] }, { role: 'user', parts: [reply] }] }),
    );
    expect(message).toBe('Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.');
    expect(await messageOf(withRequest({ contents: [{ role: 'user', parts: [reply] }] }))).toMatch(/function response turn comes immediately after a function call turn/);
  });

  it('Gemini 3 needs the thought signature of the current turn’s first function call', async () => {
    const contents = (call: Record<string, unknown>) => [
      { role: 'user', parts: [{ text: 'go' }] },
      { role: 'model', parts: [call] },
      { role: 'user', parts: [{ functionResponse: { name: 'list_dir', response: {} } }] },
    ];
    const missing = await messageOf(withRequest({ contents: contents({ functionCall: { name: 'list_dir', args: {} } }) }, 'gemini-3-pro-preview'));
    expect(missing).toMatch(/^Unable to submit request because function call `list_dir` in the 2\. content block is missing a `thought_signature`/);
    const signed = { functionCall: { name: 'list_dir', args: {} }, thoughtSignature: 'skip_thought_signature_validator' };
    expect((await gen(withRequest({ contents: contents(signed) }, 'gemini-3-pro-preview'))).status).toBe(200);
    // Gemini 2.5 does not check.
    expect((await gen(withRequest({ contents: contents({ functionCall: { name: 'list_dir', args: {} } }) }, 'gemini-2.5-pro'))).status).toBe(200);
  });

  it('checks function names and thinking settings per model', async () => {
    const badName = await messageOf(withRequest({ tools: [{ functionDeclarations: [{ name: 'my tool!' }] }] }));
    expect(badName).toMatch(/^The GenerateContentRequest proto is invalid:\n {2}\* tools\[0\]\.function_declarations\[0\]\.name: \[FIELD_INVALID\] Invalid function name/);
    expect(await messageOf(withRequest({ generationConfig: { thinkingConfig: { thinkingLevel: 'low' } } }))).toMatch(/Thinking level is not supported/);
    expect(await messageOf(withRequest({ generationConfig: { thinkingConfig: { thinkingBudget: 0 } } }, 'gemini-2.5-pro'))).toMatch(/only works in thinking mode/);
    expect((await gen(withRequest({ generationConfig: { thinkingConfig: { thinkingLevel: 'low' } } }, 'gemini-3-flash-preview'))).status).toBe(200);
  });

  it('invalid requests are not served, so they use no quota', async () => {
    const limited = await tokenFor(sim, 'q@x.com');
    const q = (body: unknown) => call(sim, 'generateContent', limited, body);
    expect((await q({ ...withRequest({ generationConfig: { nope: 1 } }), project: 'sim-project-q' })).status).toBe(400);
    expect((await q({ ...withRequest({ contents: [] }), project: 'sim-project-q' })).status).toBe(400);
    expect((await q(envelope('q@x.com', 'served'))).status).toBe(200);
    expect((await q(envelope('q@x.com', 'over'))).status).toBe(429);
  });
});
