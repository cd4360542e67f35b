/**
 * Valid request bodies the fuzzer mutates, one list per route, with what each route tolerates by design:
 * free-form subtrees (JSON Schema, function args) where any JSON is valid, fields that take more than one
 * type, fields a dialect ignores on purpose (Anthropic's `cache_control`, the Responses API's `service_tier`,
 * the settings of tool and block types Rotor does not translate), and, for countTokens, the parts Rotor does
 * not forward. Plus small JSON path helpers.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';
export type Path = Array<string | number>;
export type BodyRoute = 'chat' | 'generate' | 'stream' | 'stream-sse' | 'count' | 'messages' | 'count-messages' | 'responses';

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
  /**
   * Path patterns the dialect never reads (Anthropic's `cache_control`, `container`; the Responses API's
   * `service_tier`; the fields of an input item, block or tool of a type Rotor does not translate): any value
   * there, of any type, must still be served.
   */
  ignored?: string[];
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

// --- Anthropic Messages (/v1/messages, /v1/messages/count_tokens) -------------------------------------------

/** A thought signature as Gemini writes them (base64), which a client sends back in a thinking block. */
const SIGNATURE = Buffer.from('sim-signature:lookup').toString('base64');

/** A tiny PDF, base64: the bytes are never opened, only forwarded. */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n').toString('base64');

const anthropicPolymorphic: Record<string, JsonType[]> = {
  system: ['string', 'array'],
  'messages.*.content': ['string', 'array'],
};
const anthropicFreeForm = ['tools.*.input_schema', 'output_config.format.schema', 'output_format.schema'];
/** Read by nobody: prompt caching, context management, containers, tiers, betas' extras. */
const anthropicIgnored = [
  'system.*.cache_control',
  'messages.*.content.*.cache_control',
  'messages.*.content.*.citations',
  'tools.*.cache_control',
  'tool_choice.disable_parallel_tool_use',
  'context_management',
  'container',
  'service_tier',
  'mcp_servers',
];

export const ANTHROPIC_TEMPLATES: Template[] = [
  {
    name: 'anthropic-text',
    routes: ['messages', 'count-messages'],
    body: {
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 256,
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'Hello there' },
        { role: 'assistant', content: 'Hi!' },
        { role: 'user', content: 'How are you?' },
      ],
      temperature: 0.7,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END'],
      metadata: { user_id: 'fuzzer' },
      stream: false,
      service_tier: 'auto',
    },
    freeForm: anthropicFreeForm,
    polymorphic: anthropicPolymorphic,
    ignored: anthropicIgnored,
  },
  {
    name: 'anthropic-blocks',
    routes: ['messages', 'count-messages'],
    body: {
      model: 'claude-haiku-4-5',
      max_tokens: 128,
      system: [
        { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Answer in English.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Read this', cache_control: { type: 'ephemeral', ttl: '5m' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'A short note.' }, title: 'Note', context: 'from the fuzzer', citations: { enabled: true } },
            { type: 'search_result', source: 'https://example.com/a', title: 'Example', content: [{ type: 'text', text: 'Example text' }] },
          ],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'Read.' }] },
        { role: 'system', content: 'A system note mid-history.' },
        { role: 'user', content: [{ type: 'text', text: 'Summarise' }] },
      ],
      context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
      container: 'container_1',
    },
    freeForm: anthropicFreeForm,
    polymorphic: anthropicPolymorphic,
    ignored: anthropicIgnored,
  },
  {
    name: 'anthropic-tools',
    routes: ['messages', 'count-messages'],
    body: {
      model: 'gemini-2.5-flash',
      max_tokens: 512,
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather',
          input_schema: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city'] },
          cache_control: { type: 'ephemeral' },
        },
        { name: 'noop', input_schema: { type: 'object' } },
        { type: 'custom', name: 'mcp__srv__do-it', input_schema: { type: 'object', properties: { x: { type: 'integer' } } } },
      ],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_02', name: 'get_weather', input: { city: 'Rome', unit: 'c' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01', content: '21C' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_02',
              is_error: false,
              content: [
                { type: 'text', text: '{"temp":18}' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
              ],
            },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
    },
    freeForm: [...anthropicFreeForm, 'messages.*.content.*.input'],
    polymorphic: { ...anthropicPolymorphic, 'messages.*.content.*.content': ['string', 'array'] },
    ignored: anthropicIgnored,
  },
  {
    // Anthropic-defined tools Rotor does not translate are ignored with all their settings; web search is Google Search.
    name: 'anthropic-typed-tools',
    routes: ['messages', 'count-messages'],
    body: {
      model: 'claude-opus-4-1',
      max_tokens: 64,
      tools: [
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3, allowed_domains: ['example.com'], user_location: { type: 'approximate', city: 'Paris' } },
        { type: 'bash_20250124', name: 'bash' },
        { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', max_characters: 1000 },
      ],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Search the news' }] }],
    },
    freeForm: anthropicFreeForm,
    polymorphic: anthropicPolymorphic,
    ignored: [...anthropicIgnored, 'tools.*.name', 'tools.*.max_uses', 'tools.*.allowed_domains', 'tools.*.user_location', 'tools.*.max_characters'],
  },
  {
    name: 'anthropic-thinking',
    routes: ['messages', 'count-messages'],
    body: {
      model: 'gemini-3-pro-preview',
      max_tokens: 4096,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      output_config: { effort: 'medium' },
      tools: [{ name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
      messages: [
        { role: 'user', content: 'Look it up' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'I should look.', signature: SIGNATURE },
            { type: 'tool_use', id: 'toolu_a', name: 'lookup', input: { q: 'x' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a', content: 'found' }] },
      ],
    },
    freeForm: [...anthropicFreeForm, 'messages.*.content.*.input'],
    polymorphic: { ...anthropicPolymorphic, 'messages.*.content.*.content': ['string', 'array'] },
    ignored: anthropicIgnored,
  },
  {
    name: 'anthropic-media',
    routes: ['messages', 'count-messages'],
    body: {
      model: 'claude-3-5-haiku-latest',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe both' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, title: 'Doc' },
          ],
        },
      ],
    },
    freeForm: anthropicFreeForm,
    polymorphic: anthropicPolymorphic,
    ignored: anthropicIgnored,
  },
  {
    name: 'anthropic-stream',
    routes: ['messages'],
    body: {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      stream: true,
      thinking: { type: 'adaptive' },
      messages: [{ role: 'user', content: 'stream it' }],
      output_format: { type: 'json_schema', schema: { type: 'object', properties: { a: { type: 'string' } } } },
    },
    freeForm: anthropicFreeForm,
    polymorphic: anthropicPolymorphic,
    ignored: anthropicIgnored,
  },
];

// --- OpenAI Responses (/v1/responses) -------------------------------------------------------------------------

/** A reasoning item's encrypted_content as Rotor writes it (signatures.ts): call_1's signature. */
const ENCRYPTED = 'rotor.v1.' + Buffer.from(JSON.stringify({ c: { call_1: SIGNATURE } }), 'utf8').toString('base64url');

const responsesPolymorphic: Record<string, JsonType[]> = {
  input: ['string', 'array'],
  'input.*.content': ['string', 'array'],
  'input.*.output': ['string', 'array', 'object'],
  tool_choice: ['string', 'object'],
};
const responsesFreeForm = ['tools.*.parameters', 'text.format.schema'];
/** Fields Rotor cannot honour, ignored by design (issue 12). */
const responsesIgnored = ['input.*.content.*.annotations', 'input.*.content.*.logprobs', 'service_tier', 'truncation', 'prompt_cache_retention', 'client_metadata', 'background', 'conversation', 'text.verbosity', 'input.*.status', 'stream_options'];

export const RESPONSES_TEMPLATES: Template[] = [
  {
    name: 'responses-text',
    routes: ['responses'],
    body: {
      model: 'gemini-2.5-flash',
      input: 'Hello there',
      instructions: 'Be brief.',
      temperature: 0.5,
      top_p: 0.9,
      max_output_tokens: 256,
      store: false,
      metadata: { team: 'qa' },
      user: 'fuzzer',
      prompt_cache_key: 'conversation-1',
      service_tier: 'auto',
      truncation: 'disabled',
      prompt_cache_retention: '24h',
      client_metadata: { origin: 'fuzz' },
    },
    freeForm: responsesFreeForm,
    polymorphic: responsesPolymorphic,
    ignored: responsesIgnored,
  },
  {
    // A Codex-like transcript: developer message, reasoning replayed with its encrypted_content, a function call
    // and a custom tool call with their outputs.
    name: 'responses-items',
    routes: ['responses'],
    body: {
      model: 'gemini-3-pro-preview',
      instructions: 'Use the tools.',
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Be careful.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Need the weather.' }], encrypted_content: ENCRYPTED },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
        { type: 'function_call_output', call_id: 'call_1', output: '{"temp":21}' },
        { type: 'custom_tool_call', call_id: 'call_2', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' },
        { type: 'custom_tool_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'Done' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'It is 21C.', annotations: [] }] },
        { role: 'user', content: 'And tomorrow?' },
      ],
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: 'Weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
          strict: true,
        },
        { type: 'custom', name: 'apply_patch', description: 'Patch files', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      include: ['reasoning.encrypted_content'],
      reasoning: { effort: 'low', summary: 'auto' },
      store: false,
    },
    freeForm: responsesFreeForm,
    polymorphic: responsesPolymorphic,
    ignored: responsesIgnored,
  },
  {
    // Items and tools of types Rotor leaves out: any content of theirs is served.
    name: 'responses-ignored-items',
    routes: ['responses'],
    body: {
      model: 'gemini-2.5-flash',
      input: [
        { type: 'item_reference', id: 'msg_earlier' },
        { type: 'local_shell_call', call_id: 'ls_1', action: { type: 'exec', command: ['ls'] } },
        { type: 'message', role: 'user', content: 'Go on' },
      ],
      tools: [{ type: 'local_shell' }, { type: 'mcp', server_label: 'srv', server_url: 'https://example.com/mcp', require_approval: 'never' }],
      store: false,
    },
    freeForm: responsesFreeForm,
    polymorphic: responsesPolymorphic,
    ignored: [...responsesIgnored, 'input.*.id', 'input.*.call_id', 'input.*.action', 'tools.*.server_label', 'tools.*.server_url', 'tools.*.require_approval'],
  },
  {
    name: 'responses-schema',
    routes: ['responses'],
    body: {
      model: 'gemini-2.5-flash',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Give JSON' },
            { type: 'input_image', image_url: `data:image/png;base64,${PNG}`, detail: 'low' },
          ],
        },
      ],
      text: {
        format: { type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false }, strict: true },
        verbosity: 'low',
      },
    },
    freeForm: responsesFreeForm,
    polymorphic: responsesPolymorphic,
    ignored: responsesIgnored,
  },
  {
    name: 'responses-stream',
    routes: ['responses'],
    body: {
      model: 'gemini-2.5-flash',
      stream: true,
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'stream it' }] }],
      reasoning: { effort: 'medium', summary: 'detailed' },
      include: ['reasoning.encrypted_content'],
      tools: [{ type: 'web_search', search_context_size: 'low', user_location: { type: 'approximate', country: 'FR' } }],
      tool_choice: { type: 'web_search_preview' },
    },
    freeForm: responsesFreeForm,
    polymorphic: responsesPolymorphic,
    ignored: [...responsesIgnored, 'tools.*.search_context_size', 'tools.*.user_location'],
  },
];

export const ALL_TEMPLATES: Template[] = [...TEMPLATES, ...ANTHROPIC_TEMPLATES, ...RESPONSES_TEMPLATES];

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
