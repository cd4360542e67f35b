import type { GeminiFunctionDeclaration, GeminiTool, GeminiToolConfig } from '../../types/gemini.js';
import { SchemaBudget } from '../schema-budget.js';
import { sanitizeSchemaForGemini, type SchemaContext } from '../schema.js';
import { TranslationError } from '../translation-error.js';
import type { OpenAIChatRequest } from './request-schema.js';
import { createToolNameMap, type ToolNameMap } from './tool-names.js';

export interface GeminiToolsTranslation {
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  /** Client ⇄ Gemini function names for this request (history and responses use it too). */
  names: ToolNameMap;
}

/**
 * `tools`, `tool_choice`, `web_search_options` (and the `-search` model suffix) → Gemini `tools` and
 * `toolConfig` (docs/google-protocols.md#function-calling, docs/google-protocols.md#function-names,
 * docs/google-protocols.md#google-search-grounding):
 * - all function tools go into ONE `{functionDeclarations}` tool; names Gemini rejects are sanitised
 *   (createToolNameMap); `parameters` are rewritten by sanitizeSchemaForGemini into the OpenAPI subset of
 *   the classic `parameters` field, all within one SchemaBudget (past it, a TranslationError naming the
 *   function), and omitted for a function without arguments. Rotor keeps this one path rather than
 *   `parametersJsonSchema` because every Google backend and model accepts `parameters` (the JSON-Schema
 *   field is missing on some surfaces and has its own rejections, e.g. cyclic `$ref`s in required
 *   properties) and the same sanitiser serves `responseSchema`. `strict` has no equivalent;
 * - Google Search (`{"type": "google_search"}`, `{"google_search": {}}`, `web_search_options`,
 *   `-search`) becomes a separate `{googleSearch}` tool, once, and only when no function is declared:
 *   Google refuses the two together (docs/google-protocols.md#google-search-grounding);
 * - tool_choice auto/none/required/{function} → AUTO/NONE/ANY/ANY + allowedFunctionNames.
 * `parallel_tool_calls` has no Gemini switch and is ignored (Gemini decides).
 */
export function convertOpenAIToolsToGemini(req: OpenAIChatRequest, options: { search?: boolean } = {}): GeminiToolsTranslation {
  const functions = (req.tools ?? []).flatMap((tool, i) => (tool.type === 'function' ? [{ fn: tool.function, i }] : []));
  const names = createToolNameMap(mentionedNames(req));
  const declarations: GeminiFunctionDeclaration[] = [];
  const declared = new Set<string>();
  // One budget for all the tools: the limit on what their schemas may expand to holds for the request.
  const budget = new SchemaBudget();
  for (const { fn, i } of functions) {
    const at = `tools[${i}].function`;
    if (declared.has(fn.name)) throw new TranslationError(`${at}.name`, `duplicate function name "${fn.name}"`);
    declared.add(fn.name);
    const declaration: GeminiFunctionDeclaration = { name: names.toGemini.get(fn.name) ?? fn.name };
    if (fn.description != null && fn.description !== '') declaration.description = fn.description;
    const parameters = convertParameters(fn.parameters, { budget, field: `${at}.parameters`, label: `function "${fn.name}"` });
    if (parameters) declaration.parameters = parameters;
    declarations.push(declaration);
  }

  const tools: GeminiTool[] = [];
  if (declarations.length > 0) tools.push({ functionDeclarations: declarations });
  const searchTool = (req.tools ?? []).find((t) => t.type === 'google_search');
  if ((searchTool || req.web_search_options != null || options.search === true) && declarations.length === 0) {
    const settings = searchTool?.type === 'google_search' ? searchTool.google_search : undefined;
    tools.push({ googleSearch: settings ?? {} });
  }

  const out: GeminiToolsTranslation = { names };
  if (tools.length > 0) out.tools = tools;
  const toolConfig = convertToolChoice(req.tool_choice, declared, names);
  if (toolConfig) out.toolConfig = toolConfig;
  return out;
}

/** Every function name the request mentions, declarations first, so the mapping is the same everywhere. */
function mentionedNames(req: OpenAIChatRequest): string[] {
  const names: string[] = [];
  for (const tool of req.tools ?? []) if (tool.type === 'function') names.push(tool.function.name);
  if (typeof req.tool_choice === 'object' && req.tool_choice !== null) names.push(req.tool_choice.function.name);
  for (const message of req.messages) {
    if (message.role === 'assistant') for (const call of message.tool_calls ?? []) names.push(call.function.name);
    if (message.role === 'function') names.push(message.name);
  }
  return names;
}

function convertParameters(parameters: Record<string, unknown> | null | undefined, context: SchemaContext & { field: string }): Record<string, unknown> | undefined {
  if (parameters == null) return undefined;
  const { field } = context;
  const type = parameters['type'];
  // `["object"]` (or `["object", "null"]`, which a generator may emit) is still an object schema.
  const isObject = type === undefined || type === 'object' || (Array.isArray(type) && type.includes('object') && type.every((t) => t === 'object' || t === 'null'));
  if (!isObject) throw new TranslationError(field, 'must be a JSON Schema of type "object"');
  const schema = sanitizeSchemaForGemini(Array.isArray(type) ? { ...parameters, type: 'object' } : parameters, context);
  // A function without arguments is declared without `parameters`: Gemini rejects an OBJECT with no properties.
  return schema['properties'] !== undefined || schema['anyOf'] !== undefined ? schema : undefined;
}

function convertToolChoice(
  choice: OpenAIChatRequest['tool_choice'],
  declared: ReadonlySet<string>,
  names: ToolNameMap,
): GeminiToolConfig | undefined {
  if (choice == null) return undefined;
  if (declared.size === 0) {
    if (choice === 'auto' || choice === 'none') return undefined;
    throw new TranslationError('tool_choice', 'a tool choice that forces a call needs function tools in "tools"');
  }
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  const name = choice.function.name;
  if (!declared.has(name)) throw new TranslationError('tool_choice.function.name', `"${name}" is not one of the functions in "tools"`);
  return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [names.toGemini.get(name) ?? name] } };
}
