/**
 * The /v1internal surface: bearer authentication, the request log, injected faults, then the method.
 * Order per request: authenticate (401) → parse JSON (400) → log → faults → method (validation, quota, reply).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { sendFault } from './faults.js';
import { handleCountTokens, handleGenerate } from './generate.js';
import { authenticate } from './bearer-auth.js';
import { isPlainObject, parseJsonBody, readBody, sendJson, sendRpc, sleep } from './http-io.js';
import { handleGetOperation, handleLoadCodeAssist, handleOnboardUser, handleRetrieveUserQuota } from './onboarding.js';
import { notFound, rpcError } from './rpc-errors.js';

/** `target` is the part after "/v1internal": ":method" or "/operations/<id>". */
export async function handleCodeAssist(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: string,
  query: URLSearchParams,
): Promise<void> {
  const text = await readBody(req);
  const op = /^\/(operations\/[^/]+)$/.exec(target);
  const method = op ? 'getOperation' : target.startsWith(':') ? target.slice(1) : '';
  const verbOk = op ? req.method === 'GET' : req.method === 'POST';
  if (!method || !verbOk) return sendRpc(res, notFound('Method not found.'));

  const auth = authenticate(ctx, req, method);
  const parsed = req.method === 'POST' ? parseJsonBody(text) : ({ ok: true, value: {} } as const);
  const body = parsed.ok ? parsed.value : text;
  const model = modelOf(method, body);
  const project = isPlainObject(body) && typeof body['project'] === 'string' ? body['project'] : undefined;
  ctx.state.record({
    method,
    route: 'code-assist',
    ...(auth.ok ? { email: auth.account.email } : {}),
    ...(model !== undefined ? { model } : {}),
    ...(project !== undefined ? { project } : {}),
    body,
    at: ctx.now(),
  }, undefined, res);
  if (!auth.ok) return sendRpc(res, auth.error);
  if (!parsed.ok) return sendRpc(res, rpcError(400, parsed.message));

  const faultContext = {
    method,
    email: auth.account.email,
    ...(project !== undefined ? { project } : {}),
    ...(model !== undefined ? { model } : {}),
  };
  const plan = ctx.faults.plan(faultContext);
  if (plan.stallMs > 0) await sleep(plan.stallMs);
  if (res.destroyed) return;
  if (plan.terminal) return sendFault(res, plan.terminal, faultContext, ctx.now());

  const account = auth.account;
  switch (method) {
    case 'generateContent':
      return handleGenerate(ctx, res, account, body, { stream: false, sse: false });
    case 'streamGenerateContent': {
      const sse = query.get('alt') === 'sse' || query.get('$alt') === 'sse';
      return handleGenerate(ctx, res, account, body, {
        stream: true,
        sse,
        ...(plan.cutAfterEvents !== undefined ? { cutAfterEvents: plan.cutAfterEvents } : {}),
      });
    }
    case 'countTokens':
      return handleCountTokens(ctx, res, account, body);
    case 'loadCodeAssist':
      return handleLoadCodeAssist(ctx, res, account, body);
    case 'onboardUser':
      return handleOnboardUser(ctx, res, account, body);
    case 'getOperation':
      return handleGetOperation(ctx, res, account, (op?.[1] ?? '').slice('operations/'.length));
    case 'retrieveUserQuota':
      return handleRetrieveUserQuota(ctx, res, account, body);
    // Telemetry and experiments gemini-cli calls alongside; accepted and ignored.
    case 'listExperiments':
      return sendJson(res, 200, { experimentIds: [], flags: [] });
    case 'recordCodeAssistMetrics':
      return sendJson(res, 200, {});
    default:
      return sendRpc(res, notFound('Method not found.'));
  }
}

function modelOf(method: string, body: unknown): string | undefined {
  if (!isPlainObject(body)) return undefined;
  if (method === 'countTokens') {
    const inner = body['request'];
    const model = isPlainObject(inner) ? inner['model'] : undefined;
    return typeof model === 'string' ? model.replace(/^models\//, '') : undefined;
  }
  return typeof body['model'] === 'string' ? body['model'] : undefined;
}
