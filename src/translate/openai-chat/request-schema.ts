import { z } from 'zod';
import { unionTypeError } from '../zod-message.js';

/**
 * The OpenAI Chat Completions request as Rotor accepts it. Unknown fields are stripped (clients send
 * vendor extras), wrong types are rejected. Optional fields also accept `null`, as OpenAI does, and the
 * converter treats `null` like an absent field. Content part types, tools, response_format etc. are
 * accepted here even where the converter refuses them (file_id, deprecated functions), so the error names
 * the feature. Ignored on purpose (stripped): `store`, `service_tier`, `prediction`, `audio`, `modalities`.
 */

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imageUrlPart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string(), detail: z.string().nullish() }),
});
const inputAudioPart = z.object({
  type: z.literal('input_audio'),
  input_audio: z.object({ data: z.string(), format: z.string() }),
});
const filePart = z.object({
  type: z.literal('file'),
  file: z.object({ file_data: z.string().nullish(), file_id: z.string().nullish(), filename: z.string().nullish() }),
});
const refusalPart = z.object({ type: z.literal('refusal'), refusal: z.string() });

export const openAIContentPartSchema = z.discriminatedUnion('type', [
  textPart,
  imageUrlPart,
  inputAudioPart,
  filePart,
  refusalPart,
]);
export type OpenAIContentPart = z.infer<typeof openAIContentPartSchema>;

const content = z.union([z.string(), z.null(), z.array(openAIContentPartSchema)], {
  error: unionTypeError('string or array of content parts'),
});

/** Google's OpenAI layer carries Gemini-only data here, e.g. a tool call's thought signature. */
const extraContent = z.object({ google: z.object({ thought_signature: z.string().nullish() }).nullish() });

export const openAIToolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
  extra_content: extraContent.nullish(),
});
export type OpenAIToolCall = z.infer<typeof openAIToolCallSchema>;

const name = z.string().nullish();

const messageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content, name }),
  z.object({ role: z.literal('developer'), content, name }),
  z.object({ role: z.literal('user'), content, name }),
  z.object({
    role: z.literal('assistant'),
    content: content.optional(),
    name,
    refusal: z.string().nullish(),
    tool_calls: z.array(openAIToolCallSchema).nullish(),
    // Deprecated form of one tool call, answered by a `function` message naming it.
    function_call: z.object({ name: z.string(), arguments: z.string() }).nullish(),
  }),
  z.object({ role: z.literal('tool'), content, tool_call_id: z.string() }),
  // Deprecated function-calling role: the result of a call, identified by the function's name.
  z.object({ role: z.literal('function'), content, name: z.string() }),
]);
export type OpenAIChatMessage = z.infer<typeof messageSchema>;

const functionDefinition = z.object({
  name: z.string(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const functionTool = z.object({ type: z.literal('function'), function: functionDefinition });
// Gemini's search tool in the two spellings clients use: {"type": "google_search"} and {"google_search": {}}.
const googleSearchTool = z.object({
  type: z.literal('google_search'),
  google_search: z.record(z.string(), z.unknown()).nullish(),
});

const tool = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !('type' in value) && 'google_search' in value
      ? { ...value, type: 'google_search' }
      : value,
  z.discriminatedUnion('type', [functionTool, googleSearchTool]),
);

/** Google's `extra_body.google` options (ai.google.dev OpenAI compatibility); only thinking is read. */
const googleExtras = z.object({
  thinking_config: z
    .object({
      thinking_budget: z.number().int().nullish(),
      include_thoughts: z.boolean().nullish(),
      thinking_level: z.string().nullish(),
    })
    .nullish(),
});

const toolChoice = z.union(
  [
    z.enum(['none', 'auto', 'required']),
    z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
  ],
  { error: unionTypeError('"none", "auto", "required" or {type:"function",function:{name}}') },
);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string(),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

// Google's fields are int32: a larger number would only come back as Google's error about its own field.
const positiveInt = z.number().int().positive().max(2_147_483_647);

export const openAIChatRequestSchema = z.object({
  model: z.string().min(1).max(256),
  messages: z.array(messageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: positiveInt.nullish(),
  max_completion_tokens: positiveInt.nullish(),
  // OpenAI allows 4 stop sequences, Gemini 5; accept what Gemini can honour.
  stop: z
    .union([z.string(), z.array(z.string()).max(5)], { error: unionTypeError('string or array of strings') })
    .nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  // OpenAI takes 64-bit seeds, beyond the safe-integer range `.int()` enforces; the converter folds them.
  seed: z.number().refine(Number.isInteger, { message: 'must be an integer' }).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  user: z.string().nullish(),
  // A conversation key: Rotor keeps the conversation on one credential (Gemini's prompt cache is per project).
  prompt_cache_key: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: responseFormat.nullish(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  // Any object turns Google Search on; its options (search_context_size, user_location) have no Gemini equivalent.
  web_search_options: z.record(z.string(), z.unknown()).nullish(),
  // The OpenAI SDKs send `extra_body` either merged into the body or, as Google's docs show, nested.
  extra_body: z.object({ google: googleExtras.nullish() }).nullish(),
  google: googleExtras.nullish(),
  // The deprecated function-calling fields, accepted so the converter can name them in its refusal.
  functions: z.array(functionDefinition).nullish(),
  function_call: z.unknown().optional(),
});

/** A validated OpenAI chat completions request (unknown fields already stripped). */
export type OpenAIChatRequest = z.infer<typeof openAIChatRequestSchema>;
