/**
 * Starts the processes the sections measure: the simulator (dist/simulator/cli.js), the bench targets, Rotor
 * (`node dist/main.js` with credential files in a temp folder) and Portkey; and says what request each expects.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { jsonLine, freePort, start } from './procs.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH = join(ROOT, 'bench');
export const PORTKEY_ENTRY = join(BENCH, 'node_modules/@portkey-ai/gateway/build/start-server.js');
export const MODEL = 'gemini-2.5-flash';
export const PASSWORD = 'bench-password-0123456789';
const PROMPT = 'Say hello to the benchmark, please.';

/** A minimal environment, so a developer's shell or .env never changes what is measured. */
function baseEnv(extra) {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), ...extra };
}

export async function startSimulator(name, { accounts = 3, apiKeys = 0, latencyMs = 20, streamEvents = 20, streamIntervalMs = 5 } = {}) {
  const args = [join(ROOT, 'dist/simulator/cli.js'), '--accounts', String(accounts), '--latency-ms', String(latencyMs)];
  if (apiKeys > 0) args.push('--api-keys', String(apiKeys));
  args.push('--stream-events', String(streamEvents), '--stream-interval-ms', String(streamIntervalMs));
  return start(name, args, { env: baseEnv(), ready: jsonLine, timeoutMs: 60_000 });
}

/** Access tokens from the simulator's token endpoint (refresh grant), so Rotor starts with valid tokens. */
export async function issueTokens(sim, accounts) {
  const url = new URL(sim.info.tokenUrl);
  const pool = new Pool(url.origin, { connections: 16 });
  const out = new Array(accounts.length);
  let next = 0;
  const worker = async () => {
    while (next < accounts.length) {
      const i = next++;
      const a = accounts[i];
      const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: a.refreshToken, client_id: 'bench', client_secret: 'bench' });
      const res = await pool.request({ path: url.pathname, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
      const json = await res.body.json();
      if (!json.access_token) throw new Error(`token endpoint: ${JSON.stringify(json)}`);
      out[i] = { ...a, accessToken: json.access_token, expiresAt: Date.now() + json.expires_in * 1000 };
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await pool.close();
  return out;
}

/** Writes gemini-cli `oauth_creds_<email>.json` files (what `rotor --gen-creds` writes) into a new temp folder. */
export async function writeCredentialFolder(accounts) {
  const dir = await mkdtemp(join(tmpdir(), 'rotor-bench-'));
  const creds = join(dir, 'credentials');
  await mkdir(creds, { mode: 0o700 });
  for (let i = 0; i < accounts.length; i += 256) {
    await Promise.all(
      accounts.slice(i, i + 256).map((a) => {
        const json = {
          access_token: a.accessToken,
          refresh_token: a.refreshToken,
          scope: 'https://www.googleapis.com/auth/cloud-platform',
          token_type: 'Bearer',
          expiry_date: a.expiresAt,
          email: a.email,
          project_id: a.projectId,
        };
        return writeFile(join(creds, `oauth_creds_${a.email}.json`), JSON.stringify(json, null, 2), { mode: 0o600 });
      }),
    );
  }
  return { dir, creds, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Rotor from the checkout's dist/, or from another build's folder (`dist`: e.g. a copy of an older dist/). `env`: more variables (REDIS_URL, QUOTAS…). */
export async function startRotor(name, sim, folder, { nodeArgs = [], dist = join(ROOT, 'dist'), env: extra = {} } = {}) {
  const env = baseEnv({
    HOST: '127.0.0.1',
    PORT: '0',
    PERSISTENT_STORAGE_PATH: folder.creds,
    CODE_ASSIST_ENDPOINT: sim.info.codeAssistEndpoint,
    GOOGLE_OAUTH_TOKEN_URL: sim.info.tokenUrl,
    GOOGLE_OAUTH_AUTH_URL: sim.info.authUrl,
    GOOGLE_USERINFO_URL: sim.info.userinfoUrl,
    GEMINI_AUTH_PASSWORD: PASSWORD,
    NODE_ENV: 'production',
    ...extra,
  });
  const ready = (line) => {
    const m = /listening on (http:\/\/[^\s)]+)/.exec(line);
    return m ? { url: m[1] } : undefined;
  };
  // cwd is the temp folder so that no .env of the checkout is read.
  return start(name, [join(dist, 'main.js')], { env, cwd: folder.dir, ready, timeoutMs: 120_000, nodeArgs });
}

export function startPassthrough(upstreamUrl) {
  return start('passthrough', [join(BENCH, 'targets/passthrough.js'), '--upstream', upstreamUrl], { env: baseEnv(), ready: jsonLine });
}

export function startTranslator(sim, account, { nodeArgs = [] } = {}) {
  const args = [join(BENCH, 'targets/translator.js'), '--upstream', sim.info.url, '--token-url', sim.info.tokenUrl];
  args.push('--refresh-token', account.refreshToken, '--project', account.projectId);
  return start('translator', args, { env: baseEnv(), ready: jsonLine, nodeArgs });
}


/** Whether something on 127.0.0.1:port answers PING with +PONG. */
function pings(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

/**
 * A throwaway redis-server (Debian's, 7) on 127.0.0.1 and a free port, persisting nothing; killed when the bench
 * exits. Resolves {name, pid, url, stop} once it answers PING. REDIS_SERVER_PATH overrides the binary.
 */
export async function startRedis(name = 'redis') {
  if (!existsSync(REDIS_SERVER)) throw new Error(`no redis-server at ${REDIS_SERVER}: install Debian's redis-server (apt-get install redis-server) or set REDIS_SERVER_PATH`);
  let output = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir(), '--daemonize', 'no', '--loglevel', 'warning'];
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = () => child.kill('SIGKILL');
    process.on('exit', kill);
    let gone = false;
    const exited = new Promise((resolve) => child.once('exit', () => resolve((gone = true))));
    for (const s of [child.stdout, child.stderr]) s.on('data', (c) => (output = (output + c.toString()).slice(-2_000)));
    const deadline = Date.now() + 10_000;
    while (!gone && Date.now() < deadline) {
      if (await pings(port)) {
        return {
          name,
          pid: child.pid,
          url: `redis://127.0.0.1:${port}`,
          async stop() {
            if (gone) return;
            child.kill('SIGTERM');
            const timer = setTimeout(kill, 5_000);
            await exited;
            clearTimeout(timer);
            process.off('exit', kill);
          },
        };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    kill();
    await exited;
    process.off('exit', kill);
  }
  throw new Error(`redis-server did not start:\n${output}`);
}

export function portkeyInstalled() {
  return existsSync(PORTKEY_ENTRY);
}

export async function startPortkey() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const ready = () => undefined;
  ready.poll = async () => ((await fetch(url)).ok ? { url } : undefined);
  return start('portkey', [PORTKEY_ENTRY, `--port=${port}`, '--headless'], { env: baseEnv({ NODE_ENV: 'production' }), ready, timeoutMs: 60_000 });
}

const openaiBody = (stream) => JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: PROMPT }], ...(stream ? { stream: true } : {}) });
const geminiBody = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: PROMPT }] }] });
const json = { 'content-type': 'application/json' };

/**
 * The request a target expects, for `stream` or not. `ctx`: {token, project} of a simulator account for
 * code-assist; {portkey}: {url, key} of Portkey's upstream (the simulator's Gemini API).
 */
export function requestFor(kind, stream, ctx) {
  switch (kind) {
    case 'code-assist': {
      const body = JSON.stringify({ model: MODEL, project: ctx.project, user_prompt_id: 'bench', request: JSON.parse(geminiBody) });
      const path = stream ? '/v1internal:streamGenerateContent?alt=sse' : '/v1internal:generateContent';
      return { path, headers: { ...json, authorization: `Bearer ${ctx.token}` }, body, stream };
    }
    case 'openai':
      return { path: '/v1/chat/completions', headers: { ...json, authorization: `Bearer ${PASSWORD}` }, body: openaiBody(stream), stream };
    case 'gemini': {
      const path = `/v1beta/models/${MODEL}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
      return { path, headers: { ...json, 'x-goog-api-key': PASSWORD }, body: geminiBody, stream };
    }
    case 'portkey': {
      const up = ctx.portkey;
      const headers = { ...json, authorization: `Bearer ${up.key}`, 'x-portkey-provider': 'google', 'x-portkey-custom-host': up.url };
      return { path: '/v1/chat/completions', headers, body: openaiBody(stream), stream };
    }
    default:
      throw new Error(`unknown request kind ${kind}`);
  }
}
