/**
 * Request quotas per (holder, model): a sliding window for "rpm" (window length configurable so tests run
 * fast) and a daily counter for "rpd" that resets at `nextReset` (UTC midnight for Code Assist accounts,
 * midnight Pacific for Gemini API projects). Only served requests are booked.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

export type QuotaVerdict =
  | { ok: true }
  | { ok: false; kind: 'rate'; retryDelayMs: number; limit: number }
  | { ok: false; kind: 'daily'; resetInMs: number; limit: number };

export interface QuotaLimits {
  rpm?: number;
  rpd?: number;
}

interface Bucket {
  stamps: number[];
  /** When dayCount next goes back to 0; computed once per day, not per request. */
  resetAt: number;
  dayCount: number;
}

export class QuotaBook {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number,
    private readonly windowMs: number,
    private readonly nextReset: (ms: number) => number = nextUtcMidnight,
  ) {}

  /** Whether one more request fits; does not book it. `holder` is an email or `key:<projectId>`. */
  check(holder: string, model: string, limits: QuotaLimits): QuotaVerdict {
    if (limits.rpm === undefined && limits.rpd === undefined) return { ok: true };
    const now = this.now();
    const bucket = this.bucket(holder, model, now);
    if (limits.rpd !== undefined && bucket.dayCount >= limits.rpd) {
      return { ok: false, kind: 'daily', resetInMs: bucket.resetAt - now, limit: limits.rpd };
    }
    if (limits.rpm !== undefined && bucket.stamps.length >= limits.rpm) {
      // The window frees when the oldest request still inside it slides out.
      const oldest = bucket.stamps[bucket.stamps.length - limits.rpm] ?? now;
      return { ok: false, kind: 'rate', retryDelayMs: Math.max(1, oldest + this.windowMs - now), limit: limits.rpm };
    }
    return { ok: true };
  }

  book(holder: string, model: string): void {
    const now = this.now();
    const bucket = this.bucket(holder, model, now);
    bucket.stamps.push(now);
    bucket.dayCount += 1;
  }

  /** Requests booked since the last daily reset (for retrieveUserQuota). */
  usedToday(holder: string, model: string): number {
    return this.bucket(holder, model, this.now()).dayCount;
  }

  private bucket(holder: string, model: string, now: number): Bucket {
    const key = `${holder}\u0000${model}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { stamps: [], resetAt: this.nextReset(now), dayCount: 0 };
      this.buckets.set(key, bucket);
    }
    if (now >= bucket.resetAt) {
      bucket.resetAt = this.nextReset(now);
      bucket.dayCount = 0;
    }
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < bucket.stamps.length && (bucket.stamps[drop] ?? 0) <= cutoff) drop++;
    if (drop > 0) bucket.stamps.splice(0, drop);
    return bucket;
  }
}

export function nextUtcMidnight(ms: number): number {
  return (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
}
