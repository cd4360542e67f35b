/** The usage recorder: dispatch `done` events → counters per day and dimension, flushed in batches; reports and CSV. */
import { describe, expect, it } from 'vitest';
import { DispatchEvents } from '../../src/dispatch/events.js';
import { aggregateUsage, totalsByToken, UsageRecorder, usageCsv, USAGE_CSV_HEADER } from '../../src/observe/usage.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { StateStore, UsageKey } from '../../src/store/types.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

function setup() {
  const clock = { t: T0 };
  const store = new MemoryStore({ now: () => clock.t });
  const events = new DispatchEvents();
  const usage = new UsageRecorder({ store, events, bucketOf: (id) => (id === 'cred-1' ? 'project:p1' : undefined), now: () => clock.t, flushMs: 3_600_000 });
  return { clock, store, events, usage };
}

const done = (over: Record<string, unknown> = {}) =>
  ({
    type: 'done',
    requestId: 'r',
    model: 'gemini-2.5-flash',
    operation: 'generate',
    outcome: 'ok',
    credential: 'cred-1',
    route: 'gemini-api',
    latencyMs: 5,
    usage: { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 2, totalTokenCount: 17 },
    ...over,
  }) as Parameters<DispatchEvents['emit']>[0];

describe('usage recorder', () => {
  it('counts done events by token, credential, bucket and model, batched into one store call per key', async () => {
    const { events, store, usage } = setup();
    const calls: UsageKey[] = [];
    const add = store.addUsage.bind(store);
    (store as StateStore).addUsage = (k, c) => (calls.push(k), add(k, c));
    events.emit(done({ token: 'cursor' }));
    events.emit(done({ token: 'cursor' }));
    events.emit(done({ token: 'cursor', outcome: 'error', credential: undefined, route: undefined, usage: undefined, error: '429' }));
    events.emit(done({ operation: 'countTokens', token: 'cursor' })); // free: not counted
    events.emit(done({ credential: 'gone', usage: { promptTokenCount: 1, toolUsePromptTokenCount: 2 } }));
    const rows = await usage.rows('2025-06-01', '2025-06-01');
    expect(calls).toHaveLength(3);
    const byDims = Object.fromEntries(rows.map((r) => [JSON.stringify(r.dims), r.counts]));
    expect(byDims).toEqual({
      [JSON.stringify({ token: 'cursor', credential: 'cred-1', bucket: 'project:p1', model: 'gemini-2.5-flash' })]: { requests: 2, prompt_tokens: 20, completion_tokens: 10, thinking_tokens: 4 },
      [JSON.stringify({ token: 'cursor', credential: '-', bucket: '-', model: 'gemini-2.5-flash' })]: { requests: 1, errors_429: 1 },
      [JSON.stringify({ token: '-', credential: 'gone', bucket: '-', model: 'gemini-2.5-flash' })]: { requests: 1, prompt_tokens: 3 },
    });
    expect(totalsByToken(rows).get('cursor')).toEqual({ requests: 3, tokens: 34 });
    await usage.close();
  });

  it('flushes on close, and prunes the memory store past the retention', async () => {
    const { clock, events, store } = setup();
    await store.addUsage({ day: '2025-04-01', dims: { token: 'old' } }, { requests: 1 });
    const usage = new UsageRecorder({ store, events, bucketOf: () => undefined, now: () => clock.t, retentionDays: 30, flushMs: 3_600_000 });
    events.emit(done({ token: 'late' }));
    await usage.close();
    events.emit(done({ token: 'after-close' }));
    const rows = await store.usage('2000-01-01', '2999-01-01');
    expect(rows.map((r) => r.dims.token)).toEqual(['late']);
  });

  it('reports by a dimension, with errors by class, sorted by day and key; CSV with a header line', () => {
    const rows = aggregateUsage(
      [
        { day: '2025-06-02', dims: { token: 'b', model: 'm1' }, counts: { requests: 1, prompt_tokens: 3 } },
        { day: '2025-06-01', dims: { token: 'b', model: 'm2' }, counts: { requests: 2, errors_502: 1, errors_429: 2 } },
        { day: '2025-06-01', dims: { token: 'a', model: 'm1' }, counts: { requests: 1, completion_tokens: 4, thinking_tokens: 1 } },
        { day: '2025-06-01', dims: { token: '=cmd|x', model: 'm1' }, counts: { requests: 1 } },
      ],
      'token',
    );
    expect(rows.map((r) => [r.day, r.key])).toEqual([
      ['2025-06-01', '=cmd|x'],
      ['2025-06-01', 'a'],
      ['2025-06-01', 'b'],
      ['2025-06-02', 'b'],
    ]);
    expect(rows[2]).toEqual({ day: '2025-06-01', key: 'b', requests: 2, prompt_tokens: 0, completion_tokens: 0, thinking_tokens: 0, errors: { '502': 1, '429': 2 } });
    expect(usageCsv(rows).split('\n')).toEqual([
      USAGE_CSV_HEADER,
      "2025-06-01,'=cmd|x,1,0,0,0,",
      '2025-06-01,a,1,0,4,1,',
      '2025-06-01,b,2,0,0,0,429:2 502:1',
      '2025-06-02,b,1,3,0,0,',
      '',
    ]);
  });
});
