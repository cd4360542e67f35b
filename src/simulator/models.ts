/**
 * The Gemini API model catalogue: GET /v1beta/models (paged: pageSize default 50, at most 1000; pageToken
 * opaque) and GET /v1beta/models/{model}, in the Model shape of
 * docs/google-protocols.md#model-list.
 */
import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { modelNotFound } from './gemini-api-errors.js';
import { sendJson, sendRpc } from './http-io.js';
import type { ProtoObject } from './proto-json.js';
import { rpcError } from './rpc-errors.js';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

/** Full (unreduced) vector size of an embedding model. */
export function embeddingDims(model: string): number {
  return model.startsWith('gemini-embedding') ? 3072 : 768;
}

/** "gemini-2.5-flash" -> "Gemini 2.5 Flash". */
function displayName(id: string): string {
  return id
    .split('-')
    .map((w) => (/^\d/.test(w) ? w : `${w[0]?.toUpperCase() ?? ''}${w.slice(1)}`))
    .join(' ');
}

export function modelView(ctx: SimContext, id: string): ProtoObject | undefined {
  if (ctx.embeddingModels.has(id)) {
    return {
      name: `models/${id}`,
      version: /(\d+)$/.exec(id)?.[1] ?? '001',
      displayName: displayName(id),
      description: 'Obtain a distributed representation of a text.',
      inputTokenLimit: 2048,
      outputTokenLimit: 1,
      supportedGenerationMethods:
        id === 'text-embedding-004' ? ['embedContent'] : ['embedContent', 'countTextTokens', 'countTokens', 'asyncBatchEmbedContent'],
    };
  }
  if (!ctx.models.has(id)) return undefined;
  return {
    name: `models/${id}`,
    version: '001',
    displayName: displayName(id),
    description: `${displayName(id)}, served by the Rotor Google simulator.`,
    inputTokenLimit: 1048576,
    outputTokenLimit: 65536,
    supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
    temperature: 1,
    topP: 0.95,
    topK: 64,
    maxTemperature: 2,
    thinking: true,
  };
}

function readPageSize(raw: string | null): number | undefined {
  if (raw === null || raw === '') return DEFAULT_PAGE;
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return n === 0 ? DEFAULT_PAGE : Math.min(n, MAX_PAGE);
}

export function handleListModels(ctx: SimContext, res: ServerResponse, query: URLSearchParams): void {
  const size = readPageSize(query.get('pageSize') ?? query.get('page_size'));
  if (size === undefined) return sendRpc(res, rpcError(400, `Invalid value at 'page_size' (TYPE_INT32), "${query.get('pageSize') ?? query.get('page_size')}"`));
  const token = query.get('pageToken') ?? query.get('page_token') ?? '';
  let offset = 0;
  if (token !== '') {
    const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!match) return sendRpc(res, rpcError(400, 'Invalid page token.'));
    offset = Number(match[1]);
  }
  const ids = [...ctx.models, ...ctx.embeddingModels];
  const page = ids.slice(offset, offset + size);
  const next = offset + size < ids.length ? Buffer.from(`offset:${offset + size}`).toString('base64url') : undefined;
  sendJson(res, 200, {
    models: page.map((id) => modelView(ctx, id)),
    ...(next !== undefined ? { nextPageToken: next } : {}),
  });
}

export function handleGetModel(ctx: SimContext, res: ServerResponse, id: string): void {
  const view = modelView(ctx, id);
  if (!view) return sendRpc(res, modelNotFound(id));
  sendJson(res, 200, view);
}
