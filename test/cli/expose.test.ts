/**
 * `rotor --expose` with a stand-in `cloudflared` first on PATH (a shell script that prints the quick-tunnel banner to
 * stderr as the real one does, records its arguments and environment, and stays alive until killed): the public
 * URL is printed, the tunnel forwards to Rotor's loopback port, the admin surface refuses what comes through it,
 * cloudflared stops with Rotor; without a password or a token nothing is exposed; without cloudflared Rotor says how
 * to install it. The process tests run the built command (npm run build first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOUDFLARED_INSTALL, expose, ExposeError, findExecutable, localTarget, startTunnel } from '../../src/cli/expose.js';
import { createLogger } from '../../src/util/log.js';
import { raw } from '../e2e/dashboard-stack.js';
import { runRotor } from '../e2e/spawn-rotor.js';

const PUBLIC = 'https://tender-quiet-river-example.trycloudflare.com';

/** Writes a stand-in cloudflared into `dir`; it records into `dir/calls`. */
async function standIn(dir: string, body: 'banner' | 'fails' | 'silent' = 'banner'): Promise<string> {
  const rec = join(dir, 'calls');
  await mkdir(rec, { recursive: true });
  const lines =
    body === 'banner'
      ? [
          'INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. https://developers.cloudflare.com/cloudflare-one/connections/connect-networks',
          'INF Requesting new quick Tunnel on trycloudflare.com...',
          'INF +--------------------------------------------------------------------------------------------+',
          'INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |',
          `INF |  ${PUBLIC}                                      |`,
          'INF +--------------------------------------------------------------------------------------------+',
        ]
      : body === 'fails'
        ? ['INF Requesting new quick Tunnel on trycloudflare.com...', 'ERR failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: lookup api.trycloudflare.com: no such host']
        : [];
  const script = [
    '#!/bin/sh',
    `echo $$ > '${rec}/pid'`,
    `printf '%s\\n' "$@" > '${rec}/args'`,
    `env > '${rec}/env'`,
    ...lines.map((l) => `echo '2026-12-02T04:00:00Z ${l.replace(/'/g, "'\\''")}' >&2`),
    body === 'fails' ? 'exit 1' : 'exec sleep 600',
    '',
  ].join('\n');
  const file = join(dir, 'cloudflared');
  await writeFile(file, script);
  await chmod(file, 0o755);
  return file;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(pred: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const logger = createLogger({ level: 'error', sink: () => undefined });

describe('the tunnel (in process)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rotor-expose-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('finds cloudflared on PATH only when it is an executable file', async () => {
    const bin = join(dir, 'find');
    await mkdir(bin);
    expect(findExecutable('cloudflared', `${bin}:/nonexistent`)).toBeUndefined();
    await writeFile(join(bin, 'cloudflared'), '#!/bin/sh\n');
    expect(findExecutable('cloudflared', bin)).toBeUndefined(); // not executable
    await chmod(join(bin, 'cloudflared'), 0o755);
    expect(findExecutable('cloudflared', `/nonexistent:${bin}`)).toBe(join(bin, 'cloudflared'));
    expect(findExecutable('cloudflared', '')).toBeUndefined();
  });

  it('forwards to the loopback address Rotor listens on', () => {
    expect(localTarget({ address: '127.0.0.1', port: 7860, family: 'IPv4' })).toBe('http://127.0.0.1:7860');
    expect(localTarget({ address: '0.0.0.0', port: 80, family: 'IPv4' })).toBe('http://127.0.0.1:80');
    expect(localTarget({ address: '::1', port: 7860, family: 'IPv6' })).toBe('http://[::1]:7860');
    expect(localTarget({ address: '::', port: 7860, family: 'IPv6' })).toBe('http://[::1]:7860');
  });

  it('starts `cloudflared tunnel --url`, reads the public URL, gives it none of Rotor\'s secrets, and stops it', async () => {
    const d = join(dir, 'ok');
    const binary = await standIn(d);
    const tunnel = await startTunnel({ binary, target: 'http://127.0.0.1:4321', logger, env: { PATH: process.env.PATH, GEMINI_AUTH_PASSWORD: 'p-secret', ADMIN_PASSWORD: 'a-secret', KEEP_ME: '1' } });
    expect(tunnel.url).toBe(PUBLIC);
    expect((await readFile(join(d, 'calls/args'), 'utf8')).trim().split('\n')).toEqual(['tunnel', '--no-autoupdate', '--url', 'http://127.0.0.1:4321']);
    const env = await readFile(join(d, 'calls/env'), 'utf8');
    expect(env).toContain('KEEP_ME=1');
    expect(env).not.toContain('secret');
    const pid = Number(await readFile(join(d, 'calls/pid'), 'utf8'));
    expect(alive(pid)).toBe(true);
    await tunnel.stop();
    expect(alive(pid)).toBe(false);
  });

  it('fails with cloudflared\'s last lines when it exits first (and never takes its API host for the URL)', async () => {
    const binary = await standIn(join(dir, 'fails'), 'fails');
    const err = await startTunnel({ binary, target: 'http://127.0.0.1:1', logger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExposeError);
    expect((err as ExposeError).reason).toBe('tunnel');
    expect((err as Error).message).toMatch(/exited \(code 1\) before the tunnel was up/);
    expect((err as Error).message).toContain('failed to request quick Tunnel');
  });

  it('gives up when no URL comes in time, and stops cloudflared', async () => {
    const d = join(dir, 'silent');
    const binary = await standIn(d, 'silent');
    const err = await startTunnel({ binary, target: 'http://127.0.0.1:1', logger, timeoutMs: 500 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/no public URL within/);
    const pid = Number(await readFile(join(d, 'calls/pid'), 'utf8'));
    await waitFor(() => !alive(pid), 3000);
  });

  it('refuses an open API (no password, no token) before starting anything, and says how to install cloudflared', async () => {
    const d = join(dir, 'refuse');
    await standIn(d);
    const address = { address: '127.0.0.1', port: 9, family: 'IPv4' };
    const open = await expose({ address, password: false, adminPassword: false, hasTokens: async () => false, logger, env: { PATH: d } }).catch((e: unknown) => e);
    expect((open as ExposeError).reason).toBe('unprotected');
    expect(existsSync(join(d, 'calls/args'))).toBe(false);

    const missing = await expose({ address, password: true, adminPassword: false, hasTokens: async () => false, logger, env: { PATH: join(dir, 'nowhere') } }).catch((e: unknown) => e);
    expect((missing as ExposeError).reason).toBe('no-cloudflared');
    expect((missing as Error).message).toBe(CLOUDFLARED_INSTALL);

    // An access token is enough.
    const printed: string[] = [];
    const tunnel = await expose({ address, password: false, adminPassword: false, hasTokens: async () => true, logger, env: { PATH: d }, print: (l) => printed.push(l) });
    expect(printed[0]).toBe(`rotor: public URL ${PUBLIC}`);
    expect(printed.join('\n')).toContain('an access token');
    expect(printed.join('\n')).toContain('not reachable through the tunnel');
    await tunnel.stop();
  });
});

describe('rotor --expose (the built command)', () => {
  let dir: string;
  let bin: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rotor-expose-proc-'));
    bin = join(dir, 'bin');
    await standIn(bin);
    await mkdir(join(dir, 'creds'));
    await mkdir(join(dir, 'empty-bin'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const env = (extra: Record<string, string>) => ({ PORT: '0', HOST: '127.0.0.1', PERSISTENT_STORAGE_PATH: join(dir, 'creds'), LOG_FORMAT: 'json', ...extra });

  it('prints the public URL, keeps /admin off the tunnel, and stops cloudflared when it stops', async () => {
    const p = runRotor(env({ GEMINI_AUTH_PASSWORD: 'expose-secret-1', PATH: `${bin}:${process.env.PATH}` }), ['--expose']);
    try {
      await waitFor(() => p.out().includes('rotor: public URL'));
      expect(p.out()).toContain(`rotor: public URL ${PUBLIC}`);
      const local = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.out())![1]!;
      const args = (await readFile(join(bin, 'calls/args'), 'utf8')).trim().split('\n');
      expect(args).toEqual(['tunnel', '--no-autoupdate', '--url', local]);
      expect(await readFile(join(bin, 'calls/env'), 'utf8')).not.toContain('expose-secret-1');

      // What cloudflared sends on: the visitor's Host and address headers. The API takes the password; the
      // dashboard and /admin refuse.
      const tunnelled = { host: new URL(PUBLIC).host, 'cf-connecting-ip': '203.0.113.9', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' };
      expect((await raw(local, '/v1/models', { headers: { ...tunnelled, authorization: 'Bearer expose-secret-1' } })).status).toBe(200);
      expect((await raw(local, '/v1/models', { headers: tunnelled })).status).toBe(401);
      for (const path of ['/', '/dashboard', '/admin/status', '/admin/events']) {
        expect((await raw(local, path, { headers: tunnelled })).status, path).toBe(403);
      }
      expect((await raw(local, '/admin/status')).status).toBe(200); // on this machine, directly

      const pid = Number(await readFile(join(bin, 'calls/pid'), 'utf8'));
      expect(alive(pid)).toBe(true);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      await waitFor(() => !alive(pid), 3000);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('refuses to expose an API with neither a password nor a token (EXPOSE=1), and starts no tunnel', async () => {
    await rm(join(bin, 'calls'), { recursive: true, force: true });
    const p = runRotor(env({ EXPOSE: '1', PATH: `${bin}:${process.env.PATH}` }));
    expect(await p.exited).toBe(2);
    expect(p.out()).toContain('rotor --expose: refusing to expose an open API');
    expect(p.out()).toContain('GEMINI_AUTH_PASSWORD');
    expect(p.out()).toContain('rotor tokens create');
    expect(existsSync(join(bin, 'calls/args'))).toBe(false);
  });

  it('says how to install cloudflared when it is not on PATH, and exits 2', async () => {
    const p = runRotor(env({ GEMINI_AUTH_PASSWORD: 'expose-secret-2', PATH: join(dir, 'empty-bin') }), ['--expose']);
    expect(await p.exited).toBe(2);
    expect(p.out()).toContain('cloudflared is not on PATH');
    expect(p.out()).toContain('Rotor does not download programs');
    expect(p.out()).toContain('brew install cloudflared');
    expect(p.out()).not.toContain('listening on');
  });

  it('rejects a bad EXPOSE value like any setting', async () => {
    const p = runRotor(env({ EXPOSE: 'perhaps', PATH: join(dir, 'empty-bin') }));
    expect(await p.exited).toBe(2);
    expect(p.out()).toMatch(/EXPOSE: expected true or false, found "perhaps"/);
  });
});
