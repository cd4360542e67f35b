/** Forks the load driver (driver.js) and sends it jobs over IPC, one at a time. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DRIVER = fileURLToPath(new URL('./driver.js', import.meta.url));

export function startDriver() {
  const child = fork(DRIVER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
