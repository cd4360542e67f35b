/**
 * A public HOST without GEMINI_AUTH_PASSWORD (the built command): refused at start while there is no access
 * token; with one, other machines are served only with a token, this machine as before.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { freePort } from '../store/redis-server.js';
import { listeningPort, runRotor, type RotorProcess, waitFor } from '../e2e/spawn-rotor.js';

/** An address of this machine that is not loopback: connecting to it makes Rotor see a foreign peer. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && !i.internal && i.family === 'IPv4')?.address;


describe('a public HOST without a password', () => {
  let sim: Simulator;
  let dir: string;
  let port: number;
  let rotor: RotorProcess | undefined;
  let token = '';
  const env = () => ({ PORT: String(port), HOST: '0.0.0.0', PERSISTENT_STORAGE_PATH: dir, CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint, GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl });
  const models = (host: string, secret?: string) =>
    fetch(`http://${host}:${port}/v1/models`, { headers: secret ? { authorization: `Bearer ${secret}` } : {} }).then(async (r) => ({ status: r.status, body: await r.text() }));

  beforeAll(async () => {
    sim = await startSimulator({ accounts: [{ email: 'pub@example.com' }] });
    dir = await mkdtemp(join(tmpdir(), 'rotor-public-host-'));
    await writeFile(join(dir, 'oauth_creds_pub.json'), JSON.stringify({ refresh_token: '1//sim-refresh-pub@example.com', email: 'pub@example.com', project_id: 'sim-project-pub' }), { mode: 0o600 });
    port = await freePort();
  });
  afterAll(async () => {
    if (rotor) {
      rotor.child.kill('SIGKILL');
      await rotor.exited;
    }
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start with neither a password nor an access token (exit 2), saying what to do', async () => {
    const p = runRotor(env());
    expect(await p.exited).toBe(2);
    expect(p.out()).toContain('configuration error: HOST: "0.0.0.0" is not a loopback address');
    expect(p.out()).toContain('rotor tokens create');
    expect(p.out()).not.toContain('listening on');
  });

  it('with an access token: starts; this machine is served as before, other machines only with the token', async () => {
    const created = runRotor({ ...env(), HOST: '127.0.0.1' }, ['tokens', 'create', '--name', 'remote', '--quiet']);
    expect(await created.exited).toBe(0);
    // (stderr says no Rotor answered, so the state file was changed directly; stdout is the token alone)
    token = created.out().split('\n').find((l) => l.startsWith('rotor_')) ?? '';
    expect(token).toMatch(/^rotor_[A-Za-z0-9_-]{43}$/);

    // Port 0: a port picked beforehand could be taken by another test run before Rotor binds it.
    const started = runRotor({ ...env(), PORT: '0' });
    rotor = started;
    await waitFor('Rotor to listen', () => listeningPort(started) !== undefined);
    port = listeningPort(started)!;
    await waitFor('Rotor to answer', async () => (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0)) === 200);
    expect((await models('127.0.0.1')).status).toBe(200);
    expect((await models('127.0.0.1', token)).status).toBe(200);
    expect((await models('127.0.0.1', 'rotor_notatokenatallnotatokenatallnotatokenat')).status).toBe(401);
  });

  it.runIf(external)('answers another machine 401 without a token, even when it forges a loopback Host', async () => {
    const bare = await models(external!);
    expect(bare.status).toBe(401);
    expect(bare.body).toContain('access token');
    // The Host header is the client's to write; the peer address is not.
    const forged = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request({ host: external, port, path: '/v1/models', headers: { host: `localhost:${port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      }, reject);
    });
    expect(forged).toBe(401);
    expect((await models(external!, token)).status).toBe(200);
  });
});
