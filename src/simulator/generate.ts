/**
 * generateContent, streamGenerateContent and countTokens: strict parsing, model / project / semantic checks,
 * quotas, then a deterministic reply, streamed as SSE events written as they go.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { destroyAfterFlush, sendJson, sendRpc, sleep } from './http-io.js';
import { validationUrl } from './onboarding.js';
import { readProto, type ProtoObject } from './proto-json.js';
import { buildReply, countPromptTokens, envelope, replyParts, splitReply, type EnvelopeMeta, type Reply } from './replies.js';
import { checkContents, checkGenerateRequest } from './request-checks.js';
import { caCountTokensRequest, caGenerateContentRequest } from './request-schema.js';
import {
  badRequest,
  notFound,
  permissionDenied,
  quotaExhausted,
  rateLimited,
  rpcError,
  validationRequired,
  type RpcError,
} from './rpc-errors.js';
import { randomId, type SimAccount } from './state.js';

export interface GenerateOptions {
  stream: boolean;
  /** `alt=sse`; a stream without it is answered as one JSON array, as Google's REST streaming does. */
  sse: boolean;
  cutAfterEvents?: number;
}

/** Model ids are bare on Code Assist: "models/x" and unknown ids are both NOT_FOUND. */
function checkModel(ctx: SimContext, model: unknown): RpcError | undefined {
  if (typeof model !== 'string' || model === '') return rpcError(400, 'Request contains an invalid argument.');
  return ctx.models.has(model) ? undefined : notFound('Requested entity was not found.');
}

function checkProject(ctx: SimContext, account: SimAccount, project: unknown): RpcError | undefined {
  if (account.scenario === 'validation-required') return validationRequired(validationUrl(ctx, account));
  if (typeof project !== 'string' || project === '') return rpcError(400, 'Request contains an invalid argument.');
  return ctx.state.allowedProjects(account).has(project) ? undefined : permissionDenied(project);
}

function checkQuota(ctx: SimContext, account: SimAccount, model: string): RpcError | undefined {
  const verdict = ctx.quota.check(account.email, model, account);
  if (verdict.ok) return undefined;
  return verdict.kind === 'rate'
    ? rateLimited(model, verdict.retryDelayMs, ctx.now())
    : quotaExhausted(model, verdict.resetInMs, ctx.now());
}

export async function handleGenerate(
  ctx: SimContext,
  res: ServerResponse,
  account: SimAccount,
  body: unknown,
  opts: GenerateOptions,
): Promise<void> {
  const parsed = readProto(body, caGenerateContentRequest);
  if (parsed.violations.length > 0) return sendRpc(res, badRequest(parsed.violations));
  const env = parsed.value;
  const model = env['model'];
  const request = (env['request'] ?? {}) as ProtoObject;
  const error =
    checkModel(ctx, model) ??
    checkProject(ctx, account, env['project']) ??
    checkGenerateRequest(request, String(model)) ??
    checkQuota(ctx, account, String(model));
  if (error) return sendRpc(res, error);
  ctx.quota.book(account.email, String(model));

  await sleep(ctx.latencyMs);
  if (res.destroyed) return;
  const reply = buildReply(String(model), request);
  const meta: EnvelopeMeta = {
    model: String(model),
    responseId: randomId(18),
    traceId: randomBytes(8).toString('hex'),
    createTime: new Date(ctx.now()).toISOString(),
  };
  const headers = { 'x-cloudaicompanion-trace-id': meta.traceId };
  if (!opts.stream) {
    return sendJson(res, 200, envelope(replyParts(reply), meta, { reason: reply.finishReason, usage: reply.usage }), headers);
  }
  const events = streamEvents(reply, meta, ctx.streamEvents);
  if (!opts.sse) return sendJson(res, 200, events, headers);
  await writeSse(res, events, ctx.streamIntervalMs, headers, opts.cutAfterEvents);
}

function streamEvents(reply: Reply, meta: EnvelopeMeta, count: number): ProtoObject[] {
  const chunks = splitReply(reply, count);
  return chunks.map((parts, i) =>
    i === chunks.length - 1 ? envelope(parts, meta, { reason: reply.finishReason, usage: reply.usage }) : envelope(parts, meta),
  );
}

/** Headers first, then each event as soon as it is due; `cutAfter` destroys the socket mid-stream. */
async function writeSse(
  res: ServerResponse,
  events: ProtoObject[],
  intervalMs: number,
  headers: Record<string, string>,
  cutAfter?: number,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    ...headers,
  });
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  for (const [i, event] of events.entries()) {
    if (cutAfter !== undefined && i >= cutAfter) return destroyAfterFlush(res);
    if (i > 0) await sleep(intervalMs);
    if (res.destroyed || res.writableEnded) return;
    res.write(`data: ${JSON.stringify(event)}\r\n\r\n`);
  }
  if (cutAfter !== undefined && cutAfter >= events.length) {
    // A cut after the last event: the peer saw everything but never a clean end of the body.
    return destroyAfterFlush(res);
  }
  res.end();
}

export function handleCountTokens(ctx: SimContext, res: ServerResponse, body: unknown): void {
  const parsed = readProto(body, caCountTokensRequest);
  if (parsed.violations.length > 0) return sendRpc(res, badRequest(parsed.violations));
  const request = (parsed.value['request'] ?? {}) as ProtoObject;
  const rawModel = request['model'];
  const model = typeof rawModel === 'string' ? rawModel.replace(/^models\//, '') : rawModel;
  const error = checkModel(ctx, model) ?? checkContents(request);
  if (error) return sendRpc(res, error);
  sendJson(res, 200, { totalTokens: countPromptTokens(request) });
}
