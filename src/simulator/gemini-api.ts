/**
 * The public Gemini API surface (/v1beta, docs/google-protocols.md#gemini-api): routing, API-key authentication, the
 * request log, injected faults, then the method. Order per request, as for Code Assist: route (404) → key
 * (403 none / 400 API_KEY_INVALID / 401 ACCESS_TOKEN_TYPE_UNSUPPORTED for a rejected key) → parse JSON (400) → log
 * → faults → method (validation, quota, reply).
 *   GET  /v1beta/models                      GET /v1beta/models/{model}
 *   POST /v1beta/models/{model}:{generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents}
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { handleEmbed } from './embeddings.js';
import { geminiFaultError } from './gemini-api-errors.js';
import { handleApiCountTokens, handleApiGenerate } from './gemini-api-generate.js';
import { sendFault } from './faults.js';
import { parseJsonBody, readBody, sendRpc, sleep } from './http-io.js';
import { handleGetModel, handleListModels } from './models.js';
import { notFound, rpcError } from './rpc-errors.js';

const POST_METHODS = new Set(['generateContent', 'streamGenerateContent', 'countTokens', 'embedContent', 'batchEmbedContents']);

interface Target {
  method: string;
  model?: string;
}

/** `rest` is the path after "/v1beta". */
function targetOf(rest: string, verb: string): Target | undefined {
  if (rest === '/models' && verb === 'GET') return { method: 'listModels' };
  const get = /^\/models\/([^/:]+)$/.exec(rest);
  if (get && verb === 'GET') return { method: 'getModel', model: decodeURIComponent(get[1] ?? '') };
  const call = /^\/models\/([^/:]+):([A-Za-z]+)$/.exec(rest);
  if (call && verb === 'POST' && POST_METHODS.has(call[2] ?? '')) return { method: call[2] ?? '', model: decodeURIComponent(call[1] ?? '') };
  return undefined;
}

export async function handleGeminiApi(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
  query: URLSearchParams,
): Promise<void> {
  const text = await readBody(req);
  const target = targetOf(rest, req.method ?? 'GET');
  if (!target) return sendRpc(res, notFound(`The requested URL /v1beta${rest} was not found on this server.`));
  const { method, model } = target;

  const auth = ctx.apiKeys.authenticate(req, query, method);
  const parsed = req.method === 'POST' ? parseJsonBody(text) : ({ ok: true, value: {} } as const);
  const body = parsed.ok ? parsed.value : text;
  const project = auth.key?.projectId;
  ctx.state.record(
    {
      method,
      route: 'gemini-api',
      ...(auth.masked !== undefined ? { apiKey: auth.masked } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(project !== undefined ? { project } : {}),
      body,
      at: ctx.now(),
    },
    project !== undefined ? `key:${project}` : '(none)',
    res,
  );
  if (!auth.ok) return sendRpc(res, auth.error);
  if (!parsed.ok) return sendRpc(res, rpcError(400, parsed.message));

  const key = auth.key;
  const faultContext = { method, apiKey: key.key, project: key.projectId, ...(model !== undefined ? { model } : {}) };
  const plan = ctx.faults.plan(faultContext);
  if (plan.stallMs > 0) await sleep(plan.stallMs);
  if (res.destroyed) return;
  if (plan.terminal) {
    const faultModel = model ?? 'gemini-2.5-flash';
    const mapped = geminiFaultError(plan.terminal, faultModel, method, ctx.apiKeys.limitsFor(key.projectId, faultModel, ctx.defaultQuotas));
    return mapped ? sendRpc(res, mapped) : sendFault(res, plan.terminal, faultContext, ctx.now());
  }

  const m = model ?? '';
  switch (method) {
    case 'listModels':
      return handleListModels(ctx, res, query);
    case 'getModel':
      return handleGetModel(ctx, res, m);
    case 'generateContent':
      return handleApiGenerate(ctx, res, key, m, body, { stream: false, sse: false });
    case 'streamGenerateContent':
      return handleApiGenerate(ctx, res, key, m, body, {
        stream: true,
        sse: query.get('alt') === 'sse' || query.get('$alt') === 'sse',
        ...(plan.cutAfterEvents !== undefined ? { cutAfterEvents: plan.cutAfterEvents } : {}),
      });
    case 'countTokens':
      return handleApiCountTokens(ctx, res, m, body);
    default:
      return handleEmbed(ctx, res, key, m, body, method === 'batchEmbedContents');
  }
}
