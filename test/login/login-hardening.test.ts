/**
 * Login mode against hostile or broken input (issue 10): a flood of forged callbacks, and a Google that
 * never answers. The real login server, the simulator over HTTP, no browser.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BoundedMemoryStore } from '../../src/http/session-store.js';
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
