/**
 * Selection strategy behind an interface, apart from the pool's bookkeeping: the pool asks the selector
 * for the order to consider members in, and takes the first usable one.
 */
export interface Selector {
  /** Index to start scanning from for this pick, given the member count. */
  start(count: number): number;
  /** Tells the selector which index was chosen. */
  chosen(index: number, count: number): void;
}

/** Round-robin: each pick starts just after the last chosen member, spreading load evenly. */
export function createRoundRobinSelector(): Selector {
  let cursor = 0;
  return {
    start: (count) => (count === 0 ? 0 : cursor % count),
    chosen: (index, count) => {
      cursor = count === 0 ? 0 : (index + 1) % count;
    },
  };
}

/** Fill-first: always prefer the first usable member (keeps the others' quotas fresh). */
export function createFillFirstSelector(): Selector {
  return { start: () => 0, chosen: () => {} };
}
