/**
 * Stopping never loses a refreshed token: a refresh under way when Rotor is asked to stop (the background
 * refresher's, or a request's) lands in the credential file before close() resolves, and nothing is written
 * into the folder afterwards.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/cli/serve.js';
import { silentLogger } from '../../src/util/log.js';

const EMAIL = 'stopping@example.com';

async function waitFor(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('shutdown', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('waits for a refresh under way and writes the new token back before it resolves', async () => {
    const refreshToken = '1//stop-refresh-token';
    const sim = await startSimulator({ accounts: [{ email: EMAIL, refreshToken }] });
    cleanup.push(() => sim.close());
    const dir = await mkdtemp(join(tmpdir(), 'rotor-stop-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, `oauth_creds_${EMAIL}.json`);
    const stale = 'ya29.stale-token-before-stop';
    // Valid for an hour: the background refresher leaves it alone, so the only refresh is the one started below.
    await writeFile(file, JSON.stringify({ access_token: stale, refresh_token: refreshToken, token_type: 'Bearer', expiry_date: Date.now() + 3_600_000, email: EMAIL }), { mode: 0o600 });
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      PERSISTENT_STORAGE_PATH: dir,
      CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint,
      GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl,
      GOOGLE_OAUTH_AUTH_URL: sim.authUrl,
      GOOGLE_USERINFO_URL: sim.userinfoUrl,
      GEMINI_AUTH_PASSWORD: 'test-password-123',
    });
    if (!config.ok) throw new Error(config.errors.join('\n'));
    const rotor = await startServer({ config: config.config, logger: silentLogger, refreshIntervalMs: 3_600_000 });

    // The token endpoint holds the refresh until Rotor has been asked to stop.
    sim.injectFault({ fault: { type: 'stall', ms: 300 }, method: 'token', times: 1 });
    const refreshed = rotor.credentials()[0]!.refresh();
    await waitFor('the refresh to reach Google', () => sim.calls({ method: 'token' }).length >= 1);
    await rotor.close(10_000);

    const onDisk = JSON.parse(await readFile(file, 'utf8')) as { access_token: string };
    expect(onDisk.access_token).toBe(await refreshed);
    expect(onDisk.access_token).not.toBe(stale);
    // Nothing half-written is left behind (a temp file of an atomic write).
    expect(await readdir(dir)).toEqual(expect.not.arrayContaining([expect.stringMatching(/\.tmp$/)]));
  });
});
