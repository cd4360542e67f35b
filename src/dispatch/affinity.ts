/**
 * Session affinity: requests that carry a conversation key (prompt_cache_key, user, metadata.user_id,
 * x-session-id) go back to the credential that served the conversation while it has room, so Gemini's implicit
 * prompt cache (per project) hits. Kept in the state store, so a conversation whose next turn lands on another
 * instance finds its credential too. Affinity never overrides a cooldown or an exhausted bucket: it is only a
 * first choice.
 */
import { fingerprint } from '../util/secrets.js';
import type { StateStore } from '../store/types.js';

const NS = 'aff';
const TTL_MS = 3_600_000;

export interface Affinity {
  /** The credential id last used for the conversation, if any. */
  lookup(key: string): Promise<string | undefined>;
  remember(key: string, credentialId: string): void;
}

export function createAffinity(store: StateStore): Affinity {
  // The key is the client's (a user id): stored only as a fingerprint.
  const id = (key: string) => fingerprint(key);
  /** What this instance wrote last, and when: a conversation that stays put is rewritten only to renew its expiry. */
  const last = new Map<string, [string, number]>();
  return {
    lookup: (key) => store.kvGet(NS, id(key)).catch(() => undefined),
    remember(key, credentialId) {
      const k = id(key);
      const now = Date.now();
      const seen = last.get(k);
      if (seen && seen[0] === credentialId && now - seen[1] < TTL_MS / 2) return;
      if (last.size > 10_000) last.clear();
      last.set(k, [credentialId, now]);
      void store.kvSet(NS, k, credentialId, TTL_MS).catch(() => undefined);
    },
  };
}
