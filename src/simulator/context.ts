/** What every handler of one simulator instance shares (created once by startSimulator). */
import type { ApiKeyBook } from './api-keys.js';
import type { FaultBook } from './faults.js';
import type { QuotaBook, QuotaTable } from './quota.js';
import type { SimState } from './state.js';

export interface SimContext {
  state: SimState;
  /** Code Assist quotas, per account and model; days end at UTC midnight. */
  quota: QuotaBook;
  /** Gemini API quotas, per project (`key:<projectId>`) and model; days end at midnight Pacific. */
  apiQuota: QuotaBook;
  /** Simulator-wide default limits per model, under each project's and account's own (replaceable at run time). */
  defaultQuotas: QuotaTable;
  apiKeys: ApiKeyBook;
  faults: FaultBook;
  now: () => number;
  /** Generation models, served by both APIs. */
  models: ReadonlySet<string>;
  /** Embedding models, served by the Gemini API only. */
  embeddingModels: ReadonlySet<string>;
  /** Base URL, known once the server listens. */
  url: string;
  latencyMs: number;
  streamEvents: number;
  streamIntervalMs: number;
  accessTokenTtlSec: number;
}
