/**
 * The one API chain: routing (case-insensitive, HEAD, OPTIONS, 405), access (password; loopback-only when
 * open), bodies (JSON only), and the headers clients act on (retry-after-ms, x-should-retry).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../e2e/harness.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request: node's http lets a test set Host and Origin, as a browser or a rebinding attack would. */
function raw(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: options.method ?? 'GET', path: options.path, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const chat = JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });

describe('the API chain with a password', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'chain@example.com' }] });
  });
  afterAll(() => stack.close());
  const auth = () => ({ authorization: `Bearer ${stack.password!}` });

  it('matches paths case-insensitively and with a trailing slash, as express did', async () => {
    for (const path of ['/V1/MODELS', '/v1/models/', '/V1BETA/models']) {
      const r = await raw(stack.rotor.url, { path, headers: { ...auth(), 'x-goog-api-key': stack.password! } });
      expect(r.status, path).toBe(200);
    }
    const r = await raw(stack.rotor.url, { method: 'POST', path: '/V1/Chat/Completions', headers: { ...auth(), 'content-type': 'application/json' }, body: chat });
    expect(JSON.parse(r.body).choices[0].message.content).toContain('hi');
  });

  it('answers HEAD like GET without a body, and OPTIONS only after auth', async () => {
    const head = await raw(stack.rotor.url, { method: 'HEAD', path: '/v1/models', headers: auth() });
    expect([head.status, head.body]).toEqual([200, '']);
    const anonymous = await raw(stack.rotor.url, { method: 'OPTIONS', path: '/v1/chat/completions' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.allow).toBeUndefined();
    const known = await raw(stack.rotor.url, { method: 'OPTIONS', path: '/v1/chat/completions', headers: auth() });
    expect([known.status, known.headers.allow]).toEqual([204, 'POST']);
  });

  it('answers a wrong method with 405 and the methods that work, in the route dialect', async () => {
    const r = await raw(stack.rotor.url, { method: 'PUT', path: '/v1beta/models/gemini-2.5-flash:generateContent', headers: { 'x-goog-api-key': stack.password! } });
    expect(r.status).toBe(405);
    expect(String(r.headers.allow).split(', ')).toContain('POST');
    expect(JSON.parse(r.body).error).toMatchObject({ code: 405, status: 'UNIMPLEMENTED', message: expect.stringMatching(/no route/) });
  });

  it('closes the connection after answering any Upgrade request (Node reads nothing more on it)', async () => {
    const r = await raw(stack.rotor.url, { path: '/v1/models', headers: { ...auth(), connection: 'Upgrade', upgrade: 'websocket' } });
    expect(r.status).toBe(200);
    expect(r.headers.connection).toBe('close');
  });

  it('refuses a body that is not application/json with a 415 naming the header', async () => {
    const r = await raw(stack.rotor.url, { method: 'POST', path: '/v1/chat/completions', headers: { ...auth(), 'content-type': 'text/plain' }, body: chat });
    expect(r.status).toBe(415);
    expect(JSON.parse(r.body).error.message).toMatch(/Content-Type.*application\/json/);
  });

  it('says when to come back on every 429, in seconds and in milliseconds', async () => {
    stack.sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 42_000 }, times: 1 });
    const r = await raw(stack.rotor.url, { method: 'POST', path: '/v1/chat/completions', headers: { ...auth(), 'content-type': 'application/json' }, body: chat });
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('42');
    expect(Number(r.headers['retry-after-ms'])).toBeGreaterThan(40_000);
    expect(Number(r.headers['retry-after-ms'])).toBeLessThanOrEqual(42_000);
  });
});

describe('the API chain without a password', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [{ email: 'open@example.com' }], password: null });
  });
  afterAll(() => stack.close());

  it('serves this machine: loopback Host names, a loopback Origin, or none', async () => {
    const port = new URL(stack.rotor.url).port;
    for (const headers of <Array<Record<string, string>>>[{}, { host: `localhost:${port}` }, { host: `[::1]:${port}` }, { origin: `http://localhost:${port}` }, { origin: 'http://127.0.0.1:5173' }]) {
      const r = await raw(stack.rotor.url, { method: 'POST', path: '/v1/chat/completions', headers: { ...headers, 'content-type': 'application/json' }, body: chat });
      expect(r.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('refuses a foreign Host (DNS rebinding) before anything is read, on every route but /health', async () => {
    const before = stack.sim.calls().length;
    for (const path of ['/v1/keys/status', '/v1/models', '/v1beta/models']) {
      const r = await raw(stack.rotor.url, { path, headers: { host: 'rebind.attacker.example' } });
      expect(r.status, path).toBe(403);
      expect(r.body).not.toContain('open@example.com');
      expect(r.body).toMatch(/Host/);
    }
    const post = await raw(stack.rotor.url, { method: 'POST', path: '/v1/chat/completions', headers: { host: 'rebind.attacker.example:7860', 'content-type': 'application/json' }, body: chat });
    expect(post.status).toBe(403);
    expect(stack.sim.calls().length).toBe(before);
    expect((await raw(stack.rotor.url, { path: '/health', headers: { host: 'rebind.attacker.example' } })).status).toBe(200);
  });

  it('refuses a cross-site request (a foreign Origin) and a text/plain body a web page could send', async () => {
    const before = stack.sim.calls().length;
    const cross = await raw(stack.rotor.url, { method: 'POST', path: '/v1/chat/completions', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: chat });
    expect(cross.status).toBe(403);
    expect(JSON.parse(cross.body).error.message).toMatch(/cross-site/);
    const form = await raw(stack.rotor.url, { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'text/plain' }, body: chat });
    expect(form.status).toBe(415);
    const native = await raw(stack.rotor.url, {
      method: 'POST',
      path: '/v1beta/models/gemini-2.5-flash:generateContent',
      headers: { origin: 'null', 'content-type': 'application/json' },
      body: '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}',
    });
    expect(native.status).toBe(403);
    expect(JSON.parse(native.body).error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
    expect(stack.sim.calls().length).toBe(before);
  });
});

describe('a pool with nothing to serve', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [] });
  });
  afterAll(() => stack.close());

  it('answers 503 with x-should-retry: false, so SDKs do not retry what waiting cannot fix', async () => {
    const r = await raw(stack.rotor.url, { method: 'POST', path: '/v1/chat/completions', headers: { authorization: `Bearer ${stack.password!}`, 'content-type': 'application/json' }, body: chat });
    expect(r.status).toBe(503);
    expect(r.headers['x-should-retry']).toBe('false');
    expect(JSON.parse(r.body).error.message).toMatch(/no credentials are configured/);
  });
});
