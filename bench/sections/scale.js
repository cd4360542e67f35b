/**
 * Section "scale": the cost of a big pool. Three Rotor processes with 10, 1,000 and 10,000 credential files
 * (valid tokens, one simulator account each), measured interleaved at concurrency 1 (added latency) and 64
 * (CPU per request, throughput). Plus an in-process micro-benchmark of CredentialPool.pick.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as stack from '../lib/stack.js';
import { memory } from '../lib/proc-stats.js';
import { fmt, median, percentile, ratio, table } from '../lib/stats.js';
import { rotate, windowFor } from './throughput.js';

export async function measureScale(opts, driver, log) {
  const sizes = opts.poolSizes;
  const max = Math.max(...sizes);
  const sim = await stack.startSimulator('simulator-big', { accounts: max, latencyMs: 20, streamEvents: 20, streamIntervalMs: 5 });
  const t0 = performance.now();
  const accounts = await stack.issueTokens(sim, sim.info.accounts);
  log(`  ${max.toLocaleString('en-US')} access tokens issued in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  const rotors = [];
  try {
    for (const n of sizes) {
      const folder = await stack.writeCredentialFolder(accounts.slice(0, n));
      const s = performance.now();
      const proc = await stack.startRotor(`rotor-${n}`, sim, folder);
      rotors.push({ n, folder, proc, startupS: (performance.now() - s) / 1000, idle: memory(proc.pid) });
    }
    const acc = {};
    const request = stack.requestFor('openai', false, {});
    // Warm-up, so the JIT and the connection pools are ready on all of them.
    for (const r of rotors) await driver.run({ type: 'load', origin: r.proc.info.url, requests: [request], concurrency: 16, warmupMs: 0, durationMs: opts.warmupMs });
    for (let round = 0; round < Math.max(3, opts.rounds); round++) {
      for (const c of [1, 64]) {
        for (const r of rotate(rotors, round)) {
          const res = await driver.run({ type: 'load', origin: r.proc.info.url, requests: [request], concurrency: c, warmupMs: opts.cellWarmupMs, durationMs: windowFor(c, opts), pids: { target: r.proc.pid } });
          const a = (acc[`${r.n}|${c}`] ??= { latencies: [], seconds: 0, cpu: 0, errors: 0, errorSample: undefined });
          a.latencies.push(...res.latencies);
          a.seconds += res.seconds;
          a.cpu += res.cpuMs.target;
          a.errors += res.errors;
          a.errorSample ??= res.errorSample;
        }
      }
    }
    return rotors.map((r) => {
      const cell = (c) => {
        const a = acc[`${r.n}|${c}`];
        const n = a.latencies.length;
        return { n, rps: n / a.seconds, p50: median(a.latencies), p99: percentile(a.latencies, 99), cpuPerReq: a.cpu / n, errors: a.errors, errorSample: a.errorSample };
      };
      return { n: r.n, startupS: r.startupS, idle: r.idle, end: memory(r.proc.pid), c1: cell(1), c64: cell(64) };
    });
  } finally {
    for (const r of rotors) {
      await r.proc.stop();
      await r.folder.remove();
    }
    await sim.stop();
  }
}

/** In-process: ns per CredentialPool.pick with n members, from all healthy to all cooling (a 429 answer). */
export async function measurePick(opts) {
  const { CredentialPool } = await import(pathToFileURL(join(stack.ROOT, 'dist/pool/pool.js')).href);
  // The pool keeps its health state in a StateStore (the memory one here, as Rotor without REDIS_URL).
  const { MemoryStore } = await import(pathToFileURL(join(stack.ROOT, 'dist/store/memory.js')).href);
  const clock = { now: () => Date.now() };
  const rows = [];
  for (const n of opts.poolSizes) {
    for (const scenario of ['all healthy', 'half cooling', 'all but one cooling', 'all cooling']) {
      const pool = new CredentialPool({ clock, store: new MemoryStore({ now: clock.now }) });
      const members = Array.from({ length: n }, (_, i) => ({ id: `m${i}`, email: `u${i}@x`, projectId: `p${i}`, route: 'code-assist', quotaKey: `user:u${i}@x`, disabledReason: undefined }));
      for (const m of members) pool.upsert(m);
      const rate = { kind: 'rate', retryAfterMs: 3_600_000, fatal: false, message: 'bench', status: 429, scope: 'credential' };
      members.forEach((m, i) => {
        const cool = { 'all healthy': false, 'half cooling': i % 2 === 1, 'all but one cooling': i !== n - 1, 'all cooling': true }[scenario];
        if (cool) pool.reportFailure(m, stack.MODEL, rate);
      });
      const exclude = new Set();
      const expectOk = scenario !== 'all cooling';
      const batch = () => {
        for (let i = 0; i < 100; i++) if (pool.pick(stack.MODEL, exclude).ok !== expectOk) throw new Error(`pick: unexpected result (${scenario})`);
      };
      // Time-bounded: enough picks for a steady figure whatever a pick costs.
      for (const t = performance.now(); performance.now() - t < opts.pickMs / 4; ) batch(); // JIT warm-up
      let iterations = 0;
      const t = process.hrtime.bigint();
      const until = performance.now() + opts.pickMs;
      do {
        batch();
        iterations += 100;
      } while (performance.now() < until);
      rows.push({ n, scenario, iterations, nsPerPick: Number(process.hrtime.bigint() - t) / iterations });
    }
  }
  return rows;
}

export function renderScale(scale, pick) {
  const out = [];
  if (scale) {
    const base = scale[0];
    out.push('### Rotor with 10 / 1,000 / 10,000 credentials (non-streaming, OpenAI route)\n');
    const rows = scale.map((r) => [
      r.n.toLocaleString('en-US'),
      fmt(r.startupS, 2),
      fmt(r.idle.rssMb, 1),
      fmt(r.end.hwmMb, 1),
      fmt(r.c1.p50),
      `${r.c1.p50 - base.c1.p50 >= 0 ? '+' : ''}${fmt(r.c1.p50 - base.c1.p50)}`,
      fmt(r.c64.rps, 0),
      fmt(r.c64.p50),
      fmt(r.c64.cpuPerReq, 3),
      ratio(r.c64.cpuPerReq, base.c64.cpuPerReq),
      String(r.c1.errors + r.c64.errors),
    ]);
    out.push(table(['credentials', 'startup s', 'idle RSS MB', 'peak RSS MB', 'p50 c=1 ms', 'Δ p50 vs first', 'req/s c=64', 'p50 c=64 ms', 'CPU ms/req c=64', 'CPU vs first', 'errors'], rows));
    out.push('');
  }
  if (pick) {
    out.push('### CredentialPool.pick, in process (dist/pool/pool.js)\n');
    out.push(table(['members', 'scenario', 'ns per pick', 'picks'], pick.map((r) => [r.n.toLocaleString('en-US'), r.scenario, fmt(r.nsPerPick, 0), r.iterations.toLocaleString('en-US')])));
    out.push('');
  }
  return out.join('\n');
}
