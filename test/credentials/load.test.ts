import { mkdtemp, readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCredentials, type CredentialsOptions } from '../../src/credentials/index.js';
import { createLogger, silentLogger } from '../../src/util/log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotor-load-'));
});
afterEach(() => {
  // temp folders are left to the OS; they hold only fake tokens
});

const opts = (extra: Partial<CredentialsOptions> = {}): CredentialsOptions => ({
  storagePath: dir,
  clientId: 'default-client',
  clientSecret: 'default-secret',
  codeAssistEndpoint: 'http://127.0.0.1:1',
  logger: silentLogger,
  ...extra,
});

const good = (n: number) => JSON.stringify({ access_token: `ya29.access-token-${n}`, refresh_token: `1//refresh-${n}-abcdefgh`, expiry_date: 4e12, email: `u${n}@x.com` });

describe('loadCredentials from a folder', () => {
  it('loads oauth_creds*.json sorted by name and reports bad files by name', async () => {
    await writeFile(join(dir, 'oauth_creds_b@x.com.json'), good(2));
    await writeFile(join(dir, 'oauth_creds_a@x.com.json'), good(1));
    await writeFile(join(dir, 'oauth_creds_badjson.json'), '{"refresh_token": "1//secretsecret", ');
    await writeFile(join(dir, 'oauth_creds_norefresh.json'), JSON.stringify({ access_token: 'ya29.x' }));
    await writeFile(join(dir, 'oauth_creds_types.json'), JSON.stringify({ refresh_token: '1//y', expiry_date: 'soon' }));
    await writeFile(join(dir, 'other.json'), good(3));
    await writeFile(join(dir, 'oauth_creds.txt'), good(4));
    await mkdir(join(dir, 'oauth_creds_dir.json'));
    await writeFile(join(dir, 'oauth_creds_huge.json'), ' '.repeat(2 * 1024 * 1024) + good(5));

    const result = await loadCredentials(opts());
    expect(result.mode).toBe('files');
    expect(result.credentials.map((c) => c.id)).toEqual(['oauth_creds_a@x.com.json', 'oauth_creds_b@x.com.json']);
    expect(result.credentials[0]).toMatchObject({
      source: { kind: 'file', path: join(dir, 'oauth_creds_a@x.com.json') },
      format: 'gemini-cli',
      route: 'code-assist',
      email: 'u1@x.com',
      disabledReason: undefined,
      expiresAt: 4e12,
    });
    expect(result.credentials[0]!.maskedAccessToken()).toBe("ya29…n-1");
    const bySource = Object.fromEntries(result.errors.map((e) => [e.source, e.reason]));
    expect(Object.keys(bySource).sort()).toEqual([
      'oauth_creds_badjson.json',
      'oauth_creds_dir.json',
      'oauth_creds_huge.json',
      'oauth_creds_norefresh.json',
      'oauth_creds_types.json',
    ]);
    expect(bySource['oauth_creds_badjson.json']).toMatch(/^invalid JSON/);
    expect(bySource['oauth_creds_badjson.json']).not.toContain('secretsecret');
    expect(bySource['oauth_creds_norefresh.json']).toMatch(/missing refresh_token/);
    expect(bySource['oauth_creds_types.json']).toMatch(/expiry_date/);
    expect(bySource['oauth_creds_dir.json']).toBe('not a regular file');
    expect(bySource['oauth_creds_huge.json']).toMatch(/larger than a credential file can be/);
  });

  it('never rewrites files just by loading', async () => {
    const path = join(dir, 'oauth_creds.json');
    const text = '{"refresh_token":"1//keep-me-as-is","weird":   true}';
    await writeFile(path, text);
    const before = await stat(path);
    await loadCredentials(opts());
    expect(await readFile(path, 'utf8')).toBe(text);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
  });

  it('creates a missing storage folder with mode 0700', async () => {
    const nested = join(dir, 'a', 'b');
    const result = await loadCredentials(opts({ storagePath: nested }));
    expect(result).toEqual({ credentials: [], errors: [], mode: 'files', apiKeyEntries: [], files: new Map() });
    expect((await stat(nested)).mode & 0o777).toBe(0o700);
  });

  it('skips a second file with the same refresh token', async () => {
    await writeFile(join(dir, 'oauth_creds_1.json'), good(1));
    await writeFile(join(dir, 'oauth_creds_2.json'), good(1));
    const result = await loadCredentials(opts());
    expect(result.credentials.map((c) => c.id)).toEqual(['oauth_creds_1.json']);
    expect(result.errors).toEqual([{ source: 'oauth_creds_2.json', reason: 'same refresh token as oauth_creds_1.json; skipped' }]);
  });
});

describe('loadCredentials from CREDENTIALS_JSON_LIST', () => {
  it('treats empty text and [] as unset (files are loaded)', async () => {
    await writeFile(join(dir, 'oauth_creds.json'), good(1));
    for (const list of ['', '  ', '[]', ' [ ] ']) {
      const r = await loadCredentials(opts({ credentialsJsonList: list }));
      expect(r.mode).toBe('files');
      expect(r.credentials.map((c) => c.id)).toEqual(['oauth_creds.json']);
    }
  });

  it('reports invalid JSON as one error without quoting the text', async () => {
    await writeFile(join(dir, 'oauth_creds.json'), good(1));
    const r = await loadCredentials(opts({ credentialsJsonList: '[{"refresh_token": "1//leakycontent"' }));
    expect(r.mode).toBe('env');
    expect(r.credentials).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.source).toBe('CREDENTIALS_JSON_LIST');
    expect(r.errors[0]!.reason).toMatch(/^invalid JSON/);
    expect(r.errors[0]!.reason).not.toContain('leaky');
  });

  it('rejects a non-array', async () => {
    const r = await loadCredentials(opts({ credentialsJsonList: '{"refresh_token":"1//x"}' }));
    expect(r.errors).toEqual([{ source: 'CREDENTIALS_JSON_LIST', reason: 'expected a JSON array of credential objects' }]);
  });

  it('hands API-key entries of the list over to the key loader, untouched and unreported', async () => {
    const key = { api_key: 'AQ.list-key-1234567890', project_id: 'p1' };
    const list = JSON.stringify([{ refresh_token: '1//env-only-refresh', email: 'e@x' }, key]);
    const result = await loadCredentials(opts({ credentialsJsonList: list }));
    expect(result.credentials.map((c) => c.id)).toEqual(['env-0']);
    expect(result.errors).toEqual([]);
    expect(result.apiKeyEntries).toEqual([key]);
  });

  it('loads good elements as env-<index> and names bad elements by index', async () => {
    const logLines: string[] = [];
    const list = JSON.stringify([
      { access_token: 'ya29.env0', refresh_token: '1//env-zero-refresh', expiry_date: 4e12 },
      { token: 'ya29.env1' },
      { token: 'ya29.env2', refresh_token: '1//env-two-refresh', client_id: 'own', client_secret: 's', expiry: '2100-01-01T00:00:00Z' },
      'nope',
    ]);
    const r = await loadCredentials(opts({ credentialsJsonList: list, logger: createLogger({ sink: (l) => logLines.push(l) }) }));
    expect(r.mode).toBe('env');
    expect(r.credentials.map((c) => [c.id, c.format, c.source])).toEqual([
      ['env-0', 'gemini-cli', { kind: 'env', index: 0 }],
      ['env-2', 'authorized-user', { kind: 'env', index: 2 }],
    ]);
    expect(r.errors).toEqual([
      { source: 'CREDENTIALS_JSON_LIST[1]', reason: expect.stringMatching(/missing refresh_token/) },
      { source: 'CREDENTIALS_JSON_LIST[3]', reason: 'expected a JSON object' },
    ]);
    expect(await readdir(dir)).toEqual([]);
    expect(logLines.join('\n')).toContain('CREDENTIALS_JSON_LIST[1] skipped');
  });
});
