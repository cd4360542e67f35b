/**
 * `npm run bench`: Rotor's benchmarks. Prints figures and ratios (never asserts), and writes them to
 * bench/out/last-run.md and bench/out/results.json. bench/RESULTS.md records a run and explains it.
 * Options: node bench/run.js --help.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDriver } from './lib/driver-client.js';
import { BENCH, PORTKEY_ENTRY, portkeyInstalled } from './lib/stack.js';
import { fmt } from './lib/stats.js';
import { renderReport } from './lib/report.js';
import { machine, waitQuiet } from './lib/machine.js';
import { summarizeProfile } from './lib/profile-summary.js';
import { measureThroughput, startTargets } from './sections/throughput.js';
import { measureLeak, measureOpenStreams } from './sections/memory.js';
import { measurePick, measureScale } from './sections/scale.js';

const SECTIONS = ['throughput', 'memory', 'scale', 'pick'];
const USAGE = `usage: npm run bench -- [options]   (or node bench/run.js after npm run build)
  --quick                    short run (about two minutes)
  --only=SECTIONS            throughput, memory, scale, pick (comma-separated; default all)
  --targets=IDS              a simulator, b pass-through, c translator, d1 Rotor OpenAI, d2 Rotor Gemini,
                             d3 Rotor OpenAI on a redis-server the bench starts (REDIS_URL, QUOTAS that never bind),
                             d4 Rotor OpenAI in memory with the same QUOTAS (not in the default set),
                             d5 Rotor OpenAI on that redis-server without QUOTAS (Rotor's default), e Portkey
  --concurrency=1,16,64,256  --rounds=3  --window-ms=1200   (throughput matrix; 3× the window at concurrency 1)
  --requests=100000          requests for the memory growth check
  --streams=1000             concurrent open streams for the memory check
  --pool-sizes=10,1000,10000 credential counts for the scale section
  --no-portkey               skip Portkey (otherwise installed into bench/node_modules on first use)
  --wait-quiet=MIN           first wait (up to MIN minutes) until other processes use < 20% of the machine
  --max-other=40             re-measure a throughput cell (up to twice) when other processes took more than
                             this % of a CPU during it; the quietest try is kept
  --from=FILE                only re-print the report of a saved bench/out/results.json
  --profile                  run Rotor under --cpu-prof in the throughput section and show where its CPU goes
                             (the profiler's own cost inflates that run's Rotor figures)
`;
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const nums = (s) => list(s).map(Number);

function options() {
  const o = { type: 'string' };
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' }, 'no-portkey': { type: 'boolean' }, help: { type: 'boolean' }, 'wait-quiet': o, profile: { type: 'boolean' }, 'max-other': o, from: o,
      only: o, targets: o, concurrency: o, rounds: o, 'window-ms': o, requests: o, streams: o, 'pool-sizes': o,
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const opts = {
    quick,
    sections: values.only ? list(values.only) : SECTIONS,
    targets: values.targets ? list(values.targets) : ['a', 'b', 'c', 'd1', 'd2', 'd3', 'd5', 'e'],
    concurrency: values.concurrency ? nums(values.concurrency) : quick ? [1, 16, 64] : [1, 16, 64, 256],
    rounds: Number(values.rounds ?? (quick ? 1 : 3)),
    windowMs: Number(values['window-ms'] ?? (quick ? 600 : 1200)),
    cellWarmupMs: quick ? 200 : 300,
    warmupMs: quick ? 600 : 1500,
    requests: Number(values.requests ?? (quick ? 10_000 : 100_000)),
    leakTimeoutMs: quick ? 30_000 : 150_000,
    streams: Number(values.streams ?? 1000),
    poolSizes: values['pool-sizes'] ? nums(values['pool-sizes']) : [10, 1000, 10_000],
    pickMs: quick ? 100 : 300,
    noPortkey: values['no-portkey'] === true,
    waitQuietMin: Number(values['wait-quiet'] ?? 0),
    maxOtherPct: Number(values['max-other'] ?? 40),
    from: values.from,
    profileDir: values.profile ? join(BENCH, 'out', `rotor-profile-${Date.now()}`) : undefined,
  };
  for (const s of opts.sections) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s} (${SECTIONS.join(', ')})`);
  return opts;
}

/** Portkey is a dependency of the bench only (bench/package.json); install it on first use. */
function ensurePortkey(opts, log) {
  if (opts.noPortkey) return { ok: false, why: 'disabled with --no-portkey' };
  if (portkeyInstalled()) return { ok: true };
  log('installing the bench-only dependencies (npm ci --prefix bench)…');
  const r = spawnSync('npm', ['ci', '--prefix', BENCH, '--no-audit', '--no-fund'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (portkeyInstalled()) return { ok: true };
  return { ok: false, why: `npm ci --prefix bench failed (exit ${r.status ?? r.error?.message}); ${PORTKEY_ENTRY} is missing` };
}

async function main() {
  const opts = options();
  if (opts.from) {
    process.stdout.write(`${renderReport(JSON.parse(readFileSync(opts.from, 'utf8')))}\n`);
    return;
  }
  const log = (line) => process.stderr.write(`[bench] ${line}\n`);
  const res = { machine: machine(), command: `node bench/run.js ${process.argv.slice(2).join(' ')}`.trim(), opts };
  const portkey = opts.sections.some((s) => s === 'throughput' || s === 'memory') && opts.targets.includes('e') ? ensurePortkey(opts, log) : { ok: false, why: 'not requested' };
  opts.portkeyAvailable = portkey.ok;
  opts.portkeyWhy = portkey.why;
  res.busyBeforePct = await waitQuiet(opts, log, ': throughput and latency figures will be noisy');
  const driver = startDriver();
  const t0 = Date.now();
  try {
    if (opts.sections.includes('throughput')) {
      log('throughput: starting the targets');
      const running = await startTargets(opts, log);
      res.portkeySkip = running.portkeySkip;
      try {
        res.throughput = await measureThroughput(opts, driver, running.targets, log);
      } finally {
        await running.stop();
      }
      if (opts.profileDir) res.profile = summarizeProfile(opts.profileDir);
    }
    if (opts.sections.includes('memory')) {
      log(`memory: ${opts.streams} open streams`);
      res.openStreams = await measureOpenStreams(opts, driver, log);
      if (opts.targets.includes('d1') || opts.targets.includes('d2')) {
        log(`memory: Rotor under ${opts.requests.toLocaleString('en-US')} requests`);
        res.leak = await measureLeak(opts, driver, log);
      }
    }
    if (opts.sections.includes('scale')) {
      log(`scale: Rotor with ${opts.poolSizes.join(' / ')} credentials`);
      res.scale = await measureScale(opts, driver, log);
    }
    if (opts.sections.includes('pick')) {
      log('pick: CredentialPool.pick micro-benchmark');
      res.pick = await measurePick(opts);
    }
  } finally {
    driver.stop();
  }
  res.seconds = (Date.now() - t0) / 1000;

  const text = renderReport(res);
  process.stdout.write(`\n${text}\n`);
  const outDir = join(BENCH, 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'last-run.md'), text);
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(res, null, 2));
  log(`written: bench/out/last-run.md, bench/out/results.json (${fmt(res.seconds, 0)} s)`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
