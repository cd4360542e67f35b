/** Runs the built `rotor` command (dist/main.js) as a user would, collecting its output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const MAIN = join(import.meta.dirname, '../../dist/main.js');

export interface RotorProcess {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

export function runRotor(env: Record<string, string>, args: string[] = []): RotorProcess {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

/** The port a Rotor started with PORT=0 listens on, from its `listening on` line (undefined until it is out). */
export function listeningPort(p: RotorProcess): number | undefined {
  const m = /listening on http:\/\/[^\s]*:(\d+)/.exec(p.out());
  return m ? Number(m[1]) : undefined;
}

/** Polls `check` every 25 ms until it holds, or fails naming `what` after `ms` (for processes started above). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
