#!/usr/bin/env node
/**
 * Takes docs/dashboard.png, the README screenshot of the dashboard, against the built-in Google simulator: six
 * credentials (four accounts, two API keys) with configured quotas, real traffic, one account rate limited (cooling
 * down), one disabled by Google's "verify your account" answer, and two access tokens.
 *   npm run build && node scripts/screenshot-dashboard.mjs [out.png]
 * The hour of traffic before this minute is staged (recorded into the per-minute series directly: Rotor keeps it
 * in memory only); everything else is real. Without the tokens API in the build, the two tokens come from a
 * stand-in list. Plain JS over dist/; needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../dist/cli/serve.js';
import { loadConfig } from '../dist/config/config.js';
import { startSimulator } from '../dist/simulator/index.js';
import { silentLogger } from '../dist/util/log.js';

const out = resolve(process.argv[2] ?? join(import.meta.dirname, '..', 'docs', 'dashboard.png'));
const PASSWORD = 'screenshot-password';
const accounts = ['ada@example.com', 'grace@example.com', 'linus@example.com', 'margaret@example.com'];
const keys = [
  { key: 'AIzaSyScreenshotKeyNumberOne000000000001', projectId: 'team-prod-4821' },
  { key: 'AIzaSyScreenshotKeyNumberTwo000000000002', projectId: 'side-project-77' },
];
const sim = await startSimulator({ accounts: accounts.map((email) => ({ email })), apiKeys: keys });
const dir = await mkdtemp(join(tmpdir(), 'rotor-dash-shot-'));
for (const email of accounts) {
  const cred = { access_token: 'ya29.stale', refresh_token: `1//sim-refresh-${email}`, token_type: 'Bearer', expiry_date: 0, email, project_id: `sim-project-${email.split('@')[0]}` };
  await writeFile(join(dir, `oauth_creds_${email}.json`), JSON.stringify(cred), { mode: 0o600 });
}
await writeFile(join(dir, 'api_keys.json'), JSON.stringify(keys.map((k) => ({ api_key: k.key, project_id: k.projectId }))), { mode: 0o600 });
const quotas = {
  routes: {
    'code-assist': { '*': { 'gemini-2.5-pro': { rpm: 60, rpd: 1000 }, 'gemini-2.5-flash': { rpm: 120, rpd: 1500 } } },
    'gemini-api': { '*': { 'gemini-2.5-pro': { rpm: 5, rpd: 100 }, 'gemini-2.5-flash': { rpm: 10, rpd: 250 } } },
  },
};
const result = loadConfig({
  PORT: '0',
  PERSISTENT_STORAGE_PATH: dir,
  CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint,
  GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl,
  GEMINI_API_BASE_URL: sim.geminiApiBaseUrl,
  GEMINI_AUTH_PASSWORD: PASSWORD,
  ROTATION_STRATEGY: 'round-robin',
  QUOTAS: JSON.stringify(quotas),
});
if (!result.ok) throw new Error(result.errors.join('\n'));
const rotor = await startServer({ config: result.config, logger: silentLogger, refreshIntervalMs: 3_600_000, dashboardIntervalMs: 60_000 });
const idOf = (email) => rotor.pool.list().find((m) => m.email === email).id;

const chat = async (model, token = PASSWORD) => {
  const res = await fetch(`${rotor.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Summarise the release notes in three bullet points.' }] }),
  });
  await res.text();
  return res.status;
};

// Two access tokens: the real API when this build has it, else a stand-in list for the picture.
const tokenNames = ['cursor-ide', 'friend-laptop'];
const tokenSecrets = {};
const probe = await fetch(`${rotor.url}/admin/tokens`);
await probe.text();
if (probe.status !== 404) {
  const specs = [{ name: 'cursor-ide', rpm: 60 }, { name: 'friend-laptop', daily_tokens: 200000, models: ['gemini-2.5-flash'], expires: '30d' }];
  for (const spec of specs) {
    const res = await fetch(`${rotor.url}/admin/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    tokenSecrets[spec.name] = (await res.json()).token;
  }
} else {
  const day = 86_400_000;
  rotor.dashboard.setTokenSource(async () => [
    { name: 'cursor-ide', created: new Date(Date.now() - 12 * day).toISOString(), expires: null, last_used: new Date(Date.now() - 20_000).toISOString(), limits: { rpm: 60, rpd: null, daily_tokens: null, models: null }, today: { requests: 412, tokens: 1_384_220 } },
    { name: 'friend-laptop', created: new Date(Date.now() - 3 * day).toISOString(), expires: new Date(Date.now() + 27 * day).toISOString(), last_used: new Date(Date.now() - 14 * 60_000).toISOString(), limits: { rpm: null, rpd: null, daily_tokens: 200_000, models: ['gemini-2.5-flash'] }, today: { requests: 57, tokens: 96_310 } },
  ]);
}

// Real traffic now.
for (let i = 0; i < 18; i++) await chat(i % 3 === 0 ? 'gemini-2.5-pro' : 'gemini-2.5-flash', tokenSecrets[tokenNames[i % 2]] ?? PASSWORD);

// The staged hour before this minute: a working day's shape, by model and by token.
const now = Date.now();
let seed = 7;
const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
for (let ago = 59; ago >= 1; ago--) {
  const at = now - ago * 60_000;
  const wave = 6 + 5 * Math.sin((60 - ago) / 7) + rand() * 4;
  for (let n = 0; n < Math.round(wave); n++) rotor.dashboard.series.record('gemini-2.5-flash', rand() < 0.7 ? 'cursor-ide' : 'friend-laptop', at);
  for (let n = 0; n < Math.round(wave / 3 + rand() * 2); n++) rotor.dashboard.series.record('gemini-2.5-pro', rand() < 0.8 ? 'cursor-ide' : undefined, at);
  if (ago % 9 === 0) rotor.dashboard.series.record('gemini-2.5-flash-lite', undefined, at);
}

// One account rate limited by Google (cooling down), one Google wants verified (disabled until fixed).
sim.injectFault({ email: 'linus@example.com', times: 1, fault: { type: 'rate-limit', retryDelayMs: 9 * 60_000 } });
const cooling = () => Object.keys(rotor.pool.status().credentials.find((c) => c.id === idOf('linus@example.com')).models).length > 0;
for (let i = 0; i < 10 && !cooling(); i++) await chat('gemini-2.5-flash');
sim.injectFault({
  email: 'margaret@example.com',
  times: 1,
  fault: {
    type: 'status',
    status: 403,
    body: {
      error: {
        code: 403,
        status: 'PERMISSION_DENIED',
        message: 'Verify your account to continue using Gemini Code Assist: https://accounts.google.com/signin/continue?sarp=1&scc=1&continue=https://codeassist.google.com',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'VALIDATION_REQUIRED', domain: 'cloudcode-pa.googleapis.com' }],
      },
    },
  },
});
const disabled = () => rotor.pool.status().credentials.find((c) => c.id === idOf('margaret@example.com')).state === 'disabled';
for (let i = 0; i < 10 && !disabled(); i++) await chat('gemini-2.5-pro');
for (let i = 0; i < 4; i++) await chat('gemini-2.5-flash');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1240, height: 900 }, colorScheme: 'light', deviceScaleFactor: 1 });
  await page.goto(`${rotor.url}/`);
  await page.waitForSelector(`article.cred[data-id="${idOf('linus@example.com')}"][data-cooling="1"]`);
  await page.waitForSelector(`article.cred[data-id="${idOf('margaret@example.com')}"][data-state="disabled"] .fix a`);
  await page.waitForSelector('#token-list tr[data-token="cursor-ide"]');
  await page.waitForSelector('#chart svg polyline');
  await page.screenshot({ path: out, fullPage: true });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  await rotor.close(1000);
  await sim.close();
  await rm(dir, { recursive: true, force: true });
}
