/** Forks a load driver (driver.js, or pool-driver.js for bench:pool) and sends it jobs over IPC. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = (name) => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** The closed-loop driver of `npm run bench`. */
export function startDriver() {
  return forkDriver(script('driver.js'));
}

/** The open-loop driver of `npm run bench:pool`. */
export function startPoolDriver() {
  return forkDriver(script('pool-driver.js'));
}

function forkDriver(path) {
  const child = fork(path, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  let next = 0;
  child.on('message', (msg) => {
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(`driver: ${msg.error}`));
    else w.resolve(msg.result);
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`driver exited (${code})`));
    waiting.clear();
  });
  return {
    pid: child.pid,
    run(job) {
      const id = ++next;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ id, job });
      });
    },
    stop() {
      child.kill('SIGKILL');
    },
  };
}
