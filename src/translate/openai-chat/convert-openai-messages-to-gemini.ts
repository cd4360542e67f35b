import { append } from '../../util/append.js';
import type { GeminiContent, GeminiPart } from '../../types/gemini.js';
import { TranslationError } from '../translation-error.js';
import { convertMediaPart, type MediaResolver } from './media.js';
import type { OpenAIChatMessage, OpenAIContentPart, OpenAIToolCall } from './request-schema.js';
import { BYPASS_THOUGHT_SIGNATURE, decodeToolCallIdSignature } from './thought-signature.js';
import { parseArguments, toolOutputObject } from '../tool-json.js';
import { pushTurn } from '../gemini-request.js';

export { BYPASS_THOUGHT_SIGNATURE } from './thought-signature.js';

export interface GeminiConversation {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
}

export interface ConvertMessagesOptions {
  /** Client function name → the name declared to Gemini (defaults to the name itself). */
  toGeminiName?: (clientName: string) => string;
  /** Server-side signature cache, keyed by tool-call id (see thought-signature.ts). */
  lookupSignature?: (callId: string) => string | undefined;
  /** Pre-fetched bytes for http(s) image URLs (see media.ts). */
  resolveMedia?: MediaResolver;
}

type MessageContent = string | null | undefined | OpenAIContentPart[];

/**
 * OpenAI `messages` → Gemini `contents` + `systemInstruction` (docs/google-protocols.md#roles-and-turns,
 * docs/google-protocols.md#function-calling, docs/google-protocols.md#thought-signatures).
 * - system and developer messages, wherever they stand, become `systemInstruction` parts in order;
 * - user → `user` (text, images, audio, files), assistant → `model`, tool/function results → `user` with
 *   `functionResponse` parts; the deprecated assistant `function_call` is a call like a `tool_calls` entry
 *   (its `function` result is matched by name);
 * - messages with nothing to send (empty text) are skipped, then neighbours of the same role are merged,
 *   because Gemini wants alternating roles and all results of one call turn in one content;
 * - the first function call of every assistant message carries a thought signature: the one embedded in
 *   its id, else `extra_content.google.thought_signature`, else the cache, else Google's bypass value;
 *   later calls of the message keep a signature only if the client sent one back;
 * - a trailing assistant message is kept as it is: a prefill the model continues from;
 * - `name` on user/assistant messages has no Gemini equivalent and is dropped.
 */
export function convertOpenAIMessagesToGemini(
  messages: readonly OpenAIChatMessage[],
  options: ConvertMessagesOptions = {},
): GeminiConversation {
  const geminiName = options.toGeminiName ?? ((name: string) => name);
  const systemParts: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();

  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        append(systemParts, textParts(message.content, at, `${message.role} messages`));
        return;
      case 'user':
        pushTurn(contents, 'user', userParts(message.content, at, options.resolveMedia));
        return;
      case 'assistant': {
        const parts = textParts(message.content, at, 'assistant messages');
        const calls = message.tool_calls ?? [];
        calls.forEach((call) => callNames.set(call.id, geminiName(call.function.name)));
        append(parts, toolCallParts(calls, at, geminiName, options.lookupSignature));
        if (message.function_call) {
          const { name, arguments: args } = message.function_call;
          const part: GeminiPart = { functionCall: { name: geminiName(name), args: parseArguments(args, `${at}.function_call.arguments`) } };
          // It has no id to carry a signature; as the message's first call it takes the bypass value
          // (docs/google-protocols.md#thought-signatures).
          if (calls.length === 0) part.thoughtSignature = BYPASS_THOUGHT_SIGNATURE;
          parts.push(part);
        }
        pushTurn(contents, 'model', parts);
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
        pushTurn(contents, 'user', [functionResponsePart(name, message.content, at)]);
        return;
      }
      case 'function':
        pushTurn(contents, 'user', [functionResponsePart(geminiName(message.name), message.content, at)]);
        return;
    }
  });

  if (contents.length === 0) {
    throw new TranslationError('messages', 'at least one user or assistant message with content is required');
  }
  return systemParts.length > 0 ? { contents, systemInstruction: { parts: systemParts } } : { contents };
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

function userParts(content: MessageContent, at: string, resolveMedia: MediaResolver | undefined): GeminiPart[] {
  if (content === null || content === undefined || typeof content === 'string') {
    return textParts(content, at, 'user messages');
  }
  return content.flatMap((part, j): GeminiPart[] => {
    const field = `${at}.content[${j}]`;
    switch (part.type) {
      case 'text':
        return part.text === '' ? [] : [{ text: part.text }];
      case 'refusal':
        throw new TranslationError(`${field}.type`, 'user messages may not contain refusal parts');
      default:
        return [convertMediaPart(part, field, resolveMedia)];
    }
  });
}

function toolCallParts(
  calls: readonly OpenAIToolCall[],
  at: string,
  geminiName: (name: string) => string,
  lookupSignature: ((callId: string) => string | undefined) | undefined,
): GeminiPart[] {
  return calls.map((call, k): GeminiPart => {
    const part: GeminiPart = {
      functionCall: {
        name: geminiName(call.function.name),
        args: parseArguments(call.function.arguments, `${at}.tool_calls[${k}].function.arguments`),
      },
    };
    const sent = decodeToolCallIdSignature(call.id) ?? call.extra_content?.google?.thought_signature ?? undefined;
    // Gemini signs the first call of a step and validates that one
    // (docs/google-protocols.md#thought-signatures).
    const signature = k === 0 ? (sent ?? lookupSignature?.(call.id) ?? BYPASS_THOUGHT_SIGNATURE) : sent;
    if (signature !== undefined && signature !== '') part.thoughtSignature = signature;
    return part;
  });
}


/** A tool result → `functionResponse` (its text as an object: toolOutputObject). */
function functionResponsePart(name: string, content: MessageContent, at: string): GeminiPart {
  const output = textParts(content, at, 'tool messages')
    .map((p) => p.text ?? '')
    .join('');
  return { functionResponse: { name, response: toolOutputObject(output) } };
}


