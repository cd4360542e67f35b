import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rename } from 'node:fs/promises';
import { ensureProject, loadCredentials, startBackgroundRefresh, watchCredentialFolder, type CredentialsOptions } from '../../src/credentials/index.js';
import { silentLogger } from '../../src/util/log.js';
import { startFakeServer, tokenReply, type FakeServer, type Reply } from './fake-server.js';

let dir: string;
let server: FakeServer;
let load: () => Reply;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotor-ensure-'));
  load = () => ({ body: { currentTier: { id: 'free-tier' }, cloudaicompanionProject: 'found-proj' }, delayMs: 30 });
  let tokens = 0;
  server = await startFakeServer((call) => {
    if (call.path === '/token' && call.form.refresh_token?.includes('Revoked')) return { status: 400, body: { error: 'invalid_grant' } };
    if (call.path === '/token') return tokenReply(tokens++);
    if (call.path === '/v1internal:loadCodeAssist') return load();
    return { status: 404 };
  });
});
afterEach(async () => {
  await server.close();
});

const opts = (): CredentialsOptions => ({
  storagePath: dir,
  clientId: 'c',
  clientSecret: 's',
  tokenUrlOverride: `${server.url}/token`,
  codeAssistEndpoint: server.url,
  logger: silentLogger,
  onboardPollIntervalMs: 10,
});

const cred = { access_token: 'ya29.valid-access-token-1', refresh_token: '1//0gEnsureRefreshToken', expiry_date: Date.now() + 3_600_000, other: 'kept' };

describe('ensureProject', () => {
  it('discovers once for concurrent callers and persists the project to the file', async () => {
    await writeFile(join(dir, 'oauth_creds.json'), JSON.stringify(cred));
    const [c] = (await loadCredentials(opts())).credentials;
    const ids = await Promise.all([ensureProject(c!, opts()), ensureProject(c!, opts()), ensureProject(c!, opts())]);
    expect(ids).toEqual(['found-proj', 'found-proj', 'found-proj']);
    expect(server.calls.map((x) => x.path)).toEqual(['/v1internal:loadCodeAssist']);
    expect(server.calls[0]!.headers.authorization).toBe('Bearer ya29.valid-access-token-1');
    expect(JSON.parse(await readFile(join(dir, 'oauth_creds.json'), 'utf8'))).toEqual({ ...cred, project_id: 'found-proj' });
    // Known now: no further calls.
    expect(await ensureProject(c!, opts())).toBe('found-proj');
    expect(server.calls).toHaveLength(1);
  });

  it('refreshes once and retries when Code Assist rejects the token with 401', async () => {
    let first = true;
    load = () => {
      if (first) {
        first = false;
        return { status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } } };
      }
      return { body: { currentTier: { id: 'free-tier' }, cloudaicompanionProject: 'after-401' } };
    };
    await writeFile(join(dir, 'oauth_creds.json'), JSON.stringify(cred));
    const [c] = (await loadCredentials(opts())).credentials;
    expect(await ensureProject(c!, opts())).toBe('after-401');
    expect(server.calls.map((x) => x.path)).toEqual(['/v1internal:loadCodeAssist', '/token', '/v1internal:loadCodeAssist']);
    expect(server.calls[2]!.headers.authorization).toBe('Bearer ya29.fresh-token-0');
  });

  it('a project found for the account a file held is not stored on the account that replaced it meanwhile', async () => {
    // Each account's project, told apart by the access token Code Assist sees.
    load = () => ({ body: { currentTier: { id: 'free-tier' }, cloudaicompanionProject: 'proj-of-' + lastToken() }, delayMs: 200 });
    const lastToken = () => String(server.calls.at(-1)!.headers.authorization).replace('Bearer ya29.', '');
    const path = join(dir, 'oauth_creds.json');
    await writeFile(path, JSON.stringify({ ...cred, access_token: 'ya29.account-A' }));
    const loaded = await loadCredentials(opts());
    const [c] = loaded.credentials;
    const watch = watchCredentialFolder(opts(), (id) => (id === c!.id ? c : undefined), { upsert: () => {}, remove: () => {}, error: () => {} }, {
      debounceMs: 60_000,
      initial: loaded.files,
    });
    try {
      const found = ensureProject(c!, opts());
      await expect.poll(() => server.calls.length).toBe(1); // account A's discovery is in flight
      await writeFile(`${path}.new`, JSON.stringify({ ...cred, refresh_token: '1//0gAccountBRefresh', access_token: 'ya29.account-B' }));
      await rename(`${path}.new`, path);
      await watch.rescan();
      expect(await found).toBe('proj-of-account-B');
      expect(c!.projectId).toBe('proj-of-account-B');
      const onDisk = JSON.parse(await readFile(path, 'utf8'));
      expect(onDisk).toMatchObject({ refresh_token: '1//0gAccountBRefresh', project_id: 'proj-of-account-B' });
    } finally {
      watch.close();
    }
  });

  it('does not cache a failure: the next call tries again', async () => {
    load = () => ({ body: { currentTier: { id: 'standard-tier' } } });
    await writeFile(join(dir, 'oauth_creds.json'), JSON.stringify(cred));
    const [c] = (await loadCredentials(opts())).credentials;
    await expect(ensureProject(c!, opts())).rejects.toMatchObject({ code: 'PROJECT_REQUIRED' });
    load = () => ({ body: { currentTier: { id: 'standard-tier' }, cloudaicompanionProject: 'later' } });
    expect(await ensureProject(c!, opts())).toBe('later');
  });
});

describe('startBackgroundRefresh', () => {
  it('refreshes only tokens expiring within the lead window, skipping disabled ones', async () => {
    await writeFile(join(dir, 'oauth_creds_a.json'), JSON.stringify({ ...cred, refresh_token: '1//0gSoonExpiringToken', expiry_date: Date.now() + 60_000 }));
    await writeFile(join(dir, 'oauth_creds_b.json'), JSON.stringify({ ...cred, refresh_token: '1//0gLongLivedToken', expiry_date: Date.now() + 3_600_000 }));
    await writeFile(join(dir, 'oauth_creds_c.json'), JSON.stringify({ ...cred, refresh_token: '1//0gRevokedRefreshToken', expiry_date: Date.now() - 1 }));
    const { credentials } = await loadCredentials(opts());
    const bg = startBackgroundRefresh(() => credentials, { intervalMs: 20, leadMs: 10 * 60_000, logger: silentLogger });
    try {
      await expect.poll(() => credentials[0]!.maskedAccessToken(), { timeout: 2000 }).toBe('ya29…n-0');
      const seen = bg.rounds;
      await expect.poll(() => bg.rounds, { interval: 5 }).toBeGreaterThanOrEqual(seen + 3); // more rounds: nothing else is due
    } finally {
      bg.stop();
    }
    expect(server.calls.map((c) => c.form.refresh_token).sort()).toEqual(['1//0gRevokedRefreshToken', '1//0gSoonExpiringToken']);
    expect(credentials[2]!.disabledReason).toBe('refresh token revoked or expired (invalid_grant)');
    expect(credentials[1]!.maskedAccessToken()).toBe('ya29…n-1'); // the long-lived token untouched
    // The write-back follows the in-memory update; wait for it rather than for a fixed time.
    await expect
      .poll(async () => JSON.parse(await readFile(join(dir, 'oauth_creds_a.json'), 'utf8')).access_token, { timeout: 2000 })
      .toBe('ya29.fresh-token-0');
  });
});
