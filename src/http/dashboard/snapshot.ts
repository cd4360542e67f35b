/**
 * The dashboard's snapshot: everything the page shows, in one JSON object (GET /admin/status, and each SSE
 * `snapshot` event). Reasons are redacted; tokens appear masked; nothing here holds a secret.
 */
import type { Member } from '../../dispatch/member.js';
import type { QueueStats, WaitQueue } from '../../dispatch/queue.js';
import type { CredentialPool } from '../../pool/pool.js';
import type { QuotaBook } from '../../pool/quota.js';
import type { Clock, CredentialState, ModelStatus, PoolSummary } from '../../pool/types.js';
import type { StateStore, StoreHealth } from '../../store/types.js';
import { fixFor, type Fix } from './fix.js';
import type { RecentError } from './recent-errors.js';
import type { SeriesView } from './series.js';

/** The reason the dashboard's Disable button gives (the fix for it is "press Enable"). */
export const OPERATOR_DISABLE_REASON = 'disabled from the dashboard by the operator';

/** One access token as GET /admin/tokens lists it. */
export interface TokenRow {
  name: string;
  created: string;
  expires: string | null;
  last_used: string | null;
  limits: { rpm: number | null; rpd: number | null; daily_tokens: number | null; models: string[] | null };
  today: { requests: number; tokens: number };
}

export interface CredentialView {
  id: string;
  email: string | null;
  project: string | null;
  route: string;
  bucket: string;
  state: CredentialState;
  reason: string | null;
  until: string | null;
  /** What to do about it (disabled, or cooling after an auth or permission failure). */
  fix: Fix | null;
  /** Set by the operator (Disable button): Enable undoes it. */
  disabled_by_operator: boolean;
  /** Cooldowns of its quota bucket per model (a rate limit cools one model, not the credential). */
  models: Record<string, ModelStatus>;
  access_token: string | null;
}

export interface WindowView {
  used: number;
  limit: number;
  left: number;
  source: 'configured' | 'learned';
}

export interface QuotaModelView {
  model: string;
  /** Requests booked today (the store's count when a daily limit is known, else this instance's). */
  used_today: number;
  rpd: WindowView | null;
  rpm: WindowView | null;
  tpm: WindowView | null;
}

export interface QuotaBucketView {
  bucket: string;
  route: string;
  credentials: string[];
  models: QuotaModelView[];
}

export interface Snapshot {
  /** When it was taken (epoch ms), so the page counts cooldowns down against the server's clock. */
  now: number;
  summary: PoolSummary;
  credentials: CredentialView[];
  quotas: QuotaBucketView[];
  queue: QueueStats[];
  store: StoreHealth;
  load_errors: Array<{ source: string; reason: string }>;
  /** Access tokens with today's usage; null when this build has no token provider (the page asks /admin/tokens). */
  tokens: TokenRow[] | null;
  errors: RecentError[];
  series: SeriesView;
}

export interface SnapshotSources {
  pool: CredentialPool<Member>;
  quota: QuotaBook;
  queue: WaitQueue;
  store: StateStore;
  clock: Clock;
  /** The models Rotor serves (MODELS), for today's counts where no limit is known. */
  models: readonly string[];
  loadErrors: () => Array<{ source: string; reason: string }>;
  redact: (text: string) => string;
  listTokens?: (() => Promise<TokenRow[]>) | undefined;
}

const windowView = (w: { used: number; limit: number; source: 'configured' | 'learned' } | undefined): WindowView | null =>
  w ? { used: w.used, limit: w.limit, left: Math.max(0, w.limit - w.used), source: w.source } : null;

async function quotaViews(src: SnapshotSources): Promise<QuotaBucketView[]> {
  const buckets = new Map<string, QuotaBucketView>();
  for (const m of src.pool.list()) {
    let b = buckets.get(m.quotaKey);
    if (!b) {
      buckets.set(m.quotaKey, (b = { bucket: m.quotaKey, route: m.route, credentials: [], models: [] }));
      const limited = new Set(src.quota.modelsWithLimits(m));
      for (const model of new Set([...limited, ...src.models])) {
        const status = limited.has(model) ? await src.quota.status(m, model).catch(() => ({}) as Record<string, never>) : {};
        const rpd = windowView(status['rpd']);
        const usedToday = rpd ? rpd.used : src.quota.usedToday(m, model);
        const view: QuotaModelView = { model, used_today: usedToday, rpd, rpm: windowView(status['rpm']), tpm: windowView(status['tpm']) };
        if (limited.has(model) || usedToday > 0) b.models.push(view);
      }
    }
    b.credentials.push(m.id);
  }
  return [...buckets.values()];
}

export async function buildSnapshot(
  src: SnapshotSources,
  live: { errors: RecentError[]; series: SeriesView },
): Promise<Snapshot> {
  const { pool, redact } = src;
  const status = pool.status();
  const members = pool.list();
  const credentials = status.credentials.map((c, i): CredentialView => {
    const m = members[i];
    const reason = c.reason === null ? null : redact(c.reason);
    const byOperator = c.state === 'disabled' && c.reason === OPERATOR_DISABLE_REASON;
    const needsFix = c.state === 'disabled' || (c.state === 'cooling_down' && /^(authentication failed|permission denied)/.test(c.reason ?? ''));
    return {
      id: c.id,
      email: c.email,
      project: c.project,
      route: c.route,
      bucket: m?.quotaKey ?? '',
      state: c.state,
      reason,
      until: c.until,
      fix: needsFix ? (fixFor(reason, byOperator) ?? null) : null,
      disabled_by_operator: byOperator,
      models: Object.fromEntries(Object.entries(c.models).map(([model, s]) => [model, { ...s, reason: redact(s.reason) }])),
      access_token: m?.credential.maskedAccessToken() || null,
    };
  });
  const store = src.store.health();
  let tokens: TokenRow[] | null = null;
  if (src.listTokens) tokens = await src.listTokens().catch(() => null);
  return {
    now: src.clock.now(),
    summary: status.summary,
    credentials,
    quotas: await quotaViews(src),
    queue: src.queue.stats(),
    store: { ...store, detail: redact(store.detail) },
    load_errors: src.loadErrors().map((e) => ({ source: e.source, reason: redact(e.reason) })),
    tokens,
    errors: live.errors,
    series: live.series,
  };
}
