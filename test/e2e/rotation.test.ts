import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';

const ask = (stack: Stack, content = 'hi', model = 'gemini-2.5-flash') =>
  stack.openai.chat.completions.create({ model, messages: [{ role: 'user', content }] });

const servedBy = (stack: Stack, method = 'generateContent') =>
  stack.sim.calls({ method }).map((c) => c.email);

describe('rotation and failover', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it('spreads requests round-robin over the accounts', async () => {
    stack = await startStack({ accounts: ['r1', 'r2', 'r3'].map((n) => ({ email: `${n}@example.com` })) });
    for (let i = 0; i < 9; i++) await ask(stack);
    const counts = stack.sim.counts();
    for (const n of ['r1', 'r2', 'r3']) expect(counts[`${n}@example.com`]?.generateContent).toBe(3);
  });

  it.each([
    { type: 'rate-limit', retryDelayMs: 30_000 },
    { type: 'status', status: 500 },
    { type: 'status', status: 503 },
    { type: 'reset' },
    { type: 'capacity' },
  ] as const)('fails over on $type $status without the client noticing', async (fault) => {
    stack = await startStack({ accounts: [{ email: 'f1@example.com' }, { email: 'f2@example.com' }] });
    stack.sim.injectFault({ fault, email: 'f1@example.com', times: 1 });
    // Two requests: whichever account round-robin picks first, f1's fault is met and f2 serves.
    for (const n of [1, 2]) {
      const res = await ask(stack, `after ${fault.type} ${n}`);
      expect(res.choices[0]!.message.content).toBe(`Echo from gemini-2.5-flash: after ${fault.type} ${n}`);
    }
    expect(servedBy(stack).filter((e) => e === 'f2@example.com').length).toBeGreaterThanOrEqual(1);
    expect(stack.sim.counts()['f1@example.com']?.generateContent ?? 0).toBeGreaterThanOrEqual(1);
  });

  it('honours a 429 cooldown for that model only, and reports it', async () => {
    stack = await startStack({ accounts: [{ email: 'c1@example.com' }, { email: 'c2@example.com' }] });
    stack.sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 60_000 }, email: 'c1@example.com', model: 'gemini-2.5-flash', times: 1 });
    for (let i = 0; i < 6; i++) await ask(stack);
    const flashCalls = stack.sim.calls({ method: 'generateContent' }).filter((c) => c.model === 'gemini-2.5-flash');
    // c1 was tried once (the 429) and then left alone while it cools down.
    expect(flashCalls.filter((c) => c.email === 'c1@example.com')).toHaveLength(1);
    expect(flashCalls.filter((c) => c.email === 'c2@example.com')).toHaveLength(6);
    // Another model still uses c1.
    await ask(stack, 'pro', 'gemini-2.5-pro');
    await ask(stack, 'pro', 'gemini-2.5-pro');
    expect(stack.sim.calls({ method: 'generateContent', email: 'c1@example.com' }).filter((c) => c.model === 'gemini-2.5-pro')).toHaveLength(1);

    const r = await fetch(`${stack.rotor.url}/v1/keys/status`, { headers: { authorization: `Bearer ${stack.password}` } });
    const status = (await r.json()) as {
      credentials: Array<{ email: string; state: string; models: Record<string, { state: string; until: string }> }>;
      summary: Record<string, number>;
    };
    const c1 = status.credentials.find((c) => c.email === 'c1@example.com')!;
    expect(c1.state).toBe('available');
    expect(c1.models['gemini-2.5-flash']?.state).toBe('cooling_down');
    expect(Date.parse(c1.models['gemini-2.5-flash']!.until) - Date.now()).toBeGreaterThan(50_000);
    expect(status.summary).toEqual({ total: 2, available: 2, cooling_down: 0, disabled: 0 });
  });

  it('answers 429 with Retry-After when every credential is cooling down', async () => {
    stack = await startStack({ accounts: [{ email: 'x1@example.com' }, { email: 'x2@example.com' }] });
    stack.sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 42_000 } });
    const r = await fetch(`${stack.rotor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.password}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(r.status).toBe(429);
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(40);
    expect(retryAfter).toBeLessThanOrEqual(43);
    expect(await r.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'all_credentials_cooling_down' } });
    // Native dialect for the same situation.
    const g = await fetch(`${stack.rotor.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': stack.password!, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }),
    });
    expect(g.status).toBe(429);
    expect(g.headers.get('retry-after')).toBeTruthy();
    expect(await g.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
  });

  it('waits for the quota window to free instead of failing (the queue), or says 429 when told not to wait', async () => {
    stack = await startStack({ accounts: [{ email: 'q1@example.com', rpm: 2 }], sim: { rateWindowMs: 1500 } });
    await ask(stack);
    await ask(stack);
    // Google refuses the third (Rotor knew no limit yet), names when its window frees, and Rotor waits for it.
    const res = await ask(stack, 'again');
    expect(res.choices[0]!.message.content).toBe('Echo from gemini-2.5-flash: again');
    expect(stack.sim.calls({ status: 429 })).toHaveLength(1);
    await stack.close();

    stack = await startStack({ accounts: [{ email: 'q2@example.com', rpm: 2 }], sim: { rateWindowMs: 60_000 }, env: { MAX_QUEUE_WAIT_MS: '0' } });
    await ask(stack);
    await ask(stack);
    await expect(ask(stack)).rejects.toMatchObject({ status: 429 });
  });

  it('disables a revoked account, reports why, and keeps serving with the others', async () => {
    stack = await startStack({ accounts: [{ email: 'v1@example.com', revoked: true }, { email: 'v2@example.com' }] });
    for (let i = 0; i < 4; i++) await ask(stack);
    expect(stack.sim.counts()['v1@example.com']?.generateContent ?? 0).toBe(0);
    const r = await fetch(`${stack.rotor.url}/v1/keys/status`, { headers: { authorization: `Bearer ${stack.password}` } });
    const body = (await r.json()) as { credentials: Array<{ email: string; state: string; reason: string }>; summary: Record<string, number> };
    const v1 = body.credentials.find((c) => c.email === 'v1@example.com')!;
    expect(v1.state).toBe('disabled');
    expect(v1.reason).toMatch(/invalid_grant|revoked/);
    expect(body.summary).toMatchObject({ total: 2, available: 1, disabled: 1 });
  });

  it('answers 503 in both dialects when every credential is disabled, and /health says so', async () => {
    stack = await startStack({ accounts: [{ email: 'd1@example.com', revoked: true }] });
    await expect(ask(stack)).rejects.toMatchObject({ status: 503 });
    const h = await fetch(`${stack.rotor.url}/health`);
    expect(h.status).toBe(503);
    expect(await h.json()).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/disabled/) });
  });

  it('refreshes once on a 401 and retries the same credential', async () => {
    stack = await startStack({ accounts: [{ email: 'u1@example.com' }] });
    await ask(stack);
    const tokensBefore = stack.sim.issuedTokens('u1@example.com').length;
    stack.sim.injectFault({ fault: { type: 'unauthenticated' }, email: 'u1@example.com', times: 1 });
    const res = await ask(stack, 'after 401');
    expect(res.choices[0]!.message.content).toBe('Echo from gemini-2.5-flash: after 401');
    expect(stack.sim.issuedTokens('u1@example.com').length).toBe(tokensBefore + 1);
  });

  it('falls back to the configured model when every credential is out of quota for the requested one', async () => {
    stack = await startStack({
      accounts: [{ email: 'm1@example.com' }, { email: 'm2@example.com' }],
      env: { MODEL_FALLBACKS: 'gemini-2.5-pro=gemini-2.5-flash' },
    });
    stack.sim.injectFault({ fault: { type: 'quota-exhausted', resetInMs: 3_600_000 }, model: 'gemini-2.5-pro' });
    const r = await fetch(`${stack.rotor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.password}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'fallback please' }] }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-rotor-model')).toBe('gemini-2.5-flash');
    const body = (await r.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]!.message.content).toBe('Echo from gemini-2.5-flash: fallback please');
    // Without a fallback configured for it, the same exhaustion is a 429.
    stack.sim.injectFault({ fault: { type: 'quota-exhausted', resetInMs: 3_600_000 }, model: 'gemini-2.5-flash' });
    await expect(ask(stack, 'x', 'gemini-2.5-flash')).rejects.toMatchObject({ status: 429 });
  });
});
