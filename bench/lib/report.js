/** The markdown report of a run (stdout, bench/out/last-run.md): machine, figures per section, the targets. */
import { pooledCpu, renderThroughput } from '../sections/throughput.js';
import { leakGrowth, renderMemory } from '../sections/memory.js';
import { renderScale } from '../sections/scale.js';
import { fmt, table, verdict } from './stats.js';

/** A difference with its sign: +0.25, -0.11. */
const signed = (x) => `${x >= 0 ? '+' : ''}${fmt(x)}`;

function summarize(res, opts) {
  const cell = (id, mode, c) => res.throughput?.[`${id}|${mode}|${c}`];
  const rows = [];
  const add = (what, figure, limit, ok) => rows.push([what, figure, limit, verdict(ok)]);
  const ROUTES = {
    d1: '/v1/chat/completions',
    d2: '/v1beta',
    d3: '/v1/chat/completions on Redis (REDIS_URL + QUOTAS)',
    d4: '/v1/chat/completions, memory + QUOTAS',
    d5: '/v1/chat/completions on Redis (REDIS_URL alone)',
  };
  for (const id of ['d1', 'd2', 'd3', 'd4', 'd5']) {
    // The Redis and QUOTAS targets are reported when they were measured; d1 and d2 always.
    if (id !== 'd1' && id !== 'd2' && !Object.values(res.throughput ?? {}).some((x) => x.id === id)) continue;
    const route = ROUTES[id];
    for (const mode of ['json', 'stream']) {
      const r = pooledCpu(res.throughput ?? {}, id, mode) / pooledCpu(res.throughput ?? {}, 'c', mode);
      // The reshaping issue asks 1.3× of the two API routes; the quota issue 1.5× of Rotor booking on Redis.
      const limit = id === 'd1' || id === 'd2' ? 1.3 : 1.5;
      add(`CPU per request, ${route}, ${mode} (c ≥ 16 pooled)`, Number.isFinite(r) ? `${fmt(r)}× (c)` : '–', `≤ ${limit}× (c)`, Number.isFinite(r) ? r <= limit : undefined);
    }
    const d = cell(id, 'json', 1), c = cell('c', 'json', 1);
    add(`p50 at concurrency 1, ${route}`, d && c ? `${fmt(d.p50)} ms vs ${fmt(c.p50)} ms (${signed(d.p50 - c.p50)})` : '–', '≤ (c) + 0.5 ms', d && c ? d.p50 - c.p50 <= 0.5 : undefined);
    if (id === 'd3' || id === 'd5') {
      let cpu = 0;
      let n = 0;
      for (const x of Object.values(res.throughput ?? {})) {
        if (x.id !== id || x.c < 16) continue;
        cpu += (x.redisCpuPerReq ?? NaN) * x.n;
        n += x.n;
      }
      if (n) rows.push(['  context: redis-server CPU per request (not Rotor\'s), c ≥ 16 pooled, both modes', `${fmt(cpu / n, 3)} ms`, '–', '–']);
    }
  }
  for (const mode of ['json', 'stream']) {
    const d = cell('d1', mode, 64), e = cell('e', mode, 64);
    add(`throughput at concurrency 64, /v1/chat/completions, ${mode}`, d && e ? `${fmt(d.rps, 0)} vs Portkey ${fmt(e.rps, 0)} req/s = ${fmt(d.rps / e.rps)}×` : '–', '≥ 5× Portkey', d && e ? d.rps >= 5 * e.rps : undefined);
  }
  const sim = cell('a', 'json', 64), pk = cell('e', 'json', 64), rot = cell('d1', 'json', 64);
  // A closed loop of 64 over an upstream that answers in 20 ms (a stream in ≈ 115 ms) can never exceed
  // 64 / 20 ms = 3,200 req/s (≈ 556 for streams), whatever the proxy: the 5× target is out of reach
  // whenever Portkey does more than a fifth of that.
  for (const [mode, upstreamMs] of [['json', 20], ['stream', 115]]) {
    const e = cell('e', mode, 64);
    if (e) rows.push([`  context: closed-loop ceiling at concurrency 64, ${mode} (64 / ${upstreamMs} ms upstream)`, `${fmt(64_000 / upstreamMs, 0)} req/s; 5× Portkey = ${fmt(5 * e.rps, 0)}`, 'any proxy, Rotor included, stays below the ceiling', '–']);
  }
  if (sim && pk) rows.push(['  context: simulator direct (no proxy at all) vs Portkey, concurrency 64, json', `${fmt(sim.rps / pk.rps)}×`, 'the most any proxy can show here', '–']);
  if (rot && pk) rows.push(['  context: Portkey CPU per request ÷ Rotor\'s, concurrency 64, json', `${fmt(pk.cpuPerReq / rot.cpuPerReq)}×`, '≥ 5× (what 5× Portkey means once the ceiling is out of the way)', verdict(pk.cpuPerReq >= 5 * rot.cpuPerReq)]);
  for (const id of ['d1', 'd2']) {
    const d = cell(id, 'json', 256), e = cell('e', 'json', 256);
    if (d && e) rows.push([`  context: throughput at concurrency 256 (CPU-bound), ${id === 'd1' ? '/v1/chat/completions' : '/v1beta'}, json`, `${fmt(d.rps, 0)} vs Portkey ${fmt(e.rps, 0)} req/s = ${fmt(d.rps / e.rps)}×`, '≥ 5× Portkey', verdict(d.rps >= 5 * e.rps)]);
  }
  const d = cell('d1', 'stream', 16), c = cell('c', 'stream', 16);
  add('stream TTFB at concurrency 16, /v1/chat/completions', d && c ? `${fmt(d.ttfbP50)} ms vs ${fmt(c.ttfbP50)} ms (${signed(d.ttfbP50 - c.ttfbP50)})` : '–', '≤ (c) + 5 ms', d && c ? d.ttfbP50 - c.ttfbP50 <= 5 : undefined);
  const spread = d ? d.p50 - d.ttfbP50 : NaN;
  add('events forwarded as they come (stream p50 − TTFB p50)', d ? `${fmt(spread, 1)} ms over ${fmt(d.chunksP50, 0)} chunks` : '–', '≈ 95 ms (19 × 5 ms), not ≈ 0', d ? spread >= 70 && d.chunksP50 >= 10 : undefined);
  const open = res.openStreams?.find((r) => r.id === 'd1' && !r.error);
  add(`RSS at ${opts.streams.toLocaleString('en-US')} open streams`, open ? `${fmt(open.open.rssMb, 1)} MB (peak ${fmt(open.open.hwmMb, 1)}) with ${open.held.open}/${opts.streams} open` : '–', '≤ 150 MB', open ? open.open.hwmMb <= 150 && open.held.open === opts.streams : undefined);
  const g = leakGrowth(res.leak);
  const enough = (res.leak?.completed ?? 0) >= 50_000; // fewer requests end inside the warm-up (e.g. --quick)
  add(`RSS floor growth over ${res.leak?.completed?.toLocaleString('en-US') ?? '–'} requests (after warm-up)`, Number.isFinite(g) ? `${fmt(g, 1)} MB${enough ? '' : ' (too few requests to judge)'}` : '–', 'no growth (≤ 10 MB)', Number.isFinite(g) && enough ? g <= 10 : undefined);
  if (res.scale) {
    const [first, , last] = [res.scale[0], null, res.scale[res.scale.length - 1]];
    const r = last.c64.cpuPerReq / first.c64.cpuPerReq;
    add(`CPU per request, ${last.n.toLocaleString('en-US')} vs ${first.n} credentials`, `${fmt(r)}×`, 'flat (≤ 1.2×)', r <= 1.2);
    const dl = last.c1.p50 - first.c1.p50;
    add(`p50 at concurrency 1, ${last.n.toLocaleString('en-US')} vs ${first.n} credentials`, `${dl >= 0 ? '+' : ''}${fmt(dl)} ms`, 'flat (≤ +0.25 ms)', dl <= 0.25);
  }
  return table(['target (from the issue)', 'measured', 'limit', 'verdict'], rows);
}

export function renderReport(res) {
  const opts = res.opts;
  const m = res.machine;
  const md = [
    `## Run of ${m.date}\n`,
    `- Machine: ${m.cpus} CPUs (${m.cpuModel}), ${fmt(m.memoryGb, 1)} GiB RAM, Linux ${m.kernel}, Node ${m.node}`,
    `- Checkout: ${m.commit}`,
    `- Command: \`${res.command}\` (${fmt(res.seconds, 0)} s); machine busy before the start: ${fmt(res.busyBeforePct, 0)}% (other processes)`,
    `- Upstream: simulator, 20 ms before headers; streams of 20 events 5 ms apart. Portkey: ${opts.portkeyAvailable ? (res.portkeySkip ?? "its google provider on the simulator's Gemini API (an API key)") : opts.portkeyWhy}`,
  ];
  if (Object.values(res.throughput ?? {}).some((x) => x.id === 'd3' || x.id === 'd4' || x.id === 'd5')) {
    md.push("- Rotor with QUOTAS (d3, d4): limits that never bind for every account and model, so every request is booked (reserve before it goes out, restamp and settle after); d3 keeps the book in a redis-server the bench starts on a free port (REDIS_URL; its CPU is not in Rotor's), d4 in memory. d5: REDIS_URL alone, Rotor's default (no QUOTAS: nothing booked until a 429 teaches a limit; Redis holds cooldowns, usage and signatures), on the same redis-server under its own prefix");
  }
  md.push('');
  if (res.throughput) {
    const others = Object.values(res.throughput).map((c) => c.otherCpuPct);
    const mean = others.reduce((a, b) => a + b, 0) / others.length;
    md.push('## Throughput and latency\n');
    md.push(`Other processes on the machine took ${fmt(mean, 0)}% of a CPU on average during these cells (max ${fmt(Math.max(...others), 0)}%; 200% = the whole machine). "bench CPU" is target + upstream + driver (+ the redis-server for Rotor on Redis).\n`);
    md.push(renderThroughput(res.throughput, opts));
  }
  if (res.profile) md.push('### Where Rotor spends its CPU (--profile; whole process lifetime, all routes and modes)\n', res.profile, '');
  if (res.openStreams || res.leak) md.push('## Memory\n', renderMemory(res.openStreams, res.leak, opts));
  if (res.scale || res.pick) md.push('## Scale\n', renderScale(res.scale, res.pick));
  md.push('## Targets\n', summarize(res, opts), '');
  return md.join('\n');
}
