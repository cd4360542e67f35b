/**
 * The processes of `npm run bench:pool`: a simulator whose Gemini API projects have small quotas over a short
 * window, Rotor instances (memory store, or several on one redis-server) holding one API key per project, and
 * the requests they are sent.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLine, start } from './procs.js';
import { BENCH, MODEL, PASSWORD, ROOT, startRotor } from './stack.js';

/** The simulator CLI with `projects` API keys (one project each), `quotas` for MODEL and a `windowMs` window. */
export function startQuotaSimulator({ projects, quotas, windowMs, latencyMs }) {
  const args = [join(ROOT, 'dist/simulator/cli.js'), '--accounts', '0', '--api-keys', String(projects), '--latency-ms', String(latencyMs)];
  args.push('--quotas', JSON.stringify({ [MODEL]: quotas }), '--rate-window-ms', String(windowMs));
  return start('simulator', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir() }, ready: jsonLine, timeoutMs: 60_000 });
}

/** `api_keys.json` (one key per project, with its project id) in a new temp folder. */
export async function writeApiKeyFolder(apiKeys) {
  const dir = await mkdtemp(join(tmpdir(), 'rotor-bench-pool-'));
  const json = apiKeys.map((k) => ({ api_key: k.key, project_id: k.projectId }));
  await writeFile(join(dir, 'api_keys.json'), JSON.stringify(json, null, 2), { mode: 0o600 });
  return { dir, creds: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Rotor's environment for one configuration of the benchmark. */
export function rotorEnv(sim, cfg, { quotas, windowMs, redisUrl, prefix }) {
  const env = {
    GEMINI_API_BASE_URL: sim.info.geminiApiBaseUrl ?? sim.info.url,
    QUOTA_WINDOW_MS: String(windowMs),
    ROTATION_STRATEGY: cfg.strategy,
  };
  if (cfg.quotas) env.QUOTAS = JSON.stringify({ routes: { 'gemini-api': { '*': { [MODEL]: quotas } } } });
  if (cfg.maxQueueWaitMs !== undefined) env.MAX_QUEUE_WAIT_MS = String(cfg.maxQueueWaitMs);
  if (redisUrl) {
    env.REDIS_URL = redisUrl;
    env.REDIS_PREFIX = prefix;
  }
  return env;
}

/**
 * Counts, in `proc.storeLosses`, the times Rotor said it lost Redis ("… unreachable (…); serving from memory
 * until it is back"): each one means its bookings went to its own memory for a while.
 */
function countStoreLosses(proc) {
  proc.storeLosses = 0;
  for (const stream of [proc.child.stdout, proc.child.stderr]) {
    let buf = '';
    stream.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        if (buf.slice(0, nl).includes('serving from memory until it is back')) proc.storeLosses += 1;
        buf = buf.slice(nl + 1);
      }
      if (buf.length > 1 << 20) buf = '';
    });
  }
}

async function health(url) {
  try {
    return await (await fetch(`${url}/health`)).json();
  } catch {
    return undefined;
  }
}

/**
 * `n` Rotor processes for one configuration, each with its own copy of the key file (a memory store snapshots
 * its state beside it: nothing learned in one configuration may leak into the next). With Redis, each waits
 * until /health says the store is up.
 */
export async function startInstances(n, sim, apiKeys, env) {
  const folders = [];
  const procs = [];
  try {
    for (let i = 0; i < n; i++) {
      const folder = await writeApiKeyFolder(apiKeys);
      folders.push(folder);
      const proc = await startRotor(`rotor-${i + 1}`, sim, folder, { env });
      countStoreLosses(proc);
      procs.push(proc);
    }
    if (env.REDIS_URL) {
      const deadline = Date.now() + 20_000;
      for (const p of procs) {
        while ((await health(p.info.url))?.store?.ok !== true) {
          if (Date.now() > deadline) throw new Error(`${p.name}: /health never said the Redis store is up\n${p.logs().slice(-2000)}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop()));
    await Promise.all(folders.map((f) => f.remove()));
    throw err;
  }
  return {
    procs,
    async stop() {
      await Promise.all(procs.map((p) => p.stop()));
      await Promise.all(folders.map((f) => f.remove()));
    },
  };
}

/** `n` reactive round-robin proxies (bench/targets/pool-reactive.js), each with every key and no shared state. */
export async function startReactive(n, sim, apiKeys) {
  const procs = [];
  try {
    for (let i = 0; i < n; i++) {
      const args = [join(BENCH, 'targets/pool-reactive.js'), '--upstream', sim.info.geminiApiBaseUrl ?? sim.info.url, '--keys', JSON.stringify(apiKeys.map((k) => ({ key: k.key })))];
      procs.push(await start(`reactive-${i + 1}`, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir() }, ready: jsonLine }));
    }
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop()));
    throw err;
  }
  return { procs, stop: () => Promise.all(procs.map((p) => p.stop())).then(() => undefined) };
}

export const PROMPT = 'Say hello to the pool benchmark, please.';

/** The OpenAI chat request every arrival sends (non-streaming). */
export function chatRequest() {
  return {
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${PASSWORD}` },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: PROMPT }] }),
  };
}
