import { describe, expect, it } from 'vitest';
import {
  convertOpenAIChatRequestToGemini,
  TranslationError,
  type OpenAIToGeminiOptions,
} from '../../../src/translate/openai-chat/convert-openai-request-to-gemini.js';
import { BYPASS_THOUGHT_SIGNATURE } from '../../../src/translate/openai-chat/convert-openai-messages-to-gemini.js';
import { openAIChatRequestSchema } from '../../../src/translate/openai-chat/request-schema.js';
import type { GeminiBlob } from '../../../src/types/gemini.js';
import { listFixtures, readJsonFixture } from './fixtures.js';

/** What a request fixture may configure: a signature cache, fetched media and the schema mode. */
interface FixtureOptions {
  signatures?: Record<string, string>;
  media?: Record<string, GeminiBlob>;
  schemaMode?: 'json' | 'openapi';
}

function options(fixture: FixtureOptions | undefined): OpenAIToGeminiOptions {
  const out: OpenAIToGeminiOptions = {};
  const { signatures, media } = fixture ?? {};
  if (signatures) out.lookupSignature = (id) => signatures[id];
  if (media) out.resolveMedia = (url) => media[url];
  if (fixture?.schemaMode) out.schemaMode = fixture.schemaMode;
  return out;
}

/** Client body → schema → converter, as the HTTP route does it. */
function translate(body: unknown, opts: OpenAIToGeminiOptions = {}) {
  return convertOpenAIChatRequestToGemini(openAIChatRequestSchema.parse(body), opts);
}

function translationError(body: unknown, opts: OpenAIToGeminiOptions = {}): { field: string; message: string } {
  try {
    translate(body, opts);
  } catch (err) {
    if (err instanceof TranslationError) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error('expected a TranslationError');
}

const user = { role: 'user', content: 'Hi' };
const png = 'data:image/png;base64,iVBORw0KGgo=';

function withUserParts(...parts: unknown[]) {
  return { model: 'm', messages: [{ role: 'user', content: parts }] };
}

describe('convertOpenAIChatRequestToGemini', () => {
  it.each(listFixtures('request-', '.json'))('translates %s to the exact Gemini request', (name) => {
    const fixture = readJsonFixture<{ openai: unknown; gemini: unknown; options?: FixtureOptions; toolNames?: Record<string, string> }>(
      `${name}.json`,
    );
    const { model, request, toolNames } = translate(fixture.openai, options(fixture.options));
    expect({ model, request }).toStrictEqual(fixture.gemini);
    if (fixture.toolNames) expect(Object.fromEntries(toolNames)).toStrictEqual(fixture.toolNames);
  });

  it('does not modify its input', () => {
    const req = openAIChatRequestSchema.parse({
      model: 'm',
      messages: [user, { role: 'assistant', content: 'a' }, { role: 'user', content: [{ type: 'text', text: 'b' }] }],
      stop: ['x'],
    });
    const before = structuredClone(req);
    translate(req);
    expect(req).toStrictEqual(before);
  });

  it('sends max_tokens when max_completion_tokens is absent, and omits candidateCount for n = 1', () => {
    expect(translate({ model: 'm', messages: [user], max_tokens: 10, n: 1 }).request.generationConfig).toStrictEqual({
      maxOutputTokens: 10,
    });
  });

  it('answers a deprecated function message with the name it carries', () => {
    const result = translate({
      model: 'm',
      messages: [
        user,
        { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'function', name: 'f', content: '42' },
      ],
    });
    expect(result.request.contents[2]).toStrictEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'f', response: { output: '42' } } }],
    });
  });

  it('translates a deprecated function_call in the history into the functionCall its function result answers', () => {
    const result = translate({
      model: 'm',
      messages: [
        user,
        { role: 'assistant', content: null, function_call: { name: 'get weather', arguments: '{"city":"Paris"}' } },
        { role: 'function', name: 'get weather', content: '{"temp":20}' },
      ],
      tools: [{ type: 'function', function: { name: 'get weather' } }],
    });
    expect(result.request.contents.slice(1)).toStrictEqual([
      {
        role: 'model',
        parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: BYPASS_THOUGHT_SIGNATURE }],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 20 } } }] },
    ]);
  });

  it('leaves Google Search out when functions are declared (Google refuses the two together)', () => {
    const fnTool = { type: 'function' as const, function: { name: 'f' } };
    const both = translate({ model: 'm', messages: [user], tools: [fnTool, { type: 'google_search' }], web_search_options: {} });
    expect(both.request.tools).toStrictEqual([{ functionDeclarations: [{ name: 'f' }] }]);
    const searchOnly = translate({ model: 'm', messages: [user], web_search_options: {} });
    expect(searchOnly.request.tools).toStrictEqual([{ googleSearch: {} }]);
  });

  it('omits penalties of 0 (a no-op many UIs send by default) and forwards other values', () => {
    expect(translate({ model: 'm', messages: [user], presence_penalty: 0, frequency_penalty: 0 }).request.generationConfig).toBeUndefined();
    expect(translate({ model: 'm', messages: [user], presence_penalty: -0, frequency_penalty: 0.1 }).request.generationConfig).toStrictEqual({
      frequencyPenalty: 0.1,
    });
  });

  it.each<[number, number]>([
    [42, 42],
    [-7, -7],
    [2 ** 31 - 1, 2 ** 31 - 1],
    [-(2 ** 31), -(2 ** 31)],
    [2 ** 31, -(2 ** 31)],
    [2 ** 40 + 5, 5],
    [-(2 ** 40) - 1, -1],
    [Number.MAX_SAFE_INTEGER, -1],
    // 64-bit seeds beyond the safe-integer range, which OpenAI accepts.
    [2 ** 60 + 2 ** 20 + 768, 2 ** 20 + 768],
    [-(2 ** 63), 0],
  ])('folds seed %d into Gemini\'s int32 seed as %d', (seed, expected) => {
    expect(translate({ model: 'm', messages: [user], seed }).request.generationConfig).toStrictEqual({ seed: expected });
  });

  it('throws TranslationError, an Error with a name', () => {
    expect(() => translate({ model: 'm', messages: [{ role: 'system', content: 'only rules' }] })).toThrowError(
      expect.objectContaining({ name: 'TranslationError', field: 'messages' }),
    );
  });

  it.each<[string, unknown, string, string]>([
    [
      'a tool message answering no earlier tool call',
      { model: 'm', messages: [user, { role: 'tool', tool_call_id: 'call_9', content: 'x' }] },
      'messages[1].tool_call_id',
      'no earlier assistant message has a tool call with id "call_9"',
    ],
    [
      'only system messages',
      { model: 'm', messages: [{ role: 'system', content: 'rules' }, { role: 'user', content: '' }] },
      'messages',
      'at least one user or assistant message with content is required',
    ],
    [
      'a remote image URL nobody fetched',
      withUserParts({ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }),
      'messages[0].content[0].image_url.url',
      'the image at https://example.com/cat.png could not be fetched; send it inline as a data: URI',
    ],
    [
      'an image URL that is neither data: nor http(s)',
      withUserParts({ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'gs://bucket/cat.png' } }),
      'messages[0].content[1].image_url.url',
      'expected a data URI of the form data:<mime type>;base64,<data>',
    ],
    [
      'a data URI without ;base64',
      withUserParts({ type: 'image_url', image_url: { url: 'data:image/svg+xml,%3Csvg%3E' } }),
      'messages[0].content[0].image_url.url',
      'data URI must be base64-encoded (data:<mime type>;base64,<data>)',
    ],
    [
      'a data URI without a mime type',
      withUserParts({ type: 'image_url', image_url: { url: 'data:;base64,AAAA' } }),
      'messages[0].content[0].image_url.url',
      'data URI has no valid mime type (got "")',
    ],
    [
      'a data URI without data',
      withUserParts({ type: 'image_url', image_url: { url: 'data:image/png;base64,' } }),
      'messages[0].content[0].image_url.url',
      'data URI has no data',
    ],
    [
      'a data URI whose payload is not base64',
      withUserParts({ type: 'image_url', image_url: { url: 'data:image/png;base64,not base64!' } }),
      'messages[0].content[0].image_url.url',
      'data URI payload is not valid base64',
    ],
    [
      'an input_audio part in an unknown format',
      withUserParts({ type: 'input_audio', input_audio: { data: 'AAAA', format: 'midi' } }),
      'messages[0].content[0].input_audio.format',
      'unsupported audio format "midi"; use one of wav, mp3, mpeg, flac, ogg, opus, aac, m4a, aiff, webm, pcm16, pcm',
    ],
    [
      'input_audio data that is not base64',
      withUserParts({ type: 'input_audio', input_audio: { data: 'not base64!', format: 'wav' } }),
      'messages[0].content[0].input_audio.data',
      'must be base64-encoded data',
    ],
    [
      'a file part referring to an uploaded file',
      withUserParts({ type: 'file', file: { file_id: 'file-abc' } }),
      'messages[0].content[0].file.file_id',
      'file_id refers to an uploaded file, which Rotor does not support; send the file inline as file_data (a data: URI)',
    ],
    [
      'a file part with bare base64 and no usable filename',
      withUserParts({ type: 'file', file: { file_data: 'AAAA', filename: 'notes' } }),
      'messages[0].content[0].file.file_data',
      'must be a data URI (data:<mime type>;base64,<data>), or base64 with a filename whose extension gives the type',
    ],
    [
      'an empty file part',
      withUserParts({ type: 'file', file: {} }),
      'messages[0].content[0].file',
      'a file part needs file_data',
    ],
    [
      'a refusal part in a user message',
      withUserParts({ type: 'refusal', refusal: 'no' }),
      'messages[0].content[0].type',
      'user messages may not contain refusal parts',
    ],
    [
      'an image in a system message',
      { model: 'm', messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: png } }] }, user] },
      'messages[0].content[0].type',
      'system messages may only contain text parts, got "image_url"',
    ],
    [
      'an image in an assistant message',
      { model: 'm', messages: [user, { role: 'assistant', content: [{ type: 'image_url', image_url: { url: png } }] }] },
      'messages[1].content[0].type',
      'assistant messages may only contain text parts, got "image_url"',
    ],
    [
      'tool call arguments that are not JSON',
      {
        model: 'm',
        messages: [user, { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }] }],
      },
      'messages[1].tool_calls[0].function.arguments',
      'must be a JSON object encoded as a string',
    ],
    [
      'deprecated function_call arguments that are not JSON',
      { model: 'm', messages: [user, { role: 'assistant', function_call: { name: 'f', arguments: '{oops' } }] },
      'messages[1].function_call.arguments',
      'must be a JSON object encoded as a string',
    ],
    [
      'tool call arguments that are a JSON array',
      {
        model: 'm',
        messages: [user, { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }],
      },
      'messages[1].tool_calls[0].function.arguments',
      'must be a JSON object encoded as a string',
    ],
    [
      'two functions with one name',
      { model: 'm', messages: [user], tools: [{ type: 'function', function: { name: 'f' } }, { type: 'function', function: { name: 'f' } }] },
      'tools[1].function.name',
      'duplicate function name "f"',
    ],
    [
      'function parameters that are not an object schema',
      { model: 'm', messages: [user], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] },
      'tools[0].function.parameters',
      'must be a JSON Schema of type "object"',
    ],
    [
      'function parameters typed as a list that is not only an object',
      { model: 'm', messages: [user], tools: [{ type: 'function', function: { name: 'f', parameters: { type: ['string', 'object'] } } }] },
      'tools[0].function.parameters',
      'must be a JSON Schema of type "object"',
    ],
    [
      'a forced tool choice without tools',
      { model: 'm', messages: [user], tool_choice: 'required' },
      'tool_choice',
      'a tool choice that forces a call needs function tools in "tools"',
    ],
    [
      'a named tool choice that is not declared',
      { model: 'm', messages: [user], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'function', function: { name: 'g' } } },
      'tool_choice.function.name',
      '"g" is not one of the functions in "tools"',
    ],
    [
      'top_logprobs without logprobs',
      { model: 'm', messages: [user], top_logprobs: 2 },
      'top_logprobs',
      'top_logprobs requires logprobs: true',
    ],
    [
      'the deprecated functions field',
      { model: 'm', messages: [user], functions: [{ name: 'f' }] },
      'functions',
      'the deprecated functions/function_call fields are not supported; use tools and tool_choice',
    ],
    [
      'a thinking passthrough with both budget and level',
      { model: 'gemini-3-flash-preview', messages: [user], extra_body: { google: { thinking_config: { thinking_budget: 10, thinking_level: 'low' } } } },
      'extra_body.google.thinking_config',
      'set thinking_budget or thinking_level, not both',
    ],
  ])('rejects %s with a TranslationError naming the field', (_label, body, field, message) => {
    expect(translationError(body)).toStrictEqual({ field, message });
  });
});

describe('function parameters typed as a list', () => {
  it.each([[['object']], [['object', 'null']]])('%j is an object schema', (type) => {
    const out = translate({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type, properties: { q: { type: 'string' } }, required: ['q'] } } }],
    });
    const declared = (out.request.tools?.[0] as { functionDeclarations: Array<{ parameters: unknown }> }).functionDeclarations[0]!;
    expect(declared.parameters).toMatchObject({ type: 'object', properties: { q: { type: 'string' } }, required: ['q'] });
  });
});
