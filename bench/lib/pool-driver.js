/**
 * The open-loop load driver of `npm run bench:pool`, run as its own process (forked by pool-driver-client.js)
 * so its CPU never lands on a target. Requests arrive on a schedule (Poisson or evenly spaced, at a fixed rate)
 * whatever happens to the earlier ones: "150% of capacity" is offered load, not a closed loop that slows down
 * when the server does. Arrivals are spread over the instances in turn.
 *
 * Job {type: 'open', origins, request: {path, headers, body}, ratePerSec, warmupRatePerSec, warmupMs, measureMs,
 *      arrivals, seed, sim, timeoutMs}:
 *   - arrivals at warmupRatePerSec for warmupMs, then at ratePerSec for measureMs; at warmupMs the simulator's
 *     statistics are read (the warm-up's) and reset (POST /__sim/reset-stats), at warmupMs + measureMs read
 *     again (GET /__sim/stats): the upstream figures of the measured interval, exactly;
 *   - then waits for every request to end (or timeoutMs);
 *   - a request body may hold `{{i}}` (with `request.tagged`), replaced by the arrival's index;
 *   - returns, per request: when it was sent (ms from the start), its latency, HTTP status and, for a failure,
 *     the error code of Rotor's body (or the network error).
 */
import { Pool } from 'undici';

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A small seeded PRNG (mulberry32): the same arrivals for every target of a run. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Arrival times (ms from the start): `warmupRate` per second over [0, warmupMs), then `rate` until `endMs`;
 * exponential gaps (Poisson) or even ones.
 */
export function schedule({ rate, warmupRate, warmupMs, endMs, arrivals, seed }) {
  const out = [];
  const rand = rng(seed);
  const gapAt = (t) => 1000 / (t < warmupMs ? warmupRate : rate);
  let t = 0;
  for (;;) {
    t += arrivals === 'uniform' ? gapAt(t) : -Math.log(1 - rand()) * gapAt(t);
    if (t >= endMs) return out;
    out.push(t);
  }
}

/** Rotor's error code (`queue_full`, `all_credentials_cooling_down`…), from its OpenAI-shaped error body. */
function errorCode(text) {
  try {
    const e = JSON.parse(text).error;
    return String(e?.code ?? e?.type ?? 'unknown');
  } catch {
    return text.slice(0, 60) || 'empty body';
  }
}

async function once(pool, req, i) {
  const t0 = now();
  try {
    const { statusCode, body } = await pool.request({ path: req.path, method: 'POST', headers: req.headers, body: req.tagged ? req.body.replaceAll('{{i}}', String(i)) : req.body });
    const text = await body.text();
    const ms = now() - t0;
    if (statusCode === 200 && text.length > 0) return { ms, status: 200 };
    return { ms, status: statusCode, code: errorCode(text) };
  } catch (err) {
    return { ms: now() - t0, status: 0, code: err?.code ?? err?.message ?? String(err) };
  }
}

async function control(sim, method, path) {
  const r = await fetch(`${sim}${path}`, { method });
  if (!r.ok) throw new Error(`simulator ${method} ${path}: HTTP ${r.status}`);
  return r.json().catch(() => ({}));
}

async function open(job) {
  const pools = job.origins.map((o) => new Pool(o, { connections: 2048, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: job.timeoutMs, bodyTimeout: job.timeoutMs }));
  const times = schedule({ rate: job.ratePerSec, warmupRate: job.warmupRatePerSec ?? job.ratePerSec, warmupMs: job.warmupMs, endMs: job.warmupMs + job.measureMs, arrivals: job.arrivals, seed: job.seed });
  const n = times.length;
  const sentAt = new Float64Array(n);
  const latency = new Float64Array(n).fill(NaN);
  const status = new Int16Array(n).fill(-1);
  const codes = {};
  const pending = [];
  let lateMax = 0;
  const t0 = now();
  const t0Wall = Date.now() - (now() - t0);
  const marks = { resetAt: NaN, readAt: NaN, stats: undefined, warmupStats: undefined };
  const markTimers = [
    (async () => {
      await sleep(job.warmupMs);
      marks.warmupStats = await control(job.sim, 'GET', '/__sim/stats');
      const at = now() - t0;
      await control(job.sim, 'POST', '/__sim/reset-stats');
      marks.resetAt = (at + (now() - t0)) / 2;
    })(),
    (async () => {
      await sleep(job.warmupMs + job.measureMs);
      const at = now() - t0;
      marks.stats = await control(job.sim, 'GET', '/__sim/stats');
      marks.readAt = (at + (now() - t0)) / 2;
    })(),
  ];
  for (let i = 0; i < n; i++) {
    const wait = times[i] - (now() - t0);
    if (wait > 1) await sleep(wait);
    const t = now() - t0;
    lateMax = Math.max(lateMax, t - times[i]);
    sentAt[i] = t;
    const k = i;
    pending.push(
      once(pools[i % pools.length], job.request, i).then((r) => {
        latency[k] = r.ms;
        status[k] = r.status;
        if (r.code !== undefined) codes[k] = r.code;
      }),
    );
  }
  await Promise.all(markTimers);
  await Promise.all(pending);
  const drainMs = now() - t0 - (job.warmupMs + job.measureMs);
  await Promise.all(pools.map((p) => p.close().catch(() => {})));
  return {
    sentAt: Array.from(sentAt),
    latency: Array.from(latency),
    status: Array.from(status),
    codes,
    lateMaxMs: lateMax,
    drainMs,
    interval: { from: marks.resetAt, to: marks.readAt },
    startedAt: t0Wall,
    simStats: marks.stats,
    warmupSimStats: marks.warmupStats,
  };
}

process.on('message', async (msg) => {
  try {
    if (msg.job.type !== 'open') throw new Error(`unknown job ${msg.job.type}`);
    process.send({ id: msg.id, result: await open(msg.job) });
  } catch (err) {
    process.send({ id: msg.id, error: err instanceof Error ? err.stack : String(err) });
  }
});
// The bench is gone (crashed or killed): nothing more to do.
process.on('disconnect', () => process.exit(0));
