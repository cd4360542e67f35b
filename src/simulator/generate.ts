/**
 * Code Assist generateContent, streamGenerateContent and countTokens: strict parsing, model / project /
 * semantic checks, per-account quotas, then a deterministic reply (replies.ts) sent by serve-reply.ts.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { sendJson, sendRpc, sleep } from './http-io.js';
import { validationUrl } from './onboarding.js';
import { readProto, type ProtoObject } from './proto-json.js';
import { buildReply, countPromptTokens } from './replies.js';
import { checkContents, checkGenerateRequest } from './request-checks.js';
import { caCountTokensRequest, caGenerateContentRequest } from './request-schema.js';
import {
  badRequest,
  notFound,
  permissionDenied,
  quotaExhausted,
  rateLimited,
  rpcError,
  unsupportedClient,
  validationRequired,
  type RpcError,
} from './rpc-errors.js';
import { serveReply, type ServeOptions } from './serve-reply.js';
import { limitsFor } from './quota.js';
import { randomId, type SimAccount } from './state.js';

/** Model ids are bare on Code Assist: "models/x" and unknown ids are both NOT_FOUND. */
function checkModel(ctx: SimContext, model: unknown): RpcError | undefined {
  if (typeof model !== 'string' || model === '') return rpcError(400, 'Request contains an invalid argument.');
  return ctx.models.has(model) ? undefined : notFound('Requested entity was not found.');
}

function checkProject(ctx: SimContext, account: SimAccount, project: unknown): RpcError | undefined {
  if (account.scenario === 'validation-required') return validationRequired(validationUrl(ctx, account));
  if (typeof project !== 'string' || project === '') return rpcError(400, 'Request contains an invalid argument.');
  // A retired individual account is refused whichever project it names.
  if (account.scenario === 'unsupported-client') return unsupportedClient();
  return ctx.state.allowedProjects(account).has(project) ? undefined : permissionDenied(project);
}

/**
 * Books the request on the account's bucket for the model, or answers Code Assist's 429: QUOTA_EXHAUSTED until the
 * daily reset when the day is spent, else RATE_LIMIT_EXCEEDED (requests or input tokens per minute; Code Assist's
 * own token 429 is UNCONFIRMED, so it reuses the rate shape).
 */
function takeQuota(ctx: SimContext, res: ServerResponse, account: SimAccount, model: string, tokens: number): RpcError | undefined {
  const verdict = ctx.quota.check(account.email, model, limitsFor(model, account, ctx.defaultQuotas), tokens);
  if (verdict.ok) {
    ctx.quota.book(account.email, model, tokens);
    ctx.state.served(res, tokens);
    return undefined;
  }
  ctx.state.refused(res, verdict.overruns);
  const daily = verdict.overruns.find((o) => o.window === 'rpd');
  return daily ? quotaExhausted(model, daily.delayMs, ctx.now()) : rateLimited(model, verdict.retryDelayMs, ctx.now());
}

export async function handleGenerate(
  ctx: SimContext,
  res: ServerResponse,
  account: SimAccount,
  body: unknown,
  opts: ServeOptions,
): Promise<void> {
  const parsed = readProto(body, caGenerateContentRequest);
  if (parsed.violations.length > 0) return sendRpc(res, badRequest(parsed.violations));
  const env = parsed.value;
  const model = env['model'];
  const request = (env['request'] ?? {}) as ProtoObject;
  const error =
    checkModel(ctx, model) ??
    checkProject(ctx, account, env['project']) ??
    checkGenerateRequest(request, String(model), 'code-assist') ??
    takeQuota(ctx, res, account, String(model), countPromptTokens(request));
  if (error) return sendRpc(res, error);

  await sleep(ctx.latencyMs);
  if (res.destroyed) return;
  const traceId = randomBytes(8).toString('hex');
  const meta = { route: 'code-assist' as const, model: String(model), responseId: randomId(18), traceId, createTime: new Date(ctx.now()).toISOString() };
  await serveReply(ctx, res, buildReply(String(model), request), meta, opts, { 'x-cloudaicompanion-trace-id': traceId });
}

/** countTokens names no project: the account alone decides (a retired individual account is refused). */
export function handleCountTokens(ctx: SimContext, res: ServerResponse, account: SimAccount, body: unknown): void {
  const parsed = readProto(body, caCountTokensRequest);
  if (parsed.violations.length > 0) return sendRpc(res, badRequest(parsed.violations));
  const request = (parsed.value['request'] ?? {}) as ProtoObject;
  const rawModel = request['model'];
  const model = typeof rawModel === 'string' ? rawModel.replace(/^models\//, '') : rawModel;
  const error = checkModel(ctx, model) ?? (account.scenario === 'unsupported-client' ? unsupportedClient() : undefined) ?? checkContents(request);
  if (error) return sendRpc(res, error);
  sendJson(res, 200, { totalTokens: countPromptTokens(request) });
}
