/**
 * Gemini 3 thought signatures by the id the client will send back (a tool-call id, a reasoning item id), kept
 * in the state store so a tool loop whose next turn lands on another instance still carries its signature.
 * A lost entry only costs Google's documented bypass value.
 */
import type { SignatureEntry } from '../translate/dialect.js';
import type { StateStore } from './types.js';

const NS = 'sig';
const TTL_MS = 24 * 3_600_000;

export interface SignatureCache {
  lookup(ids: readonly string[]): Promise<Map<string, string>>;
  /** Stores without waiting: a request never waits for its signatures to be written. */
  remember(entries: readonly SignatureEntry[]): void;
}

export function createSignatureCache(store: StateStore): SignatureCache {
  return {
    async lookup(ids) {
      const found = new Map<string, string>();
      if (ids.length === 0) return found;
      const values = await store.kvGetMany(NS, ids).catch(() => []);
      ids.forEach((id, i) => {
        const v = values[i];
        if (v !== undefined) found.set(id, v);
      });
      return found;
    },
    remember(entries) {
      for (const e of entries) void store.kvSet(NS, e.id, e.signature, TTL_MS).catch(() => {});
    },
  };
}
