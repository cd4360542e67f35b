/**
 * The dashboard in a real browser (Debian's chromium via playwright-core): it loads with no console error (a CSP
 * violation is one), shows the credentials, shows a cooldown caused in the simulator within seconds over SSE
 * without a reload, its Disable / Enable / Clear cooldown buttons change the pool, Revoke removes a token (when
 * this build has the tokens API), it fits a phone's width, and with ADMIN_PASSWORD the login form, the cookie's
 * flags and a cross-site form post.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../login/helpers.js';
import { waitFor } from '../faults/stack.js';
import { API_PASSWORD, raw, startDashStack, type DashStack } from './dashboard-stack.js';

let browser: Browser;
let context: BrowserContext | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});

const MODEL = 'gemini-2.5-flash';
const card = (id: string) => `article.cred[data-id="${id}"]`;

/** A page that records every console error, uncaught exception and failed request. */
async function open(url: string, options: { width?: number; height?: number; mobile?: boolean } = {}): Promise<{ page: Page; problems: string[]; navigations: () => number }> {
  context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    ...(options.mobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // The SSE stream is cut when the context closes; anything else failing is a problem.
    if (!r.url().endsWith('/admin/events')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  let navigations = 0;
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations++;
  });
  await page.goto(url);
  return { page, problems, navigations: () => navigations };
}

describe('the dashboard in a browser (no ADMIN_PASSWORD, loopback)', () => {
  let s: DashStack;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    s = await startDashStack({
      accounts: [{ email: 'ada@example.com' }, { email: 'bob@example.com' }, { email: 'cy@example.com' }],
      apiKeys: [{ key: 'AIzaSyDashboardTestKey000000000000000001', projectId: 'dash-key-project' }],
      server: { dashboardIntervalMs: 2_000 },
    });
    for (const m of s.rotor.pool.list()) ids[m.email ?? m.id] = m.id;
  });
  afterAll(async () => s?.close());

  it('loads with no console errors and shows every credential, the chart and the live state', async () => {
    for (let i = 0; i < 3; i++) expect(await s.chat()).toBe(200);
    const { page, problems } = await open(`${s.rotor.url}/`);
    await page.waitForSelector('article.cred[data-id]');
    expect(await page.locator('article.cred[data-id]').count()).toBe(4);
    const names = await page.locator('article.cred .name').allInnerTexts();
    expect(names).toEqual(expect.arrayContaining(['ada@example.com', 'bob@example.com', 'cy@example.com']));
    expect(await page.locator('#conn').innerText()).toBe('live');
    expect(await page.locator('#summary').innerText()).toContain('4 available');
    // The chart: an SVG line for the model that served, and this hour's count.
    await page.waitForSelector(`#chart svg polyline[data-series="${MODEL}"]`);
    expect(await page.locator('#rpm-now').innerText()).toMatch(/last hour: [3-9]/);
    // Grouped by token instead (no token feature here: one "(no token)" line).
    await page.click('#by-token');
    expect(await page.locator('#by-token').getAttribute('aria-pressed')).toBe('true');
    await page.waitForSelector('#chart svg polyline[data-series="(no token)"]');
    await page.click('#by-model');
    await page.waitForSelector(`#chart svg polyline[data-series="${MODEL}"]`);
    // No tokens API in this build (until the tokens branch is merged): the page says so.
    if (JSON.parse(await (await fetch(`${s.rotor.url}/admin/status`)).text()).tokens === null) {
      expect(await page.locator('#token-list').innerText()).toContain('not available');
    }
    // Quota today: the bucket that served has a row for the model.
    expect(await page.locator(`#quotas tr[data-model="${MODEL}"]`).count()).toBeGreaterThan(0);
    // No secret on the page.
    const html = await page.content();
    expect(html).not.toContain('AIzaSyDashboardTestKey000000000000000001');
    expect(html).not.toMatch(/ya29\.[A-Za-z0-9._-]{12,}/);
    expect(problems).toEqual([]);
  });

  it('shows a cooldown caused in the simulator within seconds, through SSE, without a reload', async () => {
    const { page, problems, navigations } = await open(`${s.rotor.url}/dashboard`);
    await page.waitForSelector(card(ids['ada@example.com']!));
    expect(await page.locator(`${card(ids['ada@example.com']!)} ul.cooling`).count()).toBe(0);

    s.sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 60_000 }, email: 'ada@example.com', times: 1 });
    // The fault hits when ada is picked: a request or a few (the pool rotates), each served in the end.
    const adaCooling = () => Object.keys(s.rotor.pool.status().credentials.find((c) => c.id === ids['ada@example.com'])!.models).length > 0;
    for (let i = 0; i < 8 && !adaCooling(); i++) expect(await s.chat()).toBe(200);
    expect(adaCooling()).toBe(true);

    const item = page.locator(`${card(ids['ada@example.com']!)}[data-cooling="1"] ul.cooling li[data-model="${MODEL}"]`);
    await item.waitFor({ timeout: 5_000 });
    expect(await item.innerText()).toMatch(/rate limited.*— (?:[1-6]\d|[1-9]) s left|1 min left/s);
    expect(await page.locator(`${card(ids['ada@example.com']!)} .state`).innerText()).toContain('cooling');
    expect(await page.locator(`${card(ids['ada@example.com']!)} button[data-action="clear-cooldown"]`).count()).toBe(1);
    // The failed attempt is in the recent errors, with its reason.
    await page.waitForSelector('#errors li[data-scope="attempt"]');
    expect(await page.locator('#errors li[data-scope="attempt"]').first().innerText()).toContain('rate limited');
    expect(navigations()).toBe(1);

    // Clear cooldown, pressed on the page: the pool forgets it, the card follows.
    await page.click(`${card(ids['ada@example.com']!)} button[data-action="clear-cooldown"]`);
    await waitFor('the cooldown to clear', () => !adaCooling());
    await page.waitForSelector(`${card(ids['ada@example.com']!)}[data-cooling="0"]`);
    expect(problems).toEqual([]);
  });

  it('Disable and Enable change the pool, and the card shows the reason and the fix', async () => {
    const { page, problems } = await open(`${s.rotor.url}/`);
    const bob = ids['bob@example.com']!;
    const state = () => s.rotor.pool.status().credentials.find((c) => c.id === bob)!.state;
    await page.click(`${card(bob)} button[data-action="disable"]`);
    await waitFor('bob disabled', () => state() === 'disabled');
    await page.waitForSelector(`${card(bob)}[data-state="disabled"]`);
    expect(await page.locator(`${card(bob)} .fix`).innerText()).toContain('press Enable');
    expect(await page.locator('#summary').innerText()).toContain('1 disabled');
    // Requests now avoid it.
    const before = s.sim.counts()['bob@example.com']?.generateContent ?? 0;
    for (let i = 0; i < 4; i++) expect(await s.chat()).toBe(200);
    expect(s.sim.counts()['bob@example.com']?.generateContent ?? 0).toBe(before);

    await page.click(`${card(bob)} button[data-action="enable"]`);
    await waitFor('bob enabled', () => state() === 'available');
    await page.waitForSelector(`${card(bob)}[data-state="available"]`);
    expect(problems).toEqual([]);
  });

  it('shows a disabled credential\'s reason and its fix link, safely', async () => {
    // A fatal answer Google gives when an account must verify, with the link in its message.
    s.sim.injectFault({
      email: 'cy@example.com',
      times: 1,
      fault: {
        type: 'status',
        status: 403,
        body: {
          error: {
            code: 403,
            status: 'PERMISSION_DENIED',
            message: 'Verify your account to continue: https://accounts.google.com/signin/continue?sarp=1&scc=1 <img src=x onerror=alert(1)>',
            details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'VALIDATION_REQUIRED', domain: 'cloudcode-pa.googleapis.com' }],
          },
        },
      },
    });
    const cy = ids['cy@example.com']!;
    const state = () => s.rotor.pool.status().credentials.find((c) => c.id === cy)!.state;
    for (let i = 0; i < 8 && state() !== 'disabled'; i++) await s.chat();
    expect(state()).toBe('disabled');
    const { page, problems } = await open(`${s.rotor.url}/`);
    await page.waitForSelector(`${card(cy)}[data-state="disabled"] .fix a`);
    const link = page.locator(`${card(cy)} .fix a`);
    expect(await link.getAttribute('href')).toBe('https://accounts.google.com/signin/continue?sarp=1&scc=1');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    // Google's words are text, not markup.
    expect(await page.locator(`${card(cy)} .reason`).innerText()).toContain('<img src=x onerror=alert(1)>');
    expect(await page.locator(`${card(cy)} img`).count()).toBe(0);
    await page.click(`${card(cy)} button[data-action="enable"]`);
    await waitFor('cy enabled', () => state() === 'available');
    expect(problems).toEqual([]);
  });

  it('revokes a token with a click', async () => {
    const probe = await fetch(`${s.rotor.url}/admin/tokens`);
    await probe.text();
    expect(probe.status).toBe(200);
    const snap = (await (await fetch(`${s.rotor.url}/admin/status`)).json()) as { tokens: unknown };
    expect(snap.tokens, 'the tokens API exists: its list is wired into the dashboard (listTokens in cli/serve.ts)').not.toBeNull();
    for (const name of ['dash-cursor', 'dash-friend']) {
      const created = await fetch(`${s.rotor.url}/admin/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      expect(created.status).toBe(201);
      const { token } = (await created.json()) as { token: string };
      // Some traffic on each.
      const res = await fetch(`${s.rotor.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
    }
    const { page, problems } = await open(`${s.rotor.url}/`);
    await page.waitForSelector('#token-list tr[data-token="dash-friend"]');
    const revoke = page.locator('#token-list tr[data-token="dash-friend"] button[data-revoke]');
    await revoke.click();
    expect(await revoke.innerText()).toBe('Confirm revoke');
    await revoke.click();
    await page.waitForSelector('#token-list tr[data-token="dash-friend"]', { state: 'detached' });
    expect(await page.locator('#token-list tr[data-token="dash-cursor"]').count()).toBe(1);
    const list = (await (await fetch(`${s.rotor.url}/admin/tokens`)).json()) as { tokens: Array<{ name: string }> };
    expect(list.tokens.map((t) => t.name)).not.toContain('dash-friend');
    expect(problems).toEqual([]);
  });

  it('fits a phone\'s width, and its buttons work there', async () => {
    const { page, problems } = await open(`${s.rotor.url}/`, { width: 390, height: 844, mobile: true });
    await page.waitForSelector('article.cred[data-id]');
    const widths = (await page.evaluate('({ doc: document.documentElement.scrollWidth, view: window.innerWidth })')) as { doc: number; view: number };
    expect(widths.doc).toBeLessThanOrEqual(widths.view);
    // Cards stack in one column.
    const boxes = (await page.evaluate("[...document.querySelectorAll('article.cred[data-id]')].map((e) => e.getBoundingClientRect().left)")) as number[];
    expect(new Set(boxes.map(Math.round)).size).toBe(1);
    const bob = ids['bob@example.com']!;
    await page.locator(`${card(bob)} button[data-action="disable"]`).tap();
    await waitFor('bob disabled', () => s.rotor.pool.status().credentials.find((c) => c.id === bob)!.state === 'disabled');
    await page.locator(`${card(bob)}[data-state="disabled"] button[data-action="enable"]`).tap();
    await waitFor('bob enabled', () => s.rotor.pool.status().credentials.find((c) => c.id === bob)!.state === 'available');
    expect(problems).toEqual([]);
  });
});

describe('the dashboard in a browser with ADMIN_PASSWORD', () => {
  const ADMIN = 'browser-admin-pass-42';
  let s: DashStack;
  beforeAll(async () => {
    s = await startDashStack({ accounts: [{ email: 'dee@example.com' }], adminPassword: ADMIN, server: { adminLogin: { wrongPasswordDelayMs: 5 } } });
  });
  afterAll(async () => s?.close());

  it('asks for the password, logs in with an httpOnly SameSite=Strict cookie, and refuses a cross-site form post', async () => {
    const { page, problems } = await open(`${s.rotor.url}/`);
    await page.waitForSelector('#login-form');
    expect(await page.locator('article.cred').count()).toBe(0);

    await page.fill('#password', 'not-it');
    await page.click('#login');
    await page.waitForSelector('#login-error:not([hidden])');
    expect(await page.locator('#login-error').innerText()).toBe('Wrong password.');
    // The 401 of the wrong password is the one console error Chromium reports for it; keep the rest clean.
    const afterWrong = problems.filter((p) => !/401/.test(p));
    expect(afterWrong).toEqual([]);
    problems.length = 0;

    await page.fill('#password', ADMIN);
    await page.click('#login');
    await page.waitForSelector('article.cred[data-id]');
    expect(await page.locator('#conn').innerText()).toBe('live');
    const cookies = await context!.cookies();
    const session = cookies.find((c) => c.name === 'rotor_admin')!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Strict');
    expect(await page.evaluate('document.cookie')).not.toContain('rotor_admin');

    // A page on another site posts a form at a dashboard button: refused, nothing changes.
    const id = s.rotor.pool.list()[0]!.id;
    await context!.route('http://evil.test/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<form id="f" method="post" action="${s.rotor.url}/admin/credentials/${encodeURIComponent(id)}/disable"><button id="go">win a prize</button></form>`,
      }),
    );
    const evil = await context!.newPage();
    await evil.goto('http://evil.test/');
    const [answer] = await Promise.all([evil.waitForResponse((r) => r.url().includes('/admin/credentials/')), evil.click('#go')]);
    expect([401, 403]).toContain(answer.status());
    expect(s.rotor.pool.status().summary.disabled).toBe(0);

    // The logged-in page's own button works (same origin, with its CSRF token).
    await page.click(`${card(id)} button[data-action="disable"]`);
    await waitFor('disabled', () => s.rotor.pool.status().summary.disabled === 1);
    await page.click(`${card(id)} button[data-action="enable"]`);
    await waitFor('enabled', () => s.rotor.pool.status().summary.disabled === 0);

    await page.click('#logout');
    await page.waitForSelector('#login-form');
    expect((await raw(s.rotor.url, '/admin/status')).status).toBe(401);
    expect(problems.filter((p) => !/401/.test(p))).toEqual([]);
    expect(s.logs.join('\n')).not.toContain(ADMIN);
    expect(s.logs.join('\n')).not.toContain(API_PASSWORD);
  });
});
