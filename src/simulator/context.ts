/** What every handler of one simulator instance shares (created once by startSimulator). */
import type { FaultBook } from './faults.js';
import type { QuotaBook } from './quota.js';
import type { SimState } from './state.js';

export interface SimContext {
  state: SimState;
  quota: QuotaBook;
  faults: FaultBook;
  now: () => number;
  models: ReadonlySet<string>;
  /** Base URL, known once the server listens. */
  url: string;
  latencyMs: number;
  streamEvents: number;
  streamIntervalMs: number;
  accessTokenTtlSec: number;
}
