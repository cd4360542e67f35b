/**
 * Requests per minute for the last hour, in memory: one ring of 60 one-minute buckets per series (per model, per
 * access token, and the total), fed by the dispatch loop's `done` events. Bounded: at most `maxSeries` named series per
 * dimension (later names count under "(other)"), and a series with nothing in the last hour is dropped.
 */

export const BUCKETS = 60;
export const MINUTE_MS = 60_000;
export const OTHER = '(other)';
/** Requests no access token authenticated (the password, or an open loopback API). */
export const NO_TOKEN = '(no token)';

export interface SeriesView {
  /** Length of a bucket. */
  minute_ms: number;
  /** Start of the oldest bucket (epoch ms); the last bucket is the current, unfinished minute. */
  start: number;
  total: number[];
  by_model: Record<string, number[]>;
  by_token: Record<string, number[]>;
}

class Ring {
  readonly counts = new Uint32Array(BUCKETS);
  /** The minute (epoch minutes) the newest bucket holds. */
  last = -Infinity;

  add(minute: number, n = 1): void {
    this.advance(minute);
    if (minute > this.last - BUCKETS) this.counts[((minute % BUCKETS) + BUCKETS) % BUCKETS]! += n;
  }

  /** Zeroes the buckets of the minutes between the newest one and `minute`. */
  advance(minute: number): void {
    if (minute <= this.last) return;
    if (minute - this.last >= BUCKETS) this.counts.fill(0);
    else for (let m = this.last + 1; m <= minute; m++) this.counts[m % BUCKETS] = 0;
    this.last = minute;
  }

  /** The 60 counts ending with `minute`, oldest first. */
  view(minute: number): number[] {
    const out = new Array<number>(BUCKETS).fill(0);
    for (let i = 0; i < BUCKETS; i++) {
      const m = minute - (BUCKETS - 1) + i;
      if (m <= this.last && m > this.last - BUCKETS) out[i] = this.counts[((m % BUCKETS) + BUCKETS) % BUCKETS]!;
    }
    return out;
  }

  /** Whether anything was counted in the hour ending with `minute`. */
  live(minute: number): boolean {
    return minute - this.last < BUCKETS && this.view(minute).some((n) => n > 0);
  }
}

class Dimension {
  private readonly rings = new Map<string, Ring>();
  constructor(private readonly maxSeries: number) {}

  add(name: string, minute: number): void {
    let ring = this.rings.get(name);
    if (!ring) {
      if (this.rings.size >= this.maxSeries) this.prune(minute);
      if (this.rings.size >= this.maxSeries) name = OTHER;
      ring = this.rings.get(name);
      if (!ring) this.rings.set(name, (ring = new Ring()));
    }
    ring.add(minute);
  }

  /** Drops series with nothing in the last hour. */
  prune(minute: number): void {
    for (const [name, ring] of this.rings) if (!ring.live(minute)) this.rings.delete(name);
  }

  view(minute: number): Record<string, number[]> {
    this.prune(minute);
    const out: Record<string, number[]> = {};
    for (const [name, ring] of [...this.rings].sort(([a], [b]) => a.localeCompare(b))) out[name] = ring.view(minute);
    return out;
  }
}

export class RequestSeries {
  private readonly total = new Ring();
  private readonly models: Dimension;
  private readonly tokens: Dimension;

  constructor(
    private readonly now: () => number,
    /** Named series per dimension (default 24); names beyond them count under "(other)". */
    maxSeries = 24,
  ) {
    this.models = new Dimension(maxSeries);
    this.tokens = new Dimension(maxSeries);
  }

  /** One request, served or failed. */
  record(model: string, token: string | undefined, at = this.now()): void {
    const minute = Math.floor(at / MINUTE_MS);
    this.total.add(minute);
    this.models.add(model.slice(0, 80) || '(unknown)', minute);
    this.tokens.add(token?.slice(0, 80) || NO_TOKEN, minute);
  }

  view(at = this.now()): SeriesView {
    const minute = Math.floor(at / MINUTE_MS);
    return {
      minute_ms: MINUTE_MS,
      start: (minute - (BUCKETS - 1)) * MINUTE_MS,
      total: this.total.view(minute),
      by_model: this.models.view(minute),
      by_token: this.tokens.view(minute),
    };
  }
}
