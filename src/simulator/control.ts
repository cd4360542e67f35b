/**
 * The /__sim control surface, for driving a simulator in another process (benchmarks, demo):
 *   POST /__sim/faults (SimFaultRule)   DELETE /__sim/faults   GET /__sim/faults
 *   POST /__sim/accounts (SimAccountInput, upsert: e.g. {email, scenario: 'unsupported-client'})   GET /__sim/accounts
 *   POST /__sim/api-keys (SimApiKeyInput, upsert: e.g. {key, projectId, rejected: true})           GET /__sim/api-keys
 *   DELETE /__sim/api-keys?key=
 *   PUT /__sim/quotas (SimQuotas: the simulator-wide defaults, replaced)   GET /__sim/quotas
 *   POST /__sim/reset-quota-usage (every window empty again; limits stay)
 *   GET /__sim/counts   GET /__sim/stats   GET /__sim/calls?method=&email=&route=&project=&status=
 *   POST /__sim/reset-stats (calls, counts, stats)
 *   GET /__sim/validate?email=  (the validationUrl of VALIDATION_REQUIRED: completes verification)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { keyView } from './api-keys.js';
import type { SimContext } from './context.js';
import { escapeHtml, parseJsonBody, readBody, sendHtml, sendJson } from './http-io.js';
import { normalizeQuotas } from './quota.js';
import type { SimAccountInput, SimApiKeyInput, SimCallFilter, SimFaultRule } from './types.js';

const faultSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('status'), status: z.number().int().min(100).max(599), body: z.unknown().optional() }),
  z.strictObject({ type: z.literal('rate-limit'), retryDelayMs: z.number().nonnegative().optional() }),
  z.strictObject({ type: z.literal('quota-exhausted'), resetInMs: z.number().nonnegative().optional() }),
  z.strictObject({ type: z.literal('capacity'), status: z.union([z.literal(429), z.literal(503)]).optional() }),
  z.strictObject({ type: z.literal('unauthenticated') }),
  z.strictObject({ type: z.literal('reset') }),
  z.strictObject({ type: z.literal('cut-stream'), afterEvents: z.number().int().nonnegative() }),
  z.strictObject({ type: z.literal('stall'), ms: z.number().nonnegative() }),
]);

export const faultRuleSchema = z.strictObject({
  fault: faultSchema,
  email: z.string().optional(),
  apiKey: z.string().optional(),
  project: z.string().optional(),
  model: z.string().optional(),
  method: z
    .enum([
      'generateContent',
      'streamGenerateContent',
      'countTokens',
      'loadCodeAssist',
      'onboardUser',
      'token',
      'userinfo',
      'embedContent',
      'batchEmbedContents',
      'listModels',
      'getModel',
    ])
    .optional(),
  times: z.number().int().positive().optional(),
});

const limit = z.number().int().nonnegative().optional();

/** SimQuotas: model id (or '*') -> {rpm?, rpd?, tpm?}, each an integer >= 0. */
export const quotasSchema = z.record(z.string().min(1), z.strictObject({ rpm: limit, rpd: limit, tpm: limit }));

export const accountSchema = z.strictObject({
  email: z.string().min(3).includes('@'),
  refreshToken: z.string().min(1).optional(),
  projectId: z.string().min(1).optional(),
  onboarded: z.boolean().optional(),
  tier: z.enum(['free-tier', 'standard-tier', 'legacy-tier']).optional(),
  scenario: z.enum(['ok', 'needs-project', 'validation-required', 'ineligible', 'unsupported-client']).optional(),
  revoked: z.boolean().optional(),
  noRefreshToken: z.boolean().optional(),
  rpm: limit,
  rpd: limit,
  quotas: quotasSchema.optional(),
});

export const apiKeySchema = z.strictObject({
  key: z.string().min(1),
  projectId: z.string().min(1),
  rpm: limit,
  rpd: limit,
  quotas: quotasSchema.optional(),
  rejected: z.boolean().optional(),
});

const AVATAR =
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="32" fill="#1a73e8"/></svg>';

export async function handleControl(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const text = await readBody(req);
  const route = `${req.method ?? 'GET'} ${path}`;
  const json = (): unknown => {
    const parsed = parseJsonBody(text);
    return parsed.ok ? parsed.value : undefined;
  };
  switch (route) {
    case 'POST /__sim/faults': {
      const rule = faultRuleSchema.safeParse(json());
      if (!rule.success) return sendJson(res, 400, { error: 'invalid fault rule', issues: rule.error.issues });
      ctx.faults.add(rule.data as SimFaultRule);
      return sendJson(res, 200, { ok: true, faults: ctx.faults.list() });
    }
    case 'DELETE /__sim/faults':
      ctx.faults.clear();
      return sendJson(res, 200, { ok: true });
    case 'GET /__sim/faults':
      return sendJson(res, 200, { faults: ctx.faults.list() });
    case 'POST /__sim/accounts': {
      const account = accountSchema.safeParse(json());
      if (!account.success) return sendJson(res, 400, { error: 'invalid account', issues: account.error.issues });
      const saved = ctx.state.upsertAccount(account.data as SimAccountInput);
      return sendJson(res, 200, { ok: true, email: saved.email, refreshToken: saved.refreshToken, projectId: saved.projectId });
    }
    case 'GET /__sim/accounts':
      return sendJson(res, 200, {
        accounts: [...ctx.state.accounts.values()].map((a) => ({
          ...a,
          extraProjects: [...a.extraProjects],
        })),
      });
    case 'POST /__sim/api-keys': {
      const key = apiKeySchema.safeParse(json());
      if (!key.success) return sendJson(res, 400, { error: 'invalid api key', issues: key.error.issues });
      const saved = ctx.apiKeys.upsert(key.data as SimApiKeyInput);
      return sendJson(res, 200, { ok: true, ...keyView(saved) });
    }
    case 'GET /__sim/api-keys':
      return sendJson(res, 200, { apiKeys: ctx.apiKeys.list() });
    case 'DELETE /__sim/api-keys':
      ctx.apiKeys.remove(query.get('key') ?? '');
      return sendJson(res, 200, { ok: true });
    case 'PUT /__sim/quotas': {
      const quotas = quotasSchema.safeParse(json());
      if (!quotas.success) return sendJson(res, 400, { error: 'invalid quotas', issues: quotas.error.issues });
      ctx.defaultQuotas = normalizeQuotas(quotas.data);
      return sendJson(res, 200, { ok: true, quotas: ctx.defaultQuotas });
    }
    case 'GET /__sim/quotas':
      return sendJson(res, 200, { quotas: ctx.defaultQuotas });
    case 'POST /__sim/reset-quota-usage':
      ctx.quota.reset();
      ctx.apiQuota.reset();
      return sendJson(res, 200, { ok: true });
    case 'GET /__sim/counts':
      return sendJson(res, 200, ctx.state.counts());
    case 'GET /__sim/stats':
      return sendJson(res, 200, ctx.state.stats());
    case 'GET /__sim/calls': {
      const filter: SimCallFilter = {};
      for (const name of ['method', 'email', 'project'] as const) {
        const value = query.get(name);
        if (value) filter[name] = value;
      }
      const route = query.get('route');
      if (route === 'code-assist' || route === 'gemini-api') filter.route = route;
      const status = Number(query.get('status') ?? '');
      if (Number.isInteger(status) && status > 0) filter.status = status;
      return sendJson(res, 200, { calls: ctx.state.calls(filter) });
    }
    case 'POST /__sim/reset-stats':
      ctx.state.resetStats();
      return sendJson(res, 200, { ok: true });
    case 'GET /__sim/validate': {
      const account = ctx.state.accounts.get(query.get('email') ?? '');
      if (!account) return sendHtml(res, 404, '<!doctype html><p>Unknown account.</p>');
      if (account.scenario === 'validation-required') account.scenario = 'ok';
      return sendHtml(res, 200, `<!doctype html><p>Account ${escapeHtml(account.email)} verified. You can close this page.</p>`);
    }
    case 'GET /__sim/avatar.svg':
      res.writeHead(200, { 'content-type': 'image/svg+xml', 'content-length': Buffer.byteLength(AVATAR) });
      return void res.end(AVATAR);
    default:
      return sendJson(res, 404, { error: `unknown control route ${route}` });
  }
}
