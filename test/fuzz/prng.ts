/**
 * A small seeded PRNG (mulberry32) for reproducible fuzzing: the same seed yields the same cases, so a
 * failure printed with its seed and case number can be replayed with `ROTOR_FUZZ_SEED=<seed> npm test`.
 */

export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A child generator for one case, so cases do not shift when another case draws more numbers. */
  fork(index: number): Rng;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    seed,
    next,
    int: (n) => Math.floor(next() * n),
    between: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    fork: (index) => createRng(mix(seed, index)),
  };
  return rng;
}

/** A 32-bit hash of (seed, index): independent streams per case. */
function mix(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The seed for this run: `ROTOR_FUZZ_SEED` when set (decimal or 0x hex), else a fixed default. */
export function fuzzSeed(fallback = 0x5eed_2026): number {
  const raw = process.env.ROTOR_FUZZ_SEED?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new Error(`ROTOR_FUZZ_SEED: expected an integer from 0 to 2^32-1, found "${raw}"`);
  return n;
}
