/** `POST /v1beta/models/{model}:{method}`: generation through the one handler; tokens counted and embeddings here. */
import { z } from 'zod';
import { contentSchema, generateSchema, geminiAdapter, parseGeminiBody, toGeminiRequest } from '../../translate/gemini/adapter.js';
import { normaliseModelId } from '../../translate/parse-body.js';
import type { GeminiEmbedRequest } from '../../upstream/types.js';
import { ApiError } from '../errors.js';
import type { ApiRequest } from '../router.js';
import { sendJson } from '../send.js';
import { admitToken, serveGeneration, settleFailed, type GenerateDeps } from './generate.js';

const embedRequestSchema = z.looseObject({
  model: z.string().optional(),
  content: z.looseObject({ parts: z.array(z.looseObject({ text: z.string() })).min(1, 'must contain at least one text part') }),
  taskType: z.string().optional(),
  title: z.string().optional(),
  outputDimensionality: z.number().int().positive().optional(),
});
const batchEmbedSchema = z.looseObject({ requests: z.array(embedRequestSchema).min(1, 'must contain at least one request') });
// countTokens takes either {contents} or {generateContentRequest}; validating the shape the client chose
// names the right field in errors.
const countSchema = z.looseObject({ contents: z.array(contentSchema).min(1, 'must contain at least one content') });
const wrappedCountSchema = z.looseObject({ generateContentRequest: generateSchema });

const METHODS = 'generateContent, streamGenerateContent, countTokens, embedContent or batchEmbedContents';

export async function handleModelCall(deps: GenerateDeps, r: ApiRequest): Promise<void> {
  const target = r.params[0] ?? '';
  const sep = target.lastIndexOf(':');
  if (sep <= 0) throw new ApiError(404, `unknown method: expected models/{model}:${METHODS.replace(/, /g, ', :').replace(' or ', ' or :')}`);
  const model = normaliseModelId(target.slice(0, sep));
  const method = target.slice(sep + 1);
  const ctx = () => ({ signal: r.signal(), requestId: r.id, ...(r.token === undefined ? {} : { token: r.token }) });

  if (method === 'generateContent' || method === 'streamGenerateContent') {
    return serveGeneration(deps, geminiAdapter, r, { model, stream: method === 'streamGenerateContent', alt: r.query.get('alt') ?? undefined });
  }
  if (method === 'countTokens') {
    const body = r.body;
    const wrapped = typeof body === 'object' && body !== null && 'generateContentRequest' in body;
    const inner: Record<string, unknown> = wrapped ? parseGeminiBody(wrappedCountSchema, body).generateContentRequest : parseGeminiBody(countSchema, body);
    // Counting costs no quota: the token's model list applies, its limits do not.
    await admitToken(deps, r, model, false);
    sendJson(r.res, 200, await deps.dispatcher.countTokens(model, toGeminiRequest(inner), ctx()));
    return;
  }
  if (method === 'embedContent' || method === 'batchEmbedContents') {
    const requests = method === 'embedContent' ? [parseGeminiBody(embedRequestSchema, r.body)] : parseGeminiBody(batchEmbedSchema, r.body).requests;
    const batch = { requests: requests.map((q) => ({ ...q, model: `models/${model}` })) } as GeminiEmbedRequest;
    const lease = await admitToken(deps, r, model);
    const result = await deps.dispatcher.embed(model, batch, ctx()).catch((err: unknown) => {
      settleFailed(lease, err);
      throw err;
    });
    lease?.settle(undefined);
    sendJson(r.res, 200, method === 'embedContent' ? { embedding: result.embeddings?.[0] ?? { values: [] } } : result);
    return;
  }
  throw new ApiError(404, `unknown method "${method}": expected ${METHODS}`);
}
