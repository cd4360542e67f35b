/**
 * The load driver, run as its own process (forked by driver-client.js) so that its CPU never lands on a target.
 * undici Pool with one connection per concurrent request, latencies from process.hrtime (sub-millisecond).
 * Jobs arrive over IPC:
 *   {type:'load', origin, requests:[{path, headers, body, stream}], concurrency, warmupMs, durationMs,
 *    maxRequests?, pids?, checkpoints?}  → closed-loop load; returns latencies, TTFBs, CPU of `pids`
 *   {type:'hold', origin, request, count, timeoutMs} → opens `count` streams and keeps them open once each has
 *    sent its first byte; {type:'release'} closes them.
 */
import { Pool } from 'undici';
import { cpuDelta, cpuSnapshot, memory } from './proc-stats.js';

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function newPool(origin, connections) {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
}

/** One request; resolves {ok, status, ms, ttfbMs, events, sample?}. Never rejects. */
async function once(pool, req, keepSample) {
  const t0 = now();
  try {
    const { statusCode, body } = await pool.request({ path: req.path, method: 'POST', headers: req.headers, body: req.body });
    let ttfbMs;
    let bytes = 0;
    let events = 0;
    let sample = keepSample ? '' : undefined;
    for await (const chunk of body) {
      if (ttfbMs === undefined) ttfbMs = now() - t0;
      bytes += chunk.length;
      if (req.stream) events += 1;
      if (sample !== undefined && sample.length < 4000) sample += chunk.toString('utf8');
    }
    return { ok: statusCode === 200 && bytes > 0, status: statusCode, ms: now() - t0, ttfbMs: ttfbMs ?? now() - t0, events, sample };
  } catch (err) {
    return { ok: false, status: 0, ms: now() - t0, error: err?.code ?? err?.message ?? String(err) };
  }
}

async function load(job) {
  const pool = newPool(job.origin, job.concurrency);
  const pids = job.pids ?? {};
  const out = { latencies: [], ttfbs: [], chunks: [], errors: 0, errorSample: undefined, statuses: {}, sample: undefined, checkpoints: [] };
  const t0 = now();
  // Until the window begins: the warm-up, then (if it is not over by then) the first wave of requests on new
  // connections, so no cell measures its target accepting `concurrency` connections at once.
  let end = Infinity;
  const max = job.maxRequests ?? Infinity;
  let state = 'warmup';
  let mStart = t0;
  let mEnd = 0;
  let cpu0 = {};
  let cpu1;
  let started = 0;
  let completed = 0;
  let stopTimer;
  let warmedUp = false;
  /** Workers whose first request has ended: the first wave is over when every one has. */
  let firstDone = 0;
  const begin = () => {
    if (state !== 'warmup') return;
    cpu0 = cpuSnapshot(pids);
    mStart = now();
    state = 'measuring';
    end = mStart + job.durationMs;
    stopTimer = setTimeout(stop, job.durationMs);
  };
  let backstop;
  /** The warm-up's time is up: begin once every worker's first request has ended (or a window's time later). */
  const warmupOver = () => {
    warmedUp = true;
    if (firstDone >= job.concurrency) begin();
    else backstop = setTimeout(begin, job.durationMs);
  };
  const stop = () => {
    if (state === 'stopped') return;
    if (state === 'warmup') begin();
    cpu1 = cpuSnapshot(pids);
    mEnd = now();
    state = 'stopped';
  };
  if (job.warmupMs <= 0) begin();
  const beginTimer = job.warmupMs > 0 ? setTimeout(warmupOver, job.warmupMs) : undefined;

  const worker = async () => {
    let first = true;
    while (started < max && now() < end) {
      const req = job.requests[started % job.requests.length];
      started += 1;
      const r = await once(pool, req, out.sample === undefined);
      if (out.sample === undefined && r.ok) out.sample = r.sample;
      completed += 1;
      if (first) {
        first = false;
        firstDone += 1;
        if (warmedUp && firstDone >= job.concurrency) begin();
      }
      if (job.checkpoints && completed % job.checkpoints.every === 0) {
        out.checkpoints.push({ completed, seconds: (now() - t0) / 1000, ...memory(job.checkpoints.pid) });
      }
      if (state !== 'measuring') continue; // warm-up, or a straggler after the window
      if (!r.ok) {
        out.errors += 1;
        out.statuses[r.status] = (out.statuses[r.status] ?? 0) + 1;
        out.errorSample ??= r.error ?? `HTTP ${r.status}`;
        await sleep(2); // a dead target must not turn the loop into a busy spin
        continue;
      }
      out.latencies.push(r.ms);
      if (req.stream) {
        out.ttfbs.push(r.ttfbMs);
        out.chunks.push(r.events);
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, () => worker()));
  // Every worker has stopped: with maxRequests that may be before the timer.
  stop();
  clearTimeout(beginTimer);
  clearTimeout(backstop);
  clearTimeout(stopTimer);
  out.cpuMs = cpuDelta(cpu0, cpu1);
  out.seconds = (mEnd - mStart) / 1000;
  out.completed = out.latencies.length;
  await pool.close().catch(() => {});
  return out;
}

let held;

async function hold(job) {
  const pool = newPool(job.origin, job.count);
  const bodies = [];
  let firstBytes = 0;
  let failed = 0;
  let failSample;
  const t0 = now();
  const ttfbs = [];
  const all = Array.from({ length: job.count }, async () => {
    const ts = now();
    try {
      const { statusCode, body } = await pool.request({ path: job.request.path, method: 'POST', headers: job.request.headers, body: job.request.body });
      bodies.push(body);
      let first = true;
      body.on('data', () => {
        if (!first) return;
        first = false;
        firstBytes += 1;
        ttfbs.push(now() - ts);
      });
      body.on('error', () => {});
      if (statusCode !== 200) {
        failed += 1;
        failSample ??= `HTTP ${statusCode}`;
      }
    } catch (err) {
      failed += 1;
      failSample ??= err?.code ?? String(err);
    }
  });
  // Wait until every stream has its first byte, or nothing moved for 5 s (a server that queues the rest).
  let seen = 0;
  let lastMove = now();
  while (firstBytes + failed < job.count && now() - t0 < job.timeoutMs && now() - lastMove < 5_000) {
    await sleep(20);
    if (firstBytes + failed !== seen) {
      seen = firstBytes + failed;
      lastMove = now();
    }
  }
  void all;
  held = { pool, bodies };
  return { open: firstBytes, failed, failSample, openingMs: lastMove - t0, ttfbs };
}

async function release() {
  if (!held) return {};
  for (const b of held.bodies) b.destroy();
  await held.pool.destroy().catch(() => {});
  held = undefined;
  return {};
}

process.on('message', async (msg) => {
  let result;
  try {
    if (msg.job.type === 'load') result = await load(msg.job);
    else if (msg.job.type === 'hold') result = await hold(msg.job);
    else if (msg.job.type === 'release') result = await release();
    else throw new Error(`unknown job ${msg.job.type}`);
    process.send({ id: msg.id, result });
  } catch (err) {
    process.send({ id: msg.id, error: err instanceof Error ? err.stack : String(err) });
  }
});
