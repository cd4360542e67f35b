/** The secret index against the plain definition: every occurrence of every known secret is masked. */
import { describe, expect, it } from 'vitest';
import { createSecretIndex, MIN_SECRET } from '../../src/util/secret-index.js';
import { maskSecret } from '../../src/util/secrets.js';

/** The reference: leftmost match first, the longest among those starting together, no overlap. */
function naiveMask(text: string, secrets: readonly string[]): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const here = secrets.filter((s) => s.length >= MIN_SECRET && text.startsWith(s, i)).sort((a, b) => b.length - a.length)[0];
    if (here) {
      out += maskSecret(here);
      i += here.length;
    } else out += text[i++];
  }
  return out;
}

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

describe('createSecretIndex', () => {
  it('masks exactly what the plain definition masks, over random secrets and lines (short, long, alike, unicode)', () => {
    const rand = rng(7);
    const alphabet = 'ab-_./@é😀xyz0123456789';
    const word = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
    for (let round = 0; round < 300; round++) {
      const index = createSecretIndex();
      const secrets: string[] = [];
      const domain = word(12);
      for (let k = 0; k < 1 + Math.floor(rand() * 8); k++) {
        // Some end alike (refresh tokens of one e-mail domain), some are prefixes of others.
        const s = rand() < 0.4 ? word(2 + Math.floor(rand() * 10)) + domain : rand() < 0.2 && secrets.length ? secrets[0]! + word(3) : word(8 + Math.floor(rand() * 20));
        secrets.push(s);
        index.add(s);
      }
      // Some are forgotten again (a replaced token): lines may still hold them, unmasked.
      // Counted: a secret added twice and dropped once is still live.
      const live = [...secrets];
      for (const s of secrets.filter(() => rand() < 0.3)) {
        index.drop(s);
        live.splice(live.indexOf(s), 1);
      }
      const pieces = Array.from({ length: 6 }, () => (rand() < 0.5 ? secrets[Math.floor(rand() * secrets.length)]! : word(Math.floor(rand() * 12))));
      const line = pieces.join(rand() < 0.5 ? '' : ' ');
      expect(index.mask(line), `round ${round}: ${line}`).toBe(naiveMask(line, live));
    }
  });

  it('keeps a lookup cheap when thousands of secrets end alike, and forgets dropped ones', () => {
    const index = createSecretIndex();
    const tokens = Array.from({ length: 10_000 }, (_, i) => `1//sim-refresh-user${i}@example.com`);
    for (const t of tokens) index.add(t);
    expect(index.mask(`refreshing ${tokens[4321]} for user4321@example.com`)).toBe(`refreshing ${maskSecret(tokens[4321]!)} for user4321@example.com`);
    index.drop(tokens[4321]);
    expect(index.mask(`again ${tokens[4321]}`)).toBe(`again ${tokens[4321]}`);
    expect(index.mask('short')).toBe('short');
  });
});
