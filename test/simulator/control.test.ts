/** The /__sim control routes and the stand-alone CLI, for simulators running in another process. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { apiCall, call, envelope, json, refresh, start, tokenFor, userText } from './helpers.js';

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

  it('adds, lists and removes API keys; faults and calls filter by key, project and route', async () => {
    expect((await control('POST', 'api-keys', { key: 'AIzaSy-control-key', projectId: 'proj-c', rpm: 1 })).body).toEqual({ ok: true, key: 'AIzaSy-control-key', projectId: 'proj-c' });
    expect((await control('POST', 'api-keys', { key: 'AIzaSy-x' })).status).toBe(400);
    expect((await control('GET', 'api-keys')).body.apiKeys).toContainEqual({ key: 'AIzaSy-control-key', projectId: 'proj-c', rpm: 1 });
    const gen = () => apiCall(sim, 'gemini-2.5-flash', 'generateContent', 'AIzaSy-control-key', userText('x'));
    await control('POST', 'faults', { fault: { type: 'status', status: 502 }, apiKey: 'AIzaSy-control-key', project: 'proj-c', times: 1 });
    expect((await gen()).status).toBe(502);
    expect((await gen()).status).toBe(200);
    expect((await gen()).status).toBe(429);
    const calls = await control('GET', 'calls?route=gemini-api&project=proj-c');
    expect(calls.body.calls.map((c: { apiKey: string }) => c.apiKey)).toEqual(['AIza...-key', 'AIza...-key', 'AIza...-key']);
    await control('DELETE', 'api-keys?key=AIzaSy-control-key');
    expect((await gen()).status).toBe(400);
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
    const quotas = { 'gemini-2.5-flash': { rpm: 1, rpd: 100, tpm: 20000 } };
    const args = ['--accounts', '2', '--api-keys', '2', '--latency-ms', '5', '--stream-events', '4', '--quotas', JSON.stringify(quotas)];
    const child = spawn(process.execPath, [join(dir, 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const line = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
      exited.then((code) => Promise.reject(new Error(`cli exited early with ${code}`))),
    ]);
    const info = JSON.parse(line) as {
      url: string;
      tokenUrl: string;
      geminiApiBaseUrl: string;
      accounts: Array<{ email: string; refreshToken: string; projectId: string }>;
      apiKeys: Array<{ key: string; projectId: string }>;
    };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.tokenUrl).toBe(`${info.url}/token`);
    expect(info.accounts).toHaveLength(2);
    const r = await fetch(info.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: info.accounts[1]!.refreshToken, client_id: 'c', client_secret: 's' }),
    });
    expect(r.status).toBe(200);
    expect(info.geminiApiBaseUrl).toBe(info.url);
    expect(info.apiKeys).toEqual([
      { key: expect.stringMatching(/^AIza[A-Za-z0-9_-]{35}$/), projectId: 'sim-key-project-1' },
      { key: expect.stringMatching(/^AIza[A-Za-z0-9_-]{35}$/), projectId: 'sim-key-project-2' },
    ]);
    const g = await fetch(`${info.geminiApiBaseUrl}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': info.apiKeys[1]!.key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(((await g.json()) as { candidates: Array<{ content: { parts: Array<{ text: string }> } }> }).candidates[0]!.content.parts[0]!.text).toBe(
      'Echo from gemini-2.5-flash: hi',
    );
    // --quotas: every project gets one Flash request a minute.
    expect((info as { quotas?: unknown }).quotas).toEqual(quotas);
    const again = (key: string) =>
      fetch(`${info.geminiApiBaseUrl}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': key },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      }).then((r) => json(r));
    const limited = await again(info.apiKeys[1]!.key);
    expect(limited.status).toBe(429);
    expect(limited.body.error.details[0].violations[0]).toMatchObject({ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier', quotaValue: '1' });
    expect((await again(info.apiKeys[0]!.key)).status).toBe(200);
    expect((await json(await fetch(`${info.url}/__sim/quotas`))).body).toEqual({ quotas });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 20_000);

  it('refuses malformed --quotas', async () => {
    for (const bad of ['not json', '{"gemini-2.5-flash":{"rpm":-1}}']) {
      const child = spawn(process.execPath, [join(dir, 'cli.js'), '--quotas', bad], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      expect(await new Promise<number | null>((resolve) => child.on('exit', resolve))).toBe(1);
      expect(stderr).toContain('--quotas');
    }
  }, 20_000);
});
