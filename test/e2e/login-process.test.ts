/** The built command as a user runs it: `rotor --gen-creds` serves the login page, `rotor import` exits with its codes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { runRotor } from './spawn-rotor.js';


const run = runRotor;

describe('rotor --gen-creds and rotor import (process)', () => {
  let dir: string;
  let sim: Simulator;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rotor-login-proc-'));
    sim = await startSimulator({ accounts: [{ email: 'proc-login@example.com' }] });
    env = {
      PERSISTENT_STORAGE_PATH: join(dir, 'creds'),
      CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint,
      GOOGLE_OAUTH_AUTH_URL: sim.authUrl,
      GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl,
      GOOGLE_USERINFO_URL: sim.userinfoUrl,
    };
  });
  afterAll(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('--gen-creds prints the page URL, serves it, and stops on SIGTERM', async () => {
    const p = run({ ...env, PORT: '0', DOMAIN_NAME: 'http://127.0.0.1' }, ['--gen-creds']);
    const end = Date.now() + 10_000;
    while (!/open (http:\/\/\S+)\/ in a browser/.test(p.out()) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    const url = /open (http:\/\/\S+)\/ in a browser/.exec(p.out())?.[1];
    expect(url, p.out()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Login with Google');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('import: exit 0 when all are imported, 1 when some fail, 2 for usage errors', async () => {
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ refresh_token: '1//sim-refresh-proc-login@example.com', token_type: 'Bearer' }));
    const ok = run(env, ['import', good]);
    expect(await ok.exited).toBe(0);
    expect(ok.out()).toMatch(/imported as oauth_creds_proc-login@example\.com_sim-project-proc-login\.json/);
    expect(await readdir(join(dir, 'creds'))).toEqual(['oauth_creds_proc-login@example.com_sim-project-proc-login.json']);

    const some = run(env, ['import', good, join(dir, 'missing.json')]);
    expect(await some.exited).toBe(1);
    expect(some.out()).toMatch(/missing\.json: not imported: no such file/);

    const usage = run(env, ['import']);
    expect(await usage.exited).toBe(2);
    expect(usage.out()).toMatch(/usage: rotor import/);
    const noValue = run(env, ['import', good, '--project']);
    expect(await noValue.exited).toBe(2);
  });
});
