/**
 * Deterministic model replies, so tests can assert exact text and usage (the triggers are in README.md):
 *   text  = `Echo from <model>: <last text part of the last user content, or "(no text)">` (+ ` [n image(s)]`)
 *   usage = ceil(chars / 4), at least 1, per side; each inline or file media part adds 258 prompt tokens.
 * Function calls (triggers.ts), JSON from a response schema (schema-example.ts), Google Search grounding,
 * log-probabilities, n candidates, thoughts, Gemini 3 thought signatures and blocked prompts are built here;
 * reply-render.ts turns a Reply into Google's response objects and stream chunks.
 */
import { isPlainObject } from './http-io.js';
import type { ProtoObject } from './proto-json.js';
import { blockingSafetyRatings, groundingFor } from './reply-extras.js';
import { contentsOf } from './request-checks.js';
import { exampleFor } from './schema-example.js';
import { chooseFunctionCalls, declaredFunctions, hasGoogleSearch, hasMarker, lastUser, type LastUser } from './triggers.js';

export interface Usage {
  promptTokenCount: number;
  candidatesTokenCount?: number;
  totalTokenCount: number;
  thoughtsTokenCount?: number;
}

export interface PromptTokens {
  total: number;
  text: number;
  media: number;
}

export interface CandidatePlan {
  /** Answer parts without the thought part; empty when the candidate carries no content. */
  parts: ProtoObject[];
  finishReason: string;
  finishMessage?: string;
  safetyRatings?: ProtoObject[];
  grounding?: ProtoObject;
}

export interface Reply {
  /** Empty when the prompt itself was blocked (promptFeedback). */
  candidates: CandidatePlan[];
  thought?: string;
  promptFeedback?: ProtoObject;
  usage: Usage;
  prompt: PromptTokens;
  /** Alternatives per token when log-probabilities were asked for (0: chosen tokens only). */
  logprobs?: number;
}

const MEDIA_TOKENS = 258;
const MAX_CANDIDATES = 8;

export function tokensOf(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

/** A stable, valid base64 signature, so that tests can check it comes back unchanged. */
export function signatureFor(label: string): string {
  return Buffer.from(`sim-signature:${label}`).toString('base64');
}

function partChars(part: ProtoObject): { chars: number; media: number } {
  if (typeof part['text'] === 'string') return { chars: part['text'].length, media: 0 };
  if (part['inlineData'] !== undefined || part['fileData'] !== undefined) return { chars: 0, media: 1 };
  for (const key of ['functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult']) {
    if (part[key] !== undefined) return { chars: JSON.stringify(part[key]).length, media: 0 };
  }
  return { chars: 0, media: 0 };
}

/** Prompt tokens of the system instruction and contents, text and media apart. */
export function promptTokens(request: ProtoObject): PromptTokens {
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
  const text = tokensOf(chars);
  return { total: text + media * MEDIA_TOKENS, text, media: media * MEDIA_TOKENS };
}

/** countTokens' answer: the prompt tokens of a reply. */
export function countPromptTokens(request: ProtoObject): number {
  return promptTokens(request).total;
}

function generationConfig(request: ProtoObject): ProtoObject {
  return isPlainObject(request['generationConfig']) ? request['generationConfig'] : {};
}

function echoText(model: string, user: LastUser): string {
  const text = `Echo from ${model}: ${user.text ?? '(no text)'}`;
  return user.images > 0 ? `${text} [${user.images} image(s)]` : text;
}

/** The reply text before stop sequences and maxOutputTokens; `json` says whether a suffix would break it. */
function baseText(model: string, user: LastUser, config: ProtoObject): { text: string; json: boolean } {
  const mime = typeof config['responseMimeType'] === 'string' ? config['responseMimeType'].toLowerCase() : '';
  const schema = config['responseJsonSchema'] ?? config['responseSchema'];
  if (mime === 'application/json') {
    return { text: JSON.stringify(schema === undefined ? { echo: echoText(model, user) } : exampleFor(schema)), json: true };
  }
  if (mime === 'text/x.enum' && isPlainObject(schema) && Array.isArray(schema['enum']) && schema['enum'].length > 0) {
    return { text: String(schema['enum'][0]), json: true };
  }
  return { text: echoText(model, user), json: false };
}

/** Applies stop sequences (cut at the earliest) and maxOutputTokens (MAX_TOKENS) to one candidate's text. */
function limitText(text: string, config: ProtoObject): { text: string; finishReason: 'STOP' | 'MAX_TOKENS' } {
  const stops = Array.isArray(config['stopSequences']) ? (config['stopSequences'] as string[]) : [];
  const cut = stops
    .filter((s) => s.length > 0)
    .map((s) => text.indexOf(s))
    .filter((i) => i >= 0)
    .sort((a, b) => a - b)[0];
  let out = cut === undefined ? text : text.slice(0, cut);
  const max = typeof config['maxOutputTokens'] === 'number' ? config['maxOutputTokens'] : 0;
  if (max > 0 && tokensOf(out.length) > max) {
    out = out.slice(0, max * 4);
    return { text: out, finishReason: 'MAX_TOKENS' };
  }
  return { text: out, finishReason: 'STOP' };
}

const NO_CONTENT_MARKERS = [
  ['safety', 'SAFETY'],
  ['recitation', 'RECITATION'],
  ['malformed-call', 'MALFORMED_FUNCTION_CALL'],
] as const;

export function buildReply(model: string, request: ProtoObject): Reply {
  const config = generationConfig(request);
  const user = lastUser(request);
  const prompt = promptTokens(request);
  const promptOnly: Usage = { promptTokenCount: prompt.total, totalTokenCount: prompt.total };
  if (hasMarker(user, 'blocked')) {
    return { candidates: [], promptFeedback: { blockReason: 'SAFETY', safetyRatings: blockingSafetyRatings() }, usage: promptOnly, prompt };
  }
  const count = Math.min(MAX_CANDIDATES, Math.max(1, typeof config['candidateCount'] === 'number' ? config['candidateCount'] : 1));
  const range = Array.from({ length: count }, (_, i) => i);
  const blocked = NO_CONTENT_MARKERS.find(([marker]) => hasMarker(user, marker));
  if (blocked) {
    const [, finishReason] = blocked;
    const plan = (): CandidatePlan => ({
      parts: [],
      finishReason,
      ...(finishReason === 'SAFETY' ? { safetyRatings: blockingSafetyRatings() } : {}),
      ...(finishReason === 'MALFORMED_FUNCTION_CALL'
        ? { finishMessage: `Malformed function call: print(default_api.${declaredFunctions(request)[0] ?? 'unknown'}(` }
        : {}),
    });
    return { candidates: range.map(plan), usage: promptOnly, prompt };
  }

  const thinking = isPlainObject(config['thinkingConfig']) ? config['thinkingConfig'] : {};
  const thought = thinking['includeThoughts'] === true && thinking['thinkingBudget'] !== 0 ? `Thinking about: ${user.text ?? '(no text)'}` : undefined;
  const gemini3 = model.startsWith('gemini-3');
  const usage = (candidateTokens: number): Usage => {
    const thoughts = thought === undefined ? 0 : tokensOf(thought.length) * count;
    return {
      promptTokenCount: prompt.total,
      candidatesTokenCount: candidateTokens,
      totalTokenCount: prompt.total + candidateTokens + thoughts,
      ...(thought === undefined ? {} : { thoughtsTokenCount: thoughts }),
    };
  };
  const withThought = (r: Omit<Reply, 'thought' | 'prompt'>): Reply => ({ ...r, prompt, ...(thought === undefined ? {} : { thought }) });

  const calls = chooseFunctionCalls(request, user);
  if (calls.length > 0) {
    // Gemini 3 signs the first function call of a step (ai.google.dev thought-signatures,
    // docs/google-protocols.md#thought-signatures).
    const parts = calls.map((call, i): ProtoObject => ({
      functionCall: { name: call.name, args: call.args },
      ...(i === 0 && gemini3 ? { thoughtSignature: signatureFor(call.name) } : {}),
    }));
    const perCandidate = calls.reduce((sum, call) => sum + tokensOf(JSON.stringify(call).length), 0);
    return withThought({ candidates: range.map(() => ({ parts: structuredClone(parts), finishReason: 'STOP' })), usage: usage(perCandidate * count) });
  }

  const base = baseText(model, user, config);
  const grounded = hasGoogleSearch(request);
  const late = hasMarker(user, 'late-signature');
  let candidateTokens = 0;
  const candidates = range.map((i): CandidatePlan => {
    const { text, finishReason } = limitText(i > 0 && !base.json ? `${base.text} (candidate ${i})` : base.text, config);
    candidateTokens += tokensOf(text.length);
    const parts: ProtoObject[] = [{ text }];
    // Without a function call, Gemini 3 signs the last part; "[late-signature]" moves it to a trailing empty part.
    if (gemini3 && late) parts.push({ text: '', thoughtSignature: signatureFor('text') });
    else if (gemini3) (parts[0] as ProtoObject)['thoughtSignature'] = signatureFor('text');
    const query = (user.text ?? '').trim() || '(no text)';
    return { parts, finishReason, ...(grounded ? { grounding: groundingFor(query, text) } : {}) };
  });
  const logprobs =
    config['responseLogprobs'] === true ? Math.min(20, Math.max(0, typeof config['logprobs'] === 'number' ? config['logprobs'] : 0)) : undefined;
  return withThought({ candidates, usage: usage(candidateTokens), ...(logprobs === undefined ? {} : { logprobs }) });
}
