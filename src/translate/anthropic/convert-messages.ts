import type { GeminiContent, GeminiPart } from '../../types/gemini.js';
import type { MediaResolver } from '../openai-chat/media.js';
import { BYPASS_THOUGHT_SIGNATURE } from '../openai-chat/thought-signature.js';
import { TranslationError } from '../translation-error.js';
import { append, documentParts, imagePart, isBase64, known, searchResultText } from './content.js';
import { indexedBlocks, type AnthropicRequest, type AnthropicToolResultBlock, type KnownBlock } from './request-schema.js';
import { isPlainObject, toolOutputObject } from '../tool-json.js';

export interface ConvertMessagesOptions {
  /** Client tool name → the name declared to Gemini. */
  toGeminiName: (clientName: string) => string;
  /** Bytes of the media URLs the handler fetched. */
  media: MediaResolver;
  /** Signatures from the server-side cache, by tool_use id (see blocks.ts). */
  lookupSignature: (toolUseId: string) => string | undefined;
  /** No content at all is fine (token counting of a system prompt or tools alone). */
  allowEmpty?: boolean;
}

export interface GeminiConversation {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
}

interface Call {
  id: string;
  name: string;
  part: GeminiPart;
}

interface Result {
  id: string;
  /** The `functionResponse.response`; the name comes from the call it answers. */
  response: Record<string, unknown>;
  /** The result as text, for a result that answers no call of the turn before it. */
  text: string;
}

/** A turn being built: its parts, and the calls it makes or the results it carries. */
interface Turn {
  role: 'user' | 'model';
  parts: GeminiPart[];
  calls: Call[];
  results: Result[];
  /** Media inside tool results: sent after the function responses of the turn. */
  resultMedia: GeminiPart[];
}

/**
 * Anthropic `system` + `messages` → Gemini `systemInstruction` + `contents`
 * (docs/google-protocols.md#roles-and-turns, docs/google-protocols.md#function-calling,
 * docs/google-protocols.md#thought-signatures):
 * - `system` and `role: "system"` messages, wherever they stand, become systemInstruction parts in order
 *   (a system text mid-history must not land in `contents`, where Gemini has no such role);
 * - user text, images (base64 or fetched URLs), documents and search results → `user` parts;
 *   `tool_result` → `functionResponse` named after the tool_use it answers (`{output}` or, with
 *   `is_error`, `{error}`; a JSON object result is sent as that object), its images and documents as
 *   `inlineData` parts after the turn's function responses;
 * - assistant text and `tool_use` → `model` parts; thinking text is not sent back (Gemini does not need
 *   it), but a thinking block's `signature` is Gemini's thought signature for the next tool_use of the
 *   message (blocks.ts); `redacted_thinking`, server tool blocks and unknown blocks are skipped;
 * - neighbours of the same role are merged (Gemini wants alternation, and all results of one call turn in
 *   one content); the first call of every model content carries a signature: its thinking block's, else
 *   the cache's, else Google's bypass value;
 * - each call turn is answered by exactly its results, in call order: a call the client sent no result for
 *   gets an error response, a result that answers no call of the turn before becomes text, so Google's
 *   "number of function response parts" rule always holds;
 * - a trailing assistant message stays the last `model` turn: a prefill Gemini continues.
 */
export function convertAnthropicMessages(req: Pick<AnthropicRequest, 'system' | 'messages'>, options: ConvertMessagesOptions): GeminiConversation {
  const systemParts: GeminiPart[] = [];
  if (typeof req.system === 'string') {
    if (req.system !== '') systemParts.push({ text: req.system });
  } else if (req.system) {
    for (const block of known(req.system)) if (block.text !== '') systemParts.push({ text: block.text });
  }

  const turns: Turn[] = [];
  req.messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    const blocks = indexedBlocks(message.content);
    if (message.role === 'system') {
      for (const { block } of blocks) if (block.type === 'text' && block.text !== '') systemParts.push({ text: block.text });
      return;
    }
    if (message.role === 'assistant') push(turns, assistantTurn(blocks, at, options));
    else push(turns, userTurn(blocks, at, options));
  });

  const contents = finish(turns, options);
  if (contents.length === 0 && options.allowEmpty !== true) throw new TranslationError('messages', 'at least one message with content is required');
  return systemParts.length > 0 ? { contents, systemInstruction: { parts: systemParts } } : { contents };
}

function emptyTurn(role: Turn['role']): Turn {
  return { role, parts: [], calls: [], results: [], resultMedia: [] };
}

/** Blocks Rotor reads, each with its index in the client's array (field paths count unknown blocks too). */
type Indexed = Array<{ block: KnownBlock; index: number }>;

function assistantTurn(blocks: Indexed, at: string, options: ConvertMessagesOptions): Turn {
  const turn = emptyTurn('model');
  let signature: string | undefined;
  blocks.forEach(({ block, index }) => {
    switch (block.type) {
      case 'text':
        if (block.text !== '') turn.parts.push({ text: block.text });
        return;
      case 'thinking':
        // The signature belongs to the next tool_use (it is where Rotor put the call's signature). Gemini's are
        // base64; anything else was made up, and would reach Google as an error about its own field.
        if (typeof block.signature === 'string' && block.signature !== '') {
          if (!isBase64(block.signature)) {
            throw new TranslationError(`${at}.content[${index}].signature`, 'is not a thought signature Rotor gave (those are base64): send back the one Rotor sent, or leave it out');
          }
          signature = block.signature;
        }
        return;
      case 'tool_use': {
        const name = options.toGeminiName(block.name);
        const part: GeminiPart = { functionCall: { name, args: toArgs(block.input) } };
        if (signature !== undefined) part.thoughtSignature = signature;
        signature = undefined;
        turn.parts.push(part);
        turn.calls.push({ id: block.id, name, part });
        return;
      }
      default:
        // Images or tool results in an assistant message have no Gemini place; Anthropic refuses them too.
        if (block.type === 'tool_result') throw new TranslationError(`${at}.content[${index}].type`, 'tool_result blocks belong in user messages');
        return;
    }
  });
  return turn;
}

function userTurn(blocks: Indexed, at: string, options: ConvertMessagesOptions): Turn {
  const turn = emptyTurn('user');
  blocks.forEach(({ block, index }) => {
    // Field paths index the client's array, unknown blocks included.
    const field = `${at}.content[${index}]`;
    switch (block.type) {
      case 'text':
        if (block.text !== '') turn.parts.push({ text: block.text });
        return;
      case 'image':
        turn.parts.push(imagePart(block, field, options.media));
        return;
      case 'document':
        append(turn.parts, documentParts(block, field, options.media));
        return;
      case 'search_result':
        turn.parts.push({ text: searchResultText(block) });
        return;
      case 'tool_result': {
        const { text, media } = resultContent(block, field, options);
        turn.results.push({
          id: block.tool_use_id,
          response: block.is_error === true ? { error: text } : toolOutputObject(text),
          text: `[result of tool call ${block.tool_use_id}${block.is_error === true ? ' (error)' : ''}]\n${text}`,
        });
        append(turn.resultMedia, media);
        return;
      }
      default:
        // thinking / tool_use in a user message: not the user's to send; skipped.
        return;
    }
  });
  return turn;
}

/** A tool result's text (its text blocks, joined by newlines) and its media parts. */
function resultContent(block: AnthropicToolResultBlock, field: string, options: ConvertMessagesOptions): { text: string; media: GeminiPart[] } {
  if (block.content === undefined) return { text: '', media: [] };
  if (typeof block.content === 'string') return { text: block.content, media: [] };
  const texts: string[] = [];
  const media: GeminiPart[] = [];
  known(block.content).forEach((inner, k) => {
    const at = `${field}.content[${k}]`;
    switch (inner.type) {
      case 'text':
        texts.push(inner.text);
        return;
      case 'search_result':
        texts.push(searchResultText(inner));
        return;
      case 'image':
        media.push(imagePart(inner, at, options.media));
        return;
      case 'document':
        for (const part of documentParts(inner, at, options.media)) {
          if (part.text !== undefined) texts.push(part.text);
          else media.push(part);
        }
        return;
    }
  });
  return { text: texts.join('\n'), media };
}


function toArgs(input: unknown): Record<string, unknown> {
  if (isPlainObject(input)) return input;
  return input === undefined || input === null ? {} : { input };
}


/** Appends a turn, merged into the last one when it has the same role; turns with nothing are dropped. */
function push(turns: Turn[], turn: Turn): void {
  if (turn.parts.length === 0 && turn.results.length === 0 && turn.resultMedia.length === 0) return;
  const last = turns[turns.length - 1];
  if (last?.role !== turn.role) {
    turns.push(turn);
    return;
  }
  // Not push(...items): a message of a few hundred thousand blocks would overflow the stack.
  append(last.parts, turn.parts);
  append(last.calls, turn.calls);
  append(last.results, turn.results);
  append(last.resultMedia, turn.resultMedia);
}

/**
 * Turns → contents: every call turn answered by exactly its results, signatures on the first call of each
 * model content.
 */
function finish(turns: Turn[], options: ConvertMessagesOptions): GeminiContent[] {
  const contents: GeminiContent[] = [];
  turns.forEach((turn, t) => {
    if (turn.role === 'model') {
      const first = turn.calls[0];
      // Gemini validates the first call of each step (docs/google-protocols.md#thought-signatures).
      if (first && first.part.thoughtSignature === undefined) first.part.thoughtSignature = options.lookupSignature(first.id) ?? BYPASS_THOUGHT_SIGNATURE;
      if (turn.parts.length > 0) contents.push({ role: 'model', parts: turn.parts });
      return;
    }
    const before = turns[t - 1];
    const calls = before?.role === 'model' ? before.calls : [];
    // The results of each id, in order: each call takes the first one not taken (a linear pairing, not a
    // search of every result for every call).
    const byId = new Map<string, { list: Result[]; next: number }>();
    for (const r of turn.results) {
      const entry = byId.get(r.id);
      if (entry) entry.list.push(r);
      else byId.set(r.id, { list: [r], next: 0 });
    }
    const used = new Set<Result>();
    const responses = calls.map((call): GeminiPart => {
      const entry = byId.get(call.id);
      const result = entry?.list[entry.next++];
      if (!result) return { functionResponse: { name: call.name, response: { error: 'the client sent no tool_result for this call' } } };
      used.add(result);
      return { functionResponse: { name: call.name, response: result.response } };
    });
    const strays = turn.results.filter((r) => !used.has(r)).map((r): GeminiPart => ({ text: r.text }));
    const parts = [...responses, ...turn.resultMedia, ...strays, ...turn.parts];
    if (parts.length > 0) contents.push({ role: 'user', parts });
  });
  return contents;
}
