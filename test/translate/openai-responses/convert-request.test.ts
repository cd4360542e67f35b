import { describe, expect, it } from 'vitest';
import { collectResponsesMediaUrls, unsignedCallIds } from '../../../src/translate/openai-responses/convert-input.js';
import { convertResponsesRequestToGemini, inputItems, type ResponsesToGeminiOptions } from '../../../src/translate/openai-responses/convert-request.js';
import { responsesRequestSchema } from '../../../src/translate/openai-responses/request-schema.js';
import { encodeAnswerSignatures } from '../../../src/translate/openai-responses/signatures.js';
import { TranslationError } from '../../../src/translate/translation-error.js';
import { BYPASS_THOUGHT_SIGNATURE } from '../../../src/translate/openai-chat/thought-signature.js';
import type { GeminiBlob } from '../../../src/types/gemini.js';
import { listFixtures, readJsonFixture } from './fixtures.js';

/** What a request fixture may configure: the signature cache and fetched media. */
interface FixtureOptions {
  signatures?: Record<string, string>;
  media?: Record<string, GeminiBlob>;
}

function options(fixture: FixtureOptions | undefined): ResponsesToGeminiOptions {
  const out: ResponsesToGeminiOptions = {};
  if (fixture?.signatures) out.lookupSignature = (id) => fixture.signatures![id];
  if (fixture?.media) out.resolveMedia = (url) => fixture.media![url];
  return out;
}

/** Client body → schema → converter, as the route does it. */
function translate(body: unknown, opts: ResponsesToGeminiOptions = {}) {
  return convertResponsesRequestToGemini(responsesRequestSchema.parse(body), opts);
}

function translationError(body: unknown, opts: ResponsesToGeminiOptions = {}): { field: string; message: string } {
  try {
    translate(body, opts);
  } catch (err) {
    if (err instanceof TranslationError) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error('expected a TranslationError');
}

const call = (call_id: string, name = 'f', args = '{}') => ({ type: 'function_call', call_id, name, arguments: args });
const output = (call_id: string, out: unknown = 'ok') => ({ type: 'function_call_output', call_id, output: out });
const user = (text: string) => ({ role: 'user', content: text });
const tools = [{ type: 'function', name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } }];

describe('convertResponsesRequestToGemini', () => {
  it.each(listFixtures('request-', '.json'))('translates %s to the exact Gemini request', (name) => {
    const fixture = readJsonFixture<{ request: unknown; gemini: unknown; options?: FixtureOptions; toolNames?: Record<string, string>; customTools?: string[] }>(
      `${name}.json`,
    );
    const { model, request, toolNames, customTools } = translate(fixture.request, options(fixture.options));
    expect({ model, request }).toStrictEqual(fixture.gemini);
    if (fixture.toolNames) expect(Object.fromEntries(toolNames)).toStrictEqual(fixture.toolNames);
    if (fixture.customTools) expect([...customTools]).toStrictEqual(fixture.customTools);
  });

  it('does not modify its input', () => {
    const req = responsesRequestSchema.parse({ model: 'm', input: [user('a'), call('c1'), output('c1'), user('b')], tools });
    const before = structuredClone(req);
    translate(req);
    expect(req).toStrictEqual(before);
  });

  it('answers every call of a turn, in call order, with a stand-in for an output the client left out', () => {
    const { request } = translate({ model: 'm', tools, input: [user('go'), call('c1', 'f'), call('c2', 'g'), output('c2', 'two'), output('c2', 'again')] });
    expect(request.contents[2]).toStrictEqual({
      role: 'user',
      parts: [
        { functionResponse: { name: 'f', response: { output: 'No output was returned for this call.' } } },
        { functionResponse: { name: 'g', response: { output: 'again' } } },
      ],
    });
  });

  it('sends an output that no longer follows its call as text', () => {
    const { request } = translate({ model: 'm', tools, input: [user('go'), call('c1'), user('wait'), output('c1', 'late')] });
    expect(request.contents).toStrictEqual([
      { role: 'user', parts: [{ text: 'go' }] },
      { role: 'model', parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: BYPASS_THOUGHT_SIGNATURE }] },
      { role: 'user', parts: [{ text: 'wait' }, { text: 'Output of the earlier call f (c1):\nlate' }] },
    ]);
  });

  it('takes call signatures from encrypted_content, then the cache, and the bypass value only for a first call', () => {
    const encrypted = encodeAnswerSignatures({ calls: { c1: 'sig-1' } });
    const input = [
      user('one'),
      { type: 'reasoning', summary: [], encrypted_content: encrypted },
      call('c1'),
      call('c2'),
      output('c1'),
      output('c2'),
      user('two'),
      call('c3'),
      output('c3'),
      user('three'),
      call('c4'),
      call('c5'),
      output('c4'),
      output('c5'),
    ];
    const cache: Record<string, string> = { c3: 'sig-3', c5: 'sig-5' };
    const { request } = translate({ model: 'gemini-3-pro-preview', tools, input }, { lookupSignature: (id) => cache[id] });
    const signatures = request.contents.filter((c) => c.role === 'model').map((c) => c.parts.map((p) => p.thoughtSignature));
    expect(signatures).toStrictEqual([['sig-1', undefined], ['sig-3'], [BYPASS_THOUGHT_SIGNATURE, 'sig-5']]);
    // What the handler looks up: first calls without a signature in the input.
    expect(unsignedCallIds(inputItems(responsesRequestSchema.parse({ model: 'm', input }).input))).toStrictEqual(['c3', 'c4']);
  });

  it('reads the {content, success} outputs of older Codex builds, and finds no signature for a call id like "constructor"', () => {
    const { request } = translate({
      model: 'gemini-3-pro-preview',
      tools,
      input: [user('go'), { type: 'reasoning', summary: [], encrypted_content: encodeAnswerSignatures({ calls: {} }) }, call('constructor'), output('constructor', { content: 'exit 1', success: false })],
    });
    expect(request.contents.slice(1)).toStrictEqual([
      { role: 'model', parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: BYPASS_THOUGHT_SIGNATURE }] },
      { role: 'user', parts: [{ functionResponse: { name: 'f', response: { output: 'exit 1' } } }] },
    ]);
  });

  it('puts an answer text signature back on the last part of its turn', () => {
    const encrypted = encodeAnswerSignatures({ calls: {}, text: 'sig-t' });
    const { request } = translate({
      model: 'gemini-3-pro-preview',
      input: [
        user('hi'),
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello' }, { type: 'output_text', text: ' there' }] },
        { type: 'reasoning', summary: [], encrypted_content: encrypted },
        user('again'),
      ],
    });
    expect(request.contents[1]).toStrictEqual({ role: 'model', parts: [{ text: 'Hello' }, { text: ' there', thoughtSignature: 'sig-t' }] });
  });

  it('ignores encrypted_content Rotor did not write', () => {
    const { request } = translate({
      model: 'm',
      tools,
      input: [user('hi'), { type: 'reasoning', summary: [], encrypted_content: 'gAAAAABo-openai-ciphertext' }, call('c1'), output('c1')],
    });
    expect(request.contents[1]!.parts[0]!.thoughtSignature).toBe(BYPASS_THOUGHT_SIGNATURE);
  });

  it('maps reasoning effort per model family and asks for thoughts only with a summary', () => {
    const config = (model: string, reasoning: unknown) => translate({ model, input: 'hi', reasoning }).request.generationConfig;
    expect(config('gemini-2.5-flash', { effort: 'high' })).toStrictEqual({ thinkingConfig: { thinkingBudget: 24576 } });
    expect(config('gemini-2.5-flash', { effort: 'none', summary: 'auto' })).toStrictEqual({ thinkingConfig: { thinkingBudget: 0 } });
    expect(config('gemini-2.5-flash', { summary: 'detailed' })).toStrictEqual({ thinkingConfig: { includeThoughts: true } });
    expect(config('gemini-2.5-flash', { generate_summary: 'concise' })).toStrictEqual({ thinkingConfig: { includeThoughts: true } });
    expect(config('gemini-3-flash-preview', { effort: 'minimal', summary: 'auto' })).toStrictEqual({ thinkingConfig: { thinkingLevel: 'minimal', includeThoughts: true } });
    expect(config('gemini-3-pro-preview', { effort: 'xhigh' })).toStrictEqual({ thinkingConfig: { thinkingLevel: 'high' } });
    expect(config('gemma-4-31b-it', { effort: 'high', summary: 'auto' })).toBeUndefined();
    expect(config('gemini-2.5-flash-nothinking', { summary: 'auto' })).toStrictEqual({ thinkingConfig: { thinkingBudget: 0 } });
  });

  it('maps text.format to structured output', () => {
    const schema = { type: 'object', properties: { a: { $ref: '#/$defs/A', description: 'dropped' } }, $defs: { A: { type: 'string' } } };
    expect(translate({ model: 'm', input: 'hi', text: { format: { type: 'json_schema', name: 'x', schema, strict: true } } }).request.generationConfig).toStrictEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: { type: 'object', properties: { a: { $ref: '#/$defs/A' } }, $defs: { A: { type: 'string' } } },
    });
    expect(translate({ model: 'm', input: 'hi', text: { format: { type: 'json_object' } } }).request.generationConfig).toStrictEqual({ responseMimeType: 'application/json' });
    expect(translate({ model: 'm', input: 'hi', text: { format: { type: 'text' }, verbosity: 'low' } }).request.generationConfig).toBeUndefined();
  });

  it('maps tool_choice, with sanitised names', () => {
    const named = [
      { type: 'function', name: 'lookup-user!v2', parameters: { type: 'object', properties: { id: { type: 'integer' } } } },
      { type: 'custom', name: 'apply_patch' },
      { type: 'web_search_preview' },
    ];
    const choice = (tool_choice: unknown) => translate({ model: 'm', input: 'hi', tools: named, tool_choice }).request.toolConfig;
    const sanitised = translate({ model: 'm', input: 'hi', tools: named }).toolNames;
    const gemini = [...sanitised.entries()].find(([, client]) => client === 'lookup-user!v2')![0];
    expect(gemini).toMatch(/^[A-Za-z_][A-Za-z0-9_.:-]*$/);
    expect(choice('none')).toStrictEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(choice('required')).toStrictEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(choice({ type: 'function', name: 'lookup-user!v2' })).toStrictEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [gemini] } });
    expect(choice({ type: 'custom', name: 'apply_patch' })).toStrictEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['apply_patch'] } });
    expect(choice({ type: 'allowed_tools', mode: 'required', tools: [{ type: 'custom', name: 'apply_patch' }, { type: 'mcp', server_label: 'x' }] })).toStrictEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['apply_patch'] },
    });
    expect(choice({ type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'lookup-user!v2' }] })).toStrictEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(choice({ type: 'web_search_preview' })).toBeUndefined();
    // Only hosted tools: nothing to force.
    expect(translate({ model: 'm', input: 'hi', tools: [{ type: 'web_search' }], tool_choice: 'required' }).request).toStrictEqual({
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      tools: [{ googleSearch: {} }],
    });
  });

  it('adds Google Search for web_search and the -search model suffix, but not next to functions (Google refuses both)', () => {
    const { model, request } = translate({ model: 'gemini-2.5-flash-search', input: 'hi' });
    expect(model).toBe('gemini-2.5-flash');
    expect(request.tools).toStrictEqual([{ googleSearch: {} }]);
    expect(translate({ model: 'm', input: 'hi', tools: [{ type: 'web_search_preview_2025_03_11' }] }).request.tools).toStrictEqual([{ googleSearch: {} }]);
    expect(translate({ model: 'm-search', input: 'hi', tools: [{ type: 'web_search' }, ...tools] }).request.tools).toStrictEqual([
      { functionDeclarations: [{ name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } }] },
    ]);
  });

  it('lists remote media of user messages and tool outputs', () => {
    const req = responsesRequestSchema.parse({
      model: 'm',
      tools,
      input: [
        { role: 'user', content: [{ type: 'input_image', image_url: 'https://a.example/1.png' }, { type: 'input_image', image_url: 'data:image/png;base64,AA==' }] },
        call('c1'),
        output('c1', [{ type: 'input_file', file_url: 'https://a.example/2.pdf' }, { type: 'input_image', image_url: 'https://a.example/1.png' }]),
      ],
    });
    expect(collectResponsesMediaUrls(inputItems(req.input))).toStrictEqual(['https://a.example/1.png', 'https://a.example/2.pdf', 'https://a.example/1.png']);
  });

  it.each([
    [{ model: 'm', input: [output('nope')] }, 'input[0].call_id', /no function_call or custom_tool_call with call_id "nope"/],
    [{ model: 'm', input: [] }, 'input', /at least one/],
    [{ model: 'm' }, 'input', /at least one/],
    [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }, 'input[0].content[0].file_id', /uploaded file/],
    [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }, 'input[0].content[0].file_id', /uploaded file/],
    [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x.example/a.png' }] }] }, 'input[0].content[0].image_url', /could not be fetched/],
    [{ model: 'm', input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'data:image/png;base64,AA==' }] }] }, 'input[0].content[0].type', /only contain text/],
    [{ model: 'm', input: [user('x'), call('c1', 'f', '[1]')], tools }, 'input[1].arguments', /JSON object/],
    [{ model: 'm', input: 'x', tools: [...tools, ...tools] }, 'tools[1].name', /duplicate/],
    [{ model: 'm', input: 'x', tools, tool_choice: { type: 'function', name: 'g' } }, 'tool_choice.name', /"g" is not one of/],
    [{ model: 'm', input: 'x', tools: [{ type: 'function', name: 'f', parameters: { type: 'string' } }] }, 'tools[0].parameters', /type "object"/],
  ])('refuses %j at %s', (body, field, message) => {
    const error = translationError(body);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
