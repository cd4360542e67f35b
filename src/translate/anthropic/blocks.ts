import type { GeminiPart } from '../../types/gemini.js';
import type { AnthropicBlockEvent, AnthropicContentBlock, AnthropicDelta } from './types.js';

export interface BlockContext {
  /** Gemini function name → the client's tool name. */
  toolNames?: ReadonlyMap<string, string>;
  /** The next tool_use id of this response. */
  nextToolId: () => string;
  /** Told the signature a tool_use will carry back (its own, or its thinking block's), for the cache. */
  onSignature: (toolUseId: string, signature: string) => void;
}

/**
 * Turns a candidate's Gemini parts, in order, into Anthropic content-block events with per-response indices:
 * the one place that decides the blocks, for whole answers and streams alike.
 *
 * - thought text (`thought: true`) → a `thinking` block; answer text → a `text` block; consecutive parts of
 *   one kind extend the open block (a stream's next chunk continues it);
 * - a `functionCall` → a `tool_use` block, sent whole (`input_json_delta` with the complete JSON, since
 *   Gemini sends calls whole);
 * - **thought signatures** (docs/google-protocols.md#thought-signatures): Gemini signs a step's first call
 *   (or, in some streams, a thought part before it). The signature travels back in the `signature` of a
 *   thinking block placed before the tool_use: the open thinking block's when the call comes right after
 *   Gemini's thoughts, else an empty thinking block of its own. On the way back (convert-messages.ts) a
 *   thinking block's signature goes to the next tool_use of the message. The tool_use id keys the same
 *   signature in the server-side cache, for clients that drop thinking blocks. Signatures on answer text
 *   are not kept: Gemini validates only function calls.
 * - parts with nothing for the client (empty text, inline data, code execution) are skipped.
 */
export class BlockAssembler {
  private index = -1;
  private open: { kind: 'text' | 'thinking'; index: number; signature?: string } | undefined;
  /** A thinking block's signature not yet claimed by a tool_use (it is the next one's). */
  private carried: string | undefined;
  toolUses = 0;

  constructor(private readonly ctx: BlockContext) {}

  part(part: GeminiPart): AnthropicBlockEvent[] {
    const signature = part.thoughtSignature !== undefined && part.thoughtSignature !== '' ? part.thoughtSignature : undefined;
    if (part.functionCall) return this.call(part.functionCall.name, part.functionCall.args ?? {}, signature);
    if (part.thought === true) {
      const out = typeof part.text === 'string' && part.text !== '' ? this.text('thinking', part.text) : [];
      if (signature !== undefined && this.open?.kind === 'thinking') this.open.signature = signature;
      else if (signature !== undefined) out.push(...this.signatureBlock(signature));
      return out;
    }
    if (typeof part.text === 'string' && part.text !== '') return this.text('text', part.text);
    return [];
  }

  /** Closes the open block (a thinking block sends its signature first). */
  close(): AnthropicBlockEvent[] {
    const open = this.open;
    if (!open) return [];
    this.open = undefined;
    const out: AnthropicBlockEvent[] = [];
    if (open.kind === 'thinking' && open.signature !== undefined) {
      out.push(delta(open.index, { type: 'signature_delta', signature: open.signature }));
      this.carried = open.signature;
    }
    out.push({ type: 'content_block_stop', index: open.index });
    return out;
  }

  /** A complete block (start, its input as one delta for tool blocks, stop), after closing the open one. */
  whole(block: AnthropicContentBlock, input?: Record<string, unknown>): AnthropicBlockEvent[] {
    const out = this.close();
    const index = ++this.index;
    out.push({ type: 'content_block_start', index, content_block: block });
    if (input !== undefined) out.push(delta(index, { type: 'input_json_delta', partial_json: JSON.stringify(input) }));
    out.push({ type: 'content_block_stop', index });
    return out;
  }

  /** A whole text block (notes Rotor adds, e.g. why Gemini stopped). */
  note(text: string): AnthropicBlockEvent[] {
    const out = this.close();
    const index = ++this.index;
    out.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    out.push(delta(index, { type: 'text_delta', text }));
    out.push({ type: 'content_block_stop', index });
    return out;
  }

  private text(kind: 'text' | 'thinking', text: string): AnthropicBlockEvent[] {
    const out: AnthropicBlockEvent[] = [];
    if (this.open?.kind !== kind) {
      out.push(...this.close());
      const index = ++this.index;
      this.open = { kind, index };
      out.push({ type: 'content_block_start', index, content_block: kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' } });
    }
    const index = this.open!.index;
    out.push(delta(index, kind === 'text' ? { type: 'text_delta', text } : { type: 'thinking_delta', thinking: text }));
    return out;
  }

  /** An empty thinking block that only carries a signature. */
  private signatureBlock(signature: string): AnthropicBlockEvent[] {
    const out = this.close();
    const index = ++this.index;
    out.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    out.push(delta(index, { type: 'signature_delta', signature }));
    out.push({ type: 'content_block_stop', index });
    this.carried = signature;
    return out;
  }

  private call(name: string, args: Record<string, unknown>, signature: string | undefined): AnthropicBlockEvent[] {
    const out: AnthropicBlockEvent[] = [];
    if (signature !== undefined && this.open?.kind === 'thinking') this.open.signature = signature;
    else if (signature !== undefined) out.push(...this.signatureBlock(signature));
    out.push(...this.close());
    const id = this.ctx.nextToolId();
    const carried = this.carried;
    this.carried = undefined;
    if (carried !== undefined) this.ctx.onSignature(id, carried);
    this.toolUses++;
    out.push(...this.whole({ type: 'tool_use', id, name: this.ctx.toolNames?.get(name) ?? name, input: {} }, args));
    return out;
  }
}

function delta(index: number, d: AnthropicDelta): AnthropicBlockEvent {
  return { type: 'content_block_delta', index, delta: d };
}

/** Applies block events to a content array (whole answers are built from the same events as streams). */
export function applyBlockEvent(content: AnthropicContentBlock[], event: AnthropicBlockEvent, inputs: Map<number, string>): void {
  if (event.type === 'content_block_start') {
    content[event.index] = { ...event.content_block };
    return;
  }
  const block = content[event.index];
  if (!block) return;
  if (event.type === 'content_block_stop') {
    const json = inputs.get(event.index);
    if (json !== undefined && (block.type === 'tool_use' || block.type === 'server_tool_use')) block.input = JSON.parse(json) as Record<string, unknown>;
    return;
  }
  const d = event.delta;
  if (d.type === 'text_delta' && block.type === 'text') block.text += d.text;
  else if (d.type === 'thinking_delta' && block.type === 'thinking') block.thinking += d.thinking;
  else if (d.type === 'signature_delta' && block.type === 'thinking') block.signature = d.signature;
  else if (d.type === 'input_json_delta') inputs.set(event.index, (inputs.get(event.index) ?? '') + d.partial_json);
}
