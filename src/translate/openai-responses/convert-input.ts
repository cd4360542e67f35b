import { append } from '../../util/append.js';
import type { GeminiBlob, GeminiContent, GeminiPart } from '../../types/gemini.js';
import { TranslationError } from '../translation-error.js';
import { convertMediaPart, type MediaResolver } from '../openai-chat/media.js';
import { parseBase64DataUri } from '../openai-chat/parse-data-uri.js';
import { BYPASS_THOUGHT_SIGNATURE } from '../openai-chat/thought-signature.js';
import { CUSTOM_TOOL_ARGUMENT } from './convert-tools.js';
import type { ResponsesContentPart, ResponsesInputItem } from './request-schema.js';
import { callSignature, decodeAnswerSignatures, type AnswerSignatures } from './signatures.js';
import { parseArguments, toolOutputObject } from '../tool-json.js';
import { pushTurn } from '../gemini-request.js';

export interface ResponsesConversation {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
}

export interface ConvertInputOptions {
  /** Client function name → the name declared to Gemini. */
  toGeminiName: (clientName: string) => string;
  /** Server-side signature cache, by call id (the handler looked up what signatureIds listed). */
  lookupSignature?: (callId: string) => string | undefined;
  /** Bytes of the http(s) media URLs listed by collectResponsesMediaUrls. */
  resolveMedia?: MediaResolver;
}

/** What stands in for the output of a call the client answered with nothing (Gemini wants one per call). */
export const MISSING_OUTPUT = 'No output was returned for this call.';

type Side = 'user' | 'model' | 'tool' | undefined;

type ToolOutput = Extract<ResponsesInputItem, { type: 'function_call_output' }>['output'];

/** Which Gemini turn an item belongs to; `undefined` for items that form none (system text, ignored items). */
function sideOf(item: ResponsesInputItem): Side {
  switch (item.type) {
    case 'message':
      return item.role === 'assistant' ? 'model' : item.role === 'user' ? 'user' : undefined;
    case 'reasoning':
    case 'function_call':
    case 'custom_tool_call':
      return 'model';
    case 'function_call_output':
    case 'custom_tool_call_output':
      return 'tool';
    case 'ignored':
      return undefined;
  }
}

/**
 * The items in runs of one side, by index: consecutive assistant-side items (reasoning, assistant messages,
 * function and custom tool calls) make one Gemini model turn; consecutive tool outputs one function-response
 * turn. System/developer messages and ignored items do not break a run.
 */
export function itemRuns(items: readonly ResponsesInputItem[]): Array<{ side: Exclude<Side, undefined>; indices: number[] }> {
  const runs: Array<{ side: Exclude<Side, undefined>; indices: number[] }> = [];
  items.forEach((item, i) => {
    const side = sideOf(item);
    if (side === undefined) return;
    const last = runs[runs.length - 1];
    if (last?.side === side && side !== 'user') last.indices.push(i);
    else runs.push({ side, indices: [i] });
  });
  return runs;
}

/** The signatures the reasoning items of a model run carry (later items win). */
export function runSignatures(items: readonly ResponsesInputItem[], indices: readonly number[]): AnswerSignatures {
  const merged: AnswerSignatures = { calls: {} };
  for (const i of indices) {
    const item = items[i];
    if (item?.type !== 'reasoning') continue;
    const s = decodeAnswerSignatures(item.encrypted_content);
    if (!s) continue;
    Object.assign(merged.calls, s.calls);
    if (s.text !== undefined) merged.text = s.text;
  }
  return merged;
}

/**
 * Responses `input` items (+ `instructions`) → Gemini `contents` + `systemInstruction`
 * (docs/google-protocols.md#roles-and-turns, #function-calling, #thought-signatures):
 * - `instructions`, then system and developer messages wherever they stand, become `systemInstruction` parts;
 * - user messages → `user` turns (text, images, files, audio); each run of assistant-side items → one `model`
 *   turn: assistant text, then function calls in order (a custom tool call is a call with `{input}`);
 *   reasoning items add no part: Gemini's thoughts are not sent back, only their signatures;
 * - each run of tool outputs → one `user` turn whose function responses answer the calls of the model turn
 *   before it one for one, in the calls' order (a call left unanswered gets a stand-in, a repeated output
 *   counts once), so Google's "number of function response parts" check always holds; images and files in
 *   structured outputs follow the responses in that turn; an output that does not answer the turn just
 *   before it (a message came in between) is sent as text, since Gemini cannot pair it any more;
 * - signatures: each call gets the one in the run's reasoning items (`encrypted_content`, signatures.ts), else
 *   the server-side cache's; the first call of a run, which Gemini validates, falls back to Google's bypass
 *   value; an answer's text signature goes back on the run's last part when it has no calls;
 * - `ignored` items (item references, local shell calls, web search calls, …) are left out.
 */
export function convertResponsesInput(
  items: readonly ResponsesInputItem[],
  instructions: string | null | undefined,
  options: ConvertInputOptions,
): ResponsesConversation {
  const systemParts: GeminiPart[] = instructions ? [{ text: instructions }] : [];
  const contents: GeminiContent[] = [];
  // call_id → Gemini function name, for every call in the input.
  const callNames = new Map<string, string>();
  items.forEach((item) => {
    if (item.type === 'function_call' || item.type === 'custom_tool_call') callNames.set(item.call_id, options.toGeminiName(item.name));
  });
  // The calls of the model turn last pushed, waiting for their outputs.
  let pending: string[] = [];

  items.forEach((item, i) => {
    if (item.type === 'message' && (item.role === 'system' || item.role === 'developer')) {
      append(systemParts, textParts(item.content, `input[${i}].content`, `${item.role} messages`));
    }
  });

  for (const run of itemRuns(items)) {
    if (run.side === 'user') {
      const i = run.indices[0]!;
      const item = items[i] as Extract<ResponsesInputItem, { type: 'message' }>;
      pushTurn(contents, 'user', userParts(item.content, `input[${i}].content`, options.resolveMedia));
      pending = [];
    } else if (run.side === 'model') {
      const { parts, calls } = modelTurn(items, run.indices, options);
      if (parts.length === 0) continue;
      const merged = contents[contents.length - 1]?.role === 'model';
      pushTurn(contents, 'model', parts);
      pending = merged ? [...pending, ...calls] : calls;
    } else {
      pushTurn(contents, 'user', outputTurn(items, run.indices, pending, callNames, options.resolveMedia));
      pending = [];
    }
  }

  if (contents.length === 0) throw new TranslationError('input', 'at least one user message or other input item with content is required');
  return systemParts.length > 0 ? { contents, systemInstruction: { parts: systemParts } } : { contents };
}

function modelTurn(items: readonly ResponsesInputItem[], indices: readonly number[], options: ConvertInputOptions): { parts: GeminiPart[]; calls: string[] } {
  const signatures = runSignatures(items, indices);
  const parts: GeminiPart[] = [];
  const calls: string[] = [];
  for (const i of indices) {
    const item = items[i]!;
    const at = `input[${i}]`;
    if (item.type === 'message') append(parts, textParts(item.content, `${at}.content`, 'assistant messages'));
    else if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      const args = item.type === 'function_call' ? parseArguments(item.arguments, `${at}.arguments`) : { [CUSTOM_TOOL_ARGUMENT]: item.input };
      const part: GeminiPart = { functionCall: { name: options.toGeminiName(item.name), args } };
      // Gemini validates the first call of a turn (docs/google-protocols.md#thought-signatures).
      const signature = callSignature(signatures, item.call_id) ?? options.lookupSignature?.(item.call_id) ?? (calls.length === 0 ? BYPASS_THOUGHT_SIGNATURE : undefined);
      if (signature !== undefined && signature !== '') part.thoughtSignature = signature;
      parts.push(part);
      calls.push(item.call_id);
    }
  }
  const last = parts[parts.length - 1];
  if (calls.length === 0 && signatures.text !== undefined && last?.text !== undefined) last.thoughtSignature = signatures.text;
  return { parts, calls };
}

function outputTurn(
  items: readonly ResponsesInputItem[],
  indices: readonly number[],
  pending: readonly string[],
  callNames: ReadonlyMap<string, string>,
  resolveMedia: MediaResolver | undefined,
): GeminiPart[] {
  const answers = new Map<string, { output: ToolOutput; at: string }>();
  const late: GeminiPart[] = [];
  // A set, not the list: a search of the pending calls for each output made many outputs quadratic.
  const waiting = new Set(pending);
  for (const i of indices) {
    const item = items[i] as Extract<ResponsesInputItem, { type: 'function_call_output' | 'custom_tool_call_output' }>;
    const at = `input[${i}]`;
    if (!callNames.has(item.call_id)) {
      throw new TranslationError(`${at}.call_id`, `no function_call or custom_tool_call with call_id "${item.call_id}" in the input (or the previous response)`);
    }
    if (waiting.has(item.call_id)) answers.set(item.call_id, { output: item.output, at });
    else {
      // Not an answer to the turn just before (a message came in between): Gemini can only take it as text.
      const { text, attachments } = toolOutput(item.output, `${at}.output`, resolveMedia);
      late.push({ text: `Output of the earlier call ${callNames.get(item.call_id)} (${item.call_id}):\n${text}` }, ...attachments);
    }
  }
  const responses: GeminiPart[] = [];
  const media: GeminiPart[] = [];
  for (const callId of pending) {
    const name = callNames.get(callId)!;
    const answer = answers.get(callId);
    if (!answer) {
      responses.push({ functionResponse: { name, response: { output: MISSING_OUTPUT } } });
      continue;
    }
    const { text, attachments } = toolOutput(answer.output, `${answer.at}.output`, resolveMedia);
    responses.push({ functionResponse: { name, response: toolOutputObject(text) } });
    append(media, attachments);
  }
  return [...responses, ...media, ...late];
}


function toolOutput(output: ToolOutput, at: string, resolveMedia: MediaResolver | undefined): { text: string; attachments: GeminiPart[] } {
  if (typeof output === 'string') return { text: output, attachments: [] };
  // Older Codex builds sent `{content, success}`.
  if (!Array.isArray(output)) return { text: typeof output['content'] === 'string' ? output['content'] : JSON.stringify(output), attachments: [] };
  let text = '';
  const attachments: GeminiPart[] = [];
  output.forEach((part, j) => {
    if (part.type === 'input_text' || part.type === 'output_text') text += part.text;
    else if (part.type === 'refusal') text += part.refusal;
    else attachments.push(mediaPart(part, `${at}[${j}]`, resolveMedia));
  });
  return { text, attachments };
}

/** Text-only content (system, developer, assistant). */
function textParts(content: string | ResponsesContentPart[], at: string, who: string): GeminiPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.flatMap((part, j): GeminiPart[] => {
    const text = part.type === 'input_text' || part.type === 'output_text' ? part.text : part.type === 'refusal' ? part.refusal : undefined;
    if (text === undefined) throw new TranslationError(`${at}[${j}].type`, `${who} may only contain text parts, got "${part.type}"`);
    // Gemini rejects empty text parts.
    return text === '' ? [] : [{ text }];
  });
}

function userParts(content: string | ResponsesContentPart[], at: string, resolveMedia: MediaResolver | undefined): GeminiPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.flatMap((part, j): GeminiPart[] => {
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        return part.text === '' ? [] : [{ text: part.text }];
      case 'refusal':
        return part.refusal === '' ? [] : [{ text: part.refusal }];
      default:
        return [mediaPart(part, `${at}[${j}]`, resolveMedia)];
    }
  });
}

const REMOTE = /^https?:\/\//i;

/** An image, file or audio part → the Gemini part carrying its bytes. */
function mediaPart(part: Extract<ResponsesContentPart, { type: 'input_image' | 'input_file' | 'input_audio' }>, at: string, resolveMedia: MediaResolver | undefined): GeminiPart {
  switch (part.type) {
    case 'input_image':
      if (part.image_url != null && part.image_url !== '') return { inlineData: urlBlob(part.image_url, `${at}.image_url`, 'image', resolveMedia) };
      if (part.file_id != null) throw uploadedFile(`${at}.file_id`);
      throw new TranslationError(`${at}.image_url`, 'an input_image part needs image_url (a data: URI or an http(s) URL)');
    case 'input_file':
      if (part.file_data != null && part.file_data !== '') {
        return convertMediaPart({ type: 'file', file: { file_data: part.file_data, filename: part.filename ?? null } }, at, resolveMedia);
      }
      if (part.file_url != null && part.file_url !== '') return { inlineData: urlBlob(part.file_url, `${at}.file_url`, 'file', resolveMedia) };
      if (part.file_id != null) throw uploadedFile(`${at}.file_id`);
      throw new TranslationError(at, 'an input_file part needs file_data or file_url');
    case 'input_audio':
      return convertMediaPart({ type: 'input_audio', input_audio: part.input_audio }, at, resolveMedia);
  }
}

function urlBlob(url: string, at: string, what: string, resolveMedia: MediaResolver | undefined): GeminiBlob {
  if (!REMOTE.test(url)) return parseBase64DataUri(url, at);
  const blob = resolveMedia?.(url);
  if (blob === undefined) throw new TranslationError(at, `the ${what} at ${url} could not be fetched; send it inline as a data: URI`);
  return blob;
}

function uploadedFile(at: string): TranslationError {
  return new TranslationError(at, 'file_id refers to an uploaded file, which Rotor does not support; send the content inline (a data: URI) or by URL');
}

/** The http(s) URLs of a request's images and files (user messages and tool outputs), in order, each as often as used. */
export function collectResponsesMediaUrls(items: readonly ResponsesInputItem[]): string[] {
  const urls: string[] = [];
  const scan = (parts: readonly ResponsesContentPart[]) => {
    for (const part of parts) {
      const url = part.type === 'input_image' ? part.image_url : part.type === 'input_file' && !part.file_data ? part.file_url : undefined;
      if (typeof url === 'string' && REMOTE.test(url)) urls.push(url);
    }
  };
  for (const item of items) {
    if (item.type === 'message' && item.role === 'user' && Array.isArray(item.content)) scan(item.content);
    if ((item.type === 'function_call_output' || item.type === 'custom_tool_call_output') && Array.isArray(item.output)) scan(item.output);
  }
  return urls;
}

/**
 * Call ids whose signature the client's input does not carry: the first call of each model run without one in
 * the run's reasoning items. Their signatures come from the server-side cache.
 */
export function unsignedCallIds(items: readonly ResponsesInputItem[]): string[] {
  const ids: string[] = [];
  for (const run of itemRuns(items)) {
    if (run.side !== 'model') continue;
    const first = run.indices.map((i) => items[i]!).find((item) => item.type === 'function_call' || item.type === 'custom_tool_call');
    if (!first || (first.type !== 'function_call' && first.type !== 'custom_tool_call')) continue;
    if (callSignature(runSignatures(items, run.indices), first.call_id) === undefined) ids.push(first.call_id);
  }
  return ids;
}



