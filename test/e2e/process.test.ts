/** The built `rotor` command as a user runs it: config errors, start-up, graceful SIGTERM. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { runRotor } from './spawn-rotor.js';


const run = runRotor;

async function waitFor(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the rotor process', () => {
  let dir: string;
  let sim: Simulator;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rotor-proc-'));
    sim = await startSimulator({ accounts: [{ email: 'proc@example.com' }], streamEvents: 5, streamIntervalMs: 150 });
    await writeFile(
      join(dir, 'oauth_creds_proc.json'),
      JSON.stringify({ refresh_token: '1//sim-refresh-proc@example.com', email: 'proc@example.com', project_id: 'sim-project-proc' }),
      { mode: 0o600 },
    );
  });
  afterAll(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 with one clear line per bad variable', async () => {
    const p = run({ PORT: 'eighty', HOST: '0.0.0.0', DEBUG: 'maybe', PERSISTENT_STORAGE_PATH: dir });
    expect(await p.exited).toBe(2);
    const lines = p.out().trim().split('\n');
    expect(lines.some((l) => /PORT: expected a whole number .* found "eighty"/.test(l))).toBe(true);
    expect(lines.some((l) => /DEBUG: expected true or false, found "maybe"/.test(l))).toBe(true);
  });

  it('refuses a public HOST without a password', async () => {
    const p = run({ HOST: '0.0.0.0', PERSISTENT_STORAGE_PATH: dir });
    expect(await p.exited).toBe(2);
    expect(p.out()).toMatch(/HOST: .*GEMINI_AUTH_PASSWORD/);
  });

  it('serves, then on SIGTERM finishes the in-flight stream before exiting 0', async () => {
    const p = run({
      PORT: '0',
      PERSISTENT_STORAGE_PATH: dir,
      GEMINI_AUTH_PASSWORD: 'proc-secret',
      CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint,
      GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl,
    });
    await waitFor(() => /listening on (http:\/\/\S+?)\s/.test(p.out()));
    const url = /listening on (http:\/\/\S+?)\s/.exec(p.out())![1]!;
    const health = await fetch(`${url}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', credentials: { total: 1, available: 1 } });

    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer proc-secret', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'finish me please' }] }),
    });
    expect(res.status).toBe(200);
    p.child.kill('SIGTERM');
    const text = await res.text();
    expect(text).toContain('data: [DONE]');
    expect(await p.exited).toBe(0);
    expect(p.out()).not.toContain('proc-secret');
  });
});
