import type { GeminiFunctionDeclaration, GeminiTool, GeminiToolConfig } from '../../types/gemini.js';
import { createToolNameMap, type ToolNameMap } from '../openai-chat/tool-names.js';
import { SchemaBudget } from '../schema-budget.js';
import { sanitizeSchemaForGemini, type SchemaContext } from '../schema.js';
import { TranslationError } from '../translation-error.js';
import type { AnthropicRequest } from './request-schema.js';

export interface AnthropicToolsTranslation {
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  /** Client ⇄ Gemini function names for this request (history and answers use it too). */
  names: ToolNameMap;
  /** A `web_search_*` server tool was declared: answers carry search blocks built from grounding. */
  search: boolean;
}

/**
 * `tools` and `tool_choice` → Gemini `tools` and `toolConfig` (docs/google-protocols.md#function-calling,
 * docs/google-protocols.md#function-names, docs/google-protocols.md#schemas):
 * - client tools go into ONE `{functionDeclarations}` tool; names Gemini refuses are mapped (tool-names.ts);
 *   `input_schema` is rewritten by sanitizeSchemaForGemini, all schemas of the request within one
 *   SchemaBudget, and left out for a tool without arguments (Gemini refuses an OBJECT with no properties);
 * - the `web_search_*` server tool becomes a separate `{googleSearch: {}}` tool (its `max_uses`,
 *   `allowed_domains`, `user_location` have no Gemini counterpart), only when there are no client tools:
 *   Google refuses the two together (docs/google-protocols.md#google-search-grounding), and an agent needs
 *   its tools more than search;
 * - other typed tools (Anthropic-defined client tools such as `bash_*` or `text_editor_*`, `web_fetch_*`,
 *   `code_execution_*`, tool search…) have no Gemini counterpart here and are ignored;
 * - tool_choice auto/any/none/tool → AUTO/ANY/NONE/ANY + allowedFunctionNames; `disable_parallel_tool_use`
 *   has no Gemini switch. A choice that forces a call when there are no client tools is ignored, one that
 *   names an undeclared tool is a 400, as Anthropic answers it.
 */
export function convertAnthropicTools(req: AnthropicRequest): AnthropicToolsTranslation {
  const names = createToolNameMap(mentionedNames(req));
  const declarations: GeminiFunctionDeclaration[] = [];
  const declared = new Set<string>();
  const budget = new SchemaBudget();
  let search = false;
  (req.tools ?? []).forEach((tool, i) => {
    if (tool.kind === 'typed') {
      if (tool.type.startsWith('web_search')) search = true;
      return;
    }
    if (declared.has(tool.name)) throw new TranslationError(`tools[${i}].name`, `duplicate tool name "${tool.name}"`);
    declared.add(tool.name);
    const declaration: GeminiFunctionDeclaration = { name: names.toGemini.get(tool.name) ?? tool.name };
    if (tool.description !== undefined && tool.description !== '') declaration.description = tool.description;
    const parameters = convertInputSchema(tool.input_schema, { budget, field: `tools[${i}].input_schema`, label: `tool "${tool.name}"` });
    if (parameters) declaration.parameters = parameters;
    declarations.push(declaration);
  });

  const tools: GeminiTool[] = [];
  if (declarations.length > 0) tools.push({ functionDeclarations: declarations });
  if (declarations.length > 0) search = false;
  if (search) tools.push({ googleSearch: {} });
  const out: AnthropicToolsTranslation = { names, search };
  if (tools.length > 0) out.tools = tools;
  const toolConfig = convertToolChoice(req.tool_choice, declared, names);
  if (toolConfig) out.toolConfig = toolConfig;
  return out;
}

/** Every tool name the request mentions, declarations first, so the mapping is the same everywhere. */
function mentionedNames(req: AnthropicRequest): string[] {
  const names: string[] = [];
  for (const tool of req.tools ?? []) if (tool.kind === 'function') names.push(tool.name);
  if (req.tool_choice?.type === 'tool') names.push(req.tool_choice.name);
  for (const message of req.messages) {
    if (message.role !== 'assistant' || typeof message.content === 'string') continue;
    for (const block of message.content) if (block.type === 'tool_use' && 'name' in block) names.push(block.name);
  }
  return names;
}

function convertInputSchema(schema: Record<string, unknown>, context: SchemaContext & { field: string }): Record<string, unknown> | undefined {
  const type = schema['type'];
  const isObject = type === undefined || type === 'object' || (Array.isArray(type) && type.includes('object') && type.every((t) => t === 'object' || t === 'null'));
  if (!isObject) throw new TranslationError(context.field, 'must be a JSON Schema of type "object"');
  const converted = sanitizeSchemaForGemini(Array.isArray(type) ? { ...schema, type: 'object' } : schema, context);
  return converted['properties'] !== undefined || converted['anyOf'] !== undefined ? converted : undefined;
}

function convertToolChoice(choice: AnthropicRequest['tool_choice'], declared: ReadonlySet<string>, names: ToolNameMap): GeminiToolConfig | undefined {
  if (choice == null || declared.size === 0) {
    if (choice?.type === 'tool') throw new TranslationError('tool_choice.name', `"${choice.name}" is not one of the tools in "tools"`);
    return undefined;
  }
  switch (choice.type) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'any':
      return { functionCallingConfig: { mode: 'ANY' } };
    case 'tool':
      if (!declared.has(choice.name)) throw new TranslationError('tool_choice.name', `"${choice.name}" is not one of the tools in "tools"`);
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [names.toGemini.get(choice.name) ?? choice.name] } };
  }
}
