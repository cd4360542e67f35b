/**
 * The web login end to end in a real browser (Debian's chromium via playwright-core): login page →
 * the simulator's account chooser → callback → credential file → the running server uses it, no restart.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, startLoginStack, waitFor, type LoginStack } from '../login/helpers.js';

let browser: Browser;
let context: BrowserContext;
let ls: LoginStack;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await context?.close();
  await ls?.close();
});

async function newPage(): Promise<Page> {
  context = await browser.newContext();
  return context.newPage();
}

/** Clicks through the login page and the account chooser; returns the result page's kind. */
async function loginAs(page: Page, email: string, options: { project?: string; deny?: boolean } = {}): Promise<string | null> {
  await page.goto(`${ls.login.url}/`);
  if (options.project) await page.fill('#project', options.project);
  await page.click('#login');
  await page.waitForURL((u) => u.href.startsWith(ls.stack.sim.authUrl));
  await page.click(options.deny ? '#deny' : `a.account[data-email="${email}"]`);
  await page.waitForURL((u) => u.pathname === '/done');
  return page.locator('#result').getAttribute('data-result');
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();
const attr = (page: Page, selector: string, name: string) => page.locator(selector).getAttribute(name);

const chat = () =>
  ls.stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });

describe('web login (--gen-creds) in a browser', () => {
  it('adds two accounts through the browser and the running server uses both without a restart', async () => {
    ls = await startLoginStack([{ email: 'alice@example.com' }, { email: 'bob@example.com', onboarded: false, projectId: 'bob-managed' }]);
    const page = await newPage();
    await page.goto(`${ls.login.url}/`);
    expect(await page.locator('#no-accounts').isVisible()).toBe(true);

    expect(await loginAs(page, 'alice@example.com')).toBe('success');
    expect(await text(page, 'h1')).toBe('Account added');
    const file = 'oauth_creds_alice@example.com_sim-project-alice.json';
    expect(await ls.files()).toEqual([file]);
    expect(await ls.mode(file)).toBe(0o600);
    const saved = await ls.readJson(file);
    expect(saved).toMatchObject({ refresh_token: '1//sim-refresh-alice@example.com', project_id: 'sim-project-alice', email: 'alice@example.com', token_type: 'Bearer' });
    expect(saved.expiry_date).toBeGreaterThan(Date.now());
    // The built-in gemini-cli client is implied, so the file stays in gemini-cli's own shape.
    expect(saved.client_id).toBeUndefined();

    await waitFor(() => ls.stack.rotor.pool.size === 1);
    const reply = await chat();
    expect(reply.choices[0]!.message.content).toBeTruthy();
    expect(ls.stack.sim.counts()['alice@example.com']?.generateContent).toBe(1);

    // A second account, not yet onboarded: the login onboards it (onboardUser long-running operation).
    await page.click('#again');
    expect(await loginAs(page, 'bob@example.com')).toBe('success');
    expect(await ls.files()).toEqual([file, 'oauth_creds_bob@example.com_bob-managed.json']);
    await waitFor(() => ls.stack.rotor.pool.size === 2);
    for (let i = 0; i < 4; i++) await chat();
    expect(ls.stack.sim.counts()['bob@example.com']?.generateContent).toBeGreaterThanOrEqual(1);

    // The home page lists both, with the refresh token masked.
    await page.goto(`${ls.login.url}/`);
    const table = await page.locator('#accounts').innerText();
    expect(table).toContain('alice@example.com');
    expect(table).toContain('bob-managed');
    expect(await page.content()).not.toContain('1//sim-refresh-alice@example.com');
    // No token reaches the log.
    expect(ls.logs.join('\n')).not.toMatch(/1\/\/sim-refresh|ya29\.sim/);
  });

  it('shows an error and writes nothing when consent is denied', async () => {
    ls = await startLoginStack([{ email: 'deny@example.com' }]);
    const page = await newPage();
    expect(await loginAs(page, 'deny@example.com', { deny: true })).toBe('error');
    expect(await text(page, 'h1')).toBe('Access was not granted');
    expect(await text(page, '#error-message')).toContain('access_denied');
    expect(await ls.files()).toEqual([]);
  });

  it('rejects a callback whose state is wrong or missing, and the started login still works afterwards', async () => {
    ls = await startLoginStack([{ email: 'st@example.com' }]);
    const page = await newPage();
    await page.goto(`${ls.login.url}/`);
    await page.click('#login');
    await page.waitForURL((u) => u.href.startsWith(ls.stack.sim.authUrl));
    const chooser = page.url();

    // An attacker's link into our callback, with their code and a made-up state.
    const forged = await context.newPage();
    await forged.goto(`${ls.login.url}/oauth2callback?state=forged&code=4/0Asim-attacker`);
    expect(await attr(forged, '#result', 'data-result')).toBe('error');
    expect(await text(forged, '#error-message')).toContain('state');
    await forged.goto(`${ls.login.url}/oauth2callback?code=4/0Asim-attacker`);
    expect(await attr(forged, '#result', 'data-result')).toBe('error');
    expect(await ls.files()).toEqual([]);
    expect(ls.stack.sim.counts()['st@example.com']?.token).toBeUndefined();

    await page.goto(chooser);
    const callback = page.waitForRequest((r) => r.url().startsWith(`${ls.login.url}/oauth2callback`));
    await page.click('a.account[data-email="st@example.com"]');
    await page.waitForURL((u) => u.pathname === '/done');
    expect(await attr(page, '#result', 'data-result')).toBe('success');
    // Replaying the same callback URL is refused: each login completes once.
    await page.goto((await callback).url());
    expect(await attr(page, '#result', 'data-result')).toBe('error');
    expect(await ls.files()).toHaveLength(1);
  });

  it('completes through "paste the redirect URL" with the sign-in done in another browser', async () => {
    ls = await startLoginStack([{ email: 'headless@example.com' }]);
    const page = await newPage();
    await page.goto(`${ls.login.url}/`);
    await page.click('#paste');
    await page.waitForURL((u) => u.pathname === '/paste');
    const authUrl = await page.locator('#auth-url').inputValue();
    expect(authUrl.startsWith(ls.stack.sim.authUrl)).toBe(true);

    // "Another device": a separate browser context with no session, where the redirect cannot load.
    const other = await browser.newContext();
    const phone = await other.newPage();
    await phone.route(`${ls.login.url}/**`, (route) => route.abort());
    await phone.goto(authUrl);
    const redirected = phone.waitForRequest((r) => r.url().startsWith(`${ls.login.url}/oauth2callback`));
    await phone.click('a.account[data-email="headless@example.com"]');
    const pasted = (await redirected).url();
    await other.close();

    await page.fill('#redirect-url', pasted);
    await page.click('#finish');
    await page.waitForURL((u) => u.pathname === '/done');
    expect(await attr(page, '#result', 'data-result')).toBe('success');
    expect(await ls.files()).toEqual(['oauth_creds_headless@example.com_sim-project-headless.json']);
  });

  it('replaces the file of an account that logs in again, never duplicates it', async () => {
    ls = await startLoginStack([{ email: 'again@example.com', scenario: 'needs-project' }]);
    // An older file of the same account under another name (e.g. from a hand copy).
    await writeFile(
      join(ls.stack.dir, 'oauth_creds_again.json'),
      JSON.stringify({ refresh_token: '1//old-token', email: 'again@example.com', project_id: 'old-project' }),
      { mode: 0o600 },
    );
    const page = await newPage();
    expect(await loginAs(page, 'again@example.com', { project: 'first-project' })).toBe('success');
    expect(await text(page, '[role=status]')).toContain('replacing the earlier file');
    expect(await ls.files()).toEqual(['oauth_creds_again@example.com_first-project.json']);
    expect(await loginAs(page, 'again@example.com', { project: 'second-project' })).toBe('success');
    expect(await ls.files()).toEqual(['oauth_creds_again@example.com_second-project.json']);
    expect(await loginAs(page, 'again@example.com', { project: 'second-project' })).toBe('success');
    expect(await ls.files()).toEqual(['oauth_creds_again@example.com_second-project.json']);
    expect((await ls.readJson('oauth_creds_again@example.com_second-project.json')).project_id).toBe('second-project');
  });

  it('explains onboarding problems with what to do, and writes nothing', async () => {
    ls = await startLoginStack([
      { email: 'verify@example.com', scenario: 'validation-required' },
      { email: 'nope@example.com', scenario: 'ineligible' },
      { email: 'byo@example.com', scenario: 'needs-project' },
      { email: 'norefresh@example.com', noRefreshToken: true },
    ]);
    const page = await newPage();

    expect(await loginAs(page, 'verify@example.com')).toBe('error');
    expect(await text(page, 'h1')).toBe('Google needs to verify this account');
    const verifyUrl = await attr(page, '#error-link', 'href');
    expect(verifyUrl).toMatch(/\/__sim\/validate\?email=verify%40example\.com/);
    expect(await text(page, '#error-hint')).toContain('log in here again');

    expect(await loginAs(page, 'nope@example.com')).toBe('error');
    expect(await text(page, 'h1')).toBe('This account cannot use Gemini Code Assist');
    expect(await text(page, '#error-message')).toContain('not eligible');

    expect(await loginAs(page, 'byo@example.com')).toBe('error');
    expect(await text(page, 'h1')).toBe('This account needs a Google Cloud project');
    expect(await text(page, '#error-hint')).toContain('Enter your Google Cloud project ID');

    expect(await loginAs(page, 'norefresh@example.com')).toBe('error');
    expect(await text(page, 'h1')).toBe('Google sent no refresh token');
    expect(await ls.files()).toEqual([]);

    // Following the advice works: the verification link, then logging in again.
    await page.goto(verifyUrl!);
    expect(await loginAs(page, 'verify@example.com')).toBe('success');
    expect(await loginAs(page, 'byo@example.com', { project: 'my-own-project' })).toBe('success');
    expect(await ls.files()).toEqual([
      'oauth_creds_byo@example.com_my-own-project.json',
      'oauth_creds_verify@example.com_sim-project-verify.json',
    ]);
  });

  it("masks a token Google echoes in its error, in the page the browser shows", async () => {
    ls = await startLoginStack([{ email: 'echo@example.com' }]);
    const token = 'ya29.a0AfH6SMBechoedInTheBrowser0123456789';
    ls.stack.sim.injectFault({
      method: 'token',
      times: 1,
      fault: { type: 'status', status: 400, body: { error: 'invalid_grant', error_description: `<b>bad</b> code for ${token}` } },
    });
    const page = await newPage();
    expect(await loginAs(page, 'echo@example.com')).toBe('error');
    const message = await text(page, '#error-message');
    expect(message).toContain('invalid_grant: <b>bad</b> code for ya29…789');
    expect(await page.content()).not.toContain(token);
    expect(await page.locator('#error-message b').count()).toBe(0);
    expect(await ls.files()).toEqual([]);
  });

  it('rejects a project number in the project field before going to Google', async () => {
    ls = await startLoginStack([{ email: 'num@example.com' }]);
    const page = await newPage();
    await page.goto(`${ls.login.url}/`);
    await page.fill('#project', '123456789012');
    await page.click('#login');
    expect(await text(page, '#input-error')).toContain('project number');
    expect(new URL(page.url()).origin).toBe(ls.login.url);
  });
});
