/**
 * The quota book end to end: Rotor plans against each bucket's limits (configured or learned) instead of
 * learning from Google's 429s, spreads a burst by headroom, keeps conversations on their credential, and
 * queues a request until a bucket frees instead of failing it.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';

const MODEL = 'gemini-2.5-flash';
const ask = (stack: Stack, content: string, extra: Record<string, unknown> = {}) =>
  stack.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }], ...extra });
const servedBy = (stack: Stack) => stack.sim.calls({ method: 'generateContent' }).map((c) => c.apiKey ?? c.email);
const status = async (stack: Stack) =>
  (await (await fetch(`${stack.rotor.url}/v1/keys/status`, { headers: { authorization: `Bearer ${stack.password}` } })).json()) as KeyStatus;

interface KeyStatus {
  quotas: Array<{ bucket: string; models: Record<string, Record<string, { used: number; limit: number; source: string }>> }>;
}

describe('the quota book', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it('two keys of one project share its bucket: the third request goes to the other project, with no 429 from Google', async () => {
    stack = await startStack({
      accounts: [],
      apiKeys: [
        { key: 'AIzaSyShared1aaaaaaaaaaaaaaaaaaaaaaaaaaa', projectId: 'shared', rpm: 2 },
        { key: 'AIzaSyShared2bbbbbbbbbbbbbbbbbbbbbbbbbbb', projectId: 'shared', rpm: 2 },
        { key: 'AIzaSyOther3ccccccccccccccccccccccccccccc', projectId: 'other', rpm: 2 },
      ],
      apiKeysWithProjects: true,
      env: {
        QUOTAS: JSON.stringify({ routes: { 'gemini-api': { '*': { [MODEL]: { rpm: 2 } } } } }),
        ROTATION_STRATEGY: 'round-robin',
        MAX_QUEUE_WAIT_MS: '0',
      },
    });
    const before = stack.sim.calls().length;
    // Four requests, four calls: had Rotor sent a third to the shared project, Google would have refused it and
    // the failover would have made a fifth call.
    for (let i = 0; i < 4; i++) await ask(stack, `q${i}`);
    expect(stack.sim.calls().length - before).toBe(4);
    expect(stack.sim.calls({ status: 429 })).toHaveLength(0);
    // A fifth has no room anywhere this minute: refused by Rotor, never sent.
    const err = await ask(stack, 'q5').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(stack.sim.calls().length - before).toBe(4);
    expect((await status(stack)).quotas.find((q) => q.bucket === 'project:shared')?.models[MODEL]?.rpm).toEqual({ used: 2, limit: 2, source: 'configured' });
  });

  it('books the input tokens Google counted, not the estimate, for answers and streams alike', async () => {
    const limits = { '*': { '*': { tpm: 1_000_000 } } };
    stack = await startStack({ accounts: [{ email: 'tokens@example.com' }], env: { QUOTAS: JSON.stringify({ routes: { 'code-assist': limits, 'gemini-api': limits } }) } });
    // A declared tool counts in Rotor's estimate (its schema's size), not in the simulator's count: the two differ.
    const tools = [{ type: 'function' as const, function: { name: 'lookup_the_weather_forecast', description: 'x'.repeat(400), parameters: { type: 'object', properties: {} } } }];
    const answer = await ask(stack, 'how many tokens is this prompt?', { tools });
    let streamed = 0;
    for await (const chunk of await stack.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'and this one, streamed?' }], tools, stream: true, stream_options: { include_usage: true } })) {
      if (chunk.usage) streamed = chunk.usage.prompt_tokens;
    }
    expect(answer.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(streamed).toBeGreaterThan(0);
    const booked = async () => (await status(stack)).quotas.reduce((sum, q) => sum + (q.models[MODEL]?.tpm?.used ?? 0), 0);
    // The stream's correction is written as it ends: wait for it rather than for time.
    for (let i = 0; i < 200 && (await booked()) !== answer.usage!.prompt_tokens + streamed; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await booked()).toBe(answer.usage!.prompt_tokens + streamed);
  });

  it('learns a limit Google names in a 429 and plans with it from then on', async () => {
    stack = await startStack({
      accounts: [],
      apiKeys: [
        { key: 'AIzaSyLearn1aaaaaaaaaaaaaaaaaaaaaaaaaaaa', projectId: 'small', rpm: 1 },
        { key: 'AIzaSyLearn2bbbbbbbbbbbbbbbbbbbbbbbbbbbb', projectId: 'big' },
      ],
      apiKeysWithProjects: true,
      env: { ROTATION_STRATEGY: 'round-robin', MAX_QUEUE_WAIT_MS: '0' },
    });
    for (let i = 0; i < 4; i++) await ask(stack, `l${i}`);
    // The 429 named quotaValue 1 for the small project: it is booked out now, and says where the number came from.
    // Its window, never booked here while Google's filled, is taken as full (seeded), not as empty.
    const small = (await status(stack)).quotas.find((q) => q.bucket === 'project:small');
    expect(small?.models[MODEL]?.rpm).toEqual({ used: 1, limit: 1, source: 'learned' });
    const calls = () => stack.sim.calls({ method: 'generateContent' }).filter((c) => c.project === 'small').length;
    const afterLearning = calls();
    for (let i = 0; i < 4; i++) await ask(stack, `m${i}`);
    expect(calls()).toBe(afterLearning); // no more tries on the small project this minute
    expect(stack.sim.calls({ status: 429 })).toHaveLength(1); // the one that taught it
  });

  it('queues a request until its bucket frees, in order, instead of failing it', async () => {
    stack = await startStack({
      accounts: [],
      apiKeys: [{ key: 'AIzaSyQueue1aaaaaaaaaaaaaaaaaaaaaaaaaaaa', projectId: 'q', rpm: 1 }],
      apiKeysWithProjects: true,
      sim: { rateWindowMs: 400 },
      env: { QUOTAS: JSON.stringify({ buckets: { 'project:q': { '*': { rpm: 1 } } } }), QUOTA_WINDOW_MS: '400', MAX_QUEUE_WAIT_MS: '20000' },
    });
    const answers = await Promise.all([0, 1, 2].map((i) => ask(stack, `wait ${i}`)));
    expect(answers.map((a) => a.choices[0]!.message.content)).toEqual(['wait 0', 'wait 1', 'wait 2'].map((t) => `Echo from ${MODEL}: ${t}`));
    // Each went out only once its window had room: Google refused none.
    expect(stack.sim.calls({ method: 'generateContent' })).toHaveLength(3);
    expect(stack.sim.calls({ status: 429 })).toHaveLength(0);
  });

  it('answers 429 with Retry-After when the wait would pass MAX_QUEUE_WAIT_MS', async () => {
    stack = await startStack({
      accounts: [],
      apiKeys: [{ key: 'AIzaSyQueue2aaaaaaaaaaaaaaaaaaaaaaaaaaaa', projectId: 'slow' }],
      apiKeysWithProjects: true,
      env: { QUOTAS: JSON.stringify({ buckets: { 'project:slow': { '*': { rpm: 1 } } } }), MAX_QUEUE_WAIT_MS: '200' },
    });
    await ask(stack, 'first');
    const res = await fetch(`${stack.rotor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.password}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'second' }] }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(30);
    expect(Number(res.headers.get('retry-after-ms'))).toBeGreaterThan(30_000);
    expect(stack.sim.calls({ method: 'generateContent' })).toHaveLength(1);
  });

  it('drops a waiting client that leaves; the next in line is served when the bucket frees', async () => {
    stack = await startStack({
      accounts: [],
      apiKeys: [{ key: 'AIzaSyQueue3aaaaaaaaaaaaaaaaaaaaaaaaaaaa', projectId: 'd' }],
      apiKeysWithProjects: true,
      env: { QUOTAS: JSON.stringify({ buckets: { 'project:d': { '*': { rpm: 1 } } } }), QUOTA_WINDOW_MS: '1500', MAX_QUEUE_WAIT_MS: '20000' },
    });
    await ask(stack, 'fills the window');
    const leaving = new AbortController();
    const stays = ask(stack, 'stays').then(
      () => 'served',
      () => 'failed',
    );
    const aborted = stack.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'gives up' }] }, { signal: leaving.signal }).catch(() => 'aborted');
    // Both wait in line; the second one's client goes away.
    await waitUntil(() => stack.rotor.queue.stats()[0]?.waiting === 2);
    leaving.abort();
    await waitUntil(() => stack.rotor.queue.stats()[0]?.waiting === 1);
    expect(await aborted).toBe('aborted');
    expect(await stays).toBe('served');
    const sent = stack.sim.calls({ method: 'generateContent' }).map((c) => JSON.stringify(c.body));
    expect(sent.some((b) => b.includes('gives up'))).toBe(false);
  });

  it('keeps a conversation on its credential while it has room (prompt_cache_key), and moves it when it has none', async () => {
    stack = await startStack({ accounts: [{ email: 'aff1@example.com' }, { email: 'aff2@example.com' }, { email: 'aff3@example.com' }] });
    const before = servedBy(stack).length;
    for (let i = 0; i < 6; i++) await ask(stack, `turn ${i}`, { prompt_cache_key: 'conversation-42' });
    const used = servedBy(stack).slice(before);
    expect(new Set(used).size).toBe(1);
    // Its credential cools down: the conversation moves (affinity never overrides a cooldown) and stays on the new one.
    stack.sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 60_000 }, email: used[0], times: 1 });
    for (let i = 0; i < 3; i++) await ask(stack, `later ${i}`, { prompt_cache_key: 'conversation-42' });
    const later = servedBy(stack).slice(before + 6).filter((e) => e !== used[0]);
    expect(new Set(later).size).toBe(1);
    // Without a key, requests spread (round-robin by headroom with no limits known).
    const spreadFrom = servedBy(stack).length;
    for (let i = 0; i < 3; i++) await ask(stack, `free ${i}`);
    expect(new Set(servedBy(stack).slice(spreadFrom)).size).toBeGreaterThan(1);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
