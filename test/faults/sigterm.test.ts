/**
 * SIGTERM under load, on the built `rotor` process (dist/main.js, built by `npm test`): every request in
 * flight (non-streaming ones waiting on Google, streams half-sent) completes, new connections are refused,
 * then the process exits 0 with no unhandled rejection in its output, and every token is on disk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { credentialJson, defaultProject } from '../e2e/harness.js';
import { call, failures, type Kind, type Poster } from './load.js';
import { credentialFileProblem, PASSWORD, waitFor, type FaultStack } from './stack.js';

const MAIN = join(import.meta.dirname, '../../dist/main.js');
const ACCOUNTS = ['term1@example.com', 'term2@example.com', 'term3@example.com'];
const KINDS: Kind[] = ['chat', 'chat-stream', 'generate', 'stream-sse', 'stream-array'];
const IN_FLIGHT = 25;

function connects(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const r = request({ host: u.hostname, port: u.port, path: '/health', agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    r.on('error', () => resolve(false));
    r.setTimeout(2000, () => r.destroy());
    r.end();
  });
}

/** The built rotor process on `dir`'s credentials, with everything it prints collected. */
function spawnRotor(sim: Simulator, dir: string) {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: '0',
      HOST: '127.0.0.1',
      PERSISTENT_STORAGE_PATH: dir,
      GEMINI_AUTH_PASSWORD: PASSWORD,
      CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint,
      GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl,
      // Far longer than the test may run: exiting at all shows Rotor did not wait for the grace period.
      SHUTDOWN_GRACE_MS: '600000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

describe('SIGTERM under load', () => {
  let sim: Simulator;
  let dir: string;
  beforeAll(async () => {
    // Google answers after 400 ms and streams 5 events 150 ms apart: every request is still running at SIGTERM.
    sim = await startSimulator({ accounts: ACCOUNTS.map((email) => ({ email })), latencyMs: 400, streamEvents: 5, streamIntervalMs: 150 });
    dir = await mkdtemp(join(tmpdir(), 'rotor-sigterm-'));
    for (const email of ACCOUNTS) {
      await writeFile(join(dir, `oauth_creds_${email}.json`), JSON.stringify(credentialJson({ email }, defaultProject(email))), { mode: 0o600 });
    }
  });
  afterAll(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finishes every in-flight request, refuses new ones, exits 0', async () => {
    const { child, output, exited } = spawnRotor(sim, dir);
    try {
      await waitFor('rotor to listen', () => /listening on (http:\/\/\S+?)\s/.test(output()), 10_000);
      const url = /listening on (http:\/\/\S+?)\s/.exec(output())![1]!;
      const client: Poster = {
        async post(path, body, init) {
          const google = path.startsWith('/v1beta');
          const res = await fetch(`${url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(google ? { 'x-goog-api-key': PASSWORD } : { authorization: `Bearer ${PASSWORD}` }) },
            body: JSON.stringify(body),
            signal: init?.signal,
          });
          return { status: res.status, text: await res.text(), headers: res.headers };
        },
      };

      const generation = () => sim.calls().filter((c) => c.method === 'generateContent' || c.method === 'streamGenerateContent').length;
      const pending = Array.from({ length: IN_FLIGHT }, (_, i) => call(client, KINDS[i % KINDS.length]!, `inflight${i}`));
      // Every request has reached Google (and waits on it) before the signal.
      await waitFor('all requests to be in flight', () => generation() >= IN_FLIGHT, 10_000);
      child.kill('SIGTERM');
      await waitFor('the shutdown to begin', () => /SIGTERM: finishing in-flight requests/.test(output()), 5000);
      expect(await connects(url), 'a new connection was accepted after SIGTERM').toBe(false);

      const outcomes = await Promise.all(pending);
      expect(failures(outcomes)).toEqual([]);
      expect(outcomes.filter((o) => o.kind !== 'chat' && o.kind !== 'generate').every((o) => o.events >= 5)).toBe(true);
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(output()).not.toMatch(/unhandled|uncaught/i);
      expect(output()).not.toContain(PASSWORD);
      // Tokens refreshed on the way are on disk.
      const stackLike = { sim, fileOf: (email: string) => join(dir, `oauth_creds_${email}.json`) } as unknown as FaultStack;
      for (const email of ACCOUNTS) expect(await credentialFileProblem(stackLike, email)).toBeUndefined();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 30_000);

  it('closes keep-alive connections after their current answer, even while clients keep sending', async () => {
    const { child, output, exited } = spawnRotor(sim, dir);
    const pool = new Pool(await (async () => {
      await waitFor('rotor to listen', () => /listening on (http:\/\/\S+?)\s/.test(output()), 10_000);
      return /listening on (http:\/\/\S+?)\s/.exec(output())![1]!;
    })(), { connections: 4 });
    try {
      let stop = false;
      let signalled = false;
      const afterSignal: string[] = [];
      const errors: string[] = [];
      let answered = 0;
      const body = JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'again' }] });
      // Four keep-alive connections, each sending its next request the moment the last answer ends.
      const loop = async () => {
        while (!stop) {
          try {
            const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${PASSWORD}` }, body });
            await r.body.text();
            if (r.statusCode === 200) answered++;
            if (signalled) afterSignal.push(`${r.statusCode} ${String(r.headers.connection)}`);
          } catch (err) {
            errors.push((err as { code?: string }).code ?? String(err));
            return; // the server is gone or going: stop this client
          }
        }
      };
      const generations = () => sim.calls().filter((c) => c.method === 'generateContent').length;
      const before = generations();
      const loops = Array.from({ length: 4 }, loop);
      // Past the start: every connection has had answers and has its next request in flight.
      await waitFor('requests to flow', () => generations() > before + 12, 10_000);
      signalled = true;
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      stop = true;
      await Promise.all(loops);
      // The grace period is ten minutes: exiting at all shows that clients which kept sending were let go. They
      // were told so (Connection: close on the answers written while draining; which answers those were depends on
      // when the child handled the signal, so only that some were is checked).
      expect(afterSignal.some((a) => a === '200 close'), JSON.stringify({ afterSignal, errors })).toBe(true);
      // Nothing that reached Google was lost: every such request got its answer. (A request sent on a
      // connection that was idle at the signal can meet Node closing it, a reset before any work: retryable.)
      expect(answered, JSON.stringify({ afterSignal, errors })).toBe(generations() - before);
      expect(errors.every((e) => ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET'].includes(e)), errors.join(', ')).toBe(true);
    } finally {
      await pool.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
