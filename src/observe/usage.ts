/**
 * Usage counters: per UTC day and per token, credential, quota bucket and model — requests, prompt / completion
 * / thinking tokens and errors by class — kept in the state store (so across restarts and instances) and read by
 * `GET /admin/usage`, `GET /admin/tokens` and `rotor tokens`.
 *
 * Fed by the dispatch `done` events (one per generation, stream or embedding call; countTokens costs no quota
 * and is not counted), and by `record()` for requests refused before any credential was tried (a token's limit
 * or model list): those count under credential and bucket `-`. Counts are summed in memory and written once a
 * second (and on close), so the hot path never waits on Redis. `-` also stands for "none" in the token
 * dimension (a request made with the password, or from loopback without a key).
 */
import type { DispatchEvent, DispatchEvents } from '../dispatch/events.js';
import { MemoryStore } from '../store/memory.js';
import type { StateStore, UsageKey, UsageRow } from '../store/types.js';
import type { GeminiUsageMetadata } from '../types/gemini.js';
import type { Logger } from '../util/log.js';

export const USAGE_DIMENSIONS = ['token', 'credential', 'model', 'bucket'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];
/** The value of a dimension that does not apply (no token, no credential reached). */
export const NONE = '-';
/** Distinct model names counted a day before the rest are counted as `other` (client-chosen names must not grow the store without end). */
const MAX_MODELS_A_DAY = 500;

export interface TokenCounts {
  prompt_tokens: number;
  completion_tokens: number;
  thinking_tokens: number;
}

/** Google's counts as usage counts: prompt (with tool-use prompt tokens), completion (candidates), thinking. */
export function countsOf(meta: GeminiUsageMetadata | undefined): TokenCounts {
  const n = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
  return {
    prompt_tokens: n(meta?.promptTokenCount) + n(meta?.toolUsePromptTokenCount),
    completion_tokens: n(meta?.candidatesTokenCount),
    thinking_tokens: n(meta?.thoughtsTokenCount),
  };
}

/** The tokens a response used, as a token's daily limit counts them: prompt + completion + thinking. */
export function tokensOf(meta: GeminiUsageMetadata | undefined): number {
  const c = countsOf(meta);
  return c.prompt_tokens + c.completion_tokens + c.thinking_tokens;
}

export interface UsageDims {
  token?: string | undefined;
  credential?: string | undefined;
  bucket?: string | undefined;
  model: string;
}

export interface UsageRecorderOptions {
  store: StateStore;
  events: DispatchEvents;
  /** A credential's quota bucket (undefined when it is no longer in the pool). */
  bucketOf(credential: string): string | undefined;
  now?: () => number;
  /** How often the counts are written (default 1 s). */
  flushMs?: number;
  /** Days kept (USAGE_RETENTION_DAYS, default 30): the memory store is pruned here; Redis expires its own. */
  retentionDays?: number;
  logger?: Logger;
}

type Counts = Record<string, number>;

const DAY_MS = 86_400_000;

/** The pending map's key. Only the model (last, the client's string) may hold a NUL, so no two keys collide. */
function pendingId(day: string, token: string, credential: string, bucket: string, model: string): string {
  return `${day}\0${token}\0${credential}\0${bucket}\0${model}`;
}

export class UsageRecorder {
  private pending = new Map<string, { key: UsageKey; counts: Counts }>();
  private readonly now: () => number;
  private readonly off: () => void;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private models = new Set<string>();
  private modelsDay = '';
  private prunedDay = '';
  private warned = false;
  private closed = false;
  private day = '';
  private dayStart = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: UsageRecorderOptions) {
    this.now = options.now ?? Date.now;
    this.off = options.events.on((e) => {
      if (e.type === 'done') this.onDone(e);
    });
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 1000);
    this.timer.unref();
    this.prune();
  }

  private onDone(e: Extract<DispatchEvent, { type: 'done' }>): void {
    if (e.operation === 'countTokens') return;
    const counts: Counts = { requests: 1 };
    const c = countsOf(e.usage);
    if (c.prompt_tokens) counts.prompt_tokens = c.prompt_tokens;
    if (c.completion_tokens) counts.completion_tokens = c.completion_tokens;
    if (c.thinking_tokens) counts.thinking_tokens = c.thinking_tokens;
    if (e.outcome === 'error') counts[`errors_${e.error ?? 'internal'}`] = 1;
    const bucket = e.credential === undefined ? undefined : this.options.bucketOf(e.credential);
    this.record({ token: e.token, credential: e.credential, bucket, model: e.model }, counts);
  }

  /** Adds counts (summed in memory until the next flush). */
  record(dims: UsageDims, counts: Counts): void {
    if (this.closed) return;
    const day = this.today();
    const model = this.modelDim(day, dims.model);
    const id = pendingId(day, dims.token ?? NONE, dims.credential ?? NONE, dims.bucket ?? NONE, model);
    let p = this.pending.get(id);
    if (!p) {
      const key: UsageKey = { day, dims: { token: dims.token ?? NONE, credential: dims.credential ?? NONE, bucket: dims.bucket ?? NONE, model } };
      this.pending.set(id, (p = { key, counts: {} }));
    }
    for (const name in counts) p.counts[name] = (p.counts[name] ?? 0) + counts[name]!;
  }

  /** The UTC day (YYYY-MM-DD), worked out once a day rather than once a request. */
  private today(): string {
    const now = this.now();
    if (now < this.dayStart || now >= this.dayStart + DAY_MS) {
      this.dayStart = now - (now % DAY_MS);
      this.day = new Date(this.dayStart).toISOString().slice(0, 10);
    }
    return this.day;
  }

  private modelDim(day: string, model: string): string {
    if (day !== this.modelsDay) {
      this.modelsDay = day;
      this.models = new Set();
    }
    if (this.models.has(model)) return model;
    if (this.models.size >= MAX_MODELS_A_DAY) return 'other';
    this.models.add(model);
    return model;
  }

  /** Writes what was counted since the last flush (one store call per day and dimension set). */
  flush(): Promise<void> {
    // One flush at a time, in order: a read after flush() sees everything counted before it.
    this.flushing = this.flushing.then(() => this.write()).catch((err: unknown) => this.options.logger?.warn(`writing usage counters failed: ${(err as Error).message}`));
    return this.flushing;
  }

  private async write(): Promise<void> {
    this.prune();
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const entries = [...batch];
    const results = await Promise.allSettled(entries.map(([, p]) => this.options.store.addUsage(p.key, p.counts)));
    const failed = entries.filter((_, i) => results[i]!.status === 'rejected');
    if (failed.length === 0) return;
    // Kept for the next flush (the store said no; the resilient store would have answered from memory).
    for (const [id, p] of failed) {
      const into = this.pending.get(id);
      if (!into) this.pending.set(id, p);
      else for (const name in p.counts) into.counts[name] = (into.counts[name] ?? 0) + p.counts[name]!;
    }
    if (!this.warned) {
      this.warned = true;
      this.options.logger?.warn(`usage counters could not be written to the state store (${String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)}); kept in memory and retried`);
    }
  }

  /** The memory store keeps usage for `retentionDays` (checked once a day). */
  private prune(): void {
    const store = this.options.store;
    if (!(store instanceof MemoryStore)) return;
    const now = this.now();
    const today = new Date(now).toISOString().slice(0, 10);
    if (today === this.prunedDay) return;
    this.prunedDay = today;
    const days = this.options.retentionDays ?? 30;
    store.pruneUsage(new Date(now - days * 86_400_000).toISOString().slice(0, 10));
  }

  /** Rows for [from, to], after writing what is pending (so a read sees every request answered before it). */
  async rows(from: string, to: string): Promise<UsageRow[]> {
    await this.flush();
    return this.options.store.usage(from, to);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    this.off();
    await this.flush();
    this.closed = true;
  }
}

/** One line of a usage report: a day and one value of the chosen dimension. */
export interface UsageReportRow {
  day: string;
  key: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  thinking_tokens: number;
  /** Error class (the status Rotor answered, `client-abort`, `internal`) → count. */
  errors: Record<string, number>;
}

/** Sums the store's rows by day and one dimension, sorted by day, then by key. */
export function aggregateUsage(rows: readonly UsageRow[], by: UsageDimension): UsageReportRow[] {
  const out = new Map<string, UsageReportRow>();
  for (const row of rows) {
    const key = row.dims[by] ?? NONE;
    const id = JSON.stringify([row.day, key]);
    let r = out.get(id);
    if (!r) out.set(id, (r = { day: row.day, key, requests: 0, prompt_tokens: 0, completion_tokens: 0, thinking_tokens: 0, errors: {} }));
    for (const [name, n] of Object.entries(row.counts)) {
      if (name === 'requests' || name === 'prompt_tokens' || name === 'completion_tokens' || name === 'thinking_tokens') r[name] += n;
      else if (name.startsWith('errors_')) r.errors[name.slice(7)] = (r.errors[name.slice(7)] ?? 0) + n;
    }
  }
  return [...out.values()].sort((a, b) => (a.day === b.day ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.day < b.day ? -1 : 1));
}

/** Per token: requests and tokens (prompt + completion + thinking) in the rows (e.g. today's). */
export function totalsByToken(rows: readonly UsageRow[]): Map<string, { requests: number; tokens: number }> {
  const out = new Map<string, { requests: number; tokens: number }>();
  for (const r of aggregateUsage(rows, 'token')) {
    const t = out.get(r.key) ?? { requests: 0, tokens: 0 };
    t.requests += r.requests;
    t.tokens += r.prompt_tokens + r.completion_tokens + r.thinking_tokens;
    out.set(r.key, t);
  }
  return out;
}

export const USAGE_CSV_HEADER = 'day,key,requests,prompt_tokens,completion_tokens,thinking_tokens,errors';

/** A CSV cell: quoted when it must be, and never read as a formula by a spreadsheet (keys come from clients). */
function cell(value: string): string {
  const v = /^[=+\-@\t\r]/.test(value) && value !== NONE ? `'${value}` : value;
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** The report as CSV: a header line, then one line a row; `errors` as `class:count` pairs separated by spaces. */
export function usageCsv(rows: readonly UsageReportRow[]): string {
  const lines = [USAGE_CSV_HEADER];
  for (const r of rows) {
    const errors = Object.entries(r.errors)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, n]) => `${k}:${n}`)
      .join(' ');
    lines.push([r.day, cell(r.key), r.requests, r.prompt_tokens, r.completion_tokens, r.thinking_tokens, cell(errors)].join(','));
  }
  return lines.join('\n') + '\n';
}
