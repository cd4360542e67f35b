/**
 * startSimulator: one node:http server holding every fake Google endpoint on one port.
 *   POST /token, POST /revoke, GET /o/oauth2/v2/auth (+ /choose, /deny), GET /oauth2/v2/userinfo (and v1)
 *   POST /v1internal:<method> (literal ':' or %3A), GET /v1internal/operations/<id>
 *   /v1beta/models[/<model>[:<method>]] (the public Gemini API, API keys; gemini-api.ts)
 *   /__sim/* control routes (control.ts)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeyBook } from './api-keys.js';
import { handleCodeAssist } from './code-assist.js';
import type { SimContext } from './context.js';
import { handleControl, faultRuleSchema } from './control.js';
import { FaultBook } from './faults.js';
import { handleGeminiApi } from './gemini-api.js';
import { BodyTooLargeError, readBody, sendRpc, wasClosedOnPurpose } from './http-io.js';
import { AUTH_PATH, handleAuthChoose, handleAuthDeny, handleAuthPage } from './oauth-page.js';
import { handleRevoke, handleToken, handleUserinfo } from './oauth-token.js';
import { nextPacificMidnight } from './pacific-time.js';
import { normalizeQuotas, QuotaBook } from './quota.js';
import { rpcError } from './rpc-errors.js';
import { SimState } from './state.js';
import { DEFAULT_SIM_EMBEDDING_MODELS, DEFAULT_SIM_MODELS, type Simulator, type SimulatorOptions } from './types.js';

const USERINFO_PATHS = new Set(['/oauth2/v2/userinfo', '/oauth2/v1/userinfo', '/oauth2/v3/userinfo']);

function positive(name: string, value: number | undefined, fallback: number, min = 0): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min) throw new RangeError(`simulator: ${name} must be a number >= ${min}`);
  return v;
}

async function route(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator.invalid');
  // Clients may percent-encode the colon of "/v1internal:method".
  const path = url.pathname.replace(/%3A/gi, ':');
  const query = url.searchParams;
  const verb = req.method ?? 'GET';
  if (path.startsWith('/v1internal')) return handleCodeAssist(ctx, req, res, path.slice('/v1internal'.length), query);
  if (path.startsWith('/v1beta/')) return handleGeminiApi(ctx, req, res, path.slice('/v1beta'.length), query);
  if (path === '/token' && verb === 'POST') return handleToken(ctx, req, res);
  if (path === '/revoke' && verb === 'POST') return handleRevoke(ctx, req, res, query);
  if (USERINFO_PATHS.has(path) && verb === 'GET') return handleUserinfo(ctx, req, res);
  if ((path === AUTH_PATH || path === '/o/oauth2/auth') && verb === 'GET') return handleAuthPage(ctx, req, res, query);
  if (path === `${AUTH_PATH}/choose` && verb === 'GET') return handleAuthChoose(ctx, res, query);
  if (path === `${AUTH_PATH}/deny` && verb === 'GET') return handleAuthDeny(ctx, res, query);
  if (path.startsWith('/__sim/')) return handleControl(ctx, req, res, path, query);
  await readBody(req);
  sendRpc(res, rpcError(404, `The requested URL ${path} was not found on this server.`));
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const now = options.now ?? Date.now;
  const streamEvents = positive('streamEvents', options.streamEvents, 3, 2);
  const state = new SimState(now);
  const rateWindowMs = positive('rateWindowMs', options.rateWindowMs, 60_000, 1);
  const ctx: SimContext = {
    state,
    quota: new QuotaBook(now, rateWindowMs),
    apiQuota: new QuotaBook(now, rateWindowMs, nextPacificMidnight),
    defaultQuotas: options.quotas === undefined ? {} : normalizeQuotas(options.quotas),
    apiKeys: new ApiKeyBook(),
    faults: new FaultBook(),
    now,
    models: new Set(options.models ?? DEFAULT_SIM_MODELS),
    embeddingModels: new Set(options.embeddingModels ?? DEFAULT_SIM_EMBEDDING_MODELS),
    url: '',
    latencyMs: positive('latencyMs', options.latencyMs, 0),
    streamEvents: Math.floor(streamEvents),
    streamIntervalMs: positive('streamIntervalMs', options.streamIntervalMs, 0),
    accessTokenTtlSec: positive('accessTokenTtlSec', options.accessTokenTtlSec, 3599, 1),
  };
  for (const account of options.accounts ?? []) state.upsertAccount(account);
  for (const key of options.apiKeys ?? []) ctx.apiKeys.upsert(key);

  const server = createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished && !wasClosedOnPurpose(res)) state.abortedCount += 1;
      state.endedCount += 1;
    });
    route(ctx, req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof BodyTooLargeError) return sendRpc(res, rpcError(413, 'Request payload size exceeds the limit.', undefined, 'INVALID_ARGUMENT'));
      sendRpc(res, rpcError(500, 'Internal error encountered.'));
    });
  });
  // Benchmarks hold keep-alive connections open between bursts; do not drop them under the client.
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  ctx.url = url;

  let closed: Promise<void> | undefined;
  return {
    url,
    codeAssistEndpoint: url,
    geminiApiBaseUrl: url,
    tokenUrl: `${url}/token`,
    authUrl: `${url}${AUTH_PATH}`,
    userinfoUrl: `${url}/oauth2/v2/userinfo`,
    addAccount: (a) => void state.upsertAccount(a),
    updateAccount: (email, patch) => void state.updateAccount(email, patch),
    addApiKey: (k) => void ctx.apiKeys.upsert(k),
    removeApiKey: (key) => ctx.apiKeys.remove(key),
    injectFault: (rule) => {
      faultRuleSchema.parse(rule);
      ctx.faults.add(rule);
    },
    clearFaults: () => ctx.faults.clear(),
    calls: (filter) => state.calls(filter),
    counts: () => state.counts(),
    stats: () => state.stats(),
    resetStats: () => state.resetStats(),
    setQuotas: (quotas) => {
      ctx.defaultQuotas = normalizeQuotas(quotas);
    },
    resetQuotaUsage: () => {
      ctx.quota.reset();
      ctx.apiQuota.reset();
    },
    aborted: () => state.abortedCount,
    ended: () => state.endedCount,
    issuedTokens: (email) => state.issuedTokens(email),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
