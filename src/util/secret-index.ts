import { maskSecret } from './secrets.js';

/** Secrets shorter than this are not masked by value (they would mask ordinary words). */
export const MIN_SECRET = 8;
/** Secrets at least this long are indexed by this many last characters. */
const LONG = 16;
const BASE = 131;
const SMI = 0x3fffffff;
/** Bits of the filter that answers "surely no secret ends here" before any map is asked. */
const FILTER_BITS = 1 << 16;

/** B^(w-1), wrapped like the rolling hash, so the character leaving the window can be taken out. */
function leadPower(w: number): number {
  let p = 1;
  for (let i = 1; i < w; i++) p = Math.imul(p, BASE);
  return p;
}
const POW_SHORT = leadPower(MIN_SECRET);
const POW_LONG = leadPower(LONG);

function hasBit(bits: Uint32Array, key: number): boolean {
  return (bits[(key >>> 5) & (FILTER_BITS / 32 - 1)]! & (1 << (key & 31))) !== 0;
}

/** The hash of `text`'s `w` characters that end at `end`, the same value the rolling scan reaches there. */
function hashAt(text: string, end: number, w: number): number {
  let h = 0;
  for (let i = end - w; i < end; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  return h & SMI;
}

/**
 * Known secrets, indexed by a hash of their last characters (a token's beginning is shared — every Google
 * access token starts "ya29.a0" — its end is random): 16 for secrets that long, else 8. Masking a line is
 * one rolling-hash step and at most two map lookups per character, however many secrets there are (a pool
 * of 10,000 credentials holds 30,000), and allocates nothing unless a secret is found. Indexing long secrets
 * by 16 characters keeps a lookup cheap even when thousands of them end alike (refresh tokens ending in one
 * e-mail domain). Counted: a secret added twice stays until dropped twice.
 */
export function createSecretIndex() {
  const counts = new Map<string, number>();
  const short = new Map<number, string[]>();
  const long = new Map<number, string[]>();
  // One bit per (hash mod 2^16) for each map: set by add, cleared by an occasional rebuild after drops. A clear bit skips the Map.get, which
  // is most of a line's cost (two lookups per character otherwise).
  const shortBits = new Uint32Array(FILTER_BITS / 32);
  const longBits = new Uint32Array(FILTER_BITS / 32);
  let shortGone = 0;
  let longGone = 0;
  const setBit = (bits: Uint32Array, key: number) => void (bits[(key >>> 5) & (FILTER_BITS / 32 - 1)]! |= 1 << (key & 31));
  const rebuild = (bits: Uint32Array, map: Map<number, string[]>) => {
    bits.fill(0);
    for (const key of map.keys()) setBit(bits, key);
  };
  const slot = (value: string): [Map<number, string[]>, number] =>
    value.length >= LONG ? [long, hashAt(value, value.length, LONG)] : [short, hashAt(value, value.length, MIN_SECRET)];
  return {
    add(value: string | undefined): void {
      if (!value || value.length < MIN_SECRET) return;
      const n = counts.get(value) ?? 0;
      counts.set(value, n + 1);
      if (n > 0) return;
      const [map, key] = slot(value);
      const list = map.get(key);
      if (list) list.push(value);
      else map.set(key, [value]);
      setBit(map === long ? longBits : shortBits, key);
    },
    drop(value: string | undefined): void {
      const n = value ? counts.get(value) : undefined;
      if (!value || n === undefined) return;
      if (n > 1) return void counts.set(value, n - 1);
      counts.delete(value);
      const [map, key] = slot(value);
      const rest = map.get(key)!.filter((s) => s !== value);
      if (rest.length > 0) map.set(key, rest);
      else {
        map.delete(key);
        // A stale bit costs one needless lookup; rebuilding on every drop would cost a pass over every secret
        // per refreshed token. Rebuilt once as many keys went as remain (amortised O(1) a drop).
        const isLong = map === long;
        if (isLong ? ++longGone > long.size : ++shortGone > short.size) {
          rebuild(isLong ? longBits : shortBits, map);
          if (isLong) longGone = 0;
          else shortGone = 0;
        }
      }
    },
    mask(text: string): string {
      if (counts.size === 0) return text;
      let hits: Array<[number, number]> | undefined;
      const check = (candidates: string[] | undefined, end: number) => {
        if (!candidates) return;
        for (const s of candidates) {
          const start = end - s.length;
          if (start >= 0 && text.startsWith(s, start)) (hits ??= []).push([start, end]);
        }
      };
      const useShort = short.size > 0;
      const useLong = long.size > 0;
      let hs = 0;
      let hl = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (i >= MIN_SECRET) hs = (hs - Math.imul(text.charCodeAt(i - MIN_SECRET), POW_SHORT)) | 0;
        hs = (Math.imul(hs, BASE) + c) | 0;
        if (i >= LONG) hl = (hl - Math.imul(text.charCodeAt(i - LONG), POW_LONG)) | 0;
        hl = (Math.imul(hl, BASE) + c) | 0;
        if (useShort && i >= MIN_SECRET - 1 && hasBit(shortBits, hs & SMI)) check(short.get(hs & SMI), i + 1);
        if (useLong && i >= LONG - 1 && hasBit(longBits, hl & SMI)) check(long.get(hl & SMI), i + 1);
      }
      if (!hits) return text;
      // Leftmost first, the longest of those that start together; a match inside one already masked is skipped.
      hits.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
      let out = '';
      let copied = 0;
      for (const [start, end] of hits) {
        if (start < copied) continue;
        out += text.slice(copied, start) + maskSecret(text.slice(start, end));
        copied = end;
      }
      return out + text.slice(copied);
    },
  };
}
