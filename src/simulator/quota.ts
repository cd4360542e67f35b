/**
 * Per-account, per-model request quotas: a sliding window for "rpm" (window length configurable so tests run
 * fast) and a per-UTC-day counter for "rpd". Only served requests are booked.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

export type QuotaVerdict =
  | { ok: true }
  | { ok: false; kind: 'rate'; retryDelayMs: number }
  | { ok: false; kind: 'daily'; resetInMs: number };

export interface QuotaLimits {
  rpm?: number;
  rpd?: number;
}

interface Bucket {
  stamps: number[];
  day: number;
  dayCount: number;
}

export class QuotaBook {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number,
    private readonly windowMs: number,
  ) {}

  /** Whether one more request fits; does not book it. */
  check(email: string, model: string, limits: QuotaLimits): QuotaVerdict {
    if (limits.rpm === undefined && limits.rpd === undefined) return { ok: true };
    const now = this.now();
    const bucket = this.bucket(email, model, now);
    if (limits.rpd !== undefined && bucket.dayCount >= limits.rpd) {
      return { ok: false, kind: 'daily', resetInMs: nextUtcMidnight(now) - now };
    }
    if (limits.rpm !== undefined && bucket.stamps.length >= limits.rpm) {
      // The window frees when the oldest request still inside it slides out.
      const oldest = bucket.stamps[bucket.stamps.length - limits.rpm] ?? now;
      return { ok: false, kind: 'rate', retryDelayMs: Math.max(1, oldest + this.windowMs - now) };
    }
    return { ok: true };
  }

  book(email: string, model: string): void {
    const now = this.now();
    const bucket = this.bucket(email, model, now);
    bucket.stamps.push(now);
    bucket.dayCount += 1;
  }

  /** Requests booked today (for retrieveUserQuota). */
  usedToday(email: string, model: string): number {
    return this.bucket(email, model, this.now()).dayCount;
  }

  private bucket(email: string, model: string, now: number): Bucket {
    const key = `${email}\u0000${model}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { stamps: [], day: utcDay(now), dayCount: 0 };
      this.buckets.set(key, bucket);
    }
    if (bucket.day !== utcDay(now)) {
      bucket.day = utcDay(now);
      bucket.dayCount = 0;
    }
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < bucket.stamps.length && (bucket.stamps[drop] ?? 0) <= cutoff) drop++;
    if (drop > 0) bucket.stamps.splice(0, drop);
    return bucket;
  }
}

function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export function nextUtcMidnight(ms: number): number {
  return (utcDay(ms) + 1) * DAY_MS;
}
