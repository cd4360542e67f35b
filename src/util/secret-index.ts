import { maskSecret } from './secrets.js';

/** Secrets shorter than this are not masked by value (they would mask ordinary words). */
export const MIN_SECRET = 8;

/**
 * Known secrets, indexed by their last MIN_SECRET characters (a token's beginning is shared — every Google
 * access token starts "ya29.a0" — its end is random), so masking a line costs one lookup per character of
 * the line however many secrets there are: a pool of 10,000 credentials holds 30,000.
 * Counted: a secret added twice stays until dropped twice.
 */
export function createSecretIndex() {
  const counts = new Map<string, number>();
  const bySuffix = new Map<string, string[]>();
  const keyOf = (value: string) => value.slice(-MIN_SECRET);
  return {
    add(value: string | undefined): void {
      if (!value || value.length < MIN_SECRET) return;
      const n = counts.get(value) ?? 0;
      counts.set(value, n + 1);
      if (n > 0) return;
      const list = bySuffix.get(keyOf(value));
      if (list) list.push(value);
      else bySuffix.set(keyOf(value), [value]);
    },
    drop(value: string | undefined): void {
      const n = value ? counts.get(value) : undefined;
      if (!value || n === undefined) return;
      if (n > 1) return void counts.set(value, n - 1);
      counts.delete(value);
      const rest = bySuffix.get(keyOf(value))!.filter((s) => s !== value);
      if (rest.length > 0) bySuffix.set(keyOf(value), rest);
      else bySuffix.delete(keyOf(value));
    },
    mask(text: string): string {
      if (counts.size === 0) return text;
      let hits: Array<[number, number]> | undefined;
      for (let end = MIN_SECRET; end <= text.length; end++) {
        const candidates = bySuffix.get(text.slice(end - MIN_SECRET, end));
        if (!candidates) continue;
        for (const s of candidates) {
          const start = end - s.length;
          if (start >= 0 && text.startsWith(s, start)) (hits ??= []).push([start, end]);
        }
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
