import type { GeminiBlob, GeminiContent, GeminiPart } from '../../types/gemini.js';
import { TranslationError } from '../translation-error.js';
import { parseBase64DataUri } from './parse-data-uri.js';
import type { OpenAIChatMessage, OpenAIContentPart, OpenAIToolCall } from './request-schema.js';

export interface GeminiConversation {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
}

/**
 * Google's documented placeholder for a function call whose real thought signature is unknown
 * (ai.google.dev/gemini-api/docs/thought-signatures); Gemini 3 rejects a current-turn call without one.
 */
export const BYPASS_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

type MessageContent = string | null | undefined | OpenAIContentPart[];

/**
 * OpenAI `messages` → Gemini `contents` + `systemInstruction` (upstream-protocols §3.1–3.4).
 * - system and developer messages, wherever they stand, become `systemInstruction` parts in order;
 * - user → `user`, assistant → `model`, tool/function results → `user` with `functionResponse` parts;
 * - messages with nothing to send (empty text) are skipped, then neighbours of the same role are merged,
 *   because Gemini wants alternating roles and all results of one call turn in one content;
 * - a trailing assistant message is kept as it is: a prefill the model continues from. Rotor does not
 *   strip it (as CLIProxyAPI does) so the client's intent reaches the model.
 * - `name` on user/assistant messages has no Gemini equivalent and is dropped.
 */
export function convertOpenAIMessagesToGemini(messages: readonly OpenAIChatMessage[]): GeminiConversation {
  const systemParts: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();

  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        systemParts.push(...textParts(message.content, at, `${message.role} messages`));
        return;
      case 'user':
        push(contents, 'user', userParts(message.content, at));
        return;
      case 'assistant': {
        const parts = textParts(message.content, at, 'assistant messages');
        parts.push(...toolCallParts(message.tool_calls ?? [], at, callNames));
        push(contents, 'model', parts);
        return;
      }
      case 'tool': {
        const name = callNames.get(message.tool_call_id);
        if (name === undefined) {
          throw new TranslationError(
            `${at}.tool_call_id`,
            `no earlier assistant message has a tool call with id "${message.tool_call_id}"`,
          );
        }
        push(contents, 'user', [functionResponsePart(name, message.content, at)]);
        return;
      }
      case 'function':
        push(contents, 'user', [functionResponsePart(message.name, message.content, at)]);
        return;
    }
  });

  if (contents.length === 0) {
    throw new TranslationError('messages', 'at least one user or assistant message with content is required');
  }
  return systemParts.length > 0 ? { contents, systemInstruction: { parts: systemParts } } : { contents };
}

function push(contents: GeminiContent[], role: 'user' | 'model', parts: GeminiPart[]): void {
  if (parts.length === 0) return;
  const last = contents[contents.length - 1];
  if (last?.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

/** Text-only content (system, developer, assistant, tool results). `refusal` parts count as text. */
function textParts(content: MessageContent, at: string, who: string): GeminiPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.flatMap((part, j): GeminiPart[] => {
    const text = part.type === 'text' ? part.text : part.type === 'refusal' ? part.refusal : undefined;
    if (text === undefined) {
      throw new TranslationError(`${at}.content[${j}].type`, `${who} may only contain text parts, got "${part.type}"`);
    }
    // Gemini rejects empty text parts ("empty text parameter").
    return text === '' ? [] : [{ text }];
  });
}

function userParts(content: MessageContent, at: string): GeminiPart[] {
  if (content === null || content === undefined || typeof content === 'string') {
    return textParts(content, at, 'user messages');
  }
  return content.flatMap((part, j): GeminiPart[] => {
    const field = `${at}.content[${j}]`;
    switch (part.type) {
      case 'text':
        return part.text === '' ? [] : [{ text: part.text }];
      case 'image_url':
        return [{ inlineData: imageBlob(part.image_url.url, `${field}.image_url.url`) }];
      case 'input_audio':
      case 'file':
        throw new TranslationError(`${field}.type`, `content part type "${part.type}" is not supported yet`);
      case 'refusal':
        throw new TranslationError(`${field}.type`, 'user messages may not contain refusal parts');
    }
  });
}

function imageBlob(url: string, field: string): GeminiBlob {
  if (/^https?:\/\//i.test(url)) {
    throw new TranslationError(field, 'remote image URLs are not supported yet; send the image inline as a data: URI');
  }
  return parseBase64DataUri(url, field);
}

function toolCallParts(calls: readonly OpenAIToolCall[], at: string, callNames: Map<string, string>): GeminiPart[] {
  return calls.map((call, k): GeminiPart => {
    callNames.set(call.id, call.function.name);
    const part: GeminiPart = {
      functionCall: { name: call.function.name, args: parseArguments(call.function.arguments, `${at}.tool_calls[${k}].function.arguments`) },
    };
    // Only the first call of a turn carries a signature (thought-signatures rules, §3.12).
    if (k === 0) part.thoughtSignature = BYPASS_THOUGHT_SIGNATURE;
    return part;
  });
}

function parseArguments(json: string, field: string): Record<string, unknown> {
  if (json.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new TranslationError(field, 'must be a JSON object encoded as a string');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TranslationError(field, 'must be a JSON object encoded as a string');
  }
  return value as Record<string, unknown>;
}

function functionResponsePart(name: string, content: MessageContent, at: string): GeminiPart {
  const output = textParts(content, at, 'tool messages')
    .map((p) => p.text ?? '')
    .join('');
  // Gemini wants an object; "output" is the key its docs name for a function's result.
  return { functionResponse: { name, response: { output } } };
}
