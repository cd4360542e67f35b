/**
 * Login mode against hostile or broken input (issue 10): a flood of forged callbacks, a Google that never
 * answers, Google echoing tokens in its errors, password guessing, and forms posted by other sites. The
 * real login server, the simulator over HTTP, no browser.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BoundedMemoryStore } from '../../src/http/pages/session-store.js';
import type { SimMethod } from '../../src/simulator/index.js';
import { chooseAccount, createClient, finishLogin, startLoginStack, type LoginStack } from './helpers.js';

let ls: LoginStack | undefined;
afterEach(async () => {
  await ls?.close();
  ls = undefined;
});

/** Runs `count` requests, `width` at a time. */
async function flood(count: number, width: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

describe('login mode: a flood of cookie-less callbacks', () => {
  it('creates no session, so a pending login survives 2,000 of them and completes', async () => {
    const store = new BoundedMemoryStore(1000, 30 * 60_000);
    ls = await startLoginStack([{ email: 'flood@example.com' }], {}, { sessionStore: store });
    const c = createClient(ls.login.url);
    const callback = await chooseAccount(c, 'flood@example.com');
    expect(store.size).toBe(1);

    // What an <img src=".../oauth2callback?..."> on any web page makes a browser send: no cookie (SameSite=Lax).
    const statuses = new Map<number, number>();
    let cookies = 0;
    await flood(2000, 16, async (i) => {
      const res = await fetch(`${ls!.login.url}/oauth2callback?state=forged-${i}&code=4/0Aforged-${i}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.headers.get('set-cookie')) cookies += 1;
      await res.body?.cancel();
    });
    expect(store.size).toBe(1);
    const result = await finishLogin(c, callback);
    expect(result.html).toContain('Account added');
    expect(await ls.files()).toEqual(['oauth_creds_flood@example.com_sim-project-flood.json']);
    // Each forged callback got its error page at once, and no cookie.
    expect(Object.fromEntries(statuses)).toEqual({ 400: 2000 });
    expect(cookies).toBe(0);
  });

  it('answers a cookie-less callback with the error page itself', async () => {
    ls = await startLoginStack([]);
    const res = await fetch(`${ls.login.url}/oauth2callback?state=abc&code=4/0Aforged`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('data-result="error"');
    expect(page).toContain('does not match a login started here');
  });
});

describe('login mode: forms posted by other web sites', () => {
  it('refuses them before any session or password check, and keeps same-site forms working', async () => {
    const store = new BoundedMemoryStore(1000, 30 * 60_000);
    ls = await startLoginStack([{ email: 'site@example.com' }], { GEMINI_AUTH_PASSWORD: 'right-password-123' }, {
      sessionStore: store,
      wrongPasswordDelayMs: 0,
    });
    const crossSite = (path: string, form: Record<string, string>) =>
      fetch(`${ls!.login.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams(form),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      });
    for (let i = 0; i < 20; i++) {
      const res = await crossSite('/password', { password: 'guess', next: '/' });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('sent to Rotor by another web site');
    }
    // Twenty guesses from a web page spent none of the user's budget, and the right password from one is ignored too.
    expect((await crossSite('/password', { password: 'right-password-123', next: '/' })).headers.get('set-cookie')).toBeNull();
    expect(store.size).toBe(0);

    const c = createClient(ls.login.url);
    const ok = await c.post('/password', { password: 'right-password-123', next: '/' });
    expect(ok.status).toBe(303);
    const start = await fetch(`${ls.login.url}/start`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ mode: 'redirect' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site', cookie: c.cookie() },
    });
    expect(start.status).toBe(403);
    const result = await finishLogin(c, await chooseAccount(c, 'site@example.com'));
    expect(result.html).toContain('Account added');
  });
});

describe('login mode: a Google that never answers', () => {
  const stalls: Array<[SimMethod, RegExp, number]> = [
    ['token', /token endpoint did not answer the code exchange within 300 ms/, 504],
    ['userinfo', /userinfo endpoint did not answer within 300 ms/, 504],
    ['loadCodeAssist', /loadCodeAssist: endpoint unreachable \(no answer within 300 ms\)/, 502],
  ];

  it('ends each call to Google (code exchange, userinfo, Code Assist) in an error page naming it', async () => {
    ls = await startLoginStack([{ email: 'slow@example.com' }], {}, { requestTimeoutMs: 300 });
    const c = createClient(ls.login.url);
    for (const [method, message, status] of stalls) {
      // Far longer than the test runs: only the timeout can end this login.
      ls.stack.sim.injectFault({ method, email: 'slow@example.com', times: 1, fault: { type: 'stall', ms: 10 * 60_000 } });
      const result = await finishLogin(c, await chooseAccount(c, 'slow@example.com'));
      expect(result.html, method).toContain('data-result="error"');
      expect(result.html, method).toMatch(message);
      expect(result.status, method).toBe(status);
    }
    expect(await ls.files()).toEqual([]);

    // Once Google answers again, the same login works.
    const ok = await finishLogin(c, await chooseAccount(c, 'slow@example.com'));
    expect(ok.html).toContain('Account added');
  });
});

describe('login mode: Google echoing tokens', () => {
  const access = 'ya29.a0AfH6SMBechoedAccessTokenValue0123456789';
  const refresh = '1//0gEchoedRefreshTokenValue-abcdefghijklmnop';

  it('masks them in the page of a refused code exchange and of an OAuth error redirect', async () => {
    ls = await startLoginStack([{ email: 'echo@example.com' }]);
    const c = createClient(ls.login.url);
    ls.stack.sim.injectFault({
      method: 'token',
      times: 1,
      fault: { type: 'status', status: 400, body: { error: 'invalid_grant', error_description: `Bad code for ${access} (refresh ${refresh})` } },
    });
    const refused = await finishLogin(c, await chooseAccount(c, 'echo@example.com'));
    expect(refused.status).toBe(502);
    expect(refused.html).toContain('invalid_grant: Bad code for ya29…789 (refresh 1//0…nop)');
    expect(refused.html).not.toContain(access);
    expect(refused.html).not.toContain(refresh);

    // Google's error redirect carries its own error_description, straight from the browser's address bar.
    const callback = await chooseAccount(c, 'echo@example.com');
    callback.searchParams.delete('code');
    callback.searchParams.set('error', 'invalid_request');
    callback.searchParams.set('error_description', `echo ${access} ${refresh}`);
    const redirected = await finishLogin(c, callback);
    expect(redirected.html).toMatch(/&quot;invalid_request&quot;: echo ya29…789 1\/\/0…/);
    expect(redirected.html).not.toContain(access);
    expect(redirected.html).not.toContain(refresh);

    // The paste flow shows the same page.
    const pasted = await chooseAccount(c, 'echo@example.com');
    pasted.searchParams.delete('code');
    pasted.searchParams.set('error', 'server_error');
    pasted.searchParams.set('error_description', `${'x'.repeat(190)} ${refresh}`);
    const res = await c.post('/paste', { redirect_url: pasted.href });
    expect(res.headers.get('location')).toBe('/done');
    const page = await (await c.get('/done')).text();
    expect(page).toContain('server_error');
    // Cut at the limit: the token is dropped whole, not cut in half where masking would miss it.
    expect(page).not.toContain('1//0gEch');
    expect(ls.logs.join('\n')).not.toContain(access);
    expect(ls.logs.join('\n')).not.toContain(refresh);
  });
});

describe('login mode: password guessing', () => {
  it('allows 10 wrong passwords per client in 15 minutes, then answers 429 with Retry-After until the window passes', async () => {
    let now = 1_700_000_000_000;
    ls = await startLoginStack([{ email: 'pw@example.com' }], { GEMINI_AUTH_PASSWORD: 'right-password-123' }, {
      passwordAttempts: { now: () => now },
      wrongPasswordDelayMs: 0,
    });
    const c = createClient(ls.login.url);
    // Parallel guesses: the budget is checked and spent in one step, so exactly 10 are compared.
    const statuses: number[] = [];
    await flood(20, 20, async () => {
      const res = await c.post('/password', { password: 'guess', next: '/' });
      statuses.push(res.status);
      await res.body?.cancel();
    });
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);

    // Spent: even the right password is not checked now.
    const locked = await c.post('/password', { password: 'right-password-123', next: '/' });
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('900');
    const page = await locked.text();
    expect(page).toContain('Too many wrong passwords');
    expect(page).toContain('Try again in 15 minutes');
    expect(page).not.toContain('type="password"');
    expect(ls.logs.join('\n')).toMatch(/too many wrong passwords from 127\.0\.0\.1/);

    now += 10 * 60_000;
    const later = await c.post('/password', { password: 'right-password-123', next: '/' });
    expect(later.status).toBe(429);
    expect(later.headers.get('retry-after')).toBe('300');

    now += 5 * 60_000;
    const ok = await c.post('/password', { password: 'right-password-123', next: '/' });
    expect(ok.status).toBe(303);
    expect((await c.get('/')).status).toBe(200);
    expect(ls.logs.join('\n')).not.toContain('right-password-123');
  });
});
