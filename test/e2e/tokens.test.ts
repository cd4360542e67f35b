/**
 * Access tokens and usage through the real server and the simulator: created through /admin/tokens, kept only as a
 * hash, accepted in every dialect's header, held to their limits (429 naming the limit, with the token's own
 * Retry-After) and model lists (403), expired (401), revoked (401 at once); usage counted as the simulator served
 * it; /admin/usage in JSON and CSV; the admin routes refused through a proxy or under a foreign Host.
 */
import { request as httpRequest } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';
import { hashToken } from '../../src/tokens/token.js';
import { TOKEN_NS } from '../../src/tokens/service.js';
import { runTokens } from '../../src/cli/tokens.js';
import { loadConfig } from '../../src/config/config.js';

const MODEL = 'gemini-2.5-flash';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => any;
}

/** A request with any headers (Host included, which fetch will not set). */
function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Raw> {
  const url = new URL(path, base);
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const chatBody = (content: string, model = MODEL, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content }], ...extra });
const geminiBody = (text: string) => ({ contents: [{ role: 'user', parts: [{ text }] }] });

async function waitFor(what: string, check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('access tokens (with GEMINI_AUTH_PASSWORD)', () => {
  let stack: Stack;
  let base: string;
  const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => raw(base, method, path, headers, body);
  const create = async (body: Record<string, unknown>): Promise<string> => {
    const r = await admin('POST', '/admin/tokens', body);
    expect(r.status, r.text).toBe(201);
    return r.json().token as string;
  };
  const chat = (token: string, content: string, model = MODEL, extra: Record<string, unknown> = {}) =>
    raw(base, 'POST', '/v1/chat/completions', { authorization: `Bearer ${token}` }, chatBody(content, model, extra));

  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'tok1@example.com' }, { email: 'tok2@example.com' }], sim: { streamEvents: 3 } });
    base = stack.rotor.url;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('creates a token: shown once, listed without it or its hash, and only its hash at rest', async () => {
    const r = await admin('POST', '/admin/tokens', { name: 'cursor-ide', rpm: 20, rpd: 1000, daily_tokens: 500000, models: [MODEL], expires: '30d' });
    expect(r.status).toBe(201);
    const body = r.json();
    const token = body.token as string;
    expect(token).toMatch(/^rotor_[A-Za-z0-9_-]{43}$/);
    expect(body).toMatchObject({
      name: 'cursor-ide',
      expires: expect.any(String),
      last_used: null,
      limits: { rpm: 20, rpd: 1000, daily_tokens: 500000, models: [MODEL] },
      today: { requests: 0, tokens: 0 },
    });
    expect(Date.parse(body.expires) - Date.parse(body.created)).toBe(30 * 86_400_000);

    const list = await admin('GET', '/admin/tokens');
    expect(list.status).toBe(200);
    const item = list.json().tokens.find((t: { name: string }) => t.name === 'cursor-ide');
    expect(Object.keys(item).sort()).toEqual(['created', 'expires', 'last_used', 'limits', 'name', 'today']);
    expect(list.text).not.toContain(token);
    expect(list.text).not.toContain(hashToken(token));

    // It works (the request's log line names it), then the state file holds the hash and nowhere the token.
    expect((await chat(token, 'hello')).status).toBe(200);
    await stack.rotor.flushState();
    const file = await readFile(join(stack.dir, 'rotor-state.json'), 'utf8');
    expect(file).toContain(hashToken(token));
    expect(file).not.toContain(token);
    expect(file).not.toContain(token.slice('rotor_'.length));
    expect(stack.logs.join('\n')).not.toContain(token);
    expect(stack.logs.some((l) => l.includes('"token":"cursor-ide"') && l.includes('"path":"/v1/chat/completions"'))).toBe(true);
  });

  it('works in every dialect’s header, on generation and other routes', async () => {
    const token = await create({ name: 'everywhere' });
    const cases: Array<[string, string, string, Record<string, string>, unknown]> = [
      ['OpenAI chat, Bearer', 'POST', '/v1/chat/completions', { authorization: `Bearer ${token}` }, chatBody('hi')],
      ['OpenAI models, Bearer', 'GET', '/v1/models', { authorization: `Bearer ${token}` }, undefined],
      ['Responses, Bearer', 'POST', '/v1/responses', { authorization: `Bearer ${token}` }, { model: MODEL, input: 'hi' }],
      ['Gemini, x-goog-api-key', 'POST', `/v1beta/models/${MODEL}:generateContent`, { 'x-goog-api-key': token }, geminiBody('hi')],
      ['Gemini, ?key=', 'POST', `/v1beta/models/${MODEL}:generateContent?key=${token}`, {}, geminiBody('hi')],
      ['Gemini, Bearer', 'POST', `/v1beta/models/${MODEL}:countTokens`, { authorization: `Bearer ${token}` }, geminiBody('hi')],
      ['Anthropic, x-api-key', 'POST', '/v1/messages', { 'x-api-key': token, 'anthropic-version': '2023-06-01' }, { model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }],
      ['Anthropic count, x-api-key', 'POST', '/v1/messages/count_tokens', { 'x-api-key': token }, { model: MODEL, messages: [{ role: 'user', content: 'hi' }] }],
    ];
    for (const [label, method, path, headers, body] of cases) {
      const r = await raw(base, method, path, headers, body);
      expect(r.status, `${label}: ${r.text}`).toBe(200);
    }
    // A token-shaped secret that is no token, and a wrong password, are refused in each dialect's shape.
    const bad = await raw(base, 'POST', '/v1/messages', { 'x-api-key': 'rotor_' + 'x'.repeat(43) }, { model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect(bad.status).toBe(401);
    expect(bad.json()).toMatchObject({ type: 'error', error: { message: expect.stringContaining('no such access token') } });
    // The password keeps working beside tokens.
    expect((await chat(stack.password!, 'with the password')).status).toBe(200);
  });

  it('rpm: the next request is a 429 in the route’s dialect, naming the limit, with the token’s own Retry-After', async () => {
    const token = await create({ name: 'rpm-two', rpm: 2 });
    expect((await chat(token, 'one')).status).toBe(200);
    expect((await chat(token, 'two')).status).toBe(200);
    const calls = stack.sim.calls().length;
    const r = await chat(token, 'three');
    expect(r.status).toBe(429);
    expect(r.json().error.message).toBe('token rpm-two: rpm limit of 2 reached');
    const retry = Number(r.headers['retry-after']);
    const retryMs = Number(r.headers['retry-after-ms']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(Math.ceil(retryMs / 1000)).toBe(retry);
    // Refused before Google: nothing was sent upstream.
    expect(stack.sim.calls().length).toBe(calls);
    // Gemini's shape on its route.
    const g = await raw(base, 'POST', `/v1beta/models/${MODEL}:generateContent`, { 'x-goog-api-key': token }, geminiBody('four'));
    expect(g.status).toBe(429);
    expect(g.json()).toMatchObject({ error: { code: 429, message: 'token rpm-two: rpm limit of 2 reached' } });
    expect(g.headers['retry-after']).toBeDefined();
  });

  it('rpd: refused until UTC midnight, and SDKs are told not to retry', async () => {
    const token = await create({ name: 'rpd-one', rpd: 1 });
    expect((await chat(token, 'one')).status).toBe(200);
    const r = await chat(token, 'two');
    expect(r.status).toBe(429);
    expect(r.json().error.message).toBe('token rpd-one: rpd limit of 1 reached');
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    expect(Number(r.headers['retry-after-ms'])).toBeLessThanOrEqual(midnight - now.getTime() + 1000);
    expect(Number(r.headers['retry-after-ms'])).toBeGreaterThan(midnight - now.getTime() - 60_000);
    expect(r.headers['x-should-retry']).toBe('false');
  });

  it('daily tokens: once a response’s usage fills the day, the next request is refused', async () => {
    const token = await create({ name: 'tokens-10', daily_tokens: 10 });
    const first = await chat(token, 'a prompt long enough to use more than ten tokens in all, surely');
    expect(first.status).toBe(200);
    expect(first.json().usage.total_tokens).toBeGreaterThan(10);
    const r = await chat(token, 'again');
    expect(r.status).toBe(429);
    expect(r.json().error.message).toBe('token tokens-10: daily_tokens limit of 10 reached');
    // A stream counts its final usage the same way.
    const streamed = await create({ name: 'tokens-stream', daily_tokens: 10 });
    const s = await chat(streamed, 'a streamed prompt long enough to use more than ten tokens', MODEL, { stream: true });
    expect(s.status).toBe(200);
    expect(s.text).toContain('[DONE]');
    expect((await chat(streamed, 'again')).status).toBe(429);
  });

  it('a model outside the token’s list is a 403 naming the allowed ones, after aliases and on every route', async () => {
    const token = await create({ name: 'flash-only', models: [MODEL] });
    const r = await chat(token, 'hi', 'gemini-2.5-pro');
    expect(r.status).toBe(403);
    expect(r.json().error).toMatchObject({ message: 'token flash-only may not use model gemini-2.5-pro; it may use gemini-2.5-flash', param: 'model' });
    // Claude names are aliases: claude-*haiku* → gemini-2.5-flash (allowed), claude-opus → gemini-2.5-pro (not).
    const anthropic = (model: string) => raw(base, 'POST', '/v1/messages', { 'x-api-key': token }, { model, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    expect((await anthropic('claude-3-5-haiku-latest')).status).toBe(200);
    const opus = await anthropic('claude-opus-4-1');
    expect(opus.status).toBe(403);
    expect(opus.json().error.message).toContain('may not use model gemini-2.5-pro');
    expect((await raw(base, 'POST', '/v1beta/models/gemini-2.5-pro:countTokens', { 'x-goog-api-key': token }, geminiBody('hi'))).status).toBe(403);
    expect((await raw(base, 'POST', '/v1/messages/count_tokens', { 'x-api-key': token }, { model: 'claude-opus-4-1', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(403);
    expect((await raw(base, 'POST', '/v1/embeddings', { authorization: `Bearer ${token}` }, { model: 'text-embedding-004', input: 'hi' })).status).toBe(403);
  });

  it('an expired token is a 401 that says it expired', async () => {
    const token = 'rotor_' + 'e'.repeat(43);
    // Written as another instance (or an older run) would have: the mirror hears of it through the change event.
    const record = { name: 'old-laptop', hash: hashToken(token), created: '2024-01-01T00:00:00.000Z', expires: '2024-02-01T00:00:00.000Z' };
    await stack.rotor.store.kvSet(TOKEN_NS, 'old-laptop', JSON.stringify(record));
    await waitFor('the mirror to hear of it', async () => stack.rotor.tokens.get('old-laptop') !== undefined);
    const r = await chat(token, 'hi');
    expect(r.status).toBe(401);
    expect(r.json().error).toMatchObject({ code: 'token_expired', message: expect.stringContaining('access token "old-laptop" expired at 2024-02-01T00:00:00.000Z') });
  });

  it('revoke: 204, then 401 at once; again: 404', async () => {
    const token = await create({ name: 'to-revoke' });
    expect((await chat(token, 'before')).status).toBe(200);
    expect((await admin('DELETE', '/admin/tokens/to-revoke')).status).toBe(204);
    const r = await chat(token, 'after');
    expect(r.status).toBe(401);
    expect((await admin('DELETE', '/admin/tokens/to-revoke')).status).toBe(404);
    expect((await admin('GET', '/admin/tokens')).json().tokens.map((t: { name: string }) => t.name)).not.toContain('to-revoke');
  });

  it('the admin API answers bad input with 400 naming the field, and a taken name with 409', async () => {
    const taken = await admin('POST', '/admin/tokens', { name: 'cursor-ide' });
    expect(taken.status).toBe(409);
    expect(taken.json().error).toMatchObject({ param: 'name', message: expect.stringContaining('already exists') });
    for (const [body, param] of [
      [{ name: 'bad name' }, 'name'],
      [{ name: 'x', rpm: -1 }, 'rpm'],
      [{ name: 'x', models: 'gemini-2.5-flash' }, 'models'],
      [{ name: 'x', expires: 'soon' }, 'expires'],
      [{ name: 'x', limit: 5 }, 'limit'],
    ] as const) {
      const r = await admin('POST', '/admin/tokens', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json().error.param).toBe(param);
    }
    for (const q of ['from=2025-13-01', 'to=yesterday', 'by=project', 'format=xml', 'from=2025-06-02&to=2025-06-01']) {
      const r = await admin('GET', `/admin/usage?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json().error.message).toBeTruthy();
    }
  });

  it('usage: requests and tokens per token as the simulator served them, in JSON and CSV', async () => {
    const token = await create({ name: 'usage-check' });
    const before = stack.sim.calls().filter((c) => c.method === 'generateContent' || c.method === 'streamGenerateContent').length;
    let prompt = 0;
    let completion = 0;
    let thinking = 0;
    for (let i = 0; i < 3; i++) {
      const r = await raw(base, 'POST', `/v1beta/models/${MODEL}:generateContent`, { 'x-goog-api-key': token }, geminiBody(`count me ${i} ${'word '.repeat(i * 5)}`));
      expect(r.status).toBe(200);
      const u = r.json().usageMetadata;
      prompt += u.promptTokenCount;
      completion += u.candidatesTokenCount ?? 0;
      thinking += u.thoughtsTokenCount ?? 0;
    }
    const c = await chat(token, 'and one through OpenAI');
    prompt += c.json().usage.prompt_tokens;
    completion += c.json().usage.completion_tokens - (c.json().usage.completion_tokens_details?.reasoning_tokens ?? 0);
    thinking += c.json().usage.completion_tokens_details?.reasoning_tokens ?? 0;
    // Refused by a model list: counted as a request with its error, under credential '-'.
    const upstream = stack.sim.calls().filter((x) => x.method === 'generateContent' || x.method === 'streamGenerateContent').length - before;
    expect(upstream).toBe(4);

    const today = new Date().toISOString().slice(0, 10);
    const json = await admin('GET', `/admin/usage?from=${today}&to=${today}&by=token`);
    expect(json.status).toBe(200);
    const report = json.json();
    expect(report).toMatchObject({ from: today, to: today, by: 'token' });
    expect(report.rows.find((r: { key: string }) => r.key === 'usage-check')).toEqual({
      day: today,
      key: 'usage-check',
      requests: 4,
      prompt_tokens: prompt,
      completion_tokens: completion,
      thinking_tokens: thinking,
      errors: {},
    });
    // Defaults: today, by token.
    expect((await admin('GET', '/admin/usage')).json()).toMatchObject({ from: today, to: today, by: 'token' });
    // By credential: every request served today, across the two accounts, adds up to the token rows' total.
    const byToken = report.rows.reduce((n: number, r: { requests: number }) => n + r.requests, 0);
    const byCred = (await admin('GET', '/admin/usage?by=credential')).json().rows;
    expect(byCred.reduce((n: number, r: { requests: number }) => n + r.requests, 0)).toBe(byToken);
    expect(byCred.some((r: { key: string; errors: Record<string, number> }) => r.key === '-' && (r.errors['429'] ?? 0) > 0)).toBe(true);
    expect((await admin('GET', '/admin/usage?by=model')).json().rows.some((r: { key: string }) => r.key === MODEL)).toBe(true);
    expect((await admin('GET', '/admin/usage?by=bucket')).json().rows.length).toBeGreaterThan(0);
    // The token's list entry shows today's usage too.
    const item = (await admin('GET', '/admin/tokens')).json().tokens.find((t: { name: string }) => t.name === 'usage-check');
    expect(item.today).toEqual({ requests: 4, tokens: prompt + completion + thinking });
    expect(item.last_used).not.toBeNull();

    const csv = await admin('GET', `/admin/usage?from=${today}&to=${today}&by=token&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('day,key,requests,prompt_tokens,completion_tokens,thinking_tokens,errors');
    expect(lines).toContain(`${today},usage-check,4,${prompt},${completion},${thinking},`);
    expect(lines.some((l) => /^\S+,rpm-two,\d+,\d+,\d+,\d+,.*429:\d+/.test(l))).toBe(true);
  });

  it('rotor tokens watch in a terminal redraws its table in place, every interval, until stopped', async () => {
    const token = await create({ name: 'watched' });
    const result = loadConfig({ PORT: String(stack.rotor.port), HOST: '127.0.0.1', PERSISTENT_STORAGE_PATH: stack.dir });
    if (!result.ok) throw new Error(result.errors.join());
    const frames: string[] = [];
    const stop = new AbortController();
    const io = { isTTY: true, out: (t: string) => void frames.push(t), err: (t: string) => void frames.push(`ERR ${t}`) };
    const running = runTokens(['watch'], () => result.config, io, { watchIntervalMs: 20, signal: stop.signal });
    await waitFor('a first frame', async () => frames.some((f) => f.includes('watched')));
    expect((await chat(token, 'watch me')).status).toBe(200);
    // The table's row for the token, with one request today and one in the last minute.
    await waitFor('a frame with the request', async () => frames.some((f) => /watched\s+1\s+\d+\s+1\s+[1-9]/.test(f)));
    stop.abort();
    expect(await running).toBe(0);
    const drawn = frames.filter((f) => f.includes('watched'));
    // The first frame is drawn as is; every later one first moves the cursor back up over the previous frame.
    expect(frames[0]).toBe('\x1b[?25l');
    expect(drawn[0]).not.toMatch(/^\x1b\[\d+F/);
    expect(drawn.slice(1).every((f) => /^\x1b\[\d+F/.test(f) && f.endsWith('\x1b[J'))).toBe(true);
    expect(frames.at(-1)).toBe('\x1b[?25h');
    expect(frames.join('')).toMatch(/NAME\s+REQ TODAY\s+TOKENS TODAY\s+REQ LAST MIN\s+TOKENS LAST MIN\s+LAST USED/);
    expect(frames.join('')).not.toContain(token);
  });

  it('the admin routes answer only directly on loopback: refused through a proxy or under a foreign Host', async () => {
    const routes: Array<[string, string, unknown]> = [
      ['GET', '/admin/tokens', undefined],
      ['POST', '/admin/tokens', { name: 'sneaky' }],
      ['DELETE', '/admin/tokens/cursor-ide', undefined],
      ['GET', '/admin/usage', undefined],
    ];
    const variants: Array<Record<string, string>> = [
      { 'x-forwarded-for': '203.0.113.9' },
      { forwarded: 'for=203.0.113.9' },
      { 'cf-connecting-ip': '203.0.113.9' },
      { 'x-real-ip': '203.0.113.9' },
      { host: 'rotor.example.com' },
      // The API password is not the admin password.
      { 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${stack.password}` },
    ];
    for (const [method, path, body] of routes) {
      for (const headers of variants) {
        const r = await raw(base, method, path, headers, body);
        expect(r.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(r.json().error.code).toBe('admin_loopback_only');
      }
    }
    expect((await admin('GET', '/admin/tokens')).json().tokens.map((t: { name: string }) => t.name)).not.toContain('sneaky');
    expect((await admin('GET', '/admin/tokens')).json().tokens.map((t: { name: string }) => t.name)).toContain('cursor-ide');
  });
});

describe('access tokens without a password', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'open@example.com' }], password: null });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('the API stays loopback-only without a key; a valid token is served under any Host; a revoked one is refused even on loopback', async () => {
    const base = stack.rotor.url;
    const body = chatBody('hi');
    expect((await raw(base, 'POST', '/v1/chat/completions', {}, body)).status).toBe(200);
    expect((await raw(base, 'POST', '/v1/chat/completions', { host: 'rotor.example.com' }, body)).status).toBe(403);
    const created = await raw(base, 'POST', '/admin/tokens', {}, { name: 'tunnel' });
    const token = created.json().token as string;
    // Through a tunnel: a foreign Host and forwarding headers; the token is enough.
    const tunnel = { host: 'abc.trycloudflare.com', 'x-forwarded-for': '203.0.113.9', 'cf-connecting-ip': '203.0.113.9' };
    expect((await raw(base, 'POST', '/v1/chat/completions', { ...tunnel, authorization: `Bearer ${token}` }, body)).status).toBe(200);
    expect((await raw(base, 'POST', `/v1beta/models/${MODEL}:generateContent`, { ...tunnel, 'x-goog-api-key': token }, geminiBody('hi'))).status).toBe(200);
    // Without it, the same request is refused as before; with a made-up key too.
    expect((await raw(base, 'POST', '/v1/chat/completions', tunnel, body)).status).toBe(403);
    expect((await raw(base, 'POST', '/v1/chat/completions', { ...tunnel, authorization: 'Bearer sk-anything' }, body)).status).toBe(403);
    // Loopback clients may still send any placeholder key.
    expect((await raw(base, 'POST', '/v1/chat/completions', { authorization: 'Bearer sk-anything' }, body)).status).toBe(200);
    // Revoked: refused at once, from anywhere, loopback included.
    expect((await raw(base, 'DELETE', '/admin/tokens/tunnel')).status).toBe(204);
    expect((await raw(base, 'POST', '/v1/chat/completions', { authorization: `Bearer ${token}` }, body)).status).toBe(401);
    expect((await raw(base, 'POST', '/v1/chat/completions', { ...tunnel, authorization: `Bearer ${token}` }, body)).status).toBe(401);
  });
});
