/**
 * Counters of the quota-consuming model calls per bucket (`key:<projectId>` or an account email) and model, for
 * `sim.stats()`: what a benchmark needs for "upstream 429s per 100 requests" and "requests served per bucket".
 */
import type { QuotaOverrun } from './quota.js';
import type { SimQuotaStats, SimStats } from './types.js';

/** The model calls that draw on quotas, and so are counted. */
const QUOTA_METHODS = new Set(['generateContent', 'streamGenerateContent', 'embedContent', 'batchEmbedContents']);

function emptyStats(): SimQuotaStats {
  return { requests: 0, served: 0, inputTokens: 0, status429: 0, quota429: 0, byWindow: { rpm: 0, rpd: 0, tpm: 0 }, limitZero: 0 };
}

function addStats(into: SimQuotaStats, from: SimQuotaStats): void {
  into.requests += from.requests;
  into.served += from.served;
  into.inputTokens += from.inputTokens;
  into.status429 += from.status429;
  into.quota429 += from.quota429;
  into.limitZero += from.limitZero;
  for (const w of ['rpm', 'rpd', 'tpm'] as const) into.byWindow[w] += from.byWindow[w];
}

export class QuotaStats {
  private buckets = new Map<string, Map<string, SimQuotaStats>>();

  /** Counts a received call; returns its counters, or undefined for a call that draws on no quota. */
  received(who: string, method: string, model: string | undefined): SimQuotaStats | undefined {
    if (model === undefined || !QUOTA_METHODS.has(method)) return undefined;
    let perModel = this.buckets.get(who);
    if (!perModel) this.buckets.set(who, (perModel = new Map()));
    let stats = perModel.get(model);
    if (!stats) perModel.set(model, (stats = emptyStats()));
    stats.requests += 1;
    return stats;
  }

  static served(stats: SimQuotaStats, inputTokens: number): void {
    stats.served += 1;
    stats.inputTokens += inputTokens;
  }

  static refused(stats: SimQuotaStats, overruns: readonly QuotaOverrun[]): void {
    stats.quota429 += 1;
    for (const o of overruns) stats.byWindow[o.window] += 1;
    if (overruns.some((o) => o.limit === 0)) stats.limitZero += 1;
  }

  snapshot(): SimStats {
    const total = emptyStats();
    const buckets: SimStats['buckets'] = {};
    for (const [who, perModel] of this.buckets) {
      const out: Record<string, SimQuotaStats> = {};
      for (const [model, stats] of perModel) {
        out[model] = structuredClone(stats);
        addStats(total, stats);
      }
      buckets[who] = out;
    }
    return { total, buckets };
  }

  reset(): void {
    this.buckets = new Map();
  }
}
