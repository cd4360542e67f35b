/**
 * `rotor tokens` as a user runs it (the built dist/main.js): against a running Rotor through its admin API (with
 * ADMIN_PASSWORD), then against the stopped Rotor's folder directly (the state file), and the restarted Rotor
 * honouring what was changed meanwhile. Exit codes: 0 done, 1 failed, 2 usage error.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { freePort } from '../store/redis-server.js';
import { listeningPort, runRotor, type RotorProcess, waitFor } from './spawn-rotor.js';

const API_PASSWORD = 'cli-api-password';
const ADMIN_PASSWORD = 'cli-admin-password';
const MODEL = 'gemini-2.5-flash';


describe('rotor tokens (the CLI)', () => {
  let sim: Simulator;
  let dir: string;
  let port: number;
  let url: string;
  let rotor: RotorProcess | undefined;
  const env = () => ({ PORT: String(port), HOST: '127.0.0.1', PERSISTENT_STORAGE_PATH: dir });

  async function cli(args: string[], extra: Record<string, string> = { ADMIN_PASSWORD }): Promise<{ code: number | null; out: string }> {
    const p = runRotor({ ...env(), ...extra }, ['tokens', ...args]);
    const code = await p.exited;
    return { code, out: p.out() };
  }

  async function startRotor(): Promise<void> {
    // Port 0: a port picked beforehand could be taken by another test run before Rotor binds it. The CLI is then
    // pointed at the port Rotor says it listens on.
    const started = runRotor({
      ...env(),
      PORT: '0',
      GEMINI_AUTH_PASSWORD: API_PASSWORD,
      ADMIN_PASSWORD,
      CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint,
      GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl,
    });
    rotor = started;
    await waitFor('Rotor to listen', () => listeningPort(started) !== undefined);
    port = listeningPort(started)!;
    url = `http://127.0.0.1:${port}`;
    await waitFor('Rotor to answer', async () => (await fetch(`${url}/health`).then((r) => r.status, () => 0)) === 200);
  }

  async function stopRotor(): Promise<void> {
    rotor!.child.kill('SIGTERM');
    expect(await rotor!.exited).toBe(0);
    rotor = undefined;
  }

  const chat = (token: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'from the CLI test' }] }),
    }).then((r) => r.status);

  beforeAll(async () => {
    sim = await startSimulator({ accounts: [{ email: 'cli@example.com' }] });
    dir = await mkdtemp(join(tmpdir(), 'rotor-tokens-cli-'));
    await writeFile(
      join(dir, 'oauth_creds_cli.json'),
      JSON.stringify({ refresh_token: '1//sim-refresh-cli@example.com', email: 'cli@example.com', project_id: 'sim-project-cli' }),
      { mode: 0o600 },
    );
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    if (rotor) {
      rotor.child.kill('SIGKILL');
      await rotor.exited;
    }
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('usage errors exit 2 with the usage text, before anything is opened', async () => {
    // (Every case is in test/tokens/cli.test.ts, in process; here the built command's exit codes.)
    for (const args of [[], ['create', '--name', 'bad name']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out).toContain('usage:');
    }
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('rotor tokens create --name NAME');
  });

  let ciToken = '';

  it('against a running Rotor: create (shown once), list, watch, revoke; the admin password is required', async () => {
    await startRotor();
    const created = await cli(['create', '--name', 'ci', '--rpm', '100', '--models', `${MODEL},gemini-2.5-pro`, '--expires', '30d']);
    expect(created.code, created.out).toBe(0);
    ciToken = /(rotor_[A-Za-z0-9_-]{43})/.exec(created.out)![1]!;
    expect(created.out).toContain('only time it is shown');
    expect(created.out).toContain(`${url}/v1`);
    expect(created.out).not.toContain('no Rotor answers');
    expect(await chat(ciToken)).toBe(200);

    const quiet = await cli(['create', '--name', 'quiet-one', '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.out.trim()).toMatch(/^rotor_[A-Za-z0-9_-]{43}$/);

    const again = await cli(['create', '--name', 'ci']);
    expect(again.code).toBe(1);
    expect(again.out).toContain('already exists');

    const list = await cli(['list']);
    expect(list.code).toBe(0);
    const line = list.out.split('\n').find((l) => l.startsWith('ci '))!;
    expect(line).toContain('1 req');
    expect(line).toContain('100 rpm');
    expect(line).toContain(`models ${MODEL},gemini-2.5-pro`);
    expect(line).toMatch(/\d+s ago/);
    expect(list.out).toMatch(/^NAME\s+CREATED\s+LAST USED\s+TODAY\s+LIMITS\s+EXPIRES/);
    expect(list.out).not.toContain(ciToken);

    const json = await cli(['list', '--json']);
    expect(JSON.parse(json.out).tokens.map((t: { name: string }) => t.name)).toEqual(['ci', 'quiet-one']);

    // watch: plain lines when stdout is not a terminal, until Ctrl-C.
    const watch = runRotor({ ...env(), ADMIN_PASSWORD }, ['tokens', 'watch']);
    await waitFor('a watch line', () => /ci requests_today=1 tokens_today=\d+ requests_last_min=0 tokens_last_min=0/.test(watch.out()));
    expect(await chat(ciToken)).toBe(200);
    await waitFor('the watch to see the request', () => /ci requests_today=2 tokens_today=\d+ requests_last_min=1 tokens_last_min=[1-9]/.test(watch.out()));
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);
    expect(watch.out()).not.toContain(ciToken);

    const noAdmin = await cli(['list'], {});
    expect(noAdmin.code).toBe(1);
    expect(noAdmin.out).toContain('ADMIN_PASSWORD');

    const missing = await cli(['revoke', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('no token named "nope"');

    expect((await cli(['revoke', 'quiet-one'])).code).toBe(0);
    expect(JSON.parse((await cli(['list', '--json'])).out).tokens.map((t: { name: string }) => t.name)).toEqual(['ci']);
  }, 60_000);

  it('against the stopped Rotor’s folder: the state file directly; the restarted Rotor honours it', async () => {
    await stopRotor();
    const list = await cli(['list']);
    expect(list.code).toBe(0);
    expect(list.out).toContain(`no Rotor answers at ${url}: using the state file`);
    expect(list.out.split('\n').find((l) => l.startsWith('ci '))).toContain('2 req');

    const watch = await cli(['watch']);
    expect(watch.code).toBe(1);
    expect(watch.out).toContain('needs a running Rotor');

    expect((await cli(['revoke', 'ci'])).code).toBe(0);
    const created = await cli(['create', '--name', 'offline', '--rpd', '50', '-q']);
    expect(created.code).toBe(0);
    const offline = /(rotor_[A-Za-z0-9_-]{43})/.exec(created.out)![1]!;
    const state = await readFile(join(dir, 'rotor-state.json'), 'utf8');
    expect(state).not.toContain(offline);
    expect(state).toContain('"offline"');

    await startRotor();
    expect(await chat(ciToken)).toBe(401);
    expect(await chat(offline)).toBe(200);
    const names = JSON.parse((await cli(['list', '--json'])).out).tokens.map((t: { name: string; limits: { rpd: number } }) => [t.name, t.limits.rpd]);
    expect(names).toEqual([['offline', 50]]);
    await stopRotor();
  }, 60_000);
});
