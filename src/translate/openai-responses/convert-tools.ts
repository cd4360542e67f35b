import type { GeminiFunctionDeclaration, GeminiTool, GeminiToolConfig } from '../../types/gemini.js';
import { SchemaBudget } from '../schema-budget.js';
import { sanitizeSchemaForGemini, type SchemaContext } from '../schema.js';
import { TranslationError } from '../translation-error.js';
import { createToolNameMap, type ToolNameMap } from '../openai-chat/tool-names.js';
import type { ResponsesCustomTool, ResponsesFunctionTool, ResponsesRequest, ResponsesTool } from './request-schema.js';

export interface ResponsesToolsTranslation {
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  /** Client ⇄ Gemini function names for this request (history and answers use it too). */
  names: ToolNameMap;
  /** Client names of the custom tools: Gemini's calls to them come back as `custom_tool_call` items. */
  custom: Set<string>;
}

/** OpenAI's hosted web search, in every spelling it has had. */
const WEB_SEARCH = /^web_search(?:_preview)?(?:_\d{4}_\d{2}_\d{2})?$/;

/** The argument a custom tool's function takes: the raw text the model writes for it. */
export const CUSTOM_TOOL_ARGUMENT = 'input';

/** A grammar longer than this is cut in the hint (it only guides the model: Gemini has no grammar decoding). */
const MAX_GRAMMAR_HINT = 8_000;

const isFunction = (t: ResponsesTool): t is ResponsesFunctionTool => t.type === 'function';
const isCustom = (t: ResponsesTool): t is ResponsesCustomTool => t.type === 'custom';

/**
 * `tools` and `tool_choice` → Gemini `tools` and `toolConfig` (docs/google-protocols.md#function-calling):
 * - function tools become declarations in one `{functionDeclarations}` tool, their `parameters` rewritten
 *   into Gemini's schema subset (schema.ts) within one budget; names sanitised (tool-names.ts);
 * - custom tools (Codex's `apply_patch`, free text or a grammar) become functions with one string argument,
 *   `input`; a grammar is quoted in the argument's description so the model knows the syntax;
 * - `web_search` (and its preview / dated spellings), like the `-search` model suffix, add `{googleSearch}`,
 *   unless function or custom tools are declared (Google refuses the two together);
 * - every other type (`local_shell`, `namespace`, `mcp`, `file_search`, …) is ignored, not refused;
 * - tool_choice none/auto/required → NONE/AUTO/ANY; a named function or custom tool → ANY with
 *   allowedFunctionNames; `allowed_tools` in `required` mode → ANY with its names, in `auto` mode → AUTO.
 * `parallel_tool_calls` has no Gemini switch and is ignored.
 */
export function convertResponsesTools(req: ResponsesRequest, options: { search?: boolean } = {}): ResponsesToolsTranslation {
  const tools = req.tools ?? [];
  const names = createToolNameMap(mentionedNames(req));
  const custom = new Set<string>();
  const declarations: GeminiFunctionDeclaration[] = [];
  const declared = new Set<string>();
  const budget = new SchemaBudget();
  tools.forEach((tool, i) => {
    if (!isFunction(tool) && !isCustom(tool)) return;
    const at = `tools[${i}]`;
    if (declared.has(tool.name)) throw new TranslationError(`${at}.name`, `duplicate tool name "${tool.name}"`);
    declared.add(tool.name);
    const declaration: GeminiFunctionDeclaration = { name: names.toGemini.get(tool.name) ?? tool.name };
    if (tool.description != null && tool.description !== '') declaration.description = tool.description;
    if (isCustom(tool)) {
      custom.add(tool.name);
      declaration.parameters = customParameters(tool);
    } else {
      const parameters = convertParameters(tool.parameters, { budget, field: `${at}.parameters`, label: `function "${tool.name}"` });
      if (parameters) declaration.parameters = parameters;
    }
    declarations.push(declaration);
  });

  const geminiTools: GeminiTool[] = [];
  if (declarations.length > 0) geminiTools.push({ functionDeclarations: declarations });
  // Google refuses built-in tools next to function declarations on generateContent ("Tool use with function
  // calling is unsupported"; "Built-in tools ({google_search}) and Custom tools (Function Calling) cannot be
  // combined": gemini-balance PR 17, go-genai issue 354, Antigravity-Manager issue 2241). An agent such as Codex
  // needs its functions more than search, so search is only added when there are none.
  const search = options.search === true || tools.some((t) => WEB_SEARCH.test(t.type));
  if (search && declarations.length === 0) geminiTools.push({ googleSearch: {} });

  const out: ResponsesToolsTranslation = { names, custom };
  if (geminiTools.length > 0) out.tools = geminiTools;
  const toolConfig = convertToolChoice(req.tool_choice, declared, names);
  if (toolConfig) out.toolConfig = toolConfig;
  return out;
}

/** Every tool name the request mentions, declarations first, so the mapping is the same everywhere. */
function mentionedNames(req: ResponsesRequest): string[] {
  const names: string[] = [];
  for (const tool of req.tools ?? []) if (isFunction(tool) || isCustom(tool)) names.push(tool.name);
  const choice = req.tool_choice;
  if (typeof choice === 'object' && choice !== null && typeof choice['name'] === 'string') names.push(choice['name']);
  if (Array.isArray(req.input)) {
    for (const item of req.input) if (item.type === 'function_call' || item.type === 'custom_tool_call') names.push(item.name);
  }
  return names;
}

function customParameters(tool: ResponsesCustomTool): Record<string, unknown> {
  let description = 'The raw input for this tool, as plain text (not JSON).';
  const format = tool.format;
  if (format?.type === 'grammar' && typeof format.definition === 'string' && format.definition !== '') {
    const grammar = format.definition.length > MAX_GRAMMAR_HINT ? `${format.definition.slice(0, MAX_GRAMMAR_HINT)}\n…` : format.definition;
    const syntax = typeof format.syntax === 'string' && format.syntax !== '' ? `${format.syntax} ` : '';
    description += ` It must follow this ${syntax}grammar:\n${grammar}`;
  }
  return { type: 'object', properties: { [CUSTOM_TOOL_ARGUMENT]: { type: 'string', description } }, required: [CUSTOM_TOOL_ARGUMENT] };
}

function convertParameters(parameters: Record<string, unknown> | null | undefined, context: SchemaContext & { field: string }): Record<string, unknown> | undefined {
  if (parameters == null) return undefined;
  const type = parameters['type'];
  const isObject = type === undefined || type === 'object' || (Array.isArray(type) && type.includes('object') && type.every((t) => t === 'object' || t === 'null'));
  if (!isObject) throw new TranslationError(context.field, 'must be a JSON Schema of type "object"');
  const schema = sanitizeSchemaForGemini(Array.isArray(type) ? { ...parameters, type: 'object' } : parameters, context);
  // A function without arguments is declared without `parameters`: Gemini rejects an OBJECT with no properties.
  return schema['properties'] !== undefined || schema['anyOf'] !== undefined ? schema : undefined;
}

function convertToolChoice(choice: ResponsesRequest['tool_choice'], declared: ReadonlySet<string>, names: ToolNameMap): GeminiToolConfig | undefined {
  // Without function or custom tools there is nothing to choose between (hosted tools only): Gemini decides.
  if (choice == null || declared.size === 0) return undefined;
  const gemini = (name: string) => names.toGemini.get(name) ?? name;
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (choice.type === 'function' || choice.type === 'custom') {
    const name = String(choice['name']);
    if (!declared.has(name)) throw new TranslationError('tool_choice.name', `"${name}" is not one of the function or custom tools in "tools"`);
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [gemini(name)] } };
  }
  if (choice.type === 'allowed_tools') {
    const listed = Array.isArray(choice['tools']) ? (choice['tools'] as Array<{ name?: unknown }>) : [];
    const allowed = listed.flatMap((t) => (typeof t.name === 'string' && declared.has(t.name) ? [gemini(t.name)] : []));
    if (choice['mode'] === 'required') return { functionCallingConfig: allowed.length > 0 ? { mode: 'ANY', allowedFunctionNames: allowed } : { mode: 'ANY' } };
    return { functionCallingConfig: { mode: 'AUTO' } };
  }
  return undefined;
}
