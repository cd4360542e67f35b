import type { GeminiGroundingMetadata, GeminiResponse, GeminiUsageMetadata } from '../../types/gemini.js';
import type { SignatureEntry } from '../dialect.js';
import { describeGeminiFinish, describePromptBlock } from '../openai-chat/gemini-finish.js';
import { hasGeminiUsageCounts } from '../openai-chat/map-gemini-usage.js';
import { applyBlockEvent, BlockAssembler } from './blocks.js';
import type { AnthropicContentBlock, AnthropicMessageResponse, AnthropicStopReason, AnthropicStreamEvent, AnthropicUsage, AnthropicWebSearchResult } from './types.js';

/** What answering one request needs to know, chosen before translation (no clock, no randomness here). */
export interface AnthropicResponseContext {
  /** The message id, `msg_…`. */
  id: string;
  /** The model the client asked for, echoed back. */
  model: string;
  /** Gemini function name → the client's tool name. */
  toolNames?: ReadonlyMap<string, string>;
  /** Base of the tool_use ids of this response (`toolu_<base>_<n>`); letters, digits, `_` and `-` only. */
  idBase: string;
}

/**
 * Gemini `usageMetadata` → Anthropic usage. Anthropic's `input_tokens` excludes what was read from the cache,
 * so it is the prompt minus `cachedContentTokenCount` (plus the tokens built-in tools such as Search added to
 * the prompt); `cache_read_input_tokens` is the cached count; output counts thinking, as Anthropic's does.
 */
export function anthropicUsage(meta: GeminiUsageMetadata | undefined, searches = 0): AnthropicUsage {
  const cached = meta?.cachedContentTokenCount ?? 0;
  const prompt = (meta?.promptTokenCount ?? 0) + (meta?.toolUsePromptTokenCount ?? 0);
  const usage: AnthropicUsage = {
    input_tokens: Math.max(0, prompt - cached),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: (meta?.candidatesTokenCount ?? 0) + (meta?.thoughtsTokenCount ?? 0),
  };
  if (searches > 0) usage.server_tool_use = { web_search_requests: searches };
  return usage;
}

/**
 * One response's translation state, fed Gemini chunks (a whole answer is one chunk), giving Anthropic stream
 * events: `message_start` with the first chunk, content-block events as parts arrive (BlockAssembler), and at
 * the end the search blocks built from grounding, a note when Gemini stopped for a reason the client must
 * see, `message_delta` (stop reason, usage) and `message_stop`. Only candidate 0 is read: Rotor never asks
 * for more.
 *
 * Stop reasons: any tool_use → `tool_use`; `MAX_TOKENS` → `max_tokens`; a blocked prompt or a safety,
 * recitation or policy stop → `refusal` with a text block saying why; anything else → `end_turn` (with a
 * note for a malformed or undeclared function call). Gemini does not say whether it stopped at one of the
 * `stop_sequences` (it ends with STOP either way), so `stop_sequence` is never reported.
 */
export class AnthropicResponseState {
  readonly signatures: SignatureEntry[] = [];
  private readonly blocks: BlockAssembler;
  private started = false;
  private finished = false;
  private usage: GeminiUsageMetadata | undefined;
  private finishReason: string | undefined;
  private finishMessage: string | undefined;
  private blocked: GeminiResponse['promptFeedback'];
  private grounding: GeminiGroundingMetadata | undefined;
  private tools = 0;

  constructor(private readonly ctx: AnthropicResponseContext) {
    this.blocks = new BlockAssembler({
      toolNames: ctx.toolNames,
      nextToolId: () => `toolu_${ctx.idBase}_${this.tools++}`,
      onSignature: (id, signature) => this.signatures.push({ id, signature }),
    });
  }

  chunk(chunk: GeminiResponse): AnthropicStreamEvent[] {
    if (this.finished) return [];
    if (hasGeminiUsageCounts(chunk.usageMetadata)) this.usage = chunk.usageMetadata;
    const out: AnthropicStreamEvent[] = this.start();
    if (chunk.promptFeedback?.blockReason !== undefined && (chunk.candidates ?? []).length === 0) this.blocked = chunk.promptFeedback;
    const candidate = (chunk.candidates ?? []).find((c, i) => (c.index ?? i) === 0);
    if (!candidate) return out;
    for (const part of candidate.content?.parts ?? []) out.push(...this.blocks.part(part));
    if (candidate.groundingMetadata) this.grounding = mergeGrounding(this.grounding, candidate.groundingMetadata);
    if (candidate.finishReason !== undefined) {
      this.finishReason = candidate.finishReason;
      this.finishMessage = candidate.finishMessage;
    }
    return out;
  }

  finish(): AnthropicStreamEvent[] {
    if (this.finished) return [];
    const out: AnthropicStreamEvent[] = this.start();
    this.finished = true;
    out.push(...this.blocks.close());
    const search = searchBlocks(this.grounding, `srvtoolu_${this.ctx.idBase}`);
    for (const { block, input } of search.blocks) out.push(...this.blocks.whole(block, input));
    const { stopReason, note } = this.outcome();
    if (note !== undefined) out.push(...this.blocks.note(note));
    out.push({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: anthropicUsage(this.usage, search.queries) });
    out.push({ type: 'message_stop' });
    return out;
  }

  private start(): AnthropicStreamEvent[] {
    if (this.started) return [];
    this.started = true;
    const usage = anthropicUsage(this.usage);
    return [{ type: 'message_start', message: { ...this.shell(), usage: { ...usage, output_tokens: 0 } } }];
  }

  private shell(): Omit<AnthropicMessageResponse, 'usage'> {
    return { id: this.ctx.id, type: 'message', role: 'assistant', model: this.ctx.model, content: [], stop_reason: null, stop_sequence: null };
  }

  private outcome(): { stopReason: AnthropicStopReason; note?: string } {
    if (this.blocked) return { stopReason: 'refusal', note: describePromptBlock(this.blocked) };
    if (this.blocks.toolUses > 0) return { stopReason: 'tool_use' };
    const described = describeGeminiFinish(this.finishReason, this.finishMessage, false);
    if (described.refusal !== undefined) return { stopReason: 'refusal', note: described.refusal };
    if (this.finishReason === 'MAX_TOKENS') return { stopReason: 'max_tokens' };
    return described.note !== undefined ? { stopReason: 'end_turn', note: described.note } : { stopReason: 'end_turn' };
  }
}

/**
 * A whole Gemini response → an Anthropic message, built from the same events as a stream. The search blocks
 * come first, where Anthropic puts them (a stream can only send them at the end, once grounding is known).
 */
export function convertGeminiResponseToAnthropic(res: GeminiResponse, ctx: AnthropicResponseContext): { message: AnthropicMessageResponse; signatures: SignatureEntry[] } {
  const state = new AnthropicResponseState(ctx);
  const events = [...state.chunk(res), ...state.finish()];
  const content: AnthropicContentBlock[] = [];
  const inputs = new Map<number, string>();
  let message: AnthropicMessageResponse | undefined;
  for (const event of events) {
    if (event.type === 'message_start') message = { ...event.message, content };
    else if (event.type === 'message_delta') {
      if (!message) continue;
      message.stop_reason = event.delta.stop_reason;
      message.stop_sequence = event.delta.stop_sequence;
      message.usage = event.usage;
    } else if (event.type !== 'message_stop') applyBlockEvent(content, event, inputs);
  }
  const searchFirst = (b: AnthropicContentBlock) => (b.type === 'server_tool_use' || b.type === 'web_search_tool_result' ? 0 : 1);
  message!.content = [...content].sort((a, b) => searchFirst(a) - searchFirst(b));
  return { message: message!, signatures: state.signatures };
}

function mergeGrounding(a: GeminiGroundingMetadata | undefined, b: GeminiGroundingMetadata): GeminiGroundingMetadata {
  if (!a) return b;
  return {
    webSearchQueries: [...new Set([...(a.webSearchQueries ?? []), ...(b.webSearchQueries ?? [])])],
    groundingChunks: [...(a.groundingChunks ?? []), ...(b.groundingChunks ?? [])],
  };
}

/**
 * Google Search grounding → Anthropic's `server_tool_use` (name `web_search`, the queries Gemini ran) and its
 * `web_search_tool_result` (one `web_search_result` per web source, in Gemini's order, each URL once).
 * Gemini does not say which query found which source, so the queries go in one call. Anthropic's
 * `encrypted_content` (its own replay data) is empty, and `page_age` unknown.
 */
function searchBlocks(meta: GeminiGroundingMetadata | undefined, idBase: string): { blocks: Array<{ block: AnthropicContentBlock; input?: Record<string, unknown> }>; queries: number } {
  const queries = (meta?.webSearchQueries ?? []).filter((q) => q !== '');
  const seen = new Set<string>();
  const results: AnthropicWebSearchResult[] = [];
  for (const chunk of meta?.groundingChunks ?? []) {
    const uri = chunk.web?.uri;
    if (!uri || seen.has(uri)) continue;
    seen.add(uri);
    results.push({ type: 'web_search_result', url: uri, title: chunk.web?.title ?? uri, encrypted_content: '', page_age: null });
  }
  if (queries.length === 0 && results.length === 0) return { blocks: [], queries: 0 };
  const id = `${idBase}_0`;
  return {
    blocks: [
      { block: { type: 'server_tool_use', id, name: 'web_search', input: {} }, input: { query: queries.join('; ') } },
      { block: { type: 'web_search_tool_result', tool_use_id: id, content: results } },
    ],
    queries: Math.max(1, queries.length),
  };
}
