import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GEMINI_CLI_CLIENT_ID, GEMINI_CLI_CLIENT_SECRET } from '../../src/config/config.js';
import { parseCredentialJson } from '../../src/credentials/index.js';
import {
  canonicalCredentialJson,
  createCredentialStore,
  credentialFileName,
  type CanonicalCredential,
} from '../../src/login/index.js';

const base: CanonicalCredential = {
  email: 'Ann@Example.com',
  projectId: 'proj-1',
  refreshToken: '1//refresh-ann-0123456789',
  accessToken: 'ya29.access-ann',
  expiresAt: 1_900_000_000_000,
  scope: 'https://www.googleapis.com/auth/cloud-platform',
  idToken: 'eyJ.header.sig',
};

describe('canonical credential format', () => {
  it('is gemini-cli oauth_creds.json plus project_id and email, and the core loads it back', () => {
    const json = JSON.parse(canonicalCredentialJson({ ...base, clientId: GEMINI_CLI_CLIENT_ID, clientSecret: GEMINI_CLI_CLIENT_SECRET }));
    expect(json).toEqual({
      access_token: 'ya29.access-ann',
      refresh_token: '1//refresh-ann-0123456789',
      expiry_date: 1_900_000_000_000,
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      token_type: 'Bearer',
      id_token: 'eyJ.header.sig',
      project_id: 'proj-1',
      email: 'Ann@Example.com',
    });
    const parsed = parseCredentialJson(json);
    expect(parsed).toMatchObject({ format: 'gemini-cli', refreshToken: base.refreshToken, projectId: 'proj-1', email: 'Ann@Example.com', expiresAt: base.expiresAt });
  });

  it('records a non-default OAuth client and token URI, which the refresh token is bound to', () => {
    const json = JSON.parse(canonicalCredentialJson({ ...base, clientId: 'my-client', clientSecret: 'my-secret', tokenUri: 'https://proxy.example/token' }));
    expect(json).toMatchObject({ client_id: 'my-client', client_secret: 'my-secret', token_uri: 'https://proxy.example/token' });
    expect(parseCredentialJson(json)).toMatchObject({ clientId: 'my-client', clientSecret: 'my-secret', tokenUri: 'https://proxy.example/token' });
    expect(JSON.parse(canonicalCredentialJson({ ...base, tokenUri: 'https://oauth2.googleapis.com/token' })).token_uri).toBeUndefined();
  });

  it('names files oauth_creds_{email}_{project}.json with unsafe characters replaced', () => {
    expect(credentialFileName('Ann@Example.com', 'proj-1')).toBe('oauth_creds_ann@example.com_proj-1.json');
    expect(credentialFileName('a/b@x.com', 'example.com:p')).toBe('oauth_creds_a_b@x.com_example.com_p.json');
  });
});

describe('credential store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rotor-store-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes with mode 0600 and no temp files left', async () => {
    const store = createCredentialStore(join(dir, 'sub'));
    const saved = await store.save(base);
    expect(saved).toEqual({ file: 'oauth_creds_ann@example.com_proj-1.json', replaced: [] });
    expect((await stat(join(dir, 'sub', saved.file))).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'sub'))).toEqual([saved.file]);
  });

  it('replaces files of the same account (same email, any case, or same refresh token), keeps others', async () => {
    await writeFile(join(dir, 'oauth_creds_old.json'), JSON.stringify({ refresh_token: '1//x', email: 'ann@example.com' }));
    await writeFile(join(dir, 'oauth_creds_copy.json'), JSON.stringify({ refresh_token: base.refreshToken }));
    await writeFile(join(dir, 'oauth_creds_bob.json'), JSON.stringify({ refresh_token: '1//bob', email: 'bob@example.com' }));
    await writeFile(join(dir, 'oauth_creds_broken.json'), '{');
    const store = createCredentialStore(dir);
    const saved = await store.save(base);
    expect(saved.replaced.sort()).toEqual(['oauth_creds_copy.json', 'oauth_creds_old.json']);
    expect((await readdir(dir)).sort()).toEqual(['oauth_creds_ann@example.com_proj-1.json', 'oauth_creds_bob.json', 'oauth_creds_broken.json']);
    // Same account, new project: the file is renamed, not duplicated.
    const again = await store.save({ ...base, projectId: 'proj-2', refreshToken: '1//refresh-ann-new' });
    expect(again.replaced).toEqual(['oauth_creds_ann@example.com_proj-1.json']);
    expect(JSON.parse(await readFile(join(dir, again.file), 'utf8')).refresh_token).toBe('1//refresh-ann-new');
  });

  it('lists accounts with masked refresh tokens and the state of each file', async () => {
    const store = createCredentialStore(dir);
    await store.save(base);
    await writeFile(join(dir, 'oauth_creds_noproject.json'), JSON.stringify({ refresh_token: '1//noproject-token', email: 'np@example.com' }));
    await writeFile(join(dir, 'oauth_creds_broken.json'), '{ not json');
    await writeFile(join(dir, 'unrelated.json'), '{}');
    const list = await store.list();
    expect(list.map((a) => [a.file, a.state])).toEqual([
      ['oauth_creds_ann@example.com_proj-1.json', 'ready'],
      ['oauth_creds_broken.json', 'unreadable'],
      ['oauth_creds_noproject.json', 'no-project'],
    ]);
    expect(list[0]!.maskedRefreshToken).toBe('1//r…789');
    expect(JSON.stringify(list)).not.toContain(base.refreshToken);
    expect(list[1]!.detail).toMatch(/invalid JSON/);
  });

  it('lists nothing for a folder that does not exist yet', async () => {
    expect(await createCredentialStore(join(dir, 'missing')).list()).toEqual([]);
  });
});
