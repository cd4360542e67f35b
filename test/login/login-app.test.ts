/** The login server over plain HTTP: password gate, cookies, loopback guard, public mode, no browser. */
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startLoginServer, type LoginServer } from '../../src/cli/login.js';
import { silentLogger, createLogger } from '../../src/util/log.js';
import { startStack, type Stack } from '../e2e/harness.js';
import { createClient, loginConfig } from './helpers.js';

let stack: Stack | undefined;
let login: LoginServer | undefined;
afterEach(async () => {
  await login?.close();
  await stack?.close();
  login = stack = undefined;
});

/** http.request, because fetch will not let a test choose the Host header. */
function raw(
  url: string,
  headers: Record<string, string>,
  form?: Record<string, string>,
): Promise<{ status: number; location: string | undefined; cookie: string }> {
  return new Promise((resolve, reject) => {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const req = request(
      url,
      { method: form ? 'POST' : 'GET', headers: { ...headers, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) } },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, cookie: String(res.headers['set-cookie'] ?? '') });
      },
    );
    req.on('error', reject).end(body);
  });
}
const rawGet = (url: string, host: string) => raw(url, { host }).then(({ status, location }) => ({ status, location }));

async function start(env: Record<string, string> = {}, accounts = ['pw@example.com']): Promise<LoginServer> {
  stack = await startStack({ accounts: [] });
  for (const email of accounts) stack.sim.addAccount({ email });
  login = await startLoginServer(loginConfig(stack, env), silentLogger, { onboardPollIntervalMs: 10 });
  return login;
}

describe('login server', () => {
  it('asks for the password first, compares it, then logs in through Google with httpOnly SameSite=Lax cookies', async () => {
    const server = await start({ GEMINI_AUTH_PASSWORD: 'correct horse battery' });
    const c = createClient(server.url);
    const first = await c.get('/');
    expect(first.status).toBe(401);
    const page = await first.text();
    expect(page).toContain('Password required');
    expect(page).not.toContain('Login with Google');

    const wrong = await c.post('/password', { password: 'nope', next: '/' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Wrong password');
    expect((await c.post('/start', { mode: 'redirect' })).status).toBe(401);

    const right = await c.post('/password', { password: 'correct horse battery', next: '//evil.example/' });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/');
    const setCookie = right.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^rotor_login=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i);
    const home = await c.get('/');
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain('Login with Google');
    expect(html).not.toContain('correct horse battery');

    // The whole flow by hand: start, Google's chooser, the callback, the result page.
    const started = await c.post('/start', { project: '', mode: 'redirect' });
    expect(started.status).toBe(303);
    const chooser = await (await fetch(started.headers.get('location')!)).text();
    const choose = /href="([^"]*choose[^"]*)"/.exec(chooser)![1]!.replace(/&amp;/g, '&');
    const back = await fetch(new URL(choose, stack!.sim.url), { redirect: 'manual' });
    const callback = new URL(back.headers.get('location')!);
    expect(callback.origin + callback.pathname).toBe(server.redirectUri);
    const done = await c.get(callback.pathname + callback.search);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/done');
    const result = await c.get('/done');
    expect(result.status).toBe(200);
    expect(await result.text()).toContain('pw@example.com');
  });

  it('answers only loopback Host names, and keeps the browser on the DOMAIN_NAME spelling', async () => {
    const server = await start();
    const port = new URL(server.url).port;
    expect((await rawGet(`${server.url}/`, 'evil.example')).status).toBe(403);
    expect((await rawGet(`${server.url}/`, `rebind.attacker.example:${port}`)).status).toBe(403);
    const moved = await rawGet(`${server.url}/paste?state=x`, `localhost:${port}`);
    expect(moved).toEqual({ status: 302, location: `http://127.0.0.1:${port}/paste?state=x` });
    expect((await rawGet(`${server.url}/`, `127.0.0.1:${port}`)).status).toBe(200);
  });

  it('opens to the network only with a public DOMAIN_NAME and a password', async () => {
    const logs: string[] = [];
    stack = await startStack({ accounts: [] });
    const logger = createLogger({ sink: (l) => logs.push(l) });
    const publicHost = { host: 'rotor.example.com', 'x-forwarded-proto': 'https' };

    // Public DOMAIN_NAME without a password: loopback only, with a warning.
    login = await startLoginServer(loginConfig(stack, { DOMAIN_NAME: 'https://rotor.example.com' }), logger);
    expect(logs.join('\n')).toMatch(/public but GEMINI_AUTH_PASSWORD is not set/);
    expect(login.redirectUri).toBe('https://rotor.example.com/oauth2callback');
    expect((await raw(`http://127.0.0.1:${login.port}/`, publicHost)).status).toBe(403);
    await login.close();

    // With a password: served (behind the password page), and the session cookie is Secure over https.
    login = await startLoginServer(loginConfig(stack, { DOMAIN_NAME: 'https://rotor.example.com', GEMINI_AUTH_PASSWORD: 'pw-123456' }), logger);
    expect(login.url).toBe('https://rotor.example.com');
    expect((await raw(`http://127.0.0.1:${login.port}/`, publicHost)).status).toBe(401);
    const ok = await raw(`http://127.0.0.1:${login.port}/password`, publicHost, { password: 'pw-123456', next: '/' });
    expect(ok.status).toBe(303);
    expect(ok.cookie).toMatch(/; Secure/i);
    expect(ok.cookie).toMatch(/HttpOnly/i);
    expect(logs.join('\n')).not.toContain('pw-123456');
  });

  it('shows 404 for unknown pages and bounces /done and /paste without a login to the home page', async () => {
    const server = await start();
    const c = createClient(server.url);
    expect((await c.get('/nope')).status).toBe(404);
    expect((await c.get('/done')).headers.get('location')).toBe('/');
    expect((await c.get('/paste?state=unknown')).headers.get('location')).toBe('/');
    const bad = await c.post('/paste', { redirect_url: 'just some text' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('That is not the redirect address');
  });
});
