/** Health (no auth, for container checks) and the pool's status (auth). */
import type { Dispatcher } from '../../dispatch/dispatcher.js';
import type { StateStore } from '../../store/types.js';
import type { QuotaBook } from '../../pool/quota.js';
import type { WaitQueue } from '../../dispatch/queue.js';
import type { ApiRequest } from '../router.js';
import { sendJson } from '../send.js';

export interface AdminDeps {
  dispatcher: Dispatcher;
  store: StateStore;
  loadErrors: () => Array<{ source: string; reason: string }>;
  /** Masks any secret in a text shown to clients (Google's words can echo a token). */
  redact: (text: string) => string;
  quota: QuotaBook;
  queue: WaitQueue;
}

/** Per quota bucket: its route, credentials, and for each model with a limit, used / limit per window. */
async function quotaStatus(deps: AdminDeps) {
  const buckets = new Map<string, { bucket: string; route: string; credentials: string[]; models: Record<string, unknown> }>();
  for (const m of deps.dispatcher.pool.list()) {
    let b = buckets.get(m.quotaKey);
    if (!b) {
      buckets.set(m.quotaKey, (b = { bucket: m.quotaKey, route: m.route, credentials: [], models: {} }));
      for (const model of deps.quota.modelsWithLimits(m)) b.models[model] = await deps.quota.status(m, model);
    }
    b.credentials.push(m.id);
  }
  return [...buckets.values()];
}

export function handleHealth(deps: AdminDeps, r: ApiRequest): void {
  const { summary } = deps.dispatcher.pool.status();
  const store = deps.store.health();
  const counts = { credentials: summary, load_errors: deps.loadErrors().length, store: { kind: store.kind, ok: store.ok } };
  if (summary.available > 0) return sendJson(r.res, 200, { status: 'ok', ...counts });
  const reason =
    summary.total === 0
      ? 'no credentials loaded: add accounts with `rotor --gen-creds`, oauth_creds_*.json files or CREDENTIALS_JSON_LIST'
      : summary.cooling_down > 0
        ? 'every credential is cooling down'
        : 'every credential is disabled; see /v1/keys/status';
  sendJson(r.res, 503, { status: 'unavailable', reason, ...counts });
}

export async function handleKeysStatus(deps: AdminDeps, r: ApiRequest): Promise<void> {
  const pool = deps.dispatcher.pool;
  const status = pool.status();
  const members = pool.list();
  const redact = deps.redact;
  // status() lists the members in pool order.
  const credentials = status.credentials.map((c, i) => ({
    ...c,
    reason: c.reason === null ? null : redact(c.reason),
    models: Object.fromEntries(Object.entries(c.models).map(([m, s]) => [m, { ...s, reason: redact(s.reason) }])),
    access_token: members[i]?.credential.maskedAccessToken() ?? null,
  }));
  const loadErrors = deps.loadErrors().map((e) => ({ source: e.source, reason: redact(e.reason) }));
  sendJson(r.res, 200, {
    credentials,
    summary: status.summary,
    quotas: await quotaStatus(deps),
    queue: deps.queue.stats(),
    store: deps.store.health(),
    load_errors: loadErrors,
  });
}
