/** ROTATION_STRATEGY end to end on a pool with known limits: who serves a burst under each strategy. */
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../e2e/harness.js';

const MODEL = 'gemini-2.5-flash';
const KEYS = [
  { key: 'AIzaSyStrategyA0000000000000000000000000', projectId: 'sa' },
  { key: 'AIzaSyStrategyB0000000000000000000000000', projectId: 'sb' },
  { key: 'AIzaSyStrategyC0000000000000000000000000', projectId: 'sc' },
];

async function burst(strategy: string, quotas: Record<string, unknown>, n: number, before?: (stack: Stack) => Promise<void>): Promise<string[]> {
  const stack = await startStack({
    accounts: [],
    apiKeys: KEYS,
    apiKeysWithProjects: true,
    env: { ROTATION_STRATEGY: strategy, QUOTAS: JSON.stringify(quotas), MAX_QUEUE_WAIT_MS: '0' },
  });
  stacks.push(stack);
  await before?.(stack);
  const start = stack.sim.calls({ method: 'generateContent' }).length;
  for (let i = 0; i < n; i++) await stack.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: `b${i}` }] });
  return stack.sim.calls({ method: 'generateContent' }).slice(start).map((c) => c.project!);
}

const stacks: Stack[] = [];

describe('rotation strategies', () => {
  afterEach(async () => {
    while (stacks.length) await stacks.pop()!.close();
  });

  it('fill-first uses the first bucket until it is booked out, then the next', async () => {
    const served = await burst('fill-first', { routes: { 'gemini-api': { '*': { [MODEL]: { rpm: 3 } } } } }, 7);
    expect(served).toEqual(['sa', 'sa', 'sa', 'sb', 'sb', 'sb', 'sc']);
  });

  it('headroom sends each request to the bucket with the most room left', async () => {
    // sa has room for 10, sb for 4, sc for 2: the first requests go where room is largest, as it shrinks.
    const quotas = { buckets: { 'project:sa': { '*': { rpm: 10 } }, 'project:sb': { '*': { rpm: 4 } }, 'project:sc': { '*': { rpm: 2 } } } };
    const served = await burst('headroom', quotas, 8);
    // Room is only known after a bucket's first booking; each is then chosen by its share left.
    const count = (p: string) => served.filter((x) => x === p).length;
    expect(count('sa')).toBeGreaterThan(count('sb'));
    expect(count('sb')).toBeGreaterThanOrEqual(count('sc'));
    expect(count('sc')).toBeLessThanOrEqual(2);
  });

  it('least-used sends each request to the bucket with the fewest requests today', async () => {
    const served = await burst('least-used', {}, 4, async (stack) => {
      // One conversation (session affinity) puts three requests on one bucket first.
      for (let i = 0; i < 3; i++) {
        await stack.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: `s${i}` }] }, { headers: { 'x-session-id': 'one-conversation' } });
      }
    });
    const first = stacks[0]!.sim.calls({ method: 'generateContent' })[0]!.project!;
    // The others catch up before the busy one is used again (round-robin would have come back to it).
    expect(served).not.toContain(first);
    expect(new Set(served).size).toBe(2);
  });

  it('round-robin takes each bucket in turn', async () => {
    const served = await burst('round-robin', {}, 6);
    expect(served).toEqual(['sa', 'sb', 'sc', 'sa', 'sb', 'sc']);
  });
});
