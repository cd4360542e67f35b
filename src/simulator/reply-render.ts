/**
 * Turns a Reply into what each of Google's surfaces sends: a whole GenerateContentResponse, or the chunks of
 * a stream. Code Assist wraps each in `{response, traceId}` with createTime and trafficType and leaves out a
 * zero candidate index (proto3 JSON); the Gemini API sends the response bare, always with `index`, and
 * with promptTokensDetails. Streams split the text over `events` chunks (at word boundaries when
 * log-probabilities were asked for, so each chunk carries its own); function calls come whole in one chunk;
 * finishReason, full usage and groundingMetadata come on the last.
 */
import type { ProtoObject } from './proto-json.js';
import { logprobsFor, wordTokens } from './reply-extras.js';
import type { CandidatePlan, Reply } from './replies.js';

export type Route = 'code-assist' | 'gemini-api';

export interface RenderMeta {
  route: Route;
  model: string;
  responseId: string;
  traceId: string;
  createTime: string;
}

interface Chunk {
  parts: ProtoObject[];
  /** Tokens of this chunk's text and the index of the first, for logprobs. */
  tokens?: { list: string[]; offset: number };
}

function promptDetails(reply: Reply): ProtoObject[] {
  const details: ProtoObject[] = [{ modality: 'TEXT', tokenCount: reply.prompt.text }];
  if (reply.prompt.media > 0) details.push({ modality: 'IMAGE', tokenCount: reply.prompt.media });
  return details;
}

function usageView(reply: Reply, meta: RenderMeta, final: boolean): ProtoObject {
  if (meta.route === 'code-assist') return final ? { ...reply.usage, trafficType: 'ON_DEMAND' } : { trafficType: 'ON_DEMAND' };
  if (!final) {
    return { promptTokenCount: reply.usage.promptTokenCount, totalTokenCount: reply.usage.promptTokenCount, promptTokensDetails: promptDetails(reply) };
  }
  const { thoughtsTokenCount, ...counts } = reply.usage;
  return { ...counts, promptTokensDetails: promptDetails(reply), ...(thoughtsTokenCount === undefined ? {} : { thoughtsTokenCount }) };
}

function textOf(parts: ProtoObject[]): string {
  return parts.map((p) => (typeof p['text'] === 'string' && p['thought'] !== true ? p['text'] : '')).join('');
}

function isTextReply(plan: CandidatePlan): boolean {
  return typeof plan.parts[0]?.['text'] === 'string';
}

function candidateView(
  reply: Reply,
  plan: CandidatePlan,
  index: number,
  chunk: Chunk,
  final: boolean,
  meta: RenderMeta,
): ProtoObject {
  const view: ProtoObject = {};
  if (chunk.parts.length > 0) view['content'] = { role: 'model', parts: chunk.parts };
  if (final) {
    view['finishReason'] = plan.finishReason;
    if (plan.finishMessage !== undefined) view['finishMessage'] = plan.finishMessage;
    if (plan.safetyRatings !== undefined) view['safetyRatings'] = plan.safetyRatings;
  }
  if (reply.logprobs !== undefined && chunk.tokens) {
    const { result } = logprobsFor(chunk.tokens.list, reply.logprobs, chunk.tokens.offset);
    view['logprobsResult'] = result;
    if (final) {
      const all = wordTokens(textOf(plan.parts));
      const { sum } = logprobsFor(all, 0);
      if (all.length > 0) view['avgLogprobs'] = sum / all.length;
    }
  }
  if (final && plan.grounding !== undefined) view['groundingMetadata'] = plan.grounding;
  if (index > 0 || meta.route === 'gemini-api') view['index'] = index;
  return view;
}

function wrap(body: ProtoObject, meta: RenderMeta): ProtoObject {
  if (meta.route === 'gemini-api') return { ...body, modelVersion: meta.model, responseId: meta.responseId };
  return { response: { ...body, modelVersion: meta.model, createTime: meta.createTime, responseId: meta.responseId }, traceId: meta.traceId };
}

function thoughtParts(reply: Reply): ProtoObject[] {
  return reply.thought === undefined ? [] : [{ text: reply.thought, thought: true }];
}

function body(reply: Reply, meta: RenderMeta, chunks: Chunk[] | undefined, final: boolean): ProtoObject {
  const out: ProtoObject = {};
  if (reply.promptFeedback !== undefined) out['promptFeedback'] = reply.promptFeedback;
  else out['candidates'] = reply.candidates.map((plan, i) => candidateView(reply, plan, i, chunks?.[i] ?? { parts: [] }, final, meta));
  out['usageMetadata'] = usageView(reply, meta, final);
  return out;
}

/** The whole reply as one response (generateContent). */
export function renderResponse(reply: Reply, meta: RenderMeta): ProtoObject {
  const chunks = reply.candidates.map((plan): Chunk => {
    const parts = plan.parts.length > 0 ? [...thoughtParts(reply), ...plan.parts] : [];
    const tokens = reply.logprobs !== undefined && isTextReply(plan) ? { tokens: { list: wordTokens(textOf(plan.parts)), offset: 0 } } : {};
    return { parts, ...tokens };
  });
  return wrap(body(reply, meta, chunks, true), meta);
}

/** Character slices, or word-token slices when log-probabilities were asked for. */
function slices(text: string, events: number, byTokens: boolean): Array<{ text: string; tokens?: { list: string[]; offset: number } }> {
  if (!byTokens) {
    return Array.from({ length: events }, (_, i) => ({
      text: text.slice(Math.floor((i * text.length) / events), Math.floor(((i + 1) * text.length) / events)),
    }));
  }
  const tokens = wordTokens(text);
  return Array.from({ length: events }, (_, i) => {
    const from = Math.floor((i * tokens.length) / events);
    const list = tokens.slice(from, Math.floor(((i + 1) * tokens.length) / events));
    return { text: list.join(''), tokens: { list, offset: from } };
  });
}

function chunksOf(reply: Reply, plan: CandidatePlan, events: number): Chunk[] {
  if (plan.parts.length === 0) return [{ parts: [] }];
  const thought = thoughtParts(reply);
  const first = plan.parts[0] as ProtoObject;
  if (typeof first['text'] !== 'string') return [{ parts: [...thought, ...plan.parts] }, { parts: [{ text: '' }] }];
  const signature = first['thoughtSignature'];
  const out: Chunk[] = slices(first['text'], events, reply.logprobs !== undefined).map((slice, i) => ({
    parts: [
      ...(i === 0 ? thought : []),
      { text: slice.text, ...(i === events - 1 && signature !== undefined ? { thoughtSignature: signature } : {}) },
    ],
    ...(slice.tokens ? { tokens: slice.tokens } : {}),
  }));
  // Trailing parts (the "[late-signature]" empty part) arrive in a chunk of their own.
  if (plan.parts.length > 1) out.push({ parts: plan.parts.slice(1), ...(reply.logprobs !== undefined ? { tokens: { list: [], offset: 0 } } : {}) });
  return out;
}

/** The stream chunks of a reply (streamGenerateContent). */
export function renderStream(reply: Reply, meta: RenderMeta, events: number): ProtoObject[] {
  if (reply.candidates.length === 0) return [wrap(body(reply, meta, undefined, true), meta)];
  const perCandidate = reply.candidates.map((plan) => chunksOf(reply, plan, events));
  const count = Math.max(...perCandidate.map((c) => c.length));
  return Array.from({ length: count }, (_, e) => {
    const chunks = perCandidate.map((list) => list[e] ?? { parts: [] });
    return wrap(body(reply, meta, chunks, e === count - 1), meta);
  });
}
