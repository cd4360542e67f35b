import { afterEach, describe, expect, it } from 'vitest';
import { readFile, readdir, stat } from 'node:fs/promises';
import { writeFile, unlink } from 'node:fs/promises';
import { credentialJson, startStack, type Stack } from './harness.js';

const ask = (stack: Stack, content = 'hi') =>
  stack.openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content }] });

describe('credentials end to end', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it('writes a refreshed token back to a gemini-cli file, keeping its format, mode 0600', async () => {
    stack = await startStack({ accounts: [{ email: 'w1@example.com' }] });
    await ask(stack);
    const issued = stack.sim.issuedTokens('w1@example.com');
    expect(issued.length).toBe(1);
    const path = stack.fileOf('w1@example.com');
    const saved = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(saved.access_token).toBe(issued[0]);
    expect(saved.refresh_token).toBe('1//sim-refresh-w1@example.com');
    expect(saved.expiry_date).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(saved.email).toBe('w1@example.com');
    expect(saved.project_id).toBe('sim-project-w1');
    expect(saved.token).toBeUndefined();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    // No temp files left behind.
    expect((await readdir(stack.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes back an authorized_user file in its own format, keeping unknown fields', async () => {
    stack = await startStack({ accounts: [{ email: 'w2@example.com', format: 'authorized-user' }] });
    await ask(stack);
    const saved = JSON.parse(await readFile(stack.fileOf('w2@example.com'), 'utf8')) as Record<string, unknown>;
    expect(saved.token).toBe(stack.sim.issuedTokens('w2@example.com')[0]);
    expect(saved.access_token).toBeUndefined();
    expect(saved.expiry).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(saved.custom_field).toBe('kept');
    expect(saved.client_id).toBe('rotor-test-client');
  });

  it('discovers (and onboards) a missing project once and stores it in the file', async () => {
    stack = await startStack({
      accounts: [
        { email: 'p1@example.com', withProject: false },
        { email: 'p2@example.com', withProject: false, onboarded: false, projectId: 'fresh-project-p2' },
      ],
    });
    await Promise.all([ask(stack, 'a'), ask(stack, 'b'), ask(stack, 'c'), ask(stack, 'd')]);
    const p1 = JSON.parse(await readFile(stack.fileOf('p1@example.com'), 'utf8')) as Record<string, unknown>;
    const p2 = JSON.parse(await readFile(stack.fileOf('p2@example.com'), 'utf8')) as Record<string, unknown>;
    expect(p1.project_id).toBe('sim-project-p1');
    expect(p2.project_id).toBe('fresh-project-p2');
    expect(stack.sim.counts()['p1@example.com']?.loadCodeAssist).toBe(1);
    expect(stack.sim.counts()['p2@example.com']?.onboardUser).toBeGreaterThanOrEqual(1);
    const projects = stack.sim.calls({ method: 'generateContent' }).map((c) => c.project);
    expect(new Set(projects)).toEqual(new Set(['sim-project-p1', 'fresh-project-p2']));
  });

  it('disables an account that needs verification, with the link in the reason', async () => {
    stack = await startStack({
      accounts: [{ email: 'vr@example.com', withProject: false, scenario: 'validation-required' }, { email: 'ok@example.com' }],
    });
    for (let i = 0; i < 3; i++) await ask(stack);
    const st = stack.rotor.pool.status();
    const vr = st.credentials.find((c) => c.email === 'vr@example.com')!;
    expect(vr.state).toBe('disabled');
    expect(vr.reason).toMatch(/https?:\/\//);
  });

  it('serves from CREDENTIALS_JSON_LIST and never writes those tokens to disk', async () => {
    stack = await startStack({ accounts: [{ email: 'e1@example.com', inEnv: true }, { email: 'e2@example.com', inEnv: true }] });
    await ask(stack);
    await ask(stack);
    expect(Object.keys(stack.sim.counts()).sort()).toEqual(['e1@example.com', 'e2@example.com']);
    expect(await readdir(stack.dir)).toEqual([]);
  });

  it('starts with zero credentials: /health is 503 and API calls say how to add accounts', async () => {
    stack = await startStack({ accounts: [] });
    const h = await fetch(`${stack.rotor.url}/health`);
    expect(h.status).toBe(503);
    expect(await h.json()).toMatchObject({ status: 'unavailable', credentials: { total: 0 } });
    await expect(ask(stack)).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/--gen-creds/) });
  });

  it('reports unparseable files by name and loads the rest', async () => {
    const { writeFile } = await import('node:fs/promises');
    stack = await startStack({ accounts: [{ email: 'good@example.com' }] });
    await stack.rotor.close(0);
    await writeFile(`${stack.dir}/oauth_creds_broken.json`, '{ not json', { mode: 0o600 });
    await writeFile(`${stack.dir}/oauth_creds_norefresh.json`, JSON.stringify({ access_token: 'ya29.x' }), { mode: 0o600 });
    const { loadCredentials } = await import('../../src/credentials/index.js');
    const { silentLogger } = await import('../../src/util/log.js');
    const loaded = await loadCredentials({ storagePath: stack.dir, clientId: 'c', clientSecret: 's', codeAssistEndpoint: stack.sim.url, logger: silentLogger });
    expect(loaded.credentials.map((c) => c.email)).toEqual(['good@example.com']);
    expect(loaded.errors.map((e) => e.source).join(' ')).toMatch(/oauth_creds_broken\.json.*oauth_creds_norefresh\.json|oauth_creds_norefresh\.json.*oauth_creds_broken\.json/);
    expect(loaded.errors.find((e) => e.source.includes('norefresh'))!.reason).toMatch(/refresh_token/);
  });

  it('masks tokens in the key status and never logs them', async () => {
    stack = await startStack({ accounts: [{ email: 'm1@example.com' }] });
    await ask(stack);
    const token = stack.sim.issuedTokens('m1@example.com')[0]!;
    const r = await fetch(`${stack.rotor.url}/v1/keys/status`, { headers: { authorization: `Bearer ${stack.password}` } });
    const text = await r.text();
    expect(text).not.toContain(token);
    expect(text).not.toContain('1//sim-refresh');
    const status = JSON.parse(text) as { credentials: Array<{ access_token: string }> };
    expect(status.credentials[0]!.access_token).toMatch(/^ya29…/);
    const logs = stack.logs.join('\n');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(stack.password!);
  });

  it('picks up a new credential file without a restart, and drops a deleted one', async () => {
    stack = await startStack({ accounts: [{ email: 'h1@example.com' }] });
    stack.sim.addAccount({ email: 'h2@example.com' });
    await writeFile(stack.fileOf('h2@example.com'), JSON.stringify(credentialJson({ email: 'h2@example.com' }, 'sim-project-h2')), { mode: 0o600 });
    const deadline = Date.now() + 5000;
    while (stack.rotor.pool.size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(stack.rotor.pool.size).toBe(2);
    for (let i = 0; i < 4; i++) await ask(stack);
    expect(stack.sim.counts()['h2@example.com']?.generateContent).toBe(2);
    await unlink(stack.fileOf('h1@example.com'));
    await stack.rotor.rescanCredentials();
    expect(stack.rotor.pool.list().map((m) => m.email)).toEqual(['h2@example.com']);
  });
});
