import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CredentialError,
  createOAuthCredential,
  loadCredentials,
  parseCredentialJson,
  type CredentialsOptions,
  type OAuthCredential,
} from '../../src/credentials/index.js';
import { createLogger } from '../../src/util/log.js';
import { startFakeServer, tokenReply, type FakeServer, type Reply } from './fake-server.js';

let dir: string;
let server: FakeServer;
let logLines: string[];
let reply: (index: number) => Reply;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotor-refresh-'));
  logLines = [];
  reply = (i) => tokenReply(i);
  server = await startFakeServer((_call, i) => reply(i));
});
afterEach(async () => {
  await server.close();
});

const opts = (extra: Partial<CredentialsOptions> = {}): CredentialsOptions => ({
  storagePath: dir,
  clientId: 'default-client-id',
  clientSecret: 'default-client-secret',
  tokenUrlOverride: `${server.url}/token`,
  codeAssistEndpoint: 'http://127.0.0.1:1',
  logger: createLogger({ level: 'debug', sink: (l) => logLines.push(l) }),
  ...extra,
});

const REFRESH = '1//0gRefreshTokenForTests-abcdef';
const expired = { access_token: 'ya29.expired-access-token', refresh_token: REFRESH, expiry_date: Date.now() - 1000, scope: 'old', token_type: 'Bearer', keep: { me: true } };

async function loadOne(file: string, content: unknown, extra: Partial<CredentialsOptions> = {}): Promise<OAuthCredential> {
  await writeFile(join(dir, file), JSON.stringify(content), { mode: 0o644 });
  const r = await loadCredentials(opts(extra));
  expect(r.errors).toEqual([]);
  return r.credentials[0]!;
}

describe('token refresh', () => {
  it('returns a still-valid token without calling the token endpoint', async () => {
    const cred = await loadOne('oauth_creds.json', { ...expired, expiry_date: Date.now() + 3_600_000 });
    expect(await cred.getAccessToken()).toBe('ya29.expired-access-token');
    expect(server.calls).toHaveLength(0);
  });

  it('refreshes an expired gemini-cli token and writes it back atomically, 0600, other fields intact', async () => {
    const cred = await loadOne('oauth_creds.json', expired);
    const before = Date.now();
    expect(await cred.getAccessToken()).toBe('ya29.fresh-token-0');

    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]!.path).toBe('/token');
    expect(server.calls[0]!.form).toEqual({
      refresh_token: REFRESH,
      client_id: 'default-client-id',
      client_secret: 'default-client-secret',
      grant_type: 'refresh_token',
    });
    const path = join(dir, 'oauth_creds.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const written = JSON.parse(await readFile(path, 'utf8'));
    expect(written).toEqual({
      ...expired,
      access_token: 'ya29.fresh-token-0',
      expiry_date: expect.any(Number),
      scope: 'https://www.googleapis.com/auth/cloud-platform',
    });
    expect(written.expiry_date).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(cred.expiresAt).toBe(written.expiry_date);
    expect(await readdir(dir)).toEqual(['oauth_creds.json']); // no temp files left behind
    // The new token is used until it nears expiry.
    expect(await cred.getAccessToken()).toBe('ya29.fresh-token-0');
    expect(server.calls).toHaveLength(1);
  });

  it('writes an authorized_user credential back in its own format using its own client', async () => {
    const au = {
      client_id: 'own-client',
      client_secret: 'own-secret',
      token: 'ya29.old-authorized-user-token',
      refresh_token: REFRESH,
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
      token_uri: 'https://oauth2.googleapis.com/token',
      expiry: '2020-01-01T00:00:00Z',
      project_id: 'proj-1',
    };
    const cred = await loadOne('oauth_creds_au.json', au);
    await cred.getAccessToken();
    expect(server.calls[0]!.form).toMatchObject({ client_id: 'own-client', client_secret: 'own-secret' });
    const written = JSON.parse(await readFile(join(dir, 'oauth_creds_au.json'), 'utf8'));
    expect(written).toEqual({ ...au, token: 'ya29.fresh-token-0', expiry: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect(Date.parse(written.expiry)).toBeGreaterThan(Date.now() + 3_500_000);
  });

  it('tokenUrlOverride wins over the credential token_uri; without it token_uri is used', async () => {
    const other = await startFakeServer((_c, i) => tokenReply(i, { access_token: `ya29.from-token-uri-${i}` }));
    try {
      const content = { ...expired, token_uri: `${other.url}/custom-token` };
      const overridden = await loadOne('oauth_creds.json', content);
      expect(await overridden.getAccessToken()).toBe('ya29.fresh-token-0');
      expect(other.calls).toHaveLength(0);

      const viaTokenUri = createOAuthCredential(
        { id: 'x', source: { kind: 'env', index: 0 }, parsed: parseCredentialJson(content) },
        { ...opts(), tokenUrlOverride: undefined },
      );
      expect(await viaTokenUri.getAccessToken()).toBe('ya29.from-token-uri-0');
      expect(other.calls[0]!.path).toBe('/custom-token');
    } finally {
      await other.close();
    }
  });

  it('concurrent getAccessToken calls share exactly one refresh', async () => {
    reply = (i) => ({ ...tokenReply(i), delayMs: 50 });
    const cred = await loadOne('oauth_creds.json', expired);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => cred.getAccessToken()));
    expect(new Set(tokens)).toEqual(new Set(['ya29.fresh-token-0']));
    expect(server.calls).toHaveLength(1);
  });

  it('refresh() forces a new token; refresh(rejected) reuses one another caller already renewed', async () => {
    const cred = await loadOne('oauth_creds.json', { ...expired, expiry_date: Date.now() + 3_600_000 });
    const t1 = await cred.refresh();
    expect(t1).toBe('ya29.fresh-token-0');
    expect(await cred.refresh('ya29.expired-access-token')).toBe(t1);
    expect(server.calls).toHaveLength(1);
    expect(await cred.refresh(t1)).toBe('ya29.fresh-token-1');
    expect(server.calls).toHaveLength(2);
  });

  it('invalid_grant disables the credential and stops calling the token endpoint', async () => {
    reply = () => ({ status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } });
    const cred = await loadOne('oauth_creds.json', expired);
    const err = await cred.getAccessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialError);
    expect(err).toMatchObject({ kind: 'revoked', credentialId: 'oauth_creds.json', status: 400 });
    expect((err as Error).message).toContain('Token has been expired or revoked.');
    expect((err as Error).message).not.toContain(REFRESH);
    expect(cred.disabledReason).toBe('refresh token revoked or expired (invalid_grant)');
    await expect(cred.getAccessToken()).rejects.toMatchObject({ kind: 'revoked' });
    expect(server.calls).toHaveLength(1);
    // The file is left as it was.
    expect(JSON.parse(await readFile(join(dir, 'oauth_creds.json'), 'utf8'))).toEqual(expired);

    // A replaced file (new login) re-enables it.
    reply = (i) => tokenReply(i);
    cred.replace(parseCredentialJson({ ...expired, refresh_token: '1//0gANewRefreshTokenAfterLogin' }));
    expect(cred.disabledReason).toBeUndefined();
    expect(await cred.getAccessToken()).toBe('ya29.fresh-token-1');
  });

  it('a file replaced during a failing refresh is not disabled by the old refresh token', async () => {
    reply = () => ({ status: 400, body: { error: 'invalid_grant' }, delayMs: 500 });
    const cred = await loadOne('oauth_creds.json', expired);
    const pending = cred.getAccessToken().catch((e: unknown) => e);
    // The refresh with the old token has reached the token endpoint, which answers it only later.
    await expect.poll(() => server.calls.length, { interval: 5 }).toBe(1);
    cred.replace(parseCredentialJson({ ...expired, refresh_token: '1//0gReplacedWhileRefreshing' }));
    expect(await pending).toMatchObject({ kind: 'revoked' });
    expect(cred.disabledReason).toBeUndefined();
  });

  it('invalid_client disables with kind invalid', async () => {
    reply = () => ({ status: 401, body: { error: 'invalid_client', error_description: 'Unauthorized' } });
    const cred = await loadOne('oauth_creds.json', expired);
    await expect(cred.getAccessToken()).rejects.toMatchObject({ kind: 'invalid', status: 401 });
    expect(cred.disabledReason).toMatch(/invalid_client/);
  });

  it('a transient 5xx does not disable; a later attempt succeeds', async () => {
    let failing = true;
    reply = (i) => (failing ? { status: 503, body: { error: 'backend_error' } } : tokenReply(i));
    const cred = await loadOne('oauth_creds.json', expired);
    const err = await cred.getAccessToken().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'transient', status: 503 });
    expect(cred.disabledReason).toBeUndefined();
    const attempts = server.calls.length;
    expect(attempts).toBe(4); // google-auth-library retries a 5xx three times itself
    failing = false;
    expect(await cred.getAccessToken()).toMatch(/^ya29\.fresh-token-/);
  });

  it('an unreachable token endpoint is transient', async () => {
    const cred = await loadOne('oauth_creds.json', expired, { tokenUrlOverride: 'http://127.0.0.1:1/token' });
    await expect(cred.getAccessToken()).rejects.toMatchObject({ kind: 'transient', message: expect.stringContaining('unreachable') });
    expect(cred.disabledReason).toBeUndefined();
  });

  it('keeps a rotated refresh token', async () => {
    reply = (i) => tokenReply(i, { refresh_token: '1//0gRotatedRefreshTokenValue' });
    const cred = await loadOne('oauth_creds.json', expired);
    await cred.getAccessToken();
    expect(JSON.parse(await readFile(join(dir, 'oauth_creds.json'), 'utf8')).refresh_token).toBe('1//0gRotatedRefreshTokenValue');
    await cred.refresh();
    expect(server.calls[1]!.form.refresh_token).toBe('1//0gRotatedRefreshTokenValue');
  });

  it('refuses a replace() with the refresh token it rotated away from, even mid write-back, and keeps the new one on disk', async () => {
    reply = (i) => tokenReply(i, { refresh_token: '1//0gRotatedRefreshTokenValue' });
    let cred: OAuthCredential | undefined;
    let replaced: unknown;
    // The folder watcher read the file just before this write-back landed and applies what it read.
    const sink = (l: string) => {
      if (l.includes('access token refreshed')) replaced = cred!.replace(parseCredentialJson(expired));
    };
    cred = await loadOne('oauth_creds.json', expired, { logger: createLogger({ level: 'debug', sink }) });
    await cred.refresh();
    expect(replaced).toBe(false);
    const onDisk = async () => JSON.parse(await readFile(join(dir, 'oauth_creds.json'), 'utf8')).refresh_token;
    await expect.poll(onDisk).toBe('1//0gRotatedRefreshTokenValue');
    await cred.refresh();
    expect(server.calls[1]!.form.refresh_token).toBe('1//0gRotatedRefreshTokenValue');
  });

  it("keeps only its live tokens in the logger's secret list, however often it refreshes", async () => {
    let n = 0;
    reply = (i) => tokenReply(i, { id_token: `eyJhbGciOiJub25lIn0.eyJpZCI6${i}ZmFrZSJ9.sig-${i}`, ...(i === 3 ? { refresh_token: '1//0gRotatedRefreshTokenValue' } : {}) });
    const live = new Map<string, number>();
    const base = createLogger({ level: 'debug', sink: (l) => logLines.push(l) });
    const count = (v: string | undefined, by: number) => {
      if (!v) return;
      n = (live.get(v) ?? 0) + by;
      if (n > 0) live.set(v, n);
      else live.delete(v);
    };
    const logger = { ...base, addSecret: (v?: string) => (count(v, 1), base.addSecret(v)), dropSecret: (v?: string) => (count(v, -1), base.dropSecret(v)) };
    const cred = await loadOne('oauth_creds.json', expired, { logger });
    for (let i = 0; i < 6; i++) await cred.refresh();
    expect([...live.keys()].sort()).toEqual(['1//0gRotatedRefreshTokenValue', 'eyJhbGciOiJub25lIn0.eyJpZCI65ZmFrZSJ9.sig-5', 'ya29.fresh-token-5'].sort());
  });

  it('env credentials are never written anywhere', async () => {
    const r = await loadCredentials(opts({ credentialsJsonList: JSON.stringify([expired]) }));
    const cred = r.credentials[0]!;
    expect(await cred.getAccessToken()).toBe('ya29.fresh-token-0');
    await cred.setProjectId('env-project');
    expect(cred.projectId).toBe('env-project');
    expect(await readdir(dir)).toEqual([]);
  });

  it('a failed write-back is logged, masked, and the new token is kept in memory', async () => {
    // A directory where the file should be: the write fails (a missing file is skipped on purpose instead).
    await mkdir(join(dir, 'gone.json'));
    const cred = createOAuthCredential(
      { id: 'gone.json', source: { kind: 'file', path: join(dir, 'gone.json') }, parsed: parseCredentialJson(expired) },
      opts(),
    );
    expect(await cred.getAccessToken()).toBe('ya29.fresh-token-0');
    expect(await cred.getAccessToken()).toBe('ya29.fresh-token-0');
    const log = logLines.join('\n');
    expect(log).toContain('gone.json: could not write it back to disk');
    expect(log).not.toContain('ya29.fresh-token-0');
    expect(log).not.toContain(REFRESH);
    expect(cred.maskedAccessToken()).toBe('ya29…n-0');
    expect(JSON.stringify(cred)).not.toContain('fresh-token');
  });

  it('serialises writes to one file: the file ends with the latest data', async () => {
    const cred = await loadOne('oauth_creds.json', expired);
    await Promise.all([cred.refresh(), cred.setProjectId('p-1')]);
    await cred.setProjectId('p-2');
    const written = JSON.parse(await readFile(join(dir, 'oauth_creds.json'), 'utf8'));
    expect(written).toMatchObject({ project_id: 'p-2', access_token: 'ya29.fresh-token-0', keep: { me: true } });
  });

  it('setProjectId is persisted for file credentials', async () => {
    const cred = await loadOne('oauth_creds.json', { ...expired, expiry_date: 4e12 });
    await cred.setProjectId('discovered-proj');
    expect(cred.projectId).toBe('discovered-proj');
    expect(JSON.parse(await readFile(join(dir, 'oauth_creds.json'), 'utf8'))).toEqual({ ...expired, expiry_date: 4e12, project_id: 'discovered-proj' });
    const reloaded = await loadCredentials(opts());
    expect(reloaded.credentials[0]!.projectId).toBe('discovered-proj');
  });
});
