/**
 * GET /metrics on the real stack: after a success, a failover past an injected 429, a stream, a native call, an
 * unknown model, a refused password and a model list, the scrape (parsed strictly) counts exactly that; the
 * gauges read at scrape time agree with the pool's status and /v1/keys/status. Access: loopback only (no
 * forwarding headers, a loopback Host) by default; with METRICS_TOKEN, that token from anywhere and nothing else.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../e2e/harness.js';
import { parsePrometheusText, samples, total, type Family } from './metrics-text.js';

const MODEL = 'gemini-2.5-flash';
const CHAT = { route: '/v1/chat/completions', dialect: 'openai' };

/** A GET with exactly these headers (fetch will not send a Host of our choosing). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function scrape(stack: Stack, headers: Record<string, string> = {}): Promise<Map<string, Family>> {
  const r = await get(`${stack.rotor.url}/metrics`, headers);
  expect(r.status, r.body).toBe(200);
  expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(r.body);
}

describe('GET /metrics', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      accounts: [{ email: 'm1@example.com' }, { email: 'm2@example.com' }],
      sim: { streamEvents: 3 },
      env: {
        ROTATION_STRATEGY: 'round-robin',
        QUOTAS: JSON.stringify({ routes: { 'code-assist': { '*': { [MODEL]: { rpm: 100, rpd: 1000 } } } }, buckets: { 'user:m2@example.com': { 'gemini-2.5-pro': { rpd: 50 } } } }),
      },
    });
  });
  afterAll(() => stack.close());

  it('counts requests, attempts, failovers, streams and tokens as they happened', async () => {
    const ask = (content: string) => stack.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }] });
    await ask('plain');
    // The next call to Google is refused with a 429: the request fails over to the other credential.
    stack.sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 60_000 }, times: 1 });
    await ask('after a 429');
    const stream = await stack.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'a stream' }], stream: true });
    for await (const chunk of stream) void chunk;
    const native = await stack.genai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'native' });
    await expect(stack.openai.chat.completions.create({ model: 'no-such-model-xyz', messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow();
    expect((await fetch(`${stack.rotor.url}/v1/models`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${stack.rotor.url}/v1/models`, { headers: { authorization: `Bearer ${stack.password}` } })).status).toBe(200);

    const m = await scrape(stack);
    // Requests: by the route's template, dialect, model and status.
    expect(samples(m, 'rotor_requests_total', { ...CHAT, model: MODEL })).toEqual([
      { name: 'rotor_requests_total', labels: { ...CHAT, model: MODEL, status: '200' }, value: 3 },
    ]);
    expect(total(m, 'rotor_requests_total', { route: '/v1beta/models/{param}', dialect: 'google', model: 'gemini-2.5-pro', status: '200' })).toBe(1);
    // A model Rotor does not know is counted, but not named.
    const unknown = samples(m, 'rotor_requests_total', { ...CHAT, model: 'other' });
    expect(unknown).toHaveLength(1);
    expect(unknown[0]!.labels.status).toMatch(/^4\d\d$/);
    expect(JSON.stringify([...m.values()])).not.toContain('no-such-model-xyz');
    // No model involved: the refused password and the model list.
    expect(total(m, 'rotor_requests_total', { route: '/v1/models', model: 'none', status: '401' })).toBe(1);
    expect(total(m, 'rotor_requests_total', { route: '/v1/models', model: 'none', status: '200' })).toBe(1);
    expect(total(m, 'rotor_request_duration_seconds_count', { ...CHAT, model: MODEL })).toBe(3);
    // Time to first byte: the stream only.
    expect(total(m, 'rotor_stream_first_byte_seconds_count')).toBe(1);
    expect(total(m, 'rotor_stream_first_byte_seconds_count', { ...CHAT, model: MODEL })).toBe(1);

    // Attempts match what Google (the simulator) saw: one refused for its rate, the rest answered.
    const calls = stack.sim.calls().filter((c) => c.method === 'generateContent' || c.method === 'streamGenerateContent');
    expect(total(m, 'rotor_upstream_attempts_total', { outcome: 'error', kind: 'rate', model: MODEL, route: 'code-assist' })).toBe(1);
    expect(total(m, 'rotor_upstream_attempts_total', { outcome: 'error' })).toBe(calls.filter((c) => c.status !== 200).length);
    expect(total(m, 'rotor_upstream_attempts_total', { outcome: 'ok', kind: 'none' })).toBe(calls.filter((c) => c.status === 200).length);
    expect(total(m, 'rotor_upstream_attempts_total', { outcome: 'ok', model: MODEL })).toBe(3);
    expect(total(m, 'rotor_upstream_attempt_duration_seconds_count')).toBe(calls.length);
    expect(total(m, 'rotor_upstream_attempt_duration_seconds_count', { outcome: 'ok', stream: 'true' })).toBe(1);
    expect(total(m, 'rotor_failovers_total', { model: MODEL })).toBe(1);
    expect(total(m, 'rotor_fallbacks_total')).toBe(0);

    // Tokens: what Google reported for the native call.
    const usage = native.usageMetadata!;
    expect(usage.promptTokenCount).toBeGreaterThan(0);
    expect(total(m, 'rotor_tokens_total', { model: 'gemini-2.5-pro', type: 'prompt' })).toBe(usage.promptTokenCount);
    expect(total(m, 'rotor_tokens_total', { model: 'gemini-2.5-pro', type: 'completion' })).toBe(usage.candidatesTokenCount ?? 0);
    expect(total(m, 'rotor_tokens_total', { model: 'gemini-2.5-pro', type: 'thinking' })).toBe(usage.thoughtsTokenCount ?? 0);
    // …and for the chat model, the sum of the prompts the simulator booked.
    const booked = calls.filter((c) => c.status === 200 && c.model === MODEL).reduce((a, c) => a + (c.inputTokens ?? 0), 0);
    expect(booked).toBeGreaterThan(0);
    expect(total(m, 'rotor_tokens_total', { model: MODEL, type: 'prompt' })).toBe(booked);
  });

  it('reads credentials, cooldowns, the queue, the quota book and the store when scraped', async () => {
    const m = await scrape(stack);
    const status = stack.rotor.pool.status();
    for (const state of ['available', 'cooling_down', 'disabled'] as const) {
      expect(total(m, 'rotor_credentials', { state }), state).toBe(status.summary[state]);
    }
    expect(total(m, 'rotor_credentials', { route: 'code-assist' })).toBe(2);
    // The 429 above cooled one bucket for the model (the credential itself stays available for others).
    const cooling = status.credentials.filter((c) => c.models[MODEL] !== undefined).length;
    expect(cooling).toBe(1);
    expect(total(m, 'rotor_model_cooling_credentials', { model: MODEL })).toBe(cooling);
    expect(samples(m, 'rotor_queue_waiting').every((s) => s.value === 0)).toBe(true);
    expect(total(m, 'rotor_store_up', { kind: 'memory' })).toBe(1);

    // Quota: the same figures as /v1/keys/status, bucket by bucket.
    const keys = (await (await fetch(`${stack.rotor.url}/v1/keys/status`, { headers: { authorization: `Bearer ${stack.password}` } })).json()) as {
      quotas: Array<{ bucket: string; models: Record<string, Record<string, { used: number; limit: number }>> }>;
    };
    let figures = 0;
    for (const q of keys.quotas) {
      for (const [model, windows] of Object.entries(q.models)) {
        for (const [window, w] of Object.entries(windows)) {
          expect(samples(m, 'rotor_quota_used', { bucket: q.bucket, model, window }).map((s) => s.value), `${q.bucket} ${model} ${window}`).toEqual([w.used]);
          expect(samples(m, 'rotor_quota_limit', { bucket: q.bucket, model, window }).map((s) => s.value)).toEqual([w.limit]);
          figures++;
        }
      }
    }
    expect(figures).toBe(5); // two buckets × rpm and rpd for the flash model, and m2's own rpd for pro
    expect(samples(m, 'rotor_quota_used')).toHaveLength(figures);
    expect(total(m, 'rotor_quota_used', { model: MODEL, window: 'rpd' })).toBe(3);

    // Node's own process metrics, under the same prefix.
    expect(m.get('rotor_process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(m.get('rotor_nodejs_heap_size_used_bytes')?.type).toBe('gauge');
    expect(m.get('rotor_nodejs_eventloop_lag_p99_seconds')?.type).toBe('gauge');
    // All but the GC histogram, whose observer cost every request CPU (see processMetricsRegistry).
    expect(m.has('rotor_nodejs_gc_duration_seconds')).toBe(false);
  });

  it('answers only on this machine, directly: a forwarded request or another Host is refused', async () => {
    const url = `${stack.rotor.url}/metrics`;
    for (const header of ['x-forwarded-for', 'forwarded', 'cf-connecting-ip', 'x-real-ip']) {
      const r = await get(url, { [header]: header === 'forwarded' ? 'for=203.0.113.9' : '203.0.113.9' });
      expect(r.status, header).toBe(403);
      expect(r.body).not.toContain('rotor_');
    }
    expect((await get(url, { host: 'rotor.example.com' })).status).toBe(403);
    // The API password is not the way in either (it opens the API, not the operator's pages).
    expect((await get(url, { authorization: `Bearer ${stack.password}`, 'x-forwarded-for': '203.0.113.9' })).status).toBe(403);
    expect((await get(url, { host: `localhost:${stack.rotor.port}` })).status).toBe(200);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  let stack: Stack;
  const token = 'metrics-token-3f9c2a7e';
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 't1@example.com' }], env: { METRICS_TOKEN: token } });
  });
  afterAll(() => stack.close());

  it('opens to the token from anywhere, and to nothing else', async () => {
    const url = `${stack.rotor.url}/metrics`;
    const wrong = await get(url, { authorization: 'Bearer not-the-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(wrong.body).not.toContain(token);
    // Loopback alone is not enough once a token is set.
    expect((await get(url)).status).toBe(401);
    expect((await get(url, { authorization: `Bearer ${stack.password}` })).status).toBe(401);
    const through = await get(url, { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.9', host: 'rotor.example.com' });
    expect(through.status).toBe(200);
    expect(parsePrometheusText(through.body).get('rotor_requests_total')?.type).toBe('counter');
    // The token never reaches the logs.
    expect(stack.logs.join('\n')).not.toContain(token);
  });
});

describe('GET /metrics with ADMIN_PASSWORD', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'a1@example.com' }], env: { ADMIN_PASSWORD: 'admin-secret-77' } });
  });
  afterAll(() => stack.close());

  it('asks for the admin password, from anywhere', async () => {
    const url = `${stack.rotor.url}/metrics`;
    expect((await get(url)).status).toBe(401);
    expect((await get(url, { authorization: 'Bearer admin-secret-78' })).status).toBe(401);
    expect((await get(url, { authorization: 'Bearer admin-secret-77', 'x-forwarded-for': '203.0.113.9' })).status).toBe(200);
  });
});

describe('GET /metrics and the wait queue', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      accounts: [],
      apiKeys: [{ key: 'AIzaSyMetricsQueue1aaaaaaaaaaaaaaaaaaaaa', projectId: 'mq' }],
      apiKeysWithProjects: true,
      // One request a minute: the second waits in line (for as long as the test needs; it leaves when aborted).
      env: { QUOTAS: JSON.stringify({ buckets: { 'project:mq': { [MODEL]: { rpm: 1 } } } }), MAX_QUEUE_WAIT_MS: '600000' },
    });
  });
  afterAll(() => stack.close());

  /** Yields to the event loop (no timer) until the condition holds. */
  async function until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise((r) => setImmediate(r));
  }

  it('shows a request waiting in line, and counts the wait after it left', async () => {
    await stack.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'fills the minute' }] });
    const leaving = new AbortController();
    const waiting = stack.openai.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'waits' }] }, { signal: leaving.signal })
      .catch(() => 'aborted');
    await until(() => stack.rotor.queue.stats()[0]?.waiting === 1);
    let m = await scrape(stack);
    expect(samples(m, 'rotor_queue_waiting').map((s) => [s.labels.model, s.value])).toEqual([[MODEL, 1]]);
    expect(total(m, 'rotor_queue_waits_total', { model: MODEL })).toBe(1);
    expect(total(m, 'rotor_quota_used', { bucket: 'project:mq', model: MODEL, window: 'rpm' })).toBe(1);
    expect(total(m, 'rotor_quota_limit', { bucket: 'project:mq', model: MODEL, window: 'rpm' })).toBe(1);

    leaving.abort();
    expect(await waiting).toBe('aborted');
    await until(() => stack.rotor.queue.stats().length === 0);
    m = await scrape(stack);
    // The client left before anything answered: 499.
    expect(total(m, 'rotor_queue_waiting')).toBe(0);
    expect(total(m, 'rotor_queue_waits_total', { model: MODEL })).toBe(1);
    expect(total(m, 'rotor_requests_total', { ...CHAT, status: '499' })).toBe(1);
    expect(total(m, 'rotor_upstream_attempts_total', { route: 'gemini-api' })).toBe(1);
  });
});
