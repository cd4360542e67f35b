/**
 * Gemini API generateContent, streamGenerateContent and countTokens
 * (docs/google-protocols.md#gemini-api-endpoints): the same checks and replies as Code Assist, with the
 * Gemini API's bodies (no envelope), its wording for unknown models and missing signatures, and its quotas:
 * per project and model, answered with the 429s of docs/google-protocols.md#gemini-api-429s.
 */
import type { ServerResponse } from 'node:http';
import type { SimApiKey } from './api-keys.js';
import type { SimContext } from './context.js';
import { modelNotSupported, quotaExceeded, type QuotaKind } from './gemini-api-errors.js';
import { geminiCountTokensRequest, geminiGenerateContentRequest } from './gemini-api-schema.js';
import { isPlainObject, sendJson, sendRpc, sleep } from './http-io.js';
import { readProto, type ProtoObject } from './proto-json.js';
import { buildReply, promptTokens } from './replies.js';
import { checkContents, checkGenerateRequest } from './request-checks.js';
import { badRequest, rpcError, type RpcError } from './rpc-errors.js';
import { serveReply, type ServeOptions } from './serve-reply.js';
import { randomId } from './state.js';

/**
 * Books the request on its project's bucket for the model (every key of the project draws on the same one), or
 * answers the free-tier 429 naming every quota it would overrun.
 */
export function takeApiQuota(ctx: SimContext, res: ServerResponse, key: SimApiKey, model: string, kind: QuotaKind, tokens: number): RpcError | undefined {
  const holder = `key:${key.projectId}`;
  const verdict = ctx.apiQuota.check(holder, model, ctx.apiKeys.limitsFor(key.projectId, model, ctx.defaultQuotas), tokens);
  if (verdict.ok) {
    ctx.apiQuota.book(holder, model, tokens);
    ctx.state.served(res, tokens);
    return undefined;
  }
  ctx.state.refused(res, verdict.overruns);
  return quotaExceeded(model, verdict.overruns, verdict.retryDelayMs, kind);
}

/** The Gemini API lets `role` be left out ("can be left blank or unset"): such a content is the user's. */
function withRoles(request: ProtoObject): ProtoObject {
  const contents = request['contents'];
  if (!Array.isArray(contents) || contents.every((c) => !isPlainObject(c) || c['role'] !== undefined)) return request;
  return { ...request, contents: contents.map((c: unknown) => (isPlainObject(c) && c['role'] === undefined ? { ...c, role: 'user' } : c)) };
}

export async function handleApiGenerate(
  ctx: SimContext,
  res: ServerResponse,
  key: SimApiKey,
  model: string,
  body: unknown,
  opts: ServeOptions,
): Promise<void> {
  const parsed = readProto(body, geminiGenerateContentRequest);
  if (parsed.violations.length > 0) return sendRpc(res, badRequest(parsed.violations));
  if (!ctx.models.has(model)) return sendRpc(res, modelNotSupported(model, 'generateContent'));
  const request = withRoles(parsed.value);
  const error = checkGenerateRequest(request, model, 'gemini-api') ?? takeApiQuota(ctx, res, key, model, 'generate', promptTokens(request).total);
  if (error) return sendRpc(res, error);

  await sleep(ctx.latencyMs);
  if (res.destroyed) return;
  const meta = { route: 'gemini-api' as const, model, responseId: randomId(18), traceId: '', createTime: new Date(ctx.now()).toISOString() };
  await serveReply(ctx, res, buildReply(model, request), meta, opts);
}

/** `{contents}` or `{generateContentRequest}` (which must name its model), not both. */
export function handleApiCountTokens(ctx: SimContext, res: ServerResponse, model: string, body: unknown): void {
  const parsed = readProto(body, geminiCountTokensRequest);
  if (parsed.violations.length > 0) return sendRpc(res, badRequest(parsed.violations));
  if (!ctx.models.has(model) && !ctx.embeddingModels.has(model)) return sendRpc(res, modelNotSupported(model, 'countTokens'));
  const inner = parsed.value['generateContentRequest'];
  // UNCONFIRMED wording for the next two; the rules are in the API reference (one of the two forms; a
  // GenerateContentRequest always names its model).
  if (inner !== undefined && parsed.value['contents'] !== undefined) {
    return sendRpc(res, rpcError(400, '* CountTokensRequest: only one of contents or generate_content_request may be set.\n'));
  }
  if (isPlainObject(inner) && typeof inner['model'] !== 'string') {
    return sendRpc(res, rpcError(400, '* CountTokensRequest.generate_content_request.model: unexpected model name format\n'));
  }
  const request = withRoles(isPlainObject(inner) ? inner : { contents: parsed.value['contents'] });
  const error = checkContents(request);
  if (error) return sendRpc(res, error);
  const tokens = promptTokens(request);
  const details: ProtoObject[] = [{ modality: 'TEXT', tokenCount: tokens.text }];
  if (tokens.media > 0) details.push({ modality: 'IMAGE', tokenCount: tokens.media });
  sendJson(res, 200, { totalTokens: tokens.total, promptTokensDetails: details });
}
