/**
 * Deterministic model replies, so tests can assert exact text and usage:
 *   text  = `Echo from <model>: <last text part of the last user content, or "(no text)">` (+ ` [n image(s)]`)
 *   usage = ceil(chars / 4), at least 1, per side; each inline or file media part adds 258 prompt tokens.
 * A function call is returned instead when tools declare functions and the last user text names one (or
 * mode is ANY); its args are the first JSON object in that text. Thought parts only with includeThoughts.
 */
import { isPlainObject } from './http-io.js';
import type { ProtoObject } from './proto-json.js';
import { contentsOf } from './request-checks.js';

export interface Usage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
  thoughtsTokenCount?: number;
}

export interface Reply {
  /** Answer parts without the thought part. */
  parts: ProtoObject[];
  thought?: string;
  finishReason: 'STOP' | 'MAX_TOKENS';
  usage: Usage;
}

const MEDIA_TOKENS = 258;
const THOUGHT_TEXT = 'The user wants their last message echoed back; reply with it verbatim.';

export function tokensOf(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

function partChars(part: ProtoObject): { chars: number; media: number } {
  if (typeof part['text'] === 'string') return { chars: part['text'].length, media: 0 };
  if (part['inlineData'] !== undefined || part['fileData'] !== undefined) return { chars: 0, media: 1 };
  for (const key of ['functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult']) {
    if (part[key] !== undefined) return { chars: JSON.stringify(part[key]).length, media: 0 };
  }
  return { chars: 0, media: 0 };
}

/** Prompt tokens of the system instruction and contents (also countTokens' answer). */
export function countPromptTokens(request: ProtoObject): number {
  const contents: ProtoObject[] = [...contentsOf(request)];
  if (isPlainObject(request['systemInstruction'])) contents.unshift(request['systemInstruction']);
  let chars = 0;
  let media = 0;
  for (const content of contents) {
    const parts = Array.isArray(content['parts']) ? (content['parts'] as ProtoObject[]) : [];
    for (const part of parts) {
      const c = partChars(part);
      chars += c.chars;
      media += c.media;
    }
  }
  return tokensOf(chars) + media * MEDIA_TOKENS;
}

interface LastUser {
  text?: string;
  images: number;
  isFunctionResponse: boolean;
}

function lastUser(request: ProtoObject): LastUser {
  const user = [...contentsOf(request)].reverse().find((c) => c.role === 'user');
  const parts = user?.parts ?? [];
  const texts = parts.filter((p) => typeof p['text'] === 'string' && p['thought'] !== true).map((p) => p['text'] as string);
  return {
    ...(texts.length > 0 ? { text: texts[texts.length - 1] } : {}),
    images: parts.filter((p) => p['inlineData'] !== undefined).length,
    isFunctionResponse: parts.some((p) => p['functionResponse'] !== undefined),
  };
}

function chooseFunctionCall(request: ProtoObject, user: LastUser): { name: string; args: ProtoObject } | undefined {
  if (user.isFunctionResponse) return undefined;
  const tools = Array.isArray(request['tools']) ? (request['tools'] as ProtoObject[]) : [];
  let names = tools.flatMap((t) =>
    Array.isArray(t['functionDeclarations']) ? (t['functionDeclarations'] as ProtoObject[]).map((d) => String(d['name'])) : [],
  );
  const toolConfig = isPlainObject(request['toolConfig']) ? request['toolConfig'] : {};
  const calling = isPlainObject(toolConfig['functionCallingConfig']) ? toolConfig['functionCallingConfig'] : {};
  const mode = typeof calling['mode'] === 'string' ? calling['mode'] : 'AUTO';
  if (mode === 'NONE' || names.length === 0) return undefined;
  const allowed = calling['allowedFunctionNames'];
  if (mode === 'ANY' && Array.isArray(allowed) && allowed.length > 0) names = names.filter((n) => allowed.includes(n));
  const text = user.text ?? '';
  const mentioned = names
    .map((name) => ({ name, at: text.indexOf(name) }))
    .filter((m) => m.at >= 0)
    .sort((a, b) => a.at - b.at)[0];
  const name = mentioned?.name ?? (mode === 'ANY' ? names[0] : undefined);
  if (name === undefined) return undefined;
  return { name, args: argsFrom(text.slice(mentioned ? mentioned.at + name.length : 0)) };
}

function argsFrom(text: string): ProtoObject {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return {};
  try {
    const parsed: unknown = JSON.parse(text.slice(start, end + 1));
    return isPlainObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function generationConfig(request: ProtoObject): ProtoObject {
  return isPlainObject(request['generationConfig']) ? request['generationConfig'] : {};
}

export function buildReply(model: string, request: ProtoObject): Reply {
  const config = generationConfig(request);
  const thinking = isPlainObject(config['thinkingConfig']) ? config['thinkingConfig'] : {};
  const thought = thinking['includeThoughts'] === true ? THOUGHT_TEXT : undefined;
  const user = lastUser(request);
  const promptTokenCount = countPromptTokens(request);
  const usage = (candidates: number): Usage => {
    const thoughts = thought === undefined ? 0 : tokensOf(thought.length);
    return {
      promptTokenCount,
      candidatesTokenCount: candidates,
      totalTokenCount: promptTokenCount + candidates + thoughts,
      ...(thought === undefined ? {} : { thoughtsTokenCount: thoughts }),
    };
  };
  const withThought = (r: Omit<Reply, 'thought'>): Reply => (thought === undefined ? r : { ...r, thought });

  const call = chooseFunctionCall(request, user);
  if (call) {
    const part: ProtoObject = { functionCall: call };
    // Gemini 3 signs the first function call of a step (ai.google.dev thought-signatures).
    if (model.startsWith('gemini-3')) part['thoughtSignature'] = Buffer.from(`sim-signature:${call.name}`).toString('base64');
    return withThought({ parts: [part], finishReason: 'STOP', usage: usage(tokensOf(JSON.stringify(call).length)) });
  }

  let text = `Echo from ${model}: ${user.text ?? '(no text)'}`;
  if (user.images > 0) text += ` [${user.images} image(s)]`;
  const stops = Array.isArray(config['stopSequences']) ? (config['stopSequences'] as string[]) : [];
  const cut = stops
    .filter((s) => s.length > 0)
    .map((s) => text.indexOf(s))
    .filter((i) => i >= 0)
    .sort((a, b) => a - b)[0];
  if (cut !== undefined) text = text.slice(0, cut);
  let finishReason: Reply['finishReason'] = 'STOP';
  const max = typeof config['maxOutputTokens'] === 'number' ? config['maxOutputTokens'] : 0;
  if (max > 0 && tokensOf(text.length) > max) {
    text = text.slice(0, max * 4);
    finishReason = 'MAX_TOKENS';
  }
  return withThought({ parts: [{ text }], finishReason, usage: usage(tokensOf(text.length)) });
}

/** All parts of a non-streamed reply: the thought part (if any) first. */
export function replyParts(reply: Reply): ProtoObject[] {
  return reply.thought === undefined ? reply.parts : [{ text: reply.thought, thought: true }, ...reply.parts];
}

/** Splits a reply into the parts of `events` stream events (function calls arrive whole, in one event). */
export function splitReply(reply: Reply, events: number): ProtoObject[][] {
  const thoughtPart: ProtoObject[] = reply.thought === undefined ? [] : [{ text: reply.thought, thought: true }];
  const first = reply.parts[0];
  if (!first || typeof first['text'] !== 'string') return [[...thoughtPart, ...reply.parts], [{ text: '' }]];
  const text = first['text'];
  const out: ProtoObject[][] = [];
  for (let i = 0; i < events; i++) {
    const slice = text.slice(Math.floor((i * text.length) / events), Math.floor(((i + 1) * text.length) / events));
    out.push(i === 0 ? [...thoughtPart, { text: slice }] : [{ text: slice }]);
  }
  return out;
}

export interface EnvelopeMeta {
  model: string;
  responseId: string;
  traceId: string;
  createTime: string;
}

/** The Code Assist response envelope `{response, traceId}` around one GenerateContentResponse. */
export function envelope(parts: ProtoObject[], meta: EnvelopeMeta, finish?: { reason: string; usage: Usage }): ProtoObject {
  const candidate: ProtoObject = { content: { role: 'model', parts } };
  if (finish) candidate['finishReason'] = finish.reason;
  return {
    response: {
      candidates: [candidate],
      usageMetadata: finish ? { ...finish.usage, trafficType: 'ON_DEMAND' } : { trafficType: 'ON_DEMAND' },
      modelVersion: meta.model,
      createTime: meta.createTime,
      responseId: meta.responseId,
    },
    traceId: meta.traceId,
  };
}
