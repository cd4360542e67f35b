/**
 * A throwaway redis-server for tests: Debian's `redis-server` (7), on 127.0.0.1 and a free port, persisting
 * nothing (`--save '' --appendonly no`). It can be stopped, killed with SIGKILL and started again on the same
 * port, so tests can take Redis away from running Rotor instances and give it back.
 *
 *   const redis = await startRedisServer();
 *   … new Redis(redis.url) / REDIS_URL: redis.url …
 *   await redis.kill();      // SIGKILL: clients see the connection drop at once
 *   await redis.start();     // the same port again, empty (nothing was persisted)
 *   await redis.pause();     // SIGSTOP: connections stay open, nothing answers (a hung server)
 *   await redis.resume();    // SIGCONT: it answers everything it was sent meanwhile
 *   await redis.stop();      // SIGTERM; in afterAll
 *
 * REDIS_SERVER_PATH overrides the binary. A server still running when the test process exits is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>`: what REDIS_URL would be. */
  readonly url: string;
  /** Whether the process is running (started and not yet stopped, killed or exited). */
  readonly running: boolean;
  readonly pid: number | undefined;
  /** Starts the server (again) on the same port; resolves once it answers PING. A no-op while running. */
  start(): Promise<void>;
  /** SIGTERM, then waits for the process to exit. A no-op when not running. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: no goodbye to clients), then waits for the process to exit. A no-op when not running. */
  kill(): Promise<void>;
  /** kill() if running, then start() on the same port: an empty server where the old one was. */
  restart(): Promise<void>;
  /** SIGSTOP: the process stays, its connections stay open, and nothing is answered until resume(). */
  pause(): Promise<void>;
  /** SIGCONT after pause(). */
  resume(): Promise<void>;
}

export interface RedisServerOptions {
  /** Extra redis-server arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
  /** How long start() waits for PING to answer (default 10 s). */
  startTimeoutMs?: number;
}

/** The live processes, killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** A port free on 127.0.0.1 right now (the kernel's pick for port 0, released at once). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Whether the redis-server of process `pid` answers on host:port. Another one may: a second test run beside
 * this one can start its server on the port between our pick and our bind (ours then exits), and sharing it
 * would mix the two runs' state (and one run's kill would hit the other).
 */
function answersAs(host: string, port: number, pid: number | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const m = /process_id:(\d+)\r\n/.exec(data);
      if (m) done(Number(m[1]) === pid);
      else if (data.startsWith('-')) done(false);
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a redis-server on a free port of 127.0.0.1. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`no redis-server at ${REDIS_SERVER}: install Debian's redis-server (apt-get install redis-server; .ci/run does) or set REDIS_SERVER_PATH`);
  }
  installExitHook();
  const host = '127.0.0.1';
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  let port = await freePort(host);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  /** One attempt on `port`: resolves true once it answers, false if the process exited first (e.g. port taken). */
  const launch = async (): Promise<{ ok: boolean; output: string }> => {
    const args = ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', tmpdir(), '--daemonize', 'no', '--loglevel', 'warning', ...(options.args ?? [])];
    const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4_000)));
    proc.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4_000)));
    let gone = false;
    exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        gone = true;
        live.delete(proc);
        if (child === proc) child = undefined;
        resolve();
      });
      proc.once('error', (err) => {
        output += String(err);
        gone = true;
        live.delete(proc);
        if (child === proc) child = undefined;
        resolve();
      });
    });
    child = proc;
    live.add(proc);
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (gone) return { ok: false, output };
      if (await answersAs(host, port, proc.pid)) return { ok: true, output };
      await sleep(20);
    }
    proc.kill('SIGKILL');
    await exited;
    return { ok: false, output: `${output}\n(no PONG within ${startTimeoutMs} ms)` };
  };

  const signal = async (sig: NodeJS.Signals) => {
    const proc = child;
    if (!proc) return;
    // A stopped process does not act on SIGTERM until it is continued.
    if (sig === 'SIGTERM') proc.kill('SIGCONT');
    proc.kill(sig);
    await exited;
  };

  const server: RedisServer = {
    host,
    get port() {
      return port;
    },
    get url() {
      return `redis://${host}:${port}`;
    },
    get running() {
      return child !== undefined;
    },
    get pid() {
      return child?.pid;
    },
    async start() {
      if (child) return;
      let last = '';
      // The same port every time (clients reconnect to it); a few tries in case the old socket lingers.
      for (let attempt = 0; attempt < 5; attempt++) {
        const r = await launch();
        if (r.ok) return;
        last = r.output;
        await sleep(100);
      }
      throw new Error(`redis-server did not start on ${host}:${port}:\n${last}`);
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async restart() {
      await signal('SIGKILL');
      await server.start();
    },
    async pause() {
      child?.kill('SIGSTOP');
    },
    async resume() {
      child?.kill('SIGCONT');
    },
  };

  // The first start may pick another port if the free one was taken in between.
  for (let attempt = 0; ; attempt++) {
    const r = await launch();
    if (r.ok) break;
    if (attempt >= 4) throw new Error(`redis-server did not start:\n${r.output}`);
    port = await freePort(host);
  }
  return server;
}
