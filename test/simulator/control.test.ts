/** The /__sim control routes and the stand-alone CLI, for simulators running in another process. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { call, envelope, json, refresh, start, tokenFor } from './helpers.js';

describe('control endpoint', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await start({ accounts: [{ email: 'c@x.com' }] });
  });
  afterAll(() => sim.close());

  const control = (method: string, path: string, body?: unknown) =>
    fetch(`${sim.url}/__sim/${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    }).then((r) => json(r));

  it('injects, lists and clears faults', async () => {
    const token = await tokenFor(sim, 'c@x.com');
    const added = await control('POST', 'faults', { fault: { type: 'capacity', status: 503 }, email: 'c@x.com', times: 1 });
    expect(added.status).toBe(200);
    expect((await control('GET', 'faults')).body.faults).toEqual([{ fault: { type: 'capacity', status: 503 }, email: 'c@x.com', times: 1 }]);
    expect((await call(sim, 'generateContent', token, envelope('c@x.com', 'x'))).status).toBe(503);
    expect((await call(sim, 'generateContent', token, envelope('c@x.com', 'x'))).status).toBe(200);

    await control('POST', 'faults', { fault: { type: 'status', status: 500 } });
    expect((await call(sim, 'generateContent', token, envelope('c@x.com', 'x'))).status).toBe(500);
    expect((await control('DELETE', 'faults')).status).toBe(200);
    expect((await call(sim, 'generateContent', token, envelope('c@x.com', 'x'))).status).toBe(200);
  });

  it('refuses a malformed fault rule or account', async () => {
    expect((await control('POST', 'faults', { fault: { type: 'explode' } })).status).toBe(400);
    expect((await control('POST', 'faults', { fault: { type: 'stall', ms: 5 }, method: 'everything' })).status).toBe(400);
    expect((await control('POST', 'accounts', { email: 'not-an-email' })).status).toBe(400);
    expect((await control('POST', 'accounts', { email: 'z@x.com', rpm: 'many' })).status).toBe(400);
  });

  it('adds and updates accounts', async () => {
    const added = await control('POST', 'accounts', { email: 'new@x.com', refreshToken: '1//new-token', rpm: 5 });
    expect(added.body).toEqual({ ok: true, email: 'new@x.com', refreshToken: '1//new-token', projectId: 'sim-project-new' });
    const token = await refresh(sim, '1//new-token');
    expect(token.status).toBe(200);
    const gen = await call(sim, 'generateContent', token.body.access_token, envelope('new@x.com', 'hi'));
    expect(gen.body.response.candidates[0].content.parts[0].text).toBe('Echo from gemini-2.5-flash: hi');

    await control('POST', 'accounts', { email: 'new@x.com', revoked: true });
    expect((await refresh(sim, '1//new-token')).body.error).toBe('invalid_grant');
  });

  it('reports counts and calls per account and method', async () => {
    sim.resetStats();
    const token = await tokenFor(sim, 'c@x.com');
    await call(sim, 'generateContent', token, envelope('c@x.com', 'x'));
    await call(sim, 'generateContent', token, envelope('c@x.com', 'y'));
    await call(sim, 'loadCodeAssist', token, { metadata: {} });
    const counts = await control('GET', 'counts');
    expect(counts.body).toEqual({ 'c@x.com': { token: 1, generateContent: 2, loadCodeAssist: 1 } });
    expect(counts.body).toEqual(sim.counts());
    const calls = await control('GET', 'calls?method=generateContent');
    expect(calls.body.calls.map((c: { body: { request: { contents: Array<{ parts: Array<{ text: string }> }> } } }) => c.body.request.contents[0]!.parts[0]!.text)).toEqual(['x', 'y']);
  });

  it('answers an unknown control route with 404', async () => {
    expect((await control('GET', 'nothing-here')).status).toBe(404);
  });
});

describe('cli', () => {
  let dir: string;
  beforeAll(async () => {
    // The simulator imports nothing outside src/simulator, so it compiles on its own.
    dir = await mkdtemp(join(tmpdir(), 'rotor-sim-cli-'));
    const tsc = join(import.meta.dirname, '../../node_modules/typescript/bin/tsc');
    const args = [tsc, '--outDir', dir, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--strict', '--skipLibCheck', '--types', 'node'];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [...args, join(import.meta.dirname, '../../src/simulator/cli.ts')], { stdio: 'inherit' });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc exited ${code}`))));
    });
    // ESM output, with the repo's node_modules (zod) in reach.
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    await symlink(join(import.meta.dirname, '../../node_modules'), join(dir, 'node_modules'), 'dir');
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints its URL and accounts as one JSON line, serves them, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(dir, 'cli.js'), '--accounts', '2', '--latency-ms', '5', '--stream-events', '4'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const line = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
      exited.then((code) => Promise.reject(new Error(`cli exited early with ${code}`))),
    ]);
    const info = JSON.parse(line) as { url: string; tokenUrl: string; accounts: Array<{ email: string; refreshToken: string; projectId: string }> };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.tokenUrl).toBe(`${info.url}/token`);
    expect(info.accounts).toHaveLength(2);
    const r = await fetch(info.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: info.accounts[1]!.refreshToken, client_id: 'c', client_secret: 's' }),
    });
    expect(r.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 20_000);
});
