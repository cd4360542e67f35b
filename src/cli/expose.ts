/**
 * `rotor --expose` (or EXPOSE=1): a public HTTPS URL for this Rotor through a Cloudflare quick tunnel, by running
 * `cloudflared tunnel --url http://127.0.0.1:PORT` when cloudflared is on PATH. Rotor never downloads binaries:
 * without cloudflared it says how to install it. It refuses to expose an API that anyone could use (neither
 * GEMINI_AUTH_PASSWORD nor an access token). The dashboard and /admin stay unreachable through the tunnel
 * (cloudflared adds CF-Connecting-IP and X-Forwarded-For, which the admin guard refuses) unless ADMIN_PASSWORD is
 * set, and then they ask for it. cloudflared is stopped when Rotor stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../util/log.js';

export const CLOUDFLARED_INSTALL = [
  'cloudflared is not on PATH. Rotor does not download programs; install cloudflared yourself, then run `rotor --expose` again:',
  '  Debian / Ubuntu: add Cloudflare\'s apt repository (https://pkg.cloudflare.com/) and `sudo apt-get install cloudflared`',
  '  macOS:           brew install cloudflared',
  '  Windows:         winget install --id Cloudflare.cloudflared',
  '  other systems:   https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/',
].join('\n');

export const UNPROTECTED_MESSAGE =
  'refusing to expose an open API: anyone with the public URL could spend your quota. Set GEMINI_AUTH_PASSWORD, or create an access token (rotor tokens create --name NAME), then run `rotor --expose` again';

/** The public URL a quick tunnel prints (`https://some-words-here.trycloudflare.com`), never its API host. */
const QUICK_TUNNEL_URL = /https:\/\/((?:[a-z0-9]+-)+[a-z0-9]+)\.trycloudflare\.com\b/i;

/** Environment variables Rotor keeps secrets in: cloudflared is not given them. */
const ROTOR_SECRETS = ['GEMINI_AUTH_PASSWORD', 'ADMIN_PASSWORD', 'CREDENTIALS_JSON_LIST', 'GEMINI_API_KEYS', 'CLIENT_SECRET', 'SESSION_SECRET', 'REDIS_URL', 'METRICS_TOKEN'];

export class ExposeError extends Error {
  override readonly name = 'ExposeError';
  constructor(
    message: string,
    /** `no-cloudflared` and `unprotected` stop the start (exit 2); `tunnel` is cloudflared failing (exit 1). */
    readonly reason: 'no-cloudflared' | 'unprotected' | 'tunnel',
  ) {
    super(message);
  }
}

/** The full path of an executable named `name` in PATH, or undefined. */
export function findExecutable(name: string, pathEnv: string | undefined): string | undefined {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const file = join(dir, name + ext);
      try {
        if (!statSync(file).isFile()) continue;
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        /* not here */
      }
    }
  }
  return undefined;
}

/** The loopback URL cloudflared should forward to, from the address the server listens on. */
export function localTarget(address: AddressInfo): string {
  const a = address.address;
  if (a === '0.0.0.0' || a === '' || a.startsWith('127.')) return `http://127.0.0.1:${address.port}`;
  if (a === '::' || a === '::1') return `http://[::1]:${address.port}`;
  return `http://${address.family === 'IPv6' ? `[${a}]` : a}:${address.port}`;
}

export interface Tunnel {
  /** The public https URL. */
  url: string;
  child: ChildProcess;
  /** Resolves when cloudflared has exited (its code, or null when a signal ended it). */
  exited: Promise<number | null>;
  /** Stops cloudflared (SIGTERM, then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface TunnelOptions {
  /** The cloudflared program (findExecutable's answer). */
  binary: string;
  /** e.g. http://127.0.0.1:7860 */
  target: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the public URL (default 30 s). */
  timeoutMs?: number;
}

/** Starts `cloudflared tunnel --url TARGET` and resolves with the public URL it prints. */
export function startTunnel(options: TunnelOptions): Promise<Tunnel> {
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  for (const k of ROTOR_SECRETS) delete env[k];
  // --no-autoupdate: cloudflared would otherwise download a newer cloudflared on its own.
  const child = spawn(options.binary, ['tunnel', '--no-autoupdate', '--url', options.target], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // If Rotor dies without stopping it, cloudflared must not stay behind exposing the port to whatever listens next.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));

  const stop = async (graceMs = 5_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<Tunnel>((resolve, reject) => {
    const last: string[] = [];
    let found: string | undefined;
    const onLine = (line: string) => {
      if (!line.trim()) return;
      last.push(line);
      if (last.length > 12) last.shift();
      options.logger.debug(`cloudflared: ${line}`);
      const m = found === undefined ? QUICK_TUNNEL_URL.exec(line) : null;
      if (m && m[1]!.toLowerCase() !== 'api') {
        found = `https://${m[1]!.toLowerCase()}.trycloudflare.com`;
        clearTimeout(timer);
        resolve({ url: found, child, exited, stop });
      }
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        const lines = buf.split(/\r?\n/);
        buf = lines.pop() ?? '';
        if (buf.length > 8192) buf = buf.slice(-8192);
        lines.forEach(onLine);
      });
    }
    const fail = (why: string) => {
      if (found !== undefined) return;
      clearTimeout(timer);
      void stop(1000);
      reject(new ExposeError(`${why}${last.length ? `; its last lines:\n  ${last.join('\n  ')}` : ''}`, 'tunnel'));
    };
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => fail(`cloudflared printed no public URL within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    child.once('error', (err) => fail(`cloudflared could not be started (${err.message})`));
    void exited.then((code) => fail(`cloudflared exited (code ${code}) before the tunnel was up`));
  });
}

export interface ExposeOptions {
  /** Where Rotor listens. */
  address: AddressInfo;
  /** GEMINI_AUTH_PASSWORD is set. */
  password: boolean;
  /** ADMIN_PASSWORD is set (the dashboard then answers through the tunnel, behind its login). */
  adminPassword: boolean;
  /** Whether any access token exists (they live in the state store). */
  hasTokens: () => Promise<boolean>;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Where the public URL is printed for people and scripts (default stdout). */
  print?: (line: string) => void;
  timeoutMs?: number;
}

/** Checks that exposing is safe and possible, starts the tunnel and prints its URL. Throws ExposeError. */
export async function expose(options: ExposeOptions): Promise<Tunnel> {
  const binary = findExecutable('cloudflared', options.env.PATH);
  if (!binary) throw new ExposeError(CLOUDFLARED_INSTALL, 'no-cloudflared');
  if (!options.password && !(await options.hasTokens().catch(() => false))) throw new ExposeError(UNPROTECTED_MESSAGE, 'unprotected');
  const target = localTarget(options.address);
  options.logger.info(`starting a Cloudflare quick tunnel to ${target} (${binary})`);
  const tunnel = await startTunnel({ binary, target, logger: options.logger, env: options.env, timeoutMs: options.timeoutMs });
  const print = options.print ?? ((line: string) => void process.stdout.write(line + '\n'));
  const auth = options.password ? 'GEMINI_AUTH_PASSWORD' : 'an access token';
  print(`rotor: public URL ${tunnel.url}`);
  print(`  OpenAI: ${tunnel.url}/v1   Gemini: ${tunnel.url}/v1beta   Anthropic: ${tunnel.url}/v1/messages   (every request needs ${auth})`);
  print(
    options.adminPassword
      ? `  dashboard: ${tunnel.url}/ asks for ADMIN_PASSWORD`
      : '  the dashboard and /admin are not reachable through the tunnel (only on this machine); set ADMIN_PASSWORD to open them behind a login',
  );
  let stopping = false;
  void tunnel.exited.then((code) => {
    if (!stopping) options.logger.warn(`the tunnel stopped (cloudflared exited with code ${code}): ${tunnel.url} no longer reaches Rotor, which keeps serving locally`);
  });
  const stop = tunnel.stop;
  return {
    ...tunnel,
    stop: (graceMs?: number) => {
      stopping = true;
      return stop(graceMs);
    },
  };
}

/**
 * Whether the running Rotor has any live access token, asked through its own admin API on loopback
 * (GET /admin/tokens; a build without tokens answers 404: none).
 */
export async function tokensViaAdminApi(baseUrl: string, adminPassword: string | undefined): Promise<boolean> {
  const res = await fetch(`${baseUrl}/admin/tokens`, { headers: adminPassword ? { authorization: `Bearer ${adminPassword}` } : {} });
  if (res.status !== 200) {
    await res.body?.cancel();
    return false;
  }
  const body = (await res.json()) as { tokens?: Array<{ expires?: string | null }> };
  const now = Date.now();
  return (body.tokens ?? []).some((t) => !t.expires || Date.parse(t.expires) > now);
}
