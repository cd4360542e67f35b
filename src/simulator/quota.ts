/**
 * Quotas per (holder, model), holder being a Code Assist account (its email) or a Gemini API project
 * (`key:<projectId>`): requests in a sliding window (`rpm`; the window is `rateWindowMs` so tests run fast), input
 * tokens in the same window (`tpm`), and requests per day (`rpd`, reset at `nextReset`: UTC midnight for Code Assist
 * accounts, midnight Pacific for Gemini API projects). Only served requests are booked; a refused one costs nothing.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

export type QuotaWindow = 'rpm' | 'rpd' | 'tpm';

/** The windows in the order Google lists them in a 429 naming several (input tokens, per minute, per day). */
export const QUOTA_WINDOWS: readonly QuotaWindow[] = ['tpm', 'rpm', 'rpd'];

/** Limits of one model. A missing window is unlimited; 0 means the model has no quota at all. */
export interface QuotaLimits {
  rpm?: number;
  rpd?: number;
  tpm?: number;
}

/** Limits per model id; `'*'` applies to every model without its own entry. */
export type QuotaTable = Record<string, QuotaLimits>;

/** Who owns limits: an account or a project, with the flat `rpm` / `rpd` meaning "every model". */
export interface QuotaHolder {
  rpm?: number;
  rpd?: number;
  quotas?: QuotaTable;
}

/** One window a request would overrun, and how long until it would fit. */
export interface QuotaOverrun {
  window: QuotaWindow;
  limit: number;
  delayMs: number;
}

export type QuotaVerdict =
  | { ok: true }
  | {
      ok: false;
      /** Every window the request would overrun, in QUOTA_WINDOWS order. */
      overruns: QuotaOverrun[];
      /**
       * When to retry: the longest per-minute delay when a per-minute window is overrun (Google's `limit: 0`
       * bodies name the per-day quota too, yet say to retry within the minute), else the time to the daily reset.
       */
      retryDelayMs: number;
    };

interface Bucket {
  /** When each request still in the window was booked, oldest first, and its input tokens. */
  stamps: number[];
  tokens: number[];
  tokenSum: number;
  /** When dayCount next goes back to 0; computed once per day, not per request. */
  resetAt: number;
  dayCount: number;
}

function own(table: QuotaTable | undefined, model: string): QuotaLimits | undefined {
  return table !== undefined && Object.hasOwn(table, model) ? table[model] : undefined;
}

/**
 * The limits that apply to one model, window by window, most specific first: the holder's entry for the model,
 * its `'*'` entry, its flat rpm / rpd, then the simulator-wide defaults for the model and for `'*'`.
 */
export function limitsFor(model: string, holder: QuotaHolder, defaults: QuotaTable): QuotaLimits {
  const out: QuotaLimits = {};
  for (const w of QUOTA_WINDOWS) {
    const value =
      own(holder.quotas, model)?.[w] ??
      own(holder.quotas, '*')?.[w] ??
      (w === 'tpm' ? undefined : holder[w]) ??
      own(defaults, model)?.[w] ??
      own(defaults, '*')?.[w];
    if (value !== undefined) out[w] = value;
  }
  return out;
}

/**
 * A checked copy of a quota table: model ids without a `models/` prefix, only rpm / rpd / tpm, each a
 * non-negative integer. Throws a RangeError naming the bad entry.
 */
export function normalizeQuotas(input: unknown): QuotaTable {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new RangeError('simulator: quotas must be an object of model -> limits');
  const out: QuotaTable = {};
  for (const [rawModel, limits] of Object.entries(input)) {
    const model = rawModel.replace(/^models\//, '');
    if (model === '') throw new RangeError('simulator: a quotas entry needs a model id or "*"');
    if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) throw new RangeError(`simulator: quotas.${rawModel} must be an object`);
    const entry: QuotaLimits = {};
    for (const [name, value] of Object.entries(limits as Record<string, unknown>)) {
      if (name !== 'rpm' && name !== 'rpd' && name !== 'tpm') throw new RangeError(`simulator: quotas.${rawModel}.${name} is not rpm, rpd or tpm`);
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        throw new RangeError(`simulator: quotas.${rawModel}.${name} must be an integer >= 0`);
      }
      entry[name] = value;
    }
    out[model] = entry;
  }
  return out;
}

export class QuotaBook {
  private buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number,
    private readonly windowMs: number,
    private readonly nextReset: (ms: number) => number = nextUtcMidnight,
  ) {}

  /** Whether one more request of `tokens` input tokens fits; does not book it. */
  check(holder: string, model: string, limits: QuotaLimits, tokens = 0): QuotaVerdict {
    if (limits.rpm === undefined && limits.rpd === undefined && limits.tpm === undefined) return { ok: true };
    const now = this.now();
    const bucket = this.bucket(holder, model, now);
    const overruns: QuotaOverrun[] = [];
    for (const window of QUOTA_WINDOWS) {
      const limit = limits[window];
      if (limit === undefined) continue;
      const delayMs = this.overrun(bucket, window, limit, tokens, now);
      if (delayMs !== undefined) overruns.push({ window, limit, delayMs });
    }
    if (overruns.length === 0) return { ok: true };
    const perMinute = overruns.filter((o) => o.window !== 'rpd').map((o) => o.delayMs);
    const retryDelayMs = perMinute.length > 0 ? Math.max(...perMinute) : (overruns[0]?.delayMs ?? 0);
    return { ok: false, overruns, retryDelayMs };
  }

  book(holder: string, model: string, tokens = 0): void {
    const now = this.now();
    const bucket = this.bucket(holder, model, now);
    bucket.stamps.push(now);
    bucket.tokens.push(tokens);
    bucket.tokenSum += tokens;
    bucket.dayCount += 1;
  }

  /** Requests booked since the last daily reset (for retrieveUserQuota). */
  usedToday(holder: string, model: string): number {
    return this.bucket(holder, model, this.now()).dayCount;
  }

  /** Forgets every booking (limits stay): for benchmarks that run several workloads on one simulator. */
  reset(): void {
    this.buckets = new Map();
  }

  /** How long until the request fits in this window, or undefined when it fits now. */
  private overrun(bucket: Bucket, window: QuotaWindow, limit: number, tokens: number, now: number): number | undefined {
    // No quota at all: Google names the window and says to retry when the current minute ends.
    if (limit === 0) return window === 'rpd' ? bucket.resetAt - now : this.windowMs - (now % this.windowMs);
    switch (window) {
      case 'rpd':
        return bucket.dayCount >= limit ? bucket.resetAt - now : undefined;
      case 'rpm': {
        if (bucket.stamps.length < limit) return undefined;
        // The window frees when the oldest request that keeps it full slides out.
        const oldest = bucket.stamps[bucket.stamps.length - limit] ?? now;
        return Math.max(1, oldest + this.windowMs - now);
      }
      case 'tpm': {
        if (bucket.tokenSum + tokens <= limit) return undefined;
        // A prompt larger than the whole limit never fits: say when the window is empty (a full window if it is).
        const need = Math.min(bucket.tokenSum, bucket.tokenSum + tokens - limit);
        let freed = 0;
        for (const [i, at] of bucket.stamps.entries()) {
          freed += bucket.tokens[i] ?? 0;
          if (freed >= need && need > 0) return Math.max(1, at + this.windowMs - now);
        }
        return this.windowMs;
      }
    }
  }

  private bucket(holder: string, model: string, now: number): Bucket {
    const key = `${holder}\u0000${model}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { stamps: [], tokens: [], tokenSum: 0, resetAt: this.nextReset(now), dayCount: 0 };
      this.buckets.set(key, bucket);
    }
    if (now >= bucket.resetAt) {
      bucket.resetAt = this.nextReset(now);
      bucket.dayCount = 0;
    }
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < bucket.stamps.length && (bucket.stamps[drop] ?? 0) <= cutoff) {
      bucket.tokenSum -= bucket.tokens[drop] ?? 0;
      drop++;
    }
    if (drop > 0) {
      bucket.stamps.splice(0, drop);
      bucket.tokens.splice(0, drop);
    }
    return bucket;
  }
}

export function nextUtcMidnight(ms: number): number {
  return (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
}
