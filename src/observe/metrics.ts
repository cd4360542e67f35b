/**
 * Prometheus metrics (`GET /metrics`), in a prom-client Registry of Rotor's own. Two kinds of figures:
 *  - counted as things happen: requests (from the chain's request-end hook), upstream attempts, failovers,
 *    fallbacks and tokens (from the dispatch events). Each label set is a cell made on first use and kept in
 *    nested maps, so a request costs a few map lookups and additions, no label strings;
 *  - read when scraped: credentials by state, cooldowns per model, the wait queue, quota used and limits, the
 *    store's health (collect callbacks over the pool, the queue and the quota book).
 * Model labels come from clients, so only models Rotor knows (MODELS, alias and fallback targets, models in the
 * quota config) are named; any other is `other`. Routes are the route table's templates, never raw paths.
 */
import { createRequire } from 'node:module';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import type { DispatchEvent, DispatchEvents } from '../dispatch/events.js';
import type { Member } from '../dispatch/member.js';
import type { WaitQueue } from '../dispatch/queue.js';
import type { RequestEnd } from '../http/chain.js';
import type { ApiRequest, ApiRoute } from '../http/router.js';
import type { CredentialPool } from '../pool/pool.js';
import type { QuotaBook } from '../pool/quota.js';
import type { StateStore } from '../store/types.js';
import type { Dialect } from '../translate/dialect.js';
import { CellCounter, CellHistogram, type CountCell, type HistogramCell } from './metrics-cells.js';

export interface MetricsOptions {
  events: DispatchEvents;
  pool: CredentialPool<Member>;
  quota: QuotaBook;
  queue: WaitQueue;
  store: StateStore;
  /** The models whose names may appear as labels (see `knownModels`); any other is `other`. */
  models: Iterable<string>;
  /** Node's process metrics (CPU, memory, event loop, GC) with a `rotor_` prefix; default true. */
  processMetrics?: boolean;
}

/** The models Rotor serves or names in its configuration: the only model label values besides `other` and `none`. */
export function knownModels(config: Pick<Config, 'models' | 'modelAliases' | 'modelFallbacks' | 'quotas'>): Set<string> {
  const known = new Set(config.models);
  for (const rule of config.modelAliases) known.add(rule.model);
  for (const [from, to] of config.modelFallbacks) [from, ...to].forEach((m) => known.add(m));
  const add = (book: Record<string, unknown> | undefined) => Object.keys(book ?? {}).forEach((m) => m !== '*' && known.add(m));
  for (const tiers of Object.values(config.quotas.routes ?? {})) for (const models of Object.values(tiers)) add(models);
  for (const models of Object.values(config.quotas.buckets ?? {})) add(models);
  return known;
}

/** Seconds. Generation takes seconds to minutes; a refusal or a model list takes milliseconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
const FIRST_BYTE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60];

const UNMATCHED = 'unmatched';
const NO_MODEL = 'none';
const OTHER_MODEL = 'other';
const TOKEN_TYPES = ['prompt', 'completion', 'thinking', 'cached'] as const;

/** The route table's template of a route: `/v1/models/{param}` for `^\/v1\/models\/([^/]+)$`. */
export function routeTemplate(route: ApiRoute): string {
  if (typeof route.path === 'string') return route.path;
  return route.path.source
    .replace(/^\^/, '')
    .replace(/\$$/, '')
    .replace(/\((?!\?:)(?:[^()\\]|\\.)*\)/g, '{param}')
    .replace(/\\(.)/g, '$1');
}

type RequestLabels = Record<'route' | 'dialect' | 'model', string>;

function requestLabels(route: ApiRoute | undefined, dialect: Dialect, model: string): RequestLabels {
  return { route: route ? routeTemplate(route) : UNMATCHED, dialect: (route?.dialect ?? dialect).id, model };
}

/** Per model of a route: the status counters and the duration and time-to-first-byte histograms. */
interface RequestNode {
  labels: RequestLabels;
  byStatus: Map<number, CountCell>;
  duration: HistogramCell;
  firstByte: HistogramCell | undefined;
}

interface TokenCells {
  prompt: CountCell;
  completion: CountCell;
  thinking: CountCell;
  cached: CountCell;
}

const newMap = <K, V>() => new Map<K, V>();

function at<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}

/**
 * Node's process metrics (prom-client's defaults, `rotor_`-prefixed), once per process (their collectors cannot be
 * stopped), shared by every Rotor in it. All but the GC duration histogram: its `gc` PerformanceObserver made every
 * request cost about 6-12% more CPU in the bench (bench/ab.js), for a figure few dashboards use. prom-client only offers
 * all or nothing, so each default is loaded from its own module, as collectDefaultMetrics does; should a later
 * prom-client move them, the process metrics are left out rather than the scrape failing.
 */
const SKIPPED_DEFAULTS = new Set(['gc']);
let processRegistry: Registry | undefined;
function processMetricsRegistry(): Registry {
  if (processRegistry) return processRegistry;
  processRegistry = new Registry();
  const load = createRequire(import.meta.url);
  const config = { prefix: 'rotor_', eventLoopMonitoringPrecision: 10 };
  for (const name of collectDefaultMetrics.metricsList) {
    if (SKIPPED_DEFAULTS.has(name)) continue;
    if (name === 'processResources' && typeof (process as { getActiveResourcesInfo?: unknown }).getActiveResourcesInfo !== 'function') continue;
    try {
      const register = load(`prom-client/lib/metrics/${name}.js`) as (registry: Registry, config: object) => void;
      register(processRegistry, config);
    } catch {
      /* not where prom-client 15 keeps it: without this one */
    }
  }
  return processRegistry;
}

export class RotorMetrics {
  /** Rotor's own metrics (the process metrics live in a registry shared by the process). */
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly known: ReadonlySet<string>;
  private readonly unsubscribe: () => void;
  private readonly withProcess: boolean;

  private readonly requests: CellCounter<'route' | 'dialect' | 'model' | 'status'>;
  private readonly duration: CellHistogram<'route' | 'dialect' | 'model'>;
  private readonly firstByte: CellHistogram<'route' | 'dialect' | 'model'>;
  private readonly attempts: CellCounter<'route' | 'model' | 'outcome' | 'kind'>;
  private readonly attemptDuration: CellHistogram<'route' | 'outcome' | 'stream'>;
  private readonly failovers: CellCounter<'model'>;
  private readonly fallbacks: CellCounter<'from' | 'to'>;
  private readonly tokens: CellCounter<'model' | 'type'>;

  /** route (or, for a path no route matched, its dialect) → model label → cells. */
  private readonly requestCells = new Map<ApiRoute | Dialect, Map<string, RequestNode>>();
  /** upstream route → model label → kind → attempts. */
  private readonly attemptCells = new Map<string, Map<string, Map<string, CountCell>>>();
  /** upstream route → `ok`/`error` → stream → latency. */
  private readonly attemptLatencyCells = new Map<string, Map<string, [HistogramCell, HistogramCell]>>();
  private readonly failoverCells = new Map<string, CountCell>();
  private readonly fallbackCells = new Map<string, Map<string, CountCell>>();
  private readonly tokenCells = new Map<string, TokenCells>();
  /** request id → the model a request asked for, when the chain will not learn it from `r.served` (failures, embeddings, count tokens). */
  private readonly askedModel = new Map<string, string>();
  /** request id → the model it fell back to (fallbacks are rare: usually empty). */
  private readonly fellBackTo = new Map<string, string>();
  private quotaReading: Promise<QuotaFigure[]> | undefined;

  constructor(private readonly options: MetricsOptions) {
    this.known = new Set(options.models);
    this.withProcess = options.processMetrics ?? true;
    if (this.withProcess) processMetricsRegistry();
    const reg = this.registry;

    this.requests = new CellCounter(reg, 'rotor_requests_total', 'HTTP requests answered, by route template, dialect, model and status (499: the client left first).', ['route', 'dialect', 'model', 'status']);
    this.duration = new CellHistogram(reg, 'rotor_request_duration_seconds', 'Time from a request arriving to its answer ending (a stream: its last event).', ['route', 'dialect', 'model'], DURATION_BUCKETS);
    this.firstByte = new CellHistogram(reg, 'rotor_stream_first_byte_seconds', "Streams: time from the request arriving to its first event written to the client.", ['route', 'dialect', 'model'], FIRST_BYTE_BUCKETS);
    this.attempts = new CellCounter(reg, 'rotor_upstream_attempts_total', 'Calls to Google, by upstream route, model, outcome and error kind (none when it succeeded).', ['route', 'model', 'outcome', 'kind']);
    this.attemptDuration = new CellHistogram(reg, 'rotor_upstream_attempt_duration_seconds', "One call to Google, by upstream route and outcome; a stream's until its first event.", ['route', 'outcome', 'stream'], DURATION_BUCKETS);
    this.failovers = new CellCounter(reg, 'rotor_failovers_total', "Attempts after a request's first: another credential tried after a failure.", ['model']);
    this.fallbacks = new CellCounter(reg, 'rotor_fallbacks_total', 'Requests moved to a fallback model (MODEL_FALLBACKS) because every credential was out for the model.', ['from', 'to']);
    this.tokens = new CellCounter(reg, 'rotor_tokens_total', "Tokens Google counted, by the model asked for and type (prompt, completion, thinking; cached: the prompt's part served from cache).", ['model', 'type']);

    const { pool, queue, store } = options;
    new Gauge({
      name: 'rotor_credentials',
      help: 'Credentials by upstream route and state (available, cooling_down, disabled), when scraped.',
      labelNames: ['route', 'state'],
      registers: [reg],
      collect() {
        this.reset();
        const counts = new Map<string, { available: number; cooling_down: number; disabled: number }>();
        for (const c of pool.status().credentials) at(counts, c.route, () => ({ available: 0, cooling_down: 0, disabled: 0 }))[c.state]++;
        for (const [route, byState] of counts) for (const [state, n] of Object.entries(byState)) this.set({ route, state }, n);
      },
    });
    const label = (m: string) => this.modelLabel(m);
    new Gauge({
      name: 'rotor_model_cooling_credentials',
      help: "Credentials whose quota bucket is cooling down for a model (it may still serve others), when scraped.",
      labelNames: ['model'],
      registers: [reg],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const c of pool.status().credentials) for (const m of Object.keys(c.models)) counts.set(label(m), (counts.get(label(m)) ?? 0) + 1);
        for (const [model, n] of counts) this.set({ model }, n);
      },
    });
    new Gauge({
      name: 'rotor_queue_waiting',
      help: 'Requests waiting for quota now, by model.',
      labelNames: ['model'],
      registers: [reg],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const s of queue.stats()) counts.set(label(s.model), (counts.get(label(s.model)) ?? 0) + s.waiting);
        for (const [model, n] of counts) this.set({ model }, n);
      },
    });
    new Counter({
      name: 'rotor_queue_waits_total',
      help: 'Requests that waited in line for quota (every credential was booked out or cooling down for the model).',
      labelNames: ['model'],
      registers: [reg],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const [model, n] of queue.joined()) counts.set(label(model), (counts.get(label(model)) ?? 0) + n);
        for (const [model, n] of counts) this.inc({ model }, n);
      },
    });
    const quotaRows = () => this.quotaFigures();
    new Gauge({
      name: 'rotor_quota_used',
      help: 'Quota used in the current window, per quota bucket, model and window (rpm, rpd, tpm), when scraped.',
      labelNames: ['bucket', 'model', 'window'],
      registers: [reg],
      async collect() {
        this.reset();
        for (const q of await quotaRows()) this.set({ bucket: q.bucket, model: q.model, window: q.window }, q.used);
      },
    });
    new Gauge({
      name: 'rotor_quota_limit',
      help: 'The limit in force per quota bucket, model and window (configured, or learned from Google), when scraped.',
      labelNames: ['bucket', 'model', 'window'],
      registers: [reg],
      async collect() {
        this.reset();
        for (const q of await quotaRows()) this.set({ bucket: q.bucket, model: q.model, window: q.window }, q.limit);
      },
    });
    new Gauge({
      name: 'rotor_store_up',
      help: 'Whether the state store answers (1) or not (0), by kind (memory, redis).',
      labelNames: ['kind'],
      registers: [reg],
      collect() {
        this.reset();
        const h = store.health();
        this.set({ kind: h.kind }, h.ok ? 1 : 0);
      },
    });

    this.unsubscribe = options.events.on((e) => this.onDispatch(e));
  }

  /** The Prometheus text of every metric: Rotor's, then the process's. */
  async scrape(): Promise<string> {
    const own = await this.registry.metrics();
    return this.withProcess ? own + (await processMetricsRegistry().metrics()) : own;
  }

  close(): void {
    this.unsubscribe();
  }

  private modelLabel(model: string): string {
    return this.known.has(model) ? model : OTHER_MODEL;
  }

  /** The chain's request-end hook. */
  requestEnd(r: ApiRequest, end: RequestEnd): void {
    let model = r.served?.model;
    if (this.askedModel.size > 0) {
      const asked = this.askedModel.get(r.id);
      if (asked !== undefined) {
        this.askedModel.delete(r.id);
        model ??= asked;
      }
    }
    const route = end.route;
    const byModel = at(this.requestCells, route ?? r.dialect, newMap<string, RequestNode>);
    const modelLabel = model === undefined ? NO_MODEL : this.modelLabel(model);
    let node = byModel.get(modelLabel);
    if (node === undefined) {
      node = { labels: requestLabels(route, r.dialect, modelLabel), byStatus: new Map(), duration: undefined!, firstByte: undefined };
      node.duration = this.duration.cell(node.labels);
      byModel.set(modelLabel, node);
    }
    let count = node.byStatus.get(end.status);
    if (count === undefined) node.byStatus.set(end.status, (count = this.requests.cell({ ...node.labels, status: String(end.status) })));
    count.value++;
    this.duration.observeCell(node.duration, (performance.now() - end.started) / 1000);
    if (end.firstFrame !== undefined) {
      node.firstByte ??= this.firstByte.cell(node.labels);
      this.firstByte.observeCell(node.firstByte, (end.firstFrame - end.started) / 1000);
    }
  }

  private onDispatch(e: DispatchEvent): void {
    switch (e.type) {
      case 'attempt': {
        const model = this.modelLabel(e.model);
        const kind = e.kind ?? 'none';
        const byKind = at(at(this.attemptCells, e.route, newMap<string, Map<string, CountCell>>), model, newMap<string, CountCell>);
        let cell = byKind.get(kind);
        if (cell === undefined) byKind.set(kind, (cell = this.attempts.cell({ route: e.route, model, outcome: e.outcome, kind })));
        cell.value++;
        const byOutcome = at(this.attemptLatencyCells, e.route, newMap<string, [HistogramCell, HistogramCell]>);
        let pair = byOutcome.get(e.outcome);
        if (pair === undefined) {
          const cell = (stream: string) => this.attemptDuration.cell({ route: e.route, outcome: e.outcome, stream });
          byOutcome.set(e.outcome, (pair = [cell('false'), cell('true')]));
        }
        this.attemptDuration.observeCell(pair[e.stream ? 1 : 0], e.latencyMs / 1000);
        if (e.attempt > 1) at(this.failoverCells, model, () => this.failovers.cell({ model })).value++;
        return;
      }
      case 'fallback': {
        const from = this.modelLabel(e.model);
        const to = this.modelLabel(e.to);
        at(at(this.fallbackCells, from, newMap<string, CountCell>), to, () => this.fallbacks.cell({ from, to })).value++;
        if (this.fellBackTo.size > 10_000) this.fellBackTo.clear();
        this.fellBackTo.set(e.requestId, e.to);
        return;
      }
      case 'done': {
        let model = e.model;
        if (this.fellBackTo.size > 0) {
          const to = this.fellBackTo.get(e.requestId);
          if (to !== undefined) {
            this.fellBackTo.delete(e.requestId);
            model = to;
          }
        }
        // The chain learns the model from r.served when a generation was served; otherwise it asks here. A
        // stream that failed after its first event was served, and a client that left has already been counted.
        if (e.outcome === 'ok' ? e.operation === 'countTokens' || e.operation === 'embed' : e.credential === undefined && e.error !== 'client-abort') {
          if (this.askedModel.size > 10_000) this.askedModel.clear();
          this.askedModel.set(e.requestId, model);
        }
        const u = e.usage;
        if (u === undefined) return;
        const label = this.modelLabel(model);
        let cells = this.tokenCells.get(label);
        if (cells === undefined) {
          const [prompt, completion, thinking, cached] = TOKEN_TYPES.map((type) => this.tokens.cell({ model: label, type }));
          this.tokenCells.set(label, (cells = { prompt: prompt!, completion: completion!, thinking: thinking!, cached: cached! }));
        }
        cells.prompt.value += u.promptTokenCount ?? 0;
        cells.completion.value += u.candidatesTokenCount ?? 0;
        cells.thinking.value += u.thoughtsTokenCount ?? 0;
        cells.cached.value += u.cachedContentTokenCount ?? 0;
        return;
      }
      default:
        return;
    }
  }

  /** Quota used and limits per bucket × model with a limit × window; one read per scrape, shared by both gauges. */
  private quotaFigures(): Promise<QuotaFigure[]> {
    return (this.quotaReading ??= this.readQuota().finally(() => (this.quotaReading = undefined)));
  }

  private async readQuota(): Promise<QuotaFigure[]> {
    const { pool, quota } = this.options;
    const seen = new Set<string>();
    const rows: QuotaFigure[] = [];
    for (const m of pool.list()) {
      if (seen.has(m.quotaKey)) continue;
      seen.add(m.quotaKey);
      for (const model of quota.modelsWithLimits(m)) {
        // The store may be away (Redis): the scrape still answers, without these figures.
        const status = await quota.status(m, model).catch(() => ({}) as Awaited<ReturnType<QuotaBook['status']>>);
        for (const [window, s] of Object.entries(status)) rows.push({ bucket: m.quotaKey, model, window, used: s.used, limit: s.limit });
      }
    }
    return rows;
  }
}

interface QuotaFigure {
  bucket: string;
  model: string;
  window: string;
  used: number;
  limit: number;
}
