import { describe, expect, it } from 'vitest';
import {
  convertOpenAIChatRequestToGemini,
  TranslationError,
} from '../../../src/translate/openai/convert-openai-request-to-gemini.js';
import { openAIChatRequestSchema } from '../../../src/translate/openai/request-schema.js';
import { listFixtures, readJsonFixture } from './fixtures.js';

/** Client body → schema → converter, as the HTTP route does it. */
function translate(body: unknown) {
  return convertOpenAIChatRequestToGemini(openAIChatRequestSchema.parse(body));
}

function translationError(body: unknown): { field: string; message: string } {
  try {
    translate(body);
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
    const { openai, gemini } = readJsonFixture<{ openai: unknown; gemini: unknown }>(`${name}.json`);
    expect(translate(openai)).toStrictEqual(gemini);
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
      'a remote image URL',
      withUserParts({ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }),
      'messages[0].content[0].image_url.url',
      'remote image URLs are not supported yet; send the image inline as a data: URI',
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
      'an input_audio part',
      withUserParts({ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }),
      'messages[0].content[0].type',
      'content part type "input_audio" is not supported yet',
    ],
    [
      'a file part',
      withUserParts({ type: 'file', file: { file_data: 'data:application/pdf;base64,AAAA' } }),
      'messages[0].content[0].type',
      'content part type "file" is not supported yet',
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
      'tool call arguments that are a JSON array',
      {
        model: 'm',
        messages: [user, { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }],
      },
      'messages[1].tool_calls[0].function.arguments',
      'must be a JSON object encoded as a string',
    ],
    [
      'function tools (not translated yet)',
      { model: 'm', messages: [user], tools: [{ type: 'function', function: { name: 'f' } }] },
      'tools',
      'function tools are not supported yet',
    ],
    [
      'a forced tool choice',
      { model: 'm', messages: [user], tool_choice: 'required' },
      'tool_choice',
      'forcing a tool call is not supported yet',
    ],
    [
      'a JSON schema response format',
      { model: 'm', messages: [user], response_format: { type: 'json_schema', json_schema: { name: 's' } } },
      'response_format',
      'response_format "json_schema" is not supported yet',
    ],
    ['logprobs', { model: 'm', messages: [user], logprobs: true, top_logprobs: 2 }, 'logprobs', 'logprobs are not supported yet'],
  ])('rejects %s with a TranslationError naming the field', (_label, body, field, message) => {
    expect(translationError(body)).toStrictEqual({ field, message });
  });
});
