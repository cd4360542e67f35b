/**
 * Test helpers for the login mode: the simulator and the serve-mode server (via the e2e harness) plus a
 * login server on the same credential folder, and Debian's chromium driven by playwright-core.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startLoginServer, type LoginServer, type LoginServerOptions } from '../../src/cli/login.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { SimAccountInput } from '../../src/simulator/index.js';
import { createLogger } from '../../src/util/log.js';
import { startStack, type Stack } from '../e2e/harness.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** No internet here: these flags stop Chromium from calling home (and flooding refused connections). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface LoginStack {
  stack: Stack;
  login: LoginServer;
  config: Config;
  logs: string[];
  /** Credential files in the folder, sorted. */
  files(): Promise<string[]>;
  readJson(file: string): Promise<Record<string, unknown>>;
  mode(file: string): Promise<number>;
  close(): Promise<void>;
}

export function loginConfig(stack: Stack, env: Record<string, string> = {}): Config {
  const result = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    // No port: login mode puts in the one it listens on, so the redirect comes back to it.
    DOMAIN_NAME: 'http://127.0.0.1',
    PERSISTENT_STORAGE_PATH: stack.dir,
    CODE_ASSIST_ENDPOINT: stack.sim.codeAssistEndpoint,
    GOOGLE_OAUTH_TOKEN_URL: stack.sim.tokenUrl,
    GOOGLE_OAUTH_AUTH_URL: stack.sim.authUrl,
    GOOGLE_USERINFO_URL: stack.sim.userinfoUrl,
    ...env,
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

/** Simulator + serve mode with an empty folder; the accounts exist only at "Google" until someone logs in. */
export async function startLoginStack(
  accounts: SimAccountInput[],
  env: Record<string, string> = {},
  options: LoginServerOptions = {},
): Promise<LoginStack> {
  const stack = await startStack({ accounts: [] });
  for (const a of accounts) stack.sim.addAccount(a);
  const config = loginConfig(stack, env);
  const logs: string[] = [];
  const login = await startLoginServer(config, createLogger({ level: 'debug', sink: (l) => logs.push(l) }), {
    onboardPollIntervalMs: 10,
    onboardTimeoutMs: 5_000,
    ...options,
  });
  const files = async () => (await readdir(stack.dir)).filter((f) => f.startsWith('oauth_creds')).sort();
  return {
    stack,
    login,
    config,
    logs,
    files,
    readJson: async (file) => JSON.parse(await readFile(join(stack.dir, file), 'utf8')) as Record<string, unknown>,
    mode: async (file) => (await stat(join(stack.dir, file))).mode & 0o777,
    async close() {
      await login.close();
      await stack.close();
    },
  };
}

export async function waitFor(pred: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A tiny cookie-keeping client for the login server (no browser). */
export function createClient(base: string) {
  let cookie = '';
  const request = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(path, base), {
      redirect: 'manual',
      ...init,
      headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string> | undefined) },
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    return res;
  };
  return {
    get: (path: string) => request(path),
    post: (path: string, form: Record<string, string>) =>
      request(path, { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    cookie: () => cookie,
  };
}

export type LoginClient = ReturnType<typeof createClient>;

/**
 * Starts a login as the browser would (POST /start) and picks `email` in the simulator's account chooser;
 * returns the callback address Google sends the browser back to, not yet followed.
 */
export async function chooseAccount(c: LoginClient, email: string): Promise<URL> {
  const started = await c.post('/start', { project: '', mode: 'redirect' });
  if (started.status !== 303) throw new Error(`POST /start answered ${started.status}`);
  const authUrl = new URL(started.headers.get('location')!);
  const chooser = await (await fetch(authUrl)).text();
  const links = [...chooser.matchAll(/<a class="account" data-email="([^"]*)" href="([^"]*)"/g)];
  const link = links.find((m) => m[1] === email)?.[2];
  if (!link) throw new Error(`${email} is not in the simulator's chooser`);
  const back = await fetch(new URL(link.replace(/&amp;/g, '&'), authUrl), { redirect: 'manual' });
  return new URL(back.headers.get('location')!);
}

/** Follows a callback address with the client's session and returns the result page (GET /done). */
export async function finishLogin(c: LoginClient, callback: URL): Promise<{ status: number; html: string }> {
  const done = await c.get(callback.pathname + callback.search);
  if (done.status !== 303 || done.headers.get('location') !== '/done') return { status: done.status, html: await done.text() };
  await done.body?.cancel();
  const page = await c.get('/done');
  return { status: page.status, html: await page.text() };
}
