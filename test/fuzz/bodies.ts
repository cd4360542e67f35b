/**
 * Valid request bodies the fuzzer mutates, one list per route, with what each route tolerates by design:
 * free-form subtrees (JSON Schema, function args) where any JSON is valid, fields that take more than one
 * type, and, for countTokens, the parts Rotor does not forward. Plus small JSON path helpers.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';
export type Path = Array<string | number>;
export type BodyRoute = 'chat' | 'generate' | 'stream' | 'stream-sse' | 'count';

export interface Template {
  name: string;
  routes: BodyRoute[];
  body: Json;
  /** Path patterns (`*` for any index) under which any JSON is valid. */
  freeForm: string[];
  /** Fields that accept several JSON types. */
  polymorphic: Record<string, JsonType[]>;
  /** When set, only these subtrees reach the upstream; anything else is dropped, so it cannot fail. */
  forwardedOnly?: string[];
}

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const openaiPolymorphic: Record<string, JsonType[]> = {
  'messages.*.content': ['string', 'array', 'null'],
  stop: ['string', 'array'],
  tool_choice: ['string', 'object'],
};
const openaiFreeForm = ['tools.*.function.parameters', 'response_format.json_schema.schema'];
const googleFreeForm = [
  'contents.*.parts.*.functionCall.args',
  'contents.*.parts.*.functionResponse.response',
  'tools.*.functionDeclarations.*.parametersJsonSchema',
  'generationConfig.responseJsonSchema',
];

export const TEMPLATES: Template[] = [
  {
    name: 'openai-basic',
    routes: ['chat'],
    body: {
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello there' },
      ],
      temperature: 0.7,
      max_tokens: 64,
      stream: false,
      user: 'fuzzer',
    },
    freeForm: openaiFreeForm,
    polymorphic: openaiPolymorphic,
  },
  {
    name: 'openai-parts',
    routes: ['chat'],
    body: {
      model: 'gemini-2.5-pro',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'low' } },
          ],
        },
      ],
      top_p: 0.9,
      stop: ['END'],
      n: 1,
      seed: 7,
      metadata: { team: 'qa' },
      presence_penalty: 0.5,
    },
    freeForm: openaiFreeForm,
    polymorphic: openaiPolymorphic,
  },
  {
    name: 'openai-tools',
    routes: ['chat'],
    body: {
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        },
      ],
      tool_choice: 'auto',
    },
    freeForm: openaiFreeForm,
    polymorphic: openaiPolymorphic,
  },
  {
    name: 'openai-stream',
    routes: ['chat'],
    body: {
      model: 'gemini-2.5-flash',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'stream it' }],
      response_format: { type: 'text' },
      max_completion_tokens: 100,
    },
    freeForm: openaiFreeForm,
    polymorphic: openaiPolymorphic,
  },
  {
    name: 'gemini-basic',
    routes: ['generate', 'stream', 'stream-sse'],
    body: {
      contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
      systemInstruction: { parts: [{ text: 'Be brief' }] },
      generationConfig: { temperature: 0.5, maxOutputTokens: 64, topP: 0.9, stopSequences: ['END'], candidateCount: 1 },
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
    },
    freeForm: googleFreeForm,
    polymorphic: {},
  },
  {
    name: 'gemini-tools',
    routes: ['generate', 'stream', 'stream-sse'],
    body: {
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }] },
      ],
      tools: [
        {
          functionDeclarations: [
            {
              name: 'get_weather',
              description: 'Current weather',
              parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
    },
    freeForm: googleFreeForm,
    polymorphic: {},
  },
  {
    name: 'gemini-inline-data',
    routes: ['generate', 'stream-sse'],
    body: {
      contents: [{ role: 'user', parts: [{ text: 'Describe' }, { inlineData: { mimeType: 'image/png', data: PNG } }] }],
      generationConfig: { responseMimeType: 'text/plain', seed: 3 },
    },
    freeForm: googleFreeForm,
    polymorphic: {},
  },
  {
    name: 'gemini-count',
    routes: ['count'],
    body: { contents: [{ role: 'user', parts: [{ text: 'count these words' }] }] },
    freeForm: googleFreeForm,
    polymorphic: {},
    forwardedOnly: ['contents'],
  },
  {
    name: 'gemini-count-wrapped',
    routes: ['count'],
    body: {
      generateContentRequest: {
        model: 'models/gemini-2.5-flash',
        contents: [{ role: 'user', parts: [{ text: 'count me' }] }],
        generationConfig: { temperature: 1 },
      },
    },
    freeForm: googleFreeForm,
    polymorphic: {},
    forwardedOnly: ['generateContentRequest.contents'],
  },
];

export function typeOf(v: Json | undefined): JsonType {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as JsonType;
}

/** Every node's path, the root ([]) first. */
export function allPaths(v: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(v)) v.forEach((item, i) => out.push(...allPaths(item, [...prefix, i])));
  else if (v !== null && typeof v === 'object') for (const [k, item] of Object.entries(v)) out.push(...allPaths(item, [...prefix, k]));
  return out;
}

export function getAt(v: Json, path: Path): Json | undefined {
  let cur: Json | undefined = v;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, Json>)[key as string];
  }
  return cur;
}

/** A copy of `v` with the node at `path` replaced (or deleted when `value` is undefined). */
export function setAt(v: Json, path: Path, value: Json | undefined): Json | undefined {
  if (path.length === 0) return value;
  const copy = structuredClone(v);
  let cur = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) cur = cur[key] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (value !== undefined) cur[last] = value;
  else if (Array.isArray(cur)) cur.splice(last as number, 1);
  else delete cur[last];
  return copy;
}

/** `['messages', 0, 'content']` → `messages.*.content`. */
export function pattern(path: Path): string {
  return path.map((k) => (typeof k === 'number' ? '*' : k)).join('.');
}

export function under(path: Path, prefixes: readonly string[]): boolean {
  const p = pattern(path);
  return prefixes.some((pre) => p === pre || p.startsWith(pre + '.'));
}

/** The object keys along a path: what an error message about that node can be expected to name. */
export function keysOf(path: Path): string[] {
  return path.filter((k): k is string => typeof k === 'string');
}
