/** The machine a bench runs on: what it is (for the report) and how busy other processes keep it. */
import { spawnSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { systemBusyMs } from './proc-stats.js';
import { ROOT } from './stack.js';
import { fmt } from './stats.js';

/** Share of the machine (all CPUs = 100%) busy over `ms`, from /proc/stat; nothing of the bench runs yet. */
async function machineBusyPct(ms) {
  const a = systemBusyMs();
  await new Promise((r) => setTimeout(r, ms));
  return ((systemBusyMs() - a) / (ms * cpus().length)) * 100;
}

/** Waits (up to `waitQuietMin` minutes) until other processes use < 20% of the machine; returns the last reading. */
export async function waitQuiet({ waitQuietMin }, log, warning = '') {
  const deadline = Date.now() + waitQuietMin * 60_000;
  let busy = await machineBusyPct(3000);
  while (busy >= 20 && Date.now() < deadline) {
    log(`other processes use ${fmt(busy, 0)}% of the machine; waiting for < 20%`);
    busy = await machineBusyPct(10_000);
  }
  if (busy >= 20) log(`WARNING: other processes use ${fmt(busy, 0)}% of the machine${warning}`);
  return busy;
}

export function machine() {
  const git = (args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const head = git(['rev-parse', '--short', 'HEAD']);
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: totalmem() / 1024 ** 3,
    node: process.version,
    kernel: release(),
    commit: head ? `${head}${git(['status', '--porcelain', '--', 'src']) ? ' (+ uncommitted changes in src/)' : ''}` : 'not a git checkout',
    date: new Date().toISOString(),
  };
}
