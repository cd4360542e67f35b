/**
 * Child processes of the benchmark: every target runs as its own process so /proc gives its own CPU and RSS.
 * start() spawns one and waits until it says it is ready; everything started is killed when the bench exits.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const running = new Set();

function killAll() {
  for (const p of running) p.child.kill('SIGKILL');
  running.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Starts `node <args>` (with exactly `env`) and resolves once `ready(line)` returns a value for a line of its stdout or stderr.
 * @returns {Promise<{name, pid, info, logs: () => string, stop: () => Promise<void>}>}
 */
export function start(name, args, { env = process.env, cwd, ready, timeoutMs = 30_000, nodeArgs = [] }) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  const proc = {
    name,
    pid: child.pid,
    child,
    info: undefined,
    logs: () => lines.join('\n'),
    stop: () => stop(proc),
  };
  running.add(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} not ready after ${timeoutMs} ms`)), timeoutMs);
    let done = false;
    const fail = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      running.delete(proc);
      reject(new Error(`${err.message}\n--- ${name} output ---\n${lines.slice(-30).join('\n')}`));
    };
    const onLine = (line) => {
      lines.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
      if (lines.length > 200) lines.shift();
      if (done) return;
      const info = ready(line);
      if (info === undefined) return;
      done = true;
      clearTimeout(timer);
      proc.info = info;
      resolve(proc);
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
        if (buf.length > 64 * 1024 * 1024) buf = buf.slice(-4096); // a spinner that never prints a newline
      });
    }
    child.on('exit', (code, signal) => {
      running.delete(proc);
      fail(new Error(`${name} exited (${signal ?? code}) before it was ready`));
    });
    if (typeof ready.poll === 'function') {
      const poll = async () => {
        while (!done) {
          const info = await ready.poll().catch(() => undefined);
          if (info !== undefined && !done) {
            done = true;
            clearTimeout(timer);
            proc.info = info;
            return resolve(proc);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      void poll();
    }
  });
}

async function stop(proc) {
  if (!running.has(proc)) return;
  const exited = new Promise((r) => proc.child.once('exit', r));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 5_000); // Rotor drains, then writes a --cpu-prof
  await exited;
  clearTimeout(timer);
  running.delete(proc);
}

/** A line that is one JSON object with a `url` (the simulator CLI and the bench targets print one). */
export function jsonLine(line) {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line);
    return typeof v.url === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A free TCP port on 127.0.0.1 (for servers that cannot listen on port 0 and report it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
