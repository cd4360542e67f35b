import type { GeminiCandidate, GeminiFunctionCall, GeminiGroundingMetadata, GeminiResponse, GeminiUsageMetadata } from '../../types/gemini.js';
import type { ErrorInfo, Frame, SignatureEntry } from '../dialect.js';
import { describeGeminiFinish, describePromptBlock } from '../openai-chat/gemini-finish.js';
import { convertGroundingToAnnotations } from '../openai-chat/grounding.js';
import { hasGeminiUsageCounts } from '../openai-chat/map-gemini-usage.js';
import { CUSTOM_TOOL_ARGUMENT } from './convert-tools.js';
import { encodeAnswerSignatures, hasSignatures, type AnswerSignatures } from './signatures.js';
import type {
  CustomToolCallItem,
  FunctionCallItem,
  ItemStatus,
  MessageItem,
  OutputItem,
  OutputTextPart,
  ReasoningItem,
  RefusalPart,
  ResponseEcho,
  ResponseError,
  ResponseObject,
  ResponsesUsage,
  SummaryText,
  UrlCitation,
  WebSearchCallItem,
} from './types.js';

/** What the response translators need besides Google's answer: values chosen by the caller, never invented here. */
export interface ResponsesContext {
  /** `resp_<hex>`; item and call ids are derived from it. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model the client asked for (echoed). */
  model: string;
  /** Gemini function name → the client's tool name. */
  toolNames: ReadonlyMap<string, string>;
  /** Client names of custom tools: Gemini's calls to them become `custom_tool_call` items. */
  customTools: ReadonlySet<string>;
  /** `include: ["reasoning.encrypted_content"]`: the answer's signatures go out in a reasoning item. */
  includeEncrypted: boolean;
  /** The request settings every response object repeats. */
  echo: ResponseEcho;
  /** Set when the response is finished (not when it failed): what the handler keeps for later turns. */
  result?: ResponseResult;
}

export interface ResponseResult {
  response: ResponseObject;
  /** All signatures of the answer, whether or not the client asked for them. */
  signatures: AnswerSignatures;
}

interface OpenMessage {
  item: MessageItem;
  index: number;
  /** Where this item's text starts in the whole answer text (grounding offsets count from there). */
  start: number;
  text?: OutputTextPart;
}

interface OpenReasoning {
  item: ReasoningItem;
  index: number;
  open: boolean;
  summary?: SummaryText;
}

/**
 * Gemini's answer → the Responses output and its typed stream events (docs/google-protocols.md#gemini-responses).
 * One builder per request, fed chunk by chunk; a whole answer is one chunk, so streamed and whole responses come
 * out alike. Events, each with its `sequence_number`:
 * `response.created`, `response.in_progress`; per item `response.output_item.added` … `.done`:
 * - answer text → a `message` item: `content_part.added`, `output_text.delta`s, (`output_text.annotation.added`
 *   for Google Search citations), `output_text.done`, `content_part.done`;
 * - thought text (`thought: true`) → a `reasoning` item: `reasoning_summary_part.added`,
 *   `reasoning_summary_text.delta`s, `.done`, `reasoning_summary_part.done`;
 * - a function call → a `function_call` item (`function_call_arguments.delta` with the whole arguments, `.done`),
 *   or, for a custom tool, a `custom_tool_call` item (`custom_tool_call_input.delta`, `.done`) whose input is the
 *   call's `input` argument;
 * - grounding with search queries → a `web_search_call` item;
 * then `response.completed`, or `response.incomplete` (cut by max_output_tokens, or filtered: the reason in
 * words as a `refusal` part), always, also when Google ends without a finish reason. `fail` ends with
 * `response.failed`.
 * With `includeEncrypted`, the reasoning item is opened at the first thought or signed call (or, for an answer
 * signed only on its text, added last) and closed at the end, its `encrypted_content` carrying every signature of
 * the answer (signatures.ts); a signed call's signature also goes to the server-side cache, keyed by its call id
 * (`signatureEntries`).
 */
export class ResponseBuilder {
  readonly output: OutputItem[] = [];
  /** Signed calls, for the server-side signature cache (drained by the HTTP layer). */
  readonly signatureEntries: SignatureEntry[] = [];
  private frames: Frame[] = [];
  private seq = 0;
  private counter = 0;
  private started = false;
  private done = false;
  private message: OpenMessage | undefined;
  private reasoning: OpenReasoning | undefined;
  private readonly signatures: AnswerSignatures = { calls: {} };
  private answerText = '';
  private calls = 0;
  private usage: GeminiUsageMetadata | undefined;
  private candidate: Pick<GeminiCandidate, 'finishReason' | 'finishMessage'> = {};
  private blocked: GeminiResponse['promptFeedback'];
  private grounding: GeminiGroundingMetadata | undefined;
  private readonly base: string;

  /** `quiet`: build the response only (a whole answer), no event frames. */
  constructor(
    private readonly ctx: ResponsesContext,
    private readonly quiet = false,
  ) {
    this.base = ctx.id.replace(/^resp_/, '');
  }

  /** One Gemini chunk (or the whole answer) → the frames to send. */
  chunk(res: GeminiResponse): Frame[] {
    if (this.done) return [];
    this.start();
    if (hasGeminiUsageCounts(res.usageMetadata)) this.usage = res.usageMetadata;
    const candidates = res.candidates ?? [];
    if (candidates.length === 0 && res.promptFeedback?.blockReason !== undefined) this.blocked = res.promptFeedback;
    // One answer per request: Rotor never asks for more candidates.
    const candidate = candidates.find((c) => (c.index ?? 0) === 0);
    if (candidate) this.candidateParts(candidate);
    return this.take();
  }

  /** The upstream ended: close every item and send the terminal event. Idempotent. */
  finish(): Frame[] {
    if (this.done) return [];
    this.start();
    this.done = true;
    let incomplete: 'max_output_tokens' | 'content_filter' | undefined;
    let refusal: string | undefined;
    if (this.blocked) {
      incomplete = 'content_filter';
      refusal = describePromptBlock(this.blocked);
    } else if (this.candidate.finishReason !== undefined) {
      const finish = describeGeminiFinish(this.candidate.finishReason, this.candidate.finishMessage, this.calls > 0);
      if (finish.reason === 'length') incomplete = 'max_output_tokens';
      if (finish.reason === 'content_filter') {
        incomplete = 'content_filter';
        refusal = finish.refusal;
      }
      // A stop the client would not otherwise understand (a malformed call): a note in the answer says what happened.
      if (finish.note !== undefined) this.text(this.answerText === '' ? finish.note : `\n\n${finish.note}`);
    }
    this.closeTextPart(true);
    if (refusal !== undefined) this.refusal(refusal);
    else this.closeMessage(incomplete === 'max_output_tokens' ? 'incomplete' : 'completed');
    const queries = this.grounding?.webSearchQueries ?? [];
    if (queries.length > 0) this.webSearch(queries);
    if (this.ctx.includeEncrypted && hasSignatures(this.signatures) && !this.reasoning) this.openReasoning();
    this.closeReasoning();
    const response = this.snapshot(incomplete === undefined ? 'completed' : 'incomplete');
    if (incomplete !== undefined) response.incomplete_details = { reason: incomplete };
    this.ctx.result = { response, signatures: this.signatures };
    this.emit(incomplete === undefined ? 'response.completed' : 'response.incomplete', { response });
    return this.take();
  }

  /** Google failed after the stream began: `response.failed`, with OpenAI's error code for the status. */
  fail(error: ErrorInfo): Frame[] {
    if (this.done) return [];
    this.start();
    this.done = true;
    const response = this.snapshot('failed');
    response.error = responseError(error);
    this.emit('response.failed', { response });
    return this.take();
  }

  // --- parts ----------------------------------------------------------------------------------------------

  private candidateParts(candidate: GeminiCandidate): void {
    for (const part of candidate.content?.parts ?? []) {
      if (part.functionCall) {
        this.call(part.functionCall, part.thoughtSignature);
        continue;
      }
      const text = typeof part.text === 'string' ? part.text : '';
      if (text !== '') {
        if (part.thought === true) this.thought(text);
        else this.text(text);
      }
      // A signature on a part that is not a call: the answer's last part (docs/google-protocols.md#thought-signatures);
      // a reasoning item to carry it is added at the end if none is open. Thought parts are never sent back, so
      // their signatures are not kept.
      if (part.thoughtSignature !== undefined && part.thoughtSignature !== '' && part.thought !== true) this.signatures.text = part.thoughtSignature;
    }
    if (candidate.finishReason !== undefined) this.candidate = { finishReason: candidate.finishReason, finishMessage: candidate.finishMessage };
    if (candidate.groundingMetadata) this.grounding = candidate.groundingMetadata;
  }

  private text(delta: string): void {
    this.endThoughts();
    const message = this.message ?? this.openMessage();
    const part = message.text ?? this.openTextPart(message);
    part.text += delta;
    this.answerText += delta;
    this.emit('response.output_text.delta', { item_id: message.item.id, output_index: message.index, content_index: message.item.content.indexOf(part), delta, logprobs: [] });
  }

  private thought(delta: string): void {
    this.closeMessage('completed');
    if (!this.reasoning?.open) this.openReasoning();
    const reasoning = this.reasoning!;
    let summary = reasoning.summary;
    if (!summary) {
      summary = { type: 'summary_text', text: '' };
      reasoning.item.summary.push(summary);
      reasoning.summary = summary;
      this.emit('response.reasoning_summary_part.added', {
        item_id: reasoning.item.id,
        output_index: reasoning.index,
        summary_index: reasoning.item.summary.length - 1,
        part: { type: 'summary_text', text: '' },
      });
    }
    summary.text += delta;
    this.emit('response.reasoning_summary_text.delta', {
      item_id: reasoning.item.id,
      output_index: reasoning.index,
      summary_index: reasoning.item.summary.length - 1,
      delta,
    });
  }

  private call(call: GeminiFunctionCall, signature: string | undefined): void {
    this.closeMessage('completed');
    this.endThoughts();
    const n = this.next();
    const callId = `call_${this.base}_${n}`;
    if (signature !== undefined && signature !== '') {
      this.signatures.calls[callId] = signature;
      this.signatureEntries.push({ id: callId, signature });
      if (this.ctx.includeEncrypted && !this.reasoning) this.openReasoning();
    }
    this.calls++;
    const name = this.ctx.toolNames.get(call.name) ?? call.name;
    const args = call.args ?? {};
    if (this.ctx.customTools.has(name)) {
      const value = args[CUSTOM_TOOL_ARGUMENT];
      const input = typeof value === 'string' ? value : JSON.stringify(args);
      const item: CustomToolCallItem = { id: `ctc_${this.base}_${n}`, type: 'custom_tool_call', status: 'in_progress', call_id: callId, name, input: '' };
      const index = this.add(item);
      item.input = input;
      this.emit('response.custom_tool_call_input.delta', { item_id: item.id, output_index: index, delta: input });
      this.emit('response.custom_tool_call_input.done', { item_id: item.id, output_index: index, input });
      item.status = 'completed';
      this.emit('response.output_item.done', { output_index: index, item });
      return;
    }
    const item: FunctionCallItem = { id: `fc_${this.base}_${n}`, type: 'function_call', status: 'in_progress', call_id: callId, name, arguments: '' };
    const index = this.add(item);
    item.arguments = JSON.stringify(args);
    this.emit('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: item.arguments });
    this.emit('response.function_call_arguments.done', { item_id: item.id, output_index: index, name, arguments: item.arguments });
    item.status = 'completed';
    this.emit('response.output_item.done', { output_index: index, item });
  }

  private webSearch(queries: string[]): void {
    const sources = (this.grounding?.groundingChunks ?? []).flatMap((c) => (c.web?.uri ? [{ type: 'url' as const, url: c.web.uri }] : []));
    const item: WebSearchCallItem = {
      id: `ws_${this.base}_${this.next()}`,
      type: 'web_search_call',
      status: 'in_progress',
      action: { type: 'search', query: queries[0]!, queries, ...(sources.length > 0 ? { sources } : {}) },
    };
    const index = this.add(item);
    this.emit('response.web_search_call.completed', { item_id: item.id, output_index: index });
    item.status = 'completed';
    this.emit('response.output_item.done', { output_index: index, item });
  }

  private refusal(text: string): void {
    const message = this.message ?? this.openMessage();
    const part: RefusalPart = { type: 'refusal', refusal: '' };
    message.item.content.push(part);
    const at = { item_id: message.item.id, output_index: message.index, content_index: message.item.content.length - 1 };
    this.emit('response.content_part.added', { ...at, part });
    part.refusal = text;
    this.emit('response.refusal.delta', { ...at, delta: text });
    this.emit('response.refusal.done', { ...at, refusal: text });
    this.emit('response.content_part.done', { ...at, part });
    this.closeMessage('incomplete');
  }

  // --- items ----------------------------------------------------------------------------------------------

  private openMessage(): OpenMessage {
    const item: MessageItem = { id: `msg_${this.base}_${this.next()}`, type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    this.message = { item, index: this.add(item), start: this.answerText.length };
    return this.message;
  }

  private openTextPart(message: OpenMessage): OutputTextPart {
    const part: OutputTextPart = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    message.item.content.push(part);
    message.text = part;
    this.emit('response.content_part.added', { item_id: message.item.id, output_index: message.index, content_index: message.item.content.length - 1, part });
    return part;
  }

  /** Ends the open message: its text part, then the item. */
  private closeMessage(status: ItemStatus): void {
    const message = this.message;
    if (!message) return;
    this.closeTextPart(false);
    message.item.status = status;
    this.emit('response.output_item.done', { output_index: message.index, item: message.item });
    this.message = undefined;
  }

  /** Ends the open message's text part; at the end of the answer, with its Google Search citations first. */
  private closeTextPart(atEnd: boolean): void {
    const message = this.message;
    const part = message?.text;
    if (!message || !part) return;
    const at = { item_id: message.item.id, output_index: message.index, content_index: message.item.content.indexOf(part) };
    if (atEnd) {
      for (const annotation of this.citations(message, part)) {
        part.annotations.push(annotation);
        this.emit('response.output_text.annotation.added', { ...at, annotation_index: part.annotations.length - 1, annotation });
      }
    }
    this.emit('response.output_text.done', { ...at, text: part.text, logprobs: [] });
    this.emit('response.content_part.done', { ...at, part });
    message.text = undefined;
  }

  private citations(message: OpenMessage, part: OutputTextPart): UrlCitation[] {
    const end = message.start + part.text.length;
    return convertGroundingToAnnotations(this.grounding, this.answerText).flatMap(({ url_citation: c }) =>
      c.start_index >= message.start && c.end_index <= end
        ? [{ type: 'url_citation' as const, start_index: c.start_index - message.start, end_index: c.end_index - message.start, url: c.url, title: c.title }]
        : [],
    );
  }

  private openReasoning(): OpenReasoning {
    const item: ReasoningItem = { id: `rs_${this.base}_${this.next()}`, type: 'reasoning', summary: [] };
    this.reasoning = { item, index: this.add(item), open: true };
    return this.reasoning;
  }

  /** A run of thought text ended: its summary part closes; the item too, unless it carries the signatures to the end. */
  private endThoughts(): void {
    this.closeSummary();
    if (!this.ctx.includeEncrypted) this.closeReasoning();
  }

  private closeSummary(): void {
    const reasoning = this.reasoning;
    const summary = reasoning?.summary;
    if (!reasoning || !summary) return;
    const at = { item_id: reasoning.item.id, output_index: reasoning.index, summary_index: reasoning.item.summary.indexOf(summary) };
    this.emit('response.reasoning_summary_text.done', { ...at, text: summary.text });
    this.emit('response.reasoning_summary_part.done', { ...at, part: summary });
    reasoning.summary = undefined;
  }

  private closeReasoning(): void {
    const reasoning = this.reasoning;
    if (!reasoning?.open) return;
    this.closeSummary();
    if (this.ctx.includeEncrypted && hasSignatures(this.signatures)) reasoning.item.encrypted_content = encodeAnswerSignatures(this.signatures);
    reasoning.open = false;
    this.emit('response.output_item.done', { output_index: reasoning.index, item: reasoning.item });
  }

  private add(item: OutputItem): number {
    const index = this.output.push(item) - 1;
    this.emit('response.output_item.added', { output_index: index, item });
    return index;
  }

  private next(): number {
    return this.counter++;
  }

  // --- the response object and events ---------------------------------------------------------------------

  private start(): void {
    if (this.started) return;
    this.started = true;
    const response = this.snapshot('in_progress');
    this.emit('response.created', { response });
    this.emit('response.in_progress', { response });
  }

  private snapshot(status: ResponseObject['status']): ResponseObject {
    const { ctx } = this;
    return {
      id: ctx.id,
      object: 'response',
      created_at: ctx.created,
      status,
      background: false,
      error: null,
      incomplete_details: null,
      model: ctx.model,
      output: structuredClone(this.output),
      // Present on every response object, in progress too (zeros then), where OpenAI sends null: clients that
      // read it anywhere get numbers.
      usage: responsesUsage(this.usage),
      ...ctx.echo,
    };
  }

  private emit(type: string, payload: Record<string, unknown>): void {
    if (this.quiet) return;
    // Serialised now: the items in the payload keep changing after the event.
    this.frames.push({ event: type, data: JSON.stringify({ type, ...payload, sequence_number: this.seq++ }) });
  }

  private take(): Frame[] {
    const out = this.frames;
    this.frames = [];
    return out;
  }
}

/**
 * Gemini `usageMetadata` → Responses `usage` (docs/google-protocols.md#usage-metadata): output tokens include the
 * thinking tokens (as OpenAI counts reasoning), so input + output = total; every detail is present, zero when
 * Gemini reported none.
 */
export function responsesUsage(meta: GeminiUsageMetadata | undefined): ResponsesUsage {
  const input = meta?.promptTokenCount ?? 0;
  const reasoning = meta?.thoughtsTokenCount ?? 0;
  const output = (meta?.candidatesTokenCount ?? 0) + reasoning;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: meta?.cachedContentTokenCount ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: meta?.totalTokenCount ?? input + output,
  };
}

/**
 * An error → the `error` of a failed response, with the codes OpenAI's clients act on: Codex retries
 * `rate_limit_exceeded` after the "try again in Ns" of the message, and compacts on `context_length_exceeded`.
 */
export function responseError(error: ErrorInfo): ResponseError {
  const retryAfterMs = (error as ErrorInfo & { retryAfterMs?: unknown }).retryAfterMs;
  const code = errorCode(error);
  let message = error.message;
  if (code === 'rate_limit_exceeded' && typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs)) {
    message += ` Please try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))}s.`;
  }
  return { code, message };
}

/** OpenAI's machine-readable code for an error, where one fits. */
export function errorCode(error: ErrorInfo): string {
  if (error.status === 429) return 'rate_limit_exceeded';
  if (error.status === 400 && CONTEXT_TOO_LONG.test(error.message)) return 'context_length_exceeded';
  if (error.status >= 400 && error.status < 500) return error.code ?? 'invalid_prompt';
  return 'server_error';
}

// Google's words for a prompt over the model's window: "The input token count (N) exceeds the maximum number of
// tokens allowed (M)."
const CONTEXT_TOO_LONG = /input token count.*exceeds|exceeds the maximum number of tokens|context (?:length|window)/i;
