/**
 * embedContent and batchEmbedContents of the Gemini API (docs/google-protocols.md#embeddings). A vector is
 * derived from the model and the text alone: a PRNG seeded with their FNV-1a hash fills the model's full size
 * (3072 for gemini-embedding-*, 768 otherwise), normalised to length 1. `outputDimensionality` returns the
 * first N values of that vector, not re-normalised, as Google documents for gemini-embedding-001 (only the
 * full size is normalised; a 768-value prefix has a norm near 0.5).
 */
import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { modelNotSupported } from './gemini-api-errors.js';
import { embedContentRequest, batchEmbedContentsRequest } from './gemini-api-schema.js';
import { takeApiQuota } from './gemini-api-generate.js';
import { isPlainObject, sendJsonText, sendRpc, sleep } from './http-io.js';
import { embeddingDims } from './models.js';
import { readProto, type ProtoObject } from './proto-json.js';
import { promptTokens } from './replies.js';
import { PART_DATA_FIELDS } from './request-schema.js';
import { badRequest, rpcError, type RpcError } from './rpc-errors.js';
import type { SimApiKey } from './api-keys.js';

const MAX_BATCH = 100;
const CACHE_SIZE = 128;
interface Vector {
  values: number[];
  /** JSON text of `values`: serialising 3072 doubles costs more than computing them. */
  json: string;
}

const cache = new Map<string, Vector>();

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The unit-length full-size vector of a text; cached, since benchmarks embed the same texts again. */
export function fullVector(model: string, text: string): Vector {
  const key = `${model}\u0000${text}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let state = fnv1a(key);
  const values = new Array<number>(embeddingDims(model));
  let norm = 0;
  for (let i = 0; i < values.length; i++) {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const v = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
    values[i] = v;
    norm += v * v;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < values.length; i++) values[i] = Math.round((values[i] ?? 0) * scale * 1e9) / 1e9;
  const vector = { values, json: JSON.stringify(values) };
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(key, vector);
  return vector;
}

/** One EmbedContentRequest checked and answered (as the JSON text of its values), or the error. */
function embedOne(model: string, request: ProtoObject, at: string): { json: string } | RpcError {
  const content = request['content'];
  if (!isPlainObject(content)) return rpcError(400, `* ${at}.content: content is not specified\n`);
  const parts = Array.isArray(content['parts']) ? (content['parts'] as unknown[]).filter(isPlainObject) : [];
  if (parts.length === 0) return rpcError(400, `* ${at}.content.parts: contents.parts must not be empty.\n`);
  for (const [j, part] of parts.entries()) {
    if (!PART_DATA_FIELDS.some((f) => part[f] !== undefined)) {
      return rpcError(400, `* ${at}.content.parts[${j}].data: required oneof field 'data' must have one initialized field\n`);
    }
  }
  const max = embeddingDims(model);
  const dims = request['outputDimensionality'];
  // UNCONFIRMED wording; the range (up to the model's full size) is documented.
  if (typeof dims === 'number' && (dims < 1 || dims > max)) {
    return rpcError(400, `* ${at}.output_dimensionality: must be between 1 and ${max}, got ${dims}.\n`);
  }
  const text = parts.map((p) => (typeof p['text'] === 'string' ? p['text'] : '')).join('\n');
  const full = fullVector(model, text);
  return { json: typeof dims === 'number' && dims < max ? JSON.stringify(full.values.slice(0, dims)) : full.json };
}

function isError(x: { json: string } | RpcError): x is RpcError {
  return 'httpStatus' in x;
}

export async function handleEmbed(
  ctx: SimContext,
  res: ServerResponse,
  key: SimApiKey,
  model: string,
  body: unknown,
  batch: boolean,
): Promise<void> {
  const method = batch ? 'batchEmbedContents' : 'embedContent';
  const parsed = readProto(body, batch ? batchEmbedContentsRequest : embedContentRequest);
  if (parsed.violations.length > 0) return sendRpc(res, badRequest(parsed.violations));
  if (!ctx.embeddingModels.has(model)) return sendRpc(res, modelNotSupported(model, method));
  const requests = batch ? ((parsed.value['requests'] as ProtoObject[] | undefined) ?? []) : [parsed.value];
  if (batch && requests.length === 0) return sendRpc(res, rpcError(400, '* BatchEmbedContentsRequest.requests: requests is not specified\n'));
  if (requests.length > MAX_BATCH) return sendRpc(res, rpcError(400, `* BatchEmbedContentsRequest.requests: at most ${MAX_BATCH} requests can be in one batch\n`));
  const results: string[] = [];
  let tokens = 0;
  for (const [i, request] of requests.entries()) {
    const at = batch ? `BatchEmbedContentsRequest.requests[${i}]` : 'EmbedContentRequest';
    const named = request['model'];
    // Each request of a batch must name its model, and it must be the URL's (gemini-balance;
    // docs/google-protocols.md#embeddings).
    if (batch && typeof named !== 'string') return sendRpc(res, rpcError(400, `* ${at}.model: unexpected model name format\n`));
    if (typeof named === 'string' && named !== `models/${model}`) {
      return sendRpc(res, rpcError(400, `* ${at}.model: the model in the request (${named}) must match the model in the URL (models/${model}).\n`));
    }
    const one = embedOne(model, request, at);
    if (isError(one)) return sendRpc(res, one);
    results.push(`{"values":${one.json}}`);
    tokens += promptTokens({ contents: [request['content'] as ProtoObject] }).total;
  }
  const quota = takeApiQuota(ctx, res, key, model, 'embed', tokens);
  if (quota) return sendRpc(res, quota);
  await sleep(ctx.latencyMs);
  if (res.destroyed) return;
  sendJsonText(res, 200, batch ? `{"embeddings":[${results.join(',')}]}` : `{"embedding":${results[0] ?? '{}'}}`);
}
