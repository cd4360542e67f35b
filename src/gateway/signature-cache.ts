/**
 * Remembers the Gemini 3 thought signature that came with each function call, keyed by the tool-call id
 * Rotor gave the client, so the next turn can send it back even when the client rewrote the id
 * (upstream-protocols.md §3.12). Bounded LRU with a TTL: a lost entry only costs the documented bypass.
 */
export interface SignatureCache {
  get(callId: string): string | undefined;
  set(callId: string, signature: string): void;
  readonly size: number;
}

export function createSignatureCache(options: { maxEntries?: number; ttlMs?: number; now?: () => number } = {}): SignatureCache {
  const max = options.maxEntries ?? 50_000;
  const ttl = options.ttlMs ?? 24 * 3_600_000;
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on access makes the first key the least recent.
  const map = new Map<string, { signature: string; at: number }>();
  return {
    get(callId) {
      const e = map.get(callId);
      if (!e) return undefined;
      if (now() - e.at > ttl) {
        map.delete(callId);
        return undefined;
      }
      map.delete(callId);
      map.set(callId, e);
      return e.signature;
    },
    set(callId, signature) {
      map.delete(callId);
      map.set(callId, { signature, at: now() });
      while (map.size > max) map.delete(map.keys().next().value as string);
    },
    get size() {
      return map.size;
    },
  };
}
