import { z } from 'zod';
import { unionTypeError } from '../zod-message.js';

/**
 * The OpenAI Responses request (`POST /v1/responses`) as Rotor accepts it. Unknown top-level fields are
 * stripped: what Rotor cannot honour (`prompt_cache_retention`, `service_tier`, `client_metadata`,
 * `truncation`, `background`, `conversation`, `text.verbosity`, …) is ignored, never a 400. Input items and
 * tools of types Rotor does not translate (`local_shell_call`, `web_search_call`, `item_reference`, `namespace`,
 * `local_shell`, …) are kept as `{type: "ignored"}` items / raw tools and left out of the Gemini request, so a
 * Codex transcript always parses. Optional fields accept `null`, as OpenAI does.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// --- content parts --------------------------------------------------------------------------------------

const inputText = z.object({ type: z.literal('input_text'), text: z.string() });
const inputImage = z.object({
  type: z.literal('input_image'),
  image_url: z.string().nullish(),
  file_id: z.string().nullish(),
  detail: z.string().nullish(),
});
const inputFile = z.object({
  type: z.literal('input_file'),
  file_data: z.string().nullish(),
  file_url: z.string().nullish(),
  file_id: z.string().nullish(),
  filename: z.string().nullish(),
});
const inputAudio = z.object({
  type: z.literal('input_audio'),
  input_audio: z.object({ data: z.string(), format: z.string() }),
});
// Assistant content replayed from an earlier response (annotations and logprobs are not sent back to Gemini).
const outputText = z.object({ type: z.literal('output_text'), text: z.string() });
const refusal = z.object({ type: z.literal('refusal'), refusal: z.string() });

export const contentPartSchema = z.discriminatedUnion('type', [inputText, inputImage, inputFile, inputAudio, outputText, refusal]);
export type ResponsesContentPart = z.infer<typeof contentPartSchema>;

const content = z.union([z.string(), z.array(contentPartSchema)], { error: unionTypeError('string or array of content parts') });

/** A tool's output: a string, or content parts (text, images, files); older Codex builds sent `{content, success}`. */
const toolOutput = z.union([z.string(), z.array(contentPartSchema), z.record(z.string(), z.unknown())], {
  error: unionTypeError('string or array of content parts'),
});

// --- input items ----------------------------------------------------------------------------------------

const message = z.object({
  type: z.literal('message'),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content,
  id: z.string().nullish(),
});
const functionCall = z.object({
  type: z.literal('function_call'),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  id: z.string().nullish(),
});
const functionCallOutput = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string(),
  output: toolOutput,
  id: z.string().nullish(),
});
const customToolCall = z.object({
  type: z.literal('custom_tool_call'),
  call_id: z.string(),
  name: z.string(),
  input: z.string(),
  id: z.string().nullish(),
});
const customToolCallOutput = z.object({
  type: z.literal('custom_tool_call_output'),
  call_id: z.string(),
  output: toolOutput,
  id: z.string().nullish(),
});
const summaryText = z.object({ type: z.string(), text: z.string() });
const reasoning = z.object({
  type: z.literal('reasoning'),
  id: z.string().nullish(),
  summary: z.array(summaryText).nullish(),
  content: z.array(summaryText).nullish(),
  encrypted_content: z.string().nullish(),
});
/** Any item type Rotor leaves out of the Gemini request (item_reference, local_shell_call, web_search_call, …). */
const ignored = z.object({ type: z.literal('ignored'), ignored_type: z.string() });

const TRANSLATED = new Set(['message', 'function_call', 'function_call_output', 'custom_tool_call', 'custom_tool_call_output', 'reasoning']);

export const inputItemSchema = z.preprocess(
  (value) => {
    if (!isObject(value)) return value;
    // EasyInputMessage may leave `type` out; an item_reference may too (then it is just `{id}`).
    const type = value['type'] ?? ('role' in value ? 'message' : 'id' in value ? 'item_reference' : undefined);
    if (typeof type === 'string' && !TRANSLATED.has(type)) return { type: 'ignored', ignored_type: type };
    return { ...value, type };
  },
  z.discriminatedUnion('type', [message, functionCall, functionCallOutput, customToolCall, customToolCallOutput, reasoning, ignored]),
);
export type ResponsesInputItem = z.infer<typeof inputItemSchema>;
export type ResponsesMessageItem = z.infer<typeof message>;
export type ResponsesReasoningItem = z.infer<typeof reasoning>;

// --- tools ----------------------------------------------------------------------------------------------

/**
 * Tools stay loose objects (so the response can echo them as the client sent them); the translator reads
 * `function`, `custom` and the web search types and ignores the rest.
 */
const functionTool = z.looseObject({
  type: z.literal('function'),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
const customTool = z.looseObject({
  type: z.literal('custom'),
  name: z.string().min(1),
  description: z.string().nullish(),
  format: z
    .looseObject({ type: z.string(), syntax: z.string().nullish(), definition: z.string().nullish() })
    .nullish(),
});
/**
 * An object with a string `type`, checked against the schema for its type when there is one, else kept as it is
 * (every other tool type: web_search, local_shell, namespace, mcp, …). Errors name the field in the client body.
 */
function byType<T extends Record<string, z.ZodType>>(schemas: T) {
  return z.looseObject({ type: z.string() }).transform((value, ctx): z.infer<T[keyof T]> | { type: string; [key: string]: unknown } => {
    const schema = Object.hasOwn(schemas, value.type) ? schemas[value.type] : undefined;
    if (!schema) return value;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data as z.infer<T[keyof T]>;
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: issue.path } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
}

const tool = byType({ function: functionTool, custom: customTool });
export type ResponsesTool = z.infer<typeof tool>;
export type ResponsesFunctionTool = z.infer<typeof functionTool>;
export type ResponsesCustomTool = z.infer<typeof customTool>;

const toolChoice = z.union(
  [
    z.enum(['none', 'auto', 'required']),
    // Hosted-tool choices ({type: "web_search_preview"}, {type: "mcp", …}, …) pass: nothing to force on Gemini's side.
    byType({
      function: z.looseObject({ type: z.literal('function'), name: z.string() }),
      custom: z.looseObject({ type: z.literal('custom'), name: z.string() }),
      allowed_tools: z.looseObject({
        type: z.literal('allowed_tools'),
        mode: z.enum(['auto', 'required']),
        tools: z.array(z.looseObject({ type: z.string(), name: z.string().nullish() })),
      }),
    }),
  ],
  { error: unionTypeError('"none", "auto", "required" or a tool choice object') },
);
export type ResponsesToolChoice = z.infer<typeof toolChoice>;

// --- text format and reasoning --------------------------------------------------------------------------

const textFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string().nullish(),
    schema: z.record(z.string(), z.unknown()).nullish(),
    description: z.string().nullish(),
    strict: z.boolean().nullish(),
  }),
]);
export type ResponsesTextFormat = z.infer<typeof textFormat>;

const summaryMode = z.enum(['auto', 'concise', 'detailed']);

/** Gemini's token counts are int32: a larger one would come back as Google's error about its own field. */
export const INT32_MAX = 2_147_483_647;

const positiveInt = z.number().int().positive().max(INT32_MAX);

/**
 * A model name (a Gemini name, with Rotor's `-search` / `-nothinking` / `-maxthinking` suffixes): bounded and
 * printable without spaces, so a 10 KB or control-character "model" is a 400 naming the field, not an upstream
 * URL Google refuses.
 */
const modelName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\x21-\x7e]+$/, { message: 'must be a model name: printable ASCII characters, without spaces' });

/** Rotor's response ids are `resp_` and 32 hex digits; a longer one is no id of Rotor's (and is not echoed). */
export const MAX_RESPONSE_ID_LENGTH = 256;

export const responsesRequestSchema = z.object({
  model: modelName,
  input: z.union([z.string(), z.array(inputItemSchema)], { error: unionTypeError('string or array of input items') }).nullish(),
  instructions: z.string().nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning: z
    .object({
      effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
      summary: summaryMode.nullish(),
      // The deprecated spelling of `summary`.
      generate_summary: summaryMode.nullish(),
    })
    .nullish(),
  text: z.object({ format: textFormat.nullish() }).nullish(),
  include: z.array(z.string()).nullish(),
  max_output_tokens: positiveInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  previous_response_id: z
    .string()
    .min(1)
    .max(MAX_RESPONSE_ID_LENGTH, { message: `is not the id of a response Rotor stored (those are under ${MAX_RESPONSE_ID_LENGTH} characters)` })
    .nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  // A conversation key: Rotor keeps the conversation on one credential (Gemini's prompt cache is per project).
  prompt_cache_key: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  user: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

/** A validated Responses request (unknown fields already stripped). */
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

/** Only the input items, for stored conversations read back from the state store. */
export const inputItemsSchema = z.array(inputItemSchema);
