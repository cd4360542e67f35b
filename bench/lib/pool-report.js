/**
 * Figures of `npm run bench:pool` from the driver's raw records, and its markdown report (stdout,
 * bench/out/pool-last-run.md). Printed, never asserted.
 */
import { MODEL } from './stack.js';
import { fmt, percentile, table, verdict } from './stats.js';

/** Sums the simulator's counters of MODEL over every bucket. */
function upstreamOf(stats) {
  const out = { requests: 0, served: 0, status429: 0, quota429: 0, rpm: 0, tpm: 0, rpd: 0, buckets: 0, servedPerBucket: [] };
  for (const perModel of Object.values(stats?.buckets ?? {})) {
    const s = perModel[MODEL];
    if (!s) continue;
    out.buckets += 1;
    out.requests += s.requests;
    out.served += s.served;
    out.status429 += s.status429;
    out.quota429 += s.quota429;
    for (const w of ['rpm', 'tpm', 'rpd']) out[w] += s.byWindow?.[w] ?? 0;
    out.servedPerBucket.push(s.served);
  }
  return out;
}

/**
 * One cell (configuration × load × topology). Client figures over the requests *sent* in the measured
 * interval; upstream figures (served, 429s) over what the simulator received in it, which is what its quotas
 * bound: no bucket can accept more than rpm × (interval ÷ window) requests in it.
 */
export function cellOf(raw, { projects, quotas, windowMs, latencyMs, offeredPct, ratePerSec }) {
  const { from, to } = raw.interval;
  const seconds = (to - from) / 1000;
  const inWindow = [];
  for (let i = 0; i < raw.sentAt.length; i++) if (raw.sentAt[i] >= from && raw.sentAt[i] < to) inWindow.push(i);
  const waits = [];
  const errors = {};
  let ok = 0;
  for (const i of inWindow) {
    if (raw.status[i] === 200) {
      ok += 1;
      waits.push(Math.max(0, raw.latency[i] - latencyMs));
    } else {
      const kind = `${raw.status[i] || 'network'} ${raw.codes[i] ?? ''}`.trim();
      errors[kind] = (errors[kind] ?? 0) + 1;
    }
  }
  const up = upstreamOf(raw.simStats);
  const warm = upstreamOf(raw.warmupSimStats);
  const allowed = (projects * quotas.rpm * (to - from)) / windowMs;
  const perBucket = up.servedPerBucket.length ? up.servedPerBucket : [0];
  return {
    offeredPct,
    ratePerSec,
    seconds,
    sent: inWindow.length,
    offeredRps: inWindow.length / seconds,
    allowed,
    served: up.served,
    goodput: up.served / allowed,
    servedOfOffered: up.served / inWindow.length,
    upstreamRequests: up.requests,
    upstream429: up.status429,
    upstream429ByWindow: { rpm: up.rpm, tpm: up.tpm, rpd: up.rpd },
    per100: up.requests ? (100 * up.status429) / up.requests : NaN,
    warmupUpstreamRequests: warm.requests,
    warmup429: warm.status429,
    bucketsUsed: up.buckets,
    bucketMin: Math.min(...perBucket),
    bucketMax: Math.max(...perBucket),
    clientOk: ok,
    clientErrors: inWindow.length - ok,
    errorKinds: errors,
    waitP50: percentile(waits, 50),
    waitP99: percentile(waits, 99),
    waitMax: waits.length ? Math.max(...waits) : NaN,
    lateMaxMs: raw.lateMaxMs,
    drainMs: raw.drainMs,
  };
}

const pct = (x, d = 1) => (Number.isFinite(x) ? `${fmt(100 * x, d)}%` : '–');
const errText = (c) => {
  if (c.clientErrors === 0) return '0';
  const kinds = Object.entries(c.errorKinds).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join(', ');
  return `${pct(c.clientErrors / c.sent)} (${kinds})`;
};

function cellTable(cells, configs, loads) {
  const rows = [];
  // Three instances: how many times one of them said it lost Redis (and booked in its own memory meanwhile).
  const redisCol = Object.values(cells).some((c) => c.storeLosses !== undefined);
  for (const load of loads) {
    for (const cfg of configs) {
      const c = cells[`${cfg.id}|${load}`];
      if (!c) continue;
      if (c.error) {
        rows.push([`${load}%`, cfg.name, '–', '–', '–', '–', '–', '–', '–', '–', c.error.split('\n')[0].slice(0, 80), '–', '–', '–', ...(redisCol ? ['–'] : [])]);
        continue;
      }
      rows.push([
        `${load}%`,
        cfg.name,
        fmt(c.offeredRps, 1),
        pct(c.goodput),
        pct(c.servedOfOffered),
        fmt(c.per100, 2),
        `${c.upstream429} / ${c.upstreamRequests}`,
        `${c.warmup429} / ${c.warmupUpstreamRequests}`,
        fmt(c.waitP50, 1),
        fmt(c.waitP99, 0),
        errText(c),
        `${c.bucketMin}–${c.bucketMax}`,
        fmt(c.rotorCpuPerReq, 3),
        `${fmt(c.otherCpuPct, 0)}%`,
        ...(redisCol ? [c.storeLosses === undefined ? '–' : String(c.storeLosses)] : []),
      ]);
    }
  }
  return table(
    ['load', 'configuration', 'offered req/s', 'goodput (served ÷ quota)', 'served ÷ offered', 'upstream 429 /100', 'upstream 429s / requests', 'warm-up 429s / requests', 'wait p50 ms', 'wait p99 ms', 'client errors', 'served per project', 'proxy CPU ms/req', 'other CPU', ...(redisCol ? ['Redis lost'] : [])],
    rows,
  );
}

/** The most any planner that books a slot until `W + margin` after the answer can use of a window W. */
export function planCeiling(windowMs, latencyMs) {
  const rotorWindow = windowMs + Math.ceil(windowMs * 0.005) + 50;
  return { rotorWindow, ceiling: windowMs / (rotorWindow + latencyMs) };
}

function goals(res) {
  const rows = [];
  const { topologies, configs } = res;
  const get = (topo, cfg, load) => res.cells[topo]?.[`${cfg}|${load}`];
  for (const topo of topologies) {
    for (const cfg of configs) {
      for (const load of [100, 150]) {
        const c = get(topo.id, cfg.id, load);
        if (!c || c.error) continue;
        const ok = c.goodput >= 0.99 && c.per100 < 1;
        rows.push([`${topo.name}, ${cfg.name}, ${load}% load`, `${pct(c.goodput)} served, ${fmt(c.per100, 2)} 429s /100`, '≥ 99%, < 1 /100', verdict(ok)]);
      }
    }
  }
  const one = topologies.find((t) => t.n === 1);
  const three = topologies.find((t) => t.n === 3);
  if (one && three) {
    for (const cfg of configs) {
      for (const load of [100, 150]) {
        const a = get(one.id, cfg.id, load);
        const b = get(three.id, cfg.id, load);
        if (!a || !b || a.error || b.error) continue;
        // "No worse": goodput within one point of one instance's, and no more 429s than one instance's or 1 /100.
        const ok = b.goodput >= a.goodput - 0.01 && b.per100 <= Math.max(a.per100, 1);
        rows.push([`3 vs 1 instance, ${cfg.name}, ${load}% load`, `${pct(b.goodput)} vs ${pct(a.goodput)}; ${fmt(b.per100, 2)} vs ${fmt(a.per100, 2)} 429s /100`, 'no worse (goodput ≥ −1 point, 429s ≤ max(1 instance, 1 /100))', verdict(ok)]);
      }
    }
  }
  return table(['goal (issue 11)', 'measured', 'limit', 'verdict'], rows);
}

export function renderPoolReport(res) {
  const m = res.machine;
  const o = res.opts;
  const { rotorWindow, ceiling } = planCeiling(o.windowMs, o.latencyMs);
  const md = [
    `## Pool run of ${m.date}\n`,
    `- Machine: ${m.cpus} CPUs (${m.cpuModel}), ${fmt(m.memoryGb, 1)} GiB RAM, Linux ${m.kernel}, Node ${m.node}`,
    `- Checkout: ${m.commit}`,
    `- Command: \`${res.command}\` (${fmt(res.seconds, 0)} s); machine busy before the start: ${fmt(res.busyBeforePct, 0)}% (other processes)`,
    `- Upstream: simulator, ${o.projects} projects (one Gemini API key each), each with rpm ${o.rpm} / tpm ${o.tpm} / rpd ${o.rpd} for ${'`'}${MODEL}${'`'} over a ${o.windowMs} ms window (QUOTA_WINDOW_MS the same); ${o.latencyMs} ms before an answer. Pool capacity: ${fmt(res.capacityRps, 1)} req/s.`,
    `- Load: open loop, ${o.arrivals} arrivals (seed ${o.seed}) at ${o.loads.map((l) => `${l}%`).join(' / ')} of capacity, non-streaming OpenAI chat; ${o.warmupWindows} window(s) of warm-up, then ${o.windows} measured (${fmt((o.windows * o.windowMs) / 1000, 0)} s); cells start from empty windows, and the warm-up offers min(load, 100%) so the buckets' slots are taken at random moments of the window, not in one burst. Several instances: arrivals dealt to them in turn.`,
    `- Goodput: requests the simulator served in the measured interval ÷ what its quotas allow in it (projects × rpm × interval ÷ window). Upstream 429s per 100 requests: the simulator's stats over the interval (100 × status429 ÷ requests received). Wait: client-observed latency of a served request minus the upstream's fixed ${o.latencyMs} ms (so it includes Rotor's own ≈ 1–2 ms and any failed attempt); Rotor does not expose queue wait per request.`,
    `- Proxy CPU: all the Rotor (or reactive proxy) processes' CPU over the whole cell (warm-up, measured windows, drain) per request sent, from /proc. Other CPU: what the rest of the machine used meanwhile, in % of one CPU (the machine is shared; a cell above --max-other=${o.maxOtherPct ?? 40}% ran again on fresh processes, the quietest try kept). "Served per project": fewest–most requests served by one project in the interval (quota allows rpm × ${o.windows}).`,
    `- Redis lost (three instances): how many times an instance logged "Redis … unreachable (no answer within 250 ms); serving from memory until it is back" during the cell; while it serves from memory an instance books on its own, within its share of each limit.`,
    `- A booking lasts QUOTA_WINDOW_MS + 0.5% + 50 ms (${rotorWindow} ms) from when Google answered: Rotor's planned ceiling is ${o.windowMs} ÷ (${rotorWindow} + ${o.latencyMs}) = ${pct(ceiling, 1)} of the quotas.`,
    '',
  ];
  for (const topo of res.topologies) {
    if (!res.cells[topo.id]) continue;
    md.push(`### ${topo.name}\n`);
    md.push(cellTable(res.cells[topo.id], res.configs, o.loads), '');
  }
  md.push('### Goals\n', goals(res), '');
  return md.join('\n');
}
