/**
 * Section "throughput": every target against the same fixed-latency upstream, at each concurrency, targets
 * interleaved (round-robin, rotated each round) so that drift on a shared box spreads over all of them.
 * Per cell: requests/s, p50/p99 latency, stream time to first byte, and CPU ms per request of the server
 * process (and of its upstream, and of the driver) from /proc.
 */
import * as stack from '../lib/stack.js';
import { fmt, median, percentile, ratio, table } from '../lib/stats.js';

export const TARGETS = [
  { id: 'a', name: '(a) simulator direct', kind: 'code-assist' },
  { id: 'b', name: '(b) undici pass-through', kind: 'code-assist' },
  { id: 'c', name: '(c) minimal translator', kind: 'openai' },
  { id: 'd1', name: '(d) Rotor /v1/chat/completions', kind: 'openai' },
  { id: 'd2', name: '(d) Rotor /v1beta', kind: 'gemini' },
  { id: 'd3', name: '(d) Rotor /v1/chat/completions, REDIS_URL + QUOTAS', kind: 'openai' },
  { id: 'd4', name: '(d) Rotor /v1/chat/completions, memory + QUOTAS', kind: 'openai' },
  { id: 'd5', name: '(d) Rotor /v1/chat/completions, REDIS_URL alone', kind: 'openai' },
  { id: 'e', name: '(e) Portkey gateway', kind: 'portkey' },
];

/**
 * Limits that never bind, for every Code Assist account and model: with them Rotor books every request in its
 * quota book (reserve before, restamp and settle after), which is what a deployment sharing quotas through
 * Redis does. Without QUOTAS (d5, Rotor's default) nothing is booked until Google's 429s teach a limit; Redis
 * then holds cooldowns, usage counts and the signature cache.
 */
export const OPEN_QUOTAS = JSON.stringify({ routes: { 'code-assist': { '*': { '*': { rpm: 1_000_000_000, rpd: 1_000_000_000, tpm: 1_000_000_000_000 } } } } });

/** Starts every process the targets need; returns {targets: [{...t, proc, upstream}], stop}. */
export async function startTargets(opts, log) {
  const timing = { latencyMs: 20, streamEvents: 20, streamIntervalMs: 5 };
  const want = new Set(opts.targets);
  const sim = await stack.startSimulator('simulator', { accounts: 3, apiKeys: 1, ...timing });
  const accounts = await stack.issueTokens(sim, sim.info.accounts);
  const folder = await stack.writeCredentialFolder(accounts);
  const procs = [sim];
  const started = {};
  const wants = (id) => want.has(id) || (id === 'd' && (want.has('d1') || want.has('d2')));
  const jobs = [];
  if (wants('b')) jobs.push(stack.startPassthrough(sim.info.url).then((p) => (started.b = p)));
  if (wants('c')) jobs.push(stack.startTranslator(sim, accounts[0]).then((p) => (started.c = p)));
  const nodeArgs = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
  if (wants('d')) jobs.push(stack.startRotor('rotor', sim, folder, { nodeArgs }).then((p) => (started.d = p)));
  // Each further Rotor has its own copy of the credential files (a memory store snapshots its state beside them).
  const folders = [folder];
  const rotorWith = async (name, env) => {
    const f = await stack.writeCredentialFolder(accounts);
    folders.push(f);
    return stack.startRotor(name, sim, f, { nodeArgs, env });
  };
  if (want.has('d3') || want.has('d5')) {
    jobs.push(
      stack
        .startRedis('redis')
        .then(async (r) => {
          started.redis = r;
          // One redis-server, a key prefix each.
          if (want.has('d3')) started.d3 = await rotorWith('rotor-redis', { REDIS_URL: r.url, REDIS_PREFIX: 'rotor-d3:', QUOTAS: OPEN_QUOTAS });
          if (want.has('d5')) started.d5 = await rotorWith('rotor-redis-plain', { REDIS_URL: r.url, REDIS_PREFIX: 'rotor-d5:' });
        })
        // Without a redis-server on the machine, the other targets are still measured.
        .catch((err) => log(`Rotor on Redis (d3, d5) skipped: ${err.message.split('\n')[0]}`)),
    );
  }
  if (want.has('d4')) jobs.push(rotorWith('rotor-quotas', { QUOTAS: OPEN_QUOTAS }).then((p) => (started.d4 = p)));
  let portkeySkip;
  if (wants('e')) {
    if (!opts.portkeyAvailable) portkeySkip = opts.portkeyWhy;
    else {
      jobs.push(stack.startPortkey().then((p) => (started.e = p)).catch((err) => (portkeySkip = `Portkey did not start: ${err.message.split('\n')[0]}`)));
    }
  }
  await Promise.all(jobs);
  procs.push(...Object.values(started));
  const ctx = {
    token: accounts[0].accessToken,
    project: accounts[0].projectId,
    portkey: { url: sim.info.url, key: sim.info.apiKeys?.[0]?.key },
  };
  const procOf = { a: sim, b: started.b, c: started.c, d1: started.d, d2: started.d, d3: started.d3, d4: started.d4, d5: started.d5, e: started.e };
  const upstreamOf = { a: undefined, b: sim, c: sim, d1: sim, d2: sim, d3: sim, d4: sim, d5: sim, e: sim };
  const targets = TARGETS.filter((t) => want.has(t.id) && procOf[t.id]).map((t) => ({
    ...t,
    proc: procOf[t.id],
    upstream: () => upstreamOf[t.id],
    redis: t.id === 'd3' || t.id === 'd5' ? started.redis : undefined,
    request: (stream) => stack.requestFor(t.kind, stream, ctx),
  }));
  if (portkeySkip) log(`Portkey skipped: ${portkeySkip}`);
  return {
    targets,
    portkeySkip,
    async stop() {
      await Promise.all(procs.map((p) => p.stop()));
      await Promise.all(folders.map((f) => f.remove()));
    },
  };
}

function job(target, stream, concurrency, warmupMs, durationMs, driverPid) {
  const pids = { target: target.proc.pid, driver: driverPid };
  const upstream = target.upstream(stream);
  if (upstream) pids.upstream = upstream.pid;
  if (target.redis) pids.redis = target.redis.pid;
  return { type: 'load', origin: target.proc.info.url, requests: [target.request(stream)], concurrency, warmupMs, durationMs, pids };
}

export function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/** CPU the rest of the machine used during a run, in % of one CPU (other sessions, idle targets). */
function otherPct(r) {
  const ours = (r.cpuMs.target ?? 0) + (r.cpuMs.upstream ?? 0) + (r.cpuMs.driver ?? 0) + (r.cpuMs.redis ?? 0);
  return (Math.max(0, r.cpuMs.system - ours) / (r.seconds * 1000)) * 100;
}

/**
 * Runs a measurement; when something else on the machine took more than `opts.maxOtherPct` of a CPU meanwhile,
 * runs it again (up to twice, within a budget shared by the whole matrix) and keeps the quietest.
 */
async function measureQuietly(driver, spec, opts, budget) {
  let best = await driver.run(spec);
  for (let i = 0; i < 2 && otherPct(best) > opts.maxOtherPct && budget.retries > 0; i++) {
    budget.retries -= 1;
    const again = await driver.run(spec);
    if (otherPct(again) < otherPct(best)) best = again;
  }
  return best;
}

/** At concurrency 1 a window holds few requests (≈ 45 a second): three times as long, for a steadier p50. */
export function windowFor(c, opts) {
  return c === 1 ? opts.windowMs * 3 : opts.windowMs;
}

/** Runs the matrix; returns cells keyed `${id}|${mode}|${c}`. */
export async function measureThroughput(opts, driver, targets, log) {
  const budget = { retries: opts.maxRetries ?? targets.length * opts.concurrency.length * 2 * opts.rounds };
  for (const t of targets) {
    for (const stream of [false, true]) {
      const r = await driver.run(job(t, stream, 16, 0, opts.warmupMs, driver.pid));
      const ok = r.completed > 0 && (r.sample ?? '').includes(stream ? 'Ech' : 'Echo from'); // a stream splits the text
      if (!ok) throw new Error(`${t.name} ${stream ? 'stream' : 'json'}: no valid reply during warm-up (${r.errors} errors, first: ${r.errorSample}; body: ${(r.sample ?? '').slice(0, 200)})`);
    }
  }
  const acc = {};
  for (const c of opts.concurrency) {
    for (const stream of [false, true]) {
      const mode = stream ? 'stream' : 'json';
      for (let round = 0; round < opts.rounds; round++) {
        for (const t of rotate(targets, round)) {
          const r = await measureQuietly(driver, job(t, stream, c, opts.cellWarmupMs, windowFor(c, opts), driver.pid), opts, budget);
          const key = `${t.id}|${mode}|${c}`;
          const a = (acc[key] ??= { id: t.id, name: t.name, mode, c, latencies: [], ttfbs: [], chunks: [], seconds: 0, errors: 0, errorSample: undefined, cpu: { target: 0, upstream: 0, driver: 0, redis: 0, system: 0 } });
          a.latencies.push(...r.latencies);
          a.ttfbs.push(...r.ttfbs);
          a.chunks.push(...r.chunks);
          a.seconds += r.seconds;
          a.errors += r.errors;
          a.errorSample ??= r.errorSample;
          for (const k of Object.keys(a.cpu)) a.cpu[k] += r.cpuMs[k] ?? 0;
        }
      }
      log(`  concurrency ${c}, ${mode}: done`);
    }
  }
  const cells = {};
  for (const [key, a] of Object.entries(acc)) {
    const n = a.latencies.length;
    cells[key] = {
      id: a.id,
      name: a.name,
      mode: a.mode,
      c: a.c,
      n,
      rps: n / a.seconds,
      p50: median(a.latencies),
      p99: percentile(a.latencies, 99),
      ttfbP50: median(a.ttfbs),
      ttfbP99: percentile(a.ttfbs, 99),
      chunksP50: median(a.chunks),
      errors: a.errors,
      errorSample: a.errorSample,
      cpuPerReq: a.cpu.target / n,
      upstreamCpuPerReq: a.cpu.upstream / n,
      driverCpuPerReq: a.cpu.driver / n,
      // The redis-server's CPU, for the Rotor on Redis (0 for the others).
      redisCpuPerReq: a.cpu.redis / n,
      boxCpuPct: ((a.cpu.target + a.cpu.upstream + a.cpu.driver + a.cpu.redis) / (a.seconds * 1000)) * 100,
      // Everything else on the machine (other sessions, idle targets): high values mean a noisy cell.
      otherCpuPct: (Math.max(0, a.cpu.system - a.cpu.target - a.cpu.upstream - a.cpu.driver - a.cpu.redis) / (a.seconds * 1000)) * 100,
    };
  }
  return cells;
}

/** CPU ms per request of a target over every concurrency of a mode (total CPU / total requests). */
export function pooledCpu(cells, id, mode) {
  let cpu = 0;
  let n = 0;
  for (const cell of Object.values(cells)) {
    if (cell.id !== id || cell.mode !== mode || cell.c < 16) continue; // c=1 windows hold too little CPU to be precise
    cpu += cell.cpuPerReq * cell.n;
    n += cell.n;
  }
  return n ? cpu / n : NaN;
}

export function renderThroughput(cells, opts) {
  const get = (id, mode, c) => cells[`${id}|${mode}|${c}`];
  const out = [];
  for (const mode of ['json', 'stream']) {
    const rows = [];
    for (const c of opts.concurrency) {
      for (const t of TARGETS) {
        const x = get(t.id, mode, c);
        if (!x) continue;
        const base = get('c', mode, c);
        const pk = get('e', mode, c);
        const lat = mode === 'json' ? [fmt(x.p50), fmt(x.p99)] : [fmt(x.ttfbP50), fmt(x.ttfbP99), fmt(x.p50, 1), fmt(x.chunksP50, 0)];
        const delta = base ? (mode === 'json' ? x.p50 - base.p50 : x.ttfbP50 - base.ttfbP50) : NaN;
        rows.push([
          String(c),
          t.name,
          fmt(x.rps, 0),
          ...lat,
          fmt(x.cpuPerReq, 3),
          base ? ratio(x.cpuPerReq, base.cpuPerReq) : '–',
          base ? `${delta >= 0 ? '+' : ''}${fmt(delta)}` : '–',
          base ? ratio(x.rps, base.rps) : '–',
          pk ? ratio(x.rps, pk.rps) : '–',
          fmt(x.upstreamCpuPerReq, 3),
          `${fmt(x.boxCpuPct, 0)}%`,
          `${fmt(x.otherCpuPct, 0)}%`,
          x.errors ? `${x.errors} (${x.errorSample})` : '0',
          String(x.n),
        ]);
      }
    }
    const latHead = mode === 'json' ? ['p50 ms', 'p99 ms'] : ['TTFB p50 ms', 'TTFB p99 ms', 'stream p50 ms', 'chunks'];
    const dHead = mode === 'json' ? 'p50 Δ vs (c) ms' : 'TTFB Δ vs (c) ms';
    const title = mode === 'json' ? 'Non-streaming (one JSON reply)' : 'Streaming (SSE, 20 events 5 ms apart)';
    out.push(`### ${title}\n`);
    out.push(
      table(['conc', 'target', 'req/s', ...latHead, 'CPU ms/req', 'CPU vs (c)', dHead, 'req/s vs (c)', 'req/s vs Portkey', 'upstream CPU ms/req', 'bench CPU', 'other CPU', 'errors', 'n'], rows),
    );
    out.push('');
  }
  return out.join('\n');
}
