#!/usr/bin/env node
/**
 * Takes docs/login.png, the README screenshot of the login page, against the built-in Google simulator:
 * logs two simulated accounts in through Chromium, then captures the page listing them.
 *   npm run build && node scripts/screenshot-login.mjs [out.png]
 * Plain JS over dist/ because Node 20 cannot run TypeScript directly. Needs Chromium (CHROMIUM_PATH,
 * default /usr/bin/chromium).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { startLoginServer } from '../dist/login-server.js';
import { loadConfig } from '../dist/config/config.js';
import { startSimulator } from '../dist/simulator/index.js';
import { silentLogger } from '../dist/util/log.js';

const out = resolve(process.argv[2] ?? join(import.meta.dirname, '..', 'docs', 'login.png'));
const accounts = ['ada@example.com', 'grace@example.com'];
const sim = await startSimulator({ accounts: accounts.map((email) => ({ email })) });
const dir = await mkdtemp(join(tmpdir(), 'rotor-shot-'));
// Run from the temp folder so the page shows the default-looking ./credentials, not a temp path.
process.chdir(dir);
const result = loadConfig({
  PORT: '7860',
  DOMAIN_NAME: 'http://localhost:7860',
  PERSISTENT_STORAGE_PATH: './credentials',
  CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint,
  GOOGLE_OAUTH_AUTH_URL: sim.authUrl,
  GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl,
  GOOGLE_USERINFO_URL: sim.userinfoUrl,
});
if (!result.ok) throw new Error(result.errors.join('\n'));
const options = { onboardPollIntervalMs: 50 };
// The default port reads best in the picture; any free one will do when it is taken.
const login = await startLoginServer(result.config, silentLogger, options).catch((err) => {
  if (err?.code !== 'EADDRINUSE') throw err;
  return startLoginServer({ ...result.config, port: 0 }, silentLogger, options);
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 960, height: 860 }, colorScheme: 'light' });
  for (const email of accounts) {
    await page.goto(`${login.url}/`);
    await page.click('#login');
    await page.click(`a.account[data-email="${email}"]`);
    await page.waitForURL((u) => u.pathname === '/done');
  }
  await page.goto(`${login.url}/`);
  await page.screenshot({ path: out, fullPage: true });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  await login.close();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
}
