/**
 * The semantic checks Google runs after the request parses: non-empty contents, valid roles, one `data` per
 * part, function call / response turn pairing, Gemini 3 thought signatures, function names, thinking config.
 * Messages are the ones clients report seeing (docs/google-protocols.md#function-calling and
 * docs/google-protocols.md#thought-signatures); those marked UNCONFIRMED are plausible wording for a
 * rejection that is itself documented.
 */
import { isPlainObject } from './http-io.js';
import { PART_DATA_FIELDS } from './request-schema.js';
import { rpcError, type RpcError } from './rpc-errors.js';
import type { ProtoObject } from './proto-json.js';
import { checkSchemas } from './schema-checks.js';

/** Which of Google's surfaces is checking: some messages differ between them. */
export type CheckRoute = 'code-assist' | 'gemini-api';

type Content = { role?: string; parts?: ProtoObject[] };

const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

export function contentsOf(request: ProtoObject): Content[] {
  const contents = request['contents'];
  return Array.isArray(contents) ? contents.filter(isPlainObject) : [];
}

function partsOf(content: Content): ProtoObject[] {
  return Array.isArray(content.parts) ? content.parts : [];
}

/** Checks shared by generate and countTokens. */
export function checkContents(request: ProtoObject): RpcError | undefined {
  const contents = contentsOf(request);
  if (contents.length === 0) return rpcError(400, '* GenerateContentRequest.contents: contents is not specified\n');
  for (const [i, content] of contents.entries()) {
    if (content.role !== 'user' && content.role !== 'model') return rpcError(400, 'Please use a valid role: user, model.');
    const parts = partsOf(content);
    if (parts.length === 0) {
      return rpcError(400, `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`);
    }
    for (const [j, part] of parts.entries()) {
      const set = PART_DATA_FIELDS.filter((f) => part[f] !== undefined);
      if (set.length === 0) {
        return rpcError(
          400,
          `* GenerateContentRequest.contents[${i}].parts[${j}].data: required oneof field 'data' must have one initialized field\n`,
        );
      }
      if (set.length > 1) {
        return rpcError(
          400,
          `Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '${set[1]}' at 'request.contents[${i}].parts[${j}]'.`,
        );
      }
    }
  }
  return undefined;
}

/** Everything a generate call is checked for, in the order Google reports it. */
export function checkGenerateRequest(request: ProtoObject, model: string, route: CheckRoute = 'code-assist'): RpcError | undefined {
  return (
    checkContents(request) ??
    checkFunctionTurns(request) ??
    checkThoughtSignatures(request, model, route) ??
    checkTools(request) ??
    checkToolMix(request) ??
    checkSchemas(request) ??
    checkThinking(request, model)
  );
}

function count(content: Content | undefined, field: 'functionCall' | 'functionResponse'): number {
  return content ? partsOf(content).filter((p) => p[field] !== undefined).length : 0;
}

function checkFunctionTurns(request: ProtoObject): RpcError | undefined {
  const contents = contentsOf(request);
  for (const [i, content] of contents.entries()) {
    const prev = contents[i - 1];
    const calls = count(content, 'functionCall');
    const responses = count(content, 'functionResponse');
    if (calls > 0 && (content.role !== 'model' || prev === undefined || prev.role !== 'user')) {
      return rpcError(400, 'Please ensure that function call turn comes immediately after a user turn or after a function response turn.');
    }
    if (responses > 0) {
      const prevCalls = count(prev, 'functionCall');
      if (prevCalls === 0) {
        return rpcError(400, 'Please ensure that function response turn comes immediately after a function call turn.');
      }
      if (prevCalls !== responses) {
        return rpcError(
          400,
          'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.',
        );
      }
    }
  }
  return undefined;
}

/**
 * Gemini 3 validates signatures in the current turn only: from the last user content with text onward, the
 * first functionCall of each model step must carry its thoughtSignature (ai.google.dev thought-signatures).
 */
function checkThoughtSignatures(request: ProtoObject, model: string, route: CheckRoute): RpcError | undefined {
  if (!model.startsWith('gemini-3')) return undefined;
  const contents = contentsOf(request);
  let start = 0;
  contents.forEach((c, i) => {
    const parts = partsOf(c);
    if (c.role === 'user' && parts.some((p) => typeof p['text'] === 'string') && !parts.some((p) => p['functionResponse'])) start = i;
  });
  for (let i = start; i < contents.length; i++) {
    const content = contents[i];
    if (!content || content.role !== 'model') continue;
    const firstCall = partsOf(content).find((p) => p['functionCall'] !== undefined);
    if (firstCall && typeof firstCall['thoughtSignature'] !== 'string') {
      const call = firstCall['functionCall'] as ProtoObject;
      if (route === 'gemini-api') return missingSignatureGeminiApi(String(call['name'] ?? ''), i + 1);
      return rpcError(
        400,
        `Unable to submit request because function call \`${String(call['name'] ?? '')}\` in the ${i + 1}. content block is missing a \`thought_signature\`. Learn more: https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures`,
      );
    }
  }
  return undefined;
}

/** The Gemini API's wording of the same rejection (reported by its users, e.g. "position 2"). */
function missingSignatureGeminiApi(name: string, position: number): RpcError {
  return rpcError(
    400,
    `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${name}\` , position ${position}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
  );
}

function checkTools(request: ProtoObject): RpcError | undefined {
  const tools = Array.isArray(request['tools']) ? (request['tools'] as ProtoObject[]) : [];
  const problems: string[] = [];
  tools.forEach((tool, i) => {
    const decls = Array.isArray(tool['functionDeclarations']) ? (tool['functionDeclarations'] as ProtoObject[]) : [];
    decls.forEach((decl, j) => {
      const at = `tools[${i}].function_declarations[${j}]`;
      if (typeof decl['name'] !== 'string' || !FUNCTION_NAME.test(decl['name'])) {
        problems.push(
          `${at}.name: [FIELD_INVALID] Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots and dashes, with a maximum length of 64.`,
        );
      }
      // UNCONFIRMED wording; the two schema fields are alternatives in Google's API.
      if (decl['parameters'] !== undefined && decl['parametersJsonSchema'] !== undefined) {
        problems.push(`${at}: [FIELD_INVALID] Only one of parameters or parameters_json_schema can be set.`);
      }
    });
  });
  if (problems.length === 0) return undefined;
  return rpcError(400, `The GenerateContentRequest proto is invalid:\n${problems.map((p) => `  * ${p}`).join('\n')}`);
}

/**
 * Google Search next to function declarations: refused on generateContent (gemini-balance PR 17, go-genai
 * issue 354; Gemini 3 words it differently and accepts the mix only with a server-side-invocation switch
 * Rotor does not use). Rotor never sends the two together; the check keeps it honest.
 */
function checkToolMix(request: ProtoObject): RpcError | undefined {
  const tools = Array.isArray(request['tools']) ? (request['tools'] as ProtoObject[]) : [];
  const declares = tools.some((t) => Array.isArray(t['functionDeclarations']) && t['functionDeclarations'].length > 0);
  const searches = tools.some((t) => t['googleSearch'] !== undefined || t['google_search'] !== undefined);
  return declares && searches ? rpcError(400, 'Tool use with function calling is unsupported') : undefined;
}

function checkThinking(request: ProtoObject, model: string): RpcError | undefined {
  const config = request['generationConfig'];
  const thinking = isPlainObject(config) ? config['thinkingConfig'] : undefined;
  if (!isPlainObject(thinking)) return undefined;
  const budget = thinking['thinkingBudget'];
  const level = thinking['thinkingLevel'];
  // UNCONFIRMED wording for the next two; the restrictions are in
  // docs/google-protocols.md#thinking-budgets-and-levels.
  if (budget !== undefined && level !== undefined) {
    return rpcError(400, 'You can only set only one of thinking budget and thinking level.');
  }
  if (level !== undefined && model.startsWith('gemini-2')) {
    return rpcError(400, 'Thinking level is not supported for this model.');
  }
  const thinkingOnly = model.startsWith('gemini-2.5-pro') || /^gemini-3(\.\d+)?-pro/.test(model);
  if (budget === 0 && thinkingOnly) {
    return rpcError(400, 'Budget 0 is invalid. This model only works in thinking mode.');
  }
  return undefined;
}
