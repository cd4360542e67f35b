import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureProject, loadCredentials, type CredentialsOptions, type OAuthCredential } from '../../src/credentials/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import { silentLogger } from '../../src/util/log.js';

type Sim = Awaited<ReturnType<typeof startSimulator>>;
let sim: Sim;
let dir: string;
let options: CredentialsOptions;
let creds: Map<string, OAuthCredential>;

const emails = ['onboarded@x.com', 'fresh@x.com', 'revoked@x.com', 'verify@x.com'];

beforeAll(async () => {
  sim = await startSimulator({
    accounts: [
      { email: 'onboarded@x.com' },
      { email: 'fresh@x.com', onboarded: false },
      { email: 'revoked@x.com', revoked: true },
      { email: 'verify@x.com', scenario: 'validation-required' },
    ],
  });
  dir = await mkdtemp(join(tmpdir(), 'rotor-sim-creds-'));
  for (const email of emails) {
    await writeFile(
      join(dir, `oauth_creds_${email}.json`),
      JSON.stringify({ access_token: 'ya29.stale-token-from-disk', refresh_token: `1//sim-refresh-${email}`, expiry_date: Date.now() - 1000, email }),
    );
  }
  options = {
    storagePath: dir,
    clientId: '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com',
    clientSecret: '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',
    tokenUrlOverride: sim.tokenUrl,
    codeAssistEndpoint: sim.codeAssistEndpoint,
    logger: silentLogger,
    onboardPollIntervalMs: 10,
    onboardTimeoutMs: 5000,
  };
  const loaded = await loadCredentials(options);
  expect(loaded.errors).toEqual([]);
  creds = new Map(loaded.credentials.map((c) => [c.email!, c]));
});
afterAll(async () => {
  await sim?.close();
});

describe('credentials against the Google simulator', () => {
  it('refreshes through the simulator token endpoint and writes the token back', async () => {
    const cred = creds.get('onboarded@x.com')!;
    const token = await cred.getAccessToken();
    expect(sim.issuedTokens('onboarded@x.com')).toContain(token);
    const written = JSON.parse(await readFile(join(dir, 'oauth_creds_onboarded@x.com.json'), 'utf8'));
    expect(written.access_token).toBe(token);
  });

  it('survives one injected 503 from the token endpoint (library retry)', async () => {
    const cred = creds.get('onboarded@x.com')!;
    const before = sim.counts()['onboarded@x.com']?.['token'] ?? 0;
    sim.injectFault({ fault: { type: 'status', status: 503 }, method: 'token', times: 1 });
    const token = await cred.refresh();
    expect(sim.counts()['onboarded@x.com']?.['token']).toBe(before + 2);
    expect(sim.issuedTokens('onboarded@x.com').at(-1)).toBe(token);
  });

  it('discovers the project of an onboarded account and persists it', async () => {
    const cred = creds.get('onboarded@x.com')!;
    const project = await ensureProject(cred, options);
    expect(project).toBe('sim-project-onboarded');
    const written = JSON.parse(await readFile(join(dir, 'oauth_creds_onboarded@x.com.json'), 'utf8'));
    expect(written.project_id).toBe('sim-project-onboarded');
  });

  it('onboards a new account through the LRO', async () => {
    const project = await ensureProject(creds.get('fresh@x.com')!, options);
    expect(project).toBe('sim-project-fresh');
    expect(sim.counts()['fresh@x.com']?.['onboardUser']).toBeGreaterThanOrEqual(1);
  });

  it('disables a revoked account', async () => {
    const cred = creds.get('revoked@x.com')!;
    await expect(cred.getAccessToken()).rejects.toMatchObject({ kind: 'revoked' });
    expect(cred.disabledReason).toBe('refresh token revoked or expired (invalid_grant)');
  });

  it('reports validation required with a URL', async () => {
    await expect(ensureProject(creds.get('verify@x.com')!, options)).rejects.toMatchObject({
      code: 'VALIDATION_REQUIRED',
      validationUrl: expect.stringMatching(/^https?:\/\//),
    });
  });
});
