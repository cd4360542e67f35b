/**
 * The route table of the API: every route, its dialect and its handler, in one place. A new dialect adds its
 * adapter's lines here.
 */
import { anthropicDialect, createAnthropicAdapter } from '../translate/anthropic/adapter.js';
import type { ModelAliasRule } from '../translate/anthropic/models.js';
import { geminiAdapter, googleDialect } from '../translate/gemini/adapter.js';
import { openAIChatAdapter, openAIDialect } from '../translate/openai-chat/adapter.js';
import { toGeminiModel, toOpenAIModel } from '../translate/models.js';
import { normaliseModelId } from '../translate/parse-body.js';
import type { Dialect } from '../translate/dialect.js';
import { ApiError } from './errors.js';
import type { DashboardDeps } from './dashboard/deps.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { handleHealth, handleKeysStatus, type AdminDeps } from './handlers/admin.js';
import { handleAnthropicCountTokens } from './handlers/anthropic.js';
import { createToken, listTokens, revokeToken, usageReport, type AdminTokensDeps } from './handlers/admin-tokens.js';
import { serveGeneration, type GenerateDeps } from './handlers/generate.js';
import { handleModelCall } from './handlers/native.js';
import { handleEmbeddings } from './handlers/openai.js';
import { deleteStoredResponse, getStoredResponse, refuseResponsesWebSocket, serveResponses } from './handlers/responses.js';
import { openAIResponsesAdapter } from '../translate/openai-responses/adapter.js';
import type { ApiRequest, ApiRoute } from './router.js';
import { sendJson } from './send.js';

export interface RouteDeps extends GenerateDeps, AdminDeps {
  models: string[];
  /** MODEL_ALIASES: client model names (Claude Code's) → Gemini models. */
  modelAliases?: readonly ModelAliasRule[];
  /** How long stored Responses API responses are kept (RESPONSES_TTL; default 1 h). */
  responsesTtlMs?: number;
  /** The most conversation one stored response keeps (RESPONSES_MAX_STORED_BYTES; default 16 MiB). */
  responsesMaxStoredBytes?: number;
  /** Access tokens and usage for /admin/tokens and /admin/usage (absent: those routes are not served). */
  tokenAdmin?: AdminTokensDeps;
  /** GET /metrics (Prometheus); it checks its own access (METRICS_TOKEN, else the admin rule). */
  metrics?: (r: ApiRequest) => Promise<void>;
  /** The dashboard (GET /, /dashboard) and its /admin routes. */
  dashboard?: DashboardDeps;
}

/** Paths that belong to the API (authenticated before anyone learns a route does not exist). */
export const API_PREFIXES = /^\/v1(?:beta)?(?:[/?#]|$)/i;

/** The dialect of any path, for errors on paths no route matches. */
export function dialectForPath(path: string): Dialect {
  // Paths match case-insensitively: /V1BETA/models is the Gemini route too; /v1betax is not.
  if (/^\/v1\/messages(?:[/?#]|$)/i.test(path)) return anthropicDialect;
  return /^\/v1beta(?:[/?#]|$)/i.test(path) ? googleDialect : openAIDialect;
}

export function apiRoutes(deps: RouteDeps): ApiRoute[] {
  const served = (id: string, list: string): string => {
    const model = normaliseModelId(id);
    if (!deps.models.includes(model)) throw new ApiError(404, `model ${model} is not served here; GET ${list} lists the models`, 'model', 'model_not_found');
    return model;
  };
  const anthropic = createAnthropicAdapter({ aliases: deps.modelAliases ?? [], served: deps.models });
  return [
    // Anthropic (Claude Code, the Anthropic SDKs; ?beta=true is a query and matches too)
    { method: 'POST', path: '/v1/messages', dialect: anthropic, body: true, handle: (r) => serveGeneration(deps, anthropic, r) },
    { method: 'POST', path: '/v1/messages/count_tokens', dialect: anthropic, body: true, handle: (r) => handleAnthropicCountTokens(deps, { aliases: deps.modelAliases ?? [], served: deps.models }, r) },
    // OpenAI
    { method: 'GET', path: '/v1/models', dialect: openAIDialect, handle: (r) => sendJson(r.res, 200, { object: 'list', data: deps.models.map(toOpenAIModel) }) },
    { method: 'GET', path: /^\/v1\/models\/([^/]+)$/, dialect: openAIDialect, handle: (r) => sendJson(r.res, 200, toOpenAIModel(served(r.params[0]!, '/v1/models'))) },
    { method: 'POST', path: '/v1/chat/completions', dialect: openAIDialect, body: true, handle: (r) => serveGeneration(deps, openAIChatAdapter, r) },
    { method: 'POST', path: '/v1/embeddings', dialect: openAIDialect, body: true, handle: (r) => handleEmbeddings(deps.dispatcher, r, deps.tokens) },
    { method: 'GET', path: '/v1/keys/status', dialect: openAIDialect, handle: (r) => handleKeysStatus(deps, r) },
    // OpenAI Responses (GET /v1/responses is Codex's WebSocket attempt: 426)
    { method: 'POST', path: '/v1/responses', dialect: openAIResponsesAdapter, body: true, handle: (r) => serveResponses(deps, r) },
    { method: 'GET', path: '/v1/responses', dialect: openAIResponsesAdapter, handle: (r) => refuseResponsesWebSocket(r) },
    { method: 'GET', path: /^\/v1\/responses\/([^/]+)$/, dialect: openAIResponsesAdapter, handle: (r) => getStoredResponse(deps, r) },
    { method: 'DELETE', path: /^\/v1\/responses\/([^/]+)$/, dialect: openAIResponsesAdapter, handle: (r) => deleteStoredResponse(deps, r) },
    // Gemini
    { method: 'GET', path: '/v1beta/models', dialect: googleDialect, handle: (r) => sendJson(r.res, 200, { models: deps.models.map(toGeminiModel) }) },
    { method: 'GET', path: /^\/v1beta\/models\/([^/]+)$/, dialect: googleDialect, handle: (r) => sendJson(r.res, 200, toGeminiModel(served(r.params[0]!, '/v1beta/models'))) },
    { method: 'POST', path: /^\/v1beta\/models\/([^/]+)$/, dialect: geminiAdapter, body: true, handle: (r) => handleModelCall(deps, r) },
    // Operations
    { method: 'GET', path: '/health', dialect: openAIDialect, auth: 'none', handle: (r) => handleHealth(deps, r) },
    ...(deps.metrics ? [{ method: 'GET', path: '/metrics', dialect: openAIDialect, auth: 'none', handle: deps.metrics } satisfies ApiRoute] : []),
    // Access tokens and usage (the operator's: loopback only, or ADMIN_PASSWORD)
    ...(deps.tokenAdmin ? tokenAdminRoutes(deps.tokenAdmin) : []),
    // The dashboard and its /admin routes
    ...(deps.dashboard ? dashboardRoutes(deps.dashboard) : []),
  ];
}

function tokenAdminRoutes(admin: AdminTokensDeps): ApiRoute[] {
  return [
    { method: 'GET', path: '/admin/tokens', dialect: openAIDialect, auth: 'admin', handle: (r) => listTokens(admin, r) },
    { method: 'POST', path: '/admin/tokens', dialect: openAIDialect, auth: 'admin', body: true, handle: (r) => createToken(admin, r) },
    { method: 'DELETE', path: /^\/admin\/tokens\/([^/]+)$/, dialect: openAIDialect, auth: 'admin', handle: (r) => revokeToken(admin, r) },
    { method: 'GET', path: '/admin/usage', dialect: openAIDialect, auth: 'admin', handle: (r) => usageReport(admin, r) },
  ];
}
