/**
 * The upstream registry: one entry per route to Google (Code Assist, the Gemini API; Vertex AI is one more
 * entry). An entry is everything the rest of Rotor needs to know about a route: its client, what it can do,
 * how its credentials share quota, and what a credential needs before its first call.
 */
import type { UpstreamClient, UpstreamCredential } from './types.js';
import type { CallSignal } from '../util/call-signal.js';

export type Capability = 'generate' | 'stream' | 'countTokens' | 'embed' | 'search';

/** What an entry reads off a credential. */
export interface RouteCredential extends UpstreamCredential {
  readonly email: string | undefined;
  readonly route: string;
}

export interface RouteEntry {
  readonly id: string;
  /** Shown to users (status, errors). */
  readonly label: string;
  readonly client: UpstreamClient;
  readonly capabilities: ReadonlySet<Capability>;
  /** Credentials that share one Google quota share this key (the quota book's bucket). */
  quotaKey(cred: RouteCredential): string;
  /** When the route's daily quotas next reset, after `now`. */
  dayResetAt(now: number): number;
  /**
   * Makes a credential ready before its first call (Code Assist: find or onboard its project); returns
   * undefined when there is nothing to wait for, so the usual request awaits nothing. Throws UpstreamError.
   */
  prepare?(cred: RouteCredential, signal: CallSignal): Promise<void> | undefined;
}

export interface Registry {
  /** The entry for a credential's route; unknown routes are a programming error. */
  get(id: string): RouteEntry;
  list(): readonly RouteEntry[];
}

export function createRegistry(entries: readonly RouteEntry[]): Registry {
  const byId = new Map(entries.map((e) => [e.id, e]));
  return {
    get(id) {
      const e = byId.get(id);
      if (!e) throw new Error(`no upstream route "${id}" is registered (known: ${[...byId.keys()].join(', ')})`);
      return e;
    },
    list: () => entries,
  };
}
