import { z } from 'zod';
import { unionTypeError } from '../zod-message.js';

/**
 * The Anthropic Messages request (`/v1/messages`, `/v1/messages/count_tokens`) as Rotor accepts it.
 * Permissive on purpose: clients such as Claude Code send fields and block types Rotor cannot honour
 * (`cache_control`, `context_management`, `citations`, `container`, new block and tool types…), and those are
 * ignored, never a 400. What Rotor reads is still type-checked, so a real mistake (`max_tokens: "10"`,
 * a text block without `text`) is a 400 that names the field.
 *
 * Content blocks are validated by their `type`: a known type against its schema, an unknown type passed on
 * as `{type, unknown: true}` (the converter skips it). Tools likewise: a client tool (no `type`, or
 * "custom") must have a name and an `input_schema`; a typed tool is kept by its type only.
 */

/** Validates objects by their `type`: known types against their schema, others kept as `{type, unknown}`. */
function byType<T extends Record<string, z.ZodType>>(schemas: T) {
  return z.looseObject({ type: z.string() }).transform((value, ctx): z.output<T[keyof T]> | { type: string; unknown: true } => {
    const schema = Object.hasOwn(schemas, value.type) ? schemas[value.type as keyof T] : undefined;
    if (!schema) return { type: value.type, unknown: true };
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
      return z.NEVER;
    }
    return parsed.data as z.output<T[keyof T]>;
  });
}

const base64Source = z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() });
const urlSource = z.looseObject({ type: z.literal('url'), url: z.string() });
const fileSource = z.looseObject({ type: z.literal('file'), file_id: z.string() });
const textSource = z.looseObject({ type: z.literal('text'), media_type: z.string().optional(), data: z.string() });

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const imageBlock = z.looseObject({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [base64Source, urlSource, fileSource]),
});

/** `source.type: "content"`: the document's own text and image blocks. */
const contentSource = z.looseObject({
  type: z.literal('content'),
  content: z.union([z.string(), z.array(byType({ text: textBlock, image: imageBlock }))], { error: unionTypeError('string or array of blocks') }),
});
const documentBlock = z.looseObject({
  type: z.literal('document'),
  source: z.discriminatedUnion('type', [base64Source, textSource, contentSource, urlSource, fileSource]),
  title: z.string().nullish(),
  context: z.string().nullish(),
});
const searchResultBlock = z.looseObject({
  type: z.literal('search_result'),
  source: z.string(),
  title: z.string(),
  content: z.array(byType({ text: textBlock })),
});

const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z
    .union(
      [z.string(), z.array(byType({ text: textBlock, image: imageBlock, document: documentBlock, search_result: searchResultBlock }))],
      { error: unionTypeError('string or array of blocks') },
    )
    .optional(),
  is_error: z.boolean().nullish(),
});

const toolUseBlock = z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() });
const thinkingBlock = z.looseObject({ type: z.literal('thinking'), thinking: z.string().optional(), signature: z.string().nullish() });

const block = byType({
  text: textBlock,
  image: imageBlock,
  document: documentBlock,
  search_result: searchResultBlock,
  tool_use: toolUseBlock,
  tool_result: toolResultBlock,
  thinking: thinkingBlock,
});

export type AnthropicBlock = z.output<typeof block>;
export type AnthropicImageBlock = z.output<typeof imageBlock>;
export type AnthropicDocumentBlock = z.output<typeof documentBlock>;
export type AnthropicSearchResultBlock = z.output<typeof searchResultBlock>;
export type AnthropicToolResultBlock = z.output<typeof toolResultBlock>;

const content = z.union([z.string(), z.array(block)], { error: unionTypeError('string or array of content blocks') });

// `role: "system"` turns are in the current API (SystemMessageParam) and come from other bridges mid-history.
const messageSchema = z.looseObject({ role: z.enum(['user', 'assistant', 'system']), content });
export type AnthropicMessage = z.output<typeof messageSchema>;

const system = z.union([z.string(), z.array(byType({ text: textBlock }))], { error: unionTypeError('string or array of text blocks') });

const customTool = z.looseObject({
  name: z.string().min(1),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()),
});

/** A client tool (`type` absent or "custom") or a typed one (`web_search_*` is honoured, others ignored). */
const tool = z.looseObject({ type: z.string().nullish() }).transform((t, ctx) => {
  if (t.type === undefined || t.type === null || t.type === 'custom') {
    const parsed = customTool.safeParse(t);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
      return z.NEVER;
    }
    const { name, description, input_schema } = parsed.data;
    return { kind: 'function' as const, name, description: description ?? undefined, input_schema };
  }
  return { kind: 'typed' as const, type: t.type, name: typeof t['name'] === 'string' ? t['name'] : undefined };
});
export type AnthropicTool = z.output<typeof tool>;

const toolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto') }),
  z.looseObject({ type: z.literal('any') }),
  z.looseObject({ type: z.literal('none') }),
  z.looseObject({ type: z.literal('tool'), name: z.string() }),
]);
export type AnthropicToolChoice = z.output<typeof toolChoice>;

/**
 * Gemini's token counts are int32: a larger one would reach Google and come back as an error about Google's own
 * field (`generation_config.max_output_tokens`), so it is refused here, naming the client's.
 */
export const INT32_MAX = 2_147_483_647;

/**
 * A model name: what Anthropic's SDKs and Claude Code send (`claude-sonnet-4-5-20250929`), a Gemini name, or a
 * MODEL_ALIASES pattern's match. Bounded, and printable without spaces, so that a 10 KB or control-character
 * "model" is a 400 naming the field instead of an upstream URL Google refuses (or a name echoed in every answer).
 */
export const modelName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\x21-\x7e]+$/, { message: 'must be a model name: printable ASCII characters, without spaces' });

const thinking = z.looseObject({
  type: z.string(),
  budget_tokens: z.number().int().min(-INT32_MAX).max(INT32_MAX).nullish(),
  display: z.string().nullish(),
});
export type AnthropicThinking = z.output<typeof thinking>;

const effort = z.enum(['low', 'medium', 'high', 'xhigh', 'max']);
export type AnthropicEffort = z.output<typeof effort>;

const jsonSchemaFormat = z.looseObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) });

const outputConfig = z.looseObject({
  effort: effort.nullish(),
  format: jsonSchemaFormat.nullish(),
});

export const anthropicRequestSchema = z.looseObject({
  model: modelName,
  messages: z.array(messageSchema).min(1),
  system: system.optional(),
  // Required by Anthropic; optional here (Gemini has its own default), so a client that leaves it out is served.
  max_tokens: z.number().int().positive().max(INT32_MAX).nullish(),
  stream: z.boolean().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).max(INT32_MAX).nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  thinking: thinking.nullish(),
  output_config: outputConfig.nullish(),
  // The structured-outputs beta's spelling of output_config.format.
  output_format: jsonSchemaFormat.nullish(),
  // Only `user_id` is read (session affinity); anything else in metadata is ignored.
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
});

/** A validated Anthropic Messages request (unknown fields kept but never read). */
export type AnthropicRequest = z.output<typeof anthropicRequestSchema>;

/** A content block of a type Rotor reads (unknown types are skipped by the converters). */
export type KnownBlock = Exclude<AnthropicBlock, { unknown: true }>;

/** The blocks of a message content Rotor reads, in order (a string is one text block). */
export function knownBlocks(content: AnthropicMessage['content']): KnownBlock[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.filter((b): b is KnownBlock => !('unknown' in b));
}

/**
 * The blocks Rotor reads, each with its index in the client's array (unknown blocks counted), for field paths
 * in errors. Linear: a lookup of each block in the array would make a message of many blocks quadratic.
 */
export function indexedBlocks(content: AnthropicMessage['content']): Array<{ block: KnownBlock; index: number }> {
  if (typeof content === 'string') return [{ block: { type: 'text', text: content }, index: 0 }];
  const out: Array<{ block: KnownBlock; index: number }> = [];
  content.forEach((block, index) => {
    if (!('unknown' in block)) out.push({ block, index });
  });
  return out;
}
