/**
 * Per-process CPU time and memory from /proc (Linux only).
 * CPU: the sum of `se.sum_exec_runtime` over the process's threads (/proc/<pid>/task/<tid>/sched, nanosecond
 * resolution), which counts V8's GC helpers and libuv's pool too; falls back to utime+stime from
 * /proc/<pid>/stat (10 ms ticks) where the scheduler file is missing.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on every Linux this runs on

/** CPU milliseconds the process has used so far (all threads), or NaN when it is gone. */
export function cpuMs(pid) {
  try {
    let total = 0;
    let found = false;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let text;
      try {
        text = readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8');
      } catch {
        continue; // thread exited between readdir and read
      }
      const m = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(text);
      if (m) {
        total += Number(m[1]);
        found = true;
      }
    }
    return found ? total : statCpuMs(pid);
  } catch {
    return NaN;
  }
}

/** utime + stime (children excluded), in ms; 10 ms resolution. */
export function statCpuMs(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}

/** {rssMb, hwmMb}: current and peak resident set size. */
export function memory(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: NaN, hwmMb: NaN };
  }
}

/** Busy CPU ms of the whole machine (all CPUs, every process, from /proc/stat), to see who else is using it. */
export function systemBusyMs() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq] = f;
    return (user + nice + system + irq + softirq) * TICK_MS;
  } catch {
    return NaN;
  }
}

/** CPU ms for each named pid, read back to back, plus `system`: the whole machine's busy ms. */
export function cpuSnapshot(pids) {
  const out = { system: systemBusyMs() };
  for (const [name, pid] of Object.entries(pids)) out[name] = cpuMs(pid);
  return out;
}

export function cpuDelta(before, after) {
  const out = {};
  for (const name of Object.keys(before)) out[name] = after[name] - before[name];
  return out;
}
