/**
 * The real stack for fault and fuzz tests (simulator + Rotor, in process, on loopback), like the e2e harness
 * but with the server's timings exposed, plus what every fault test asserts afterwards: no unhandled
 * rejection or uncaught exception, and every credential file intact with the latest token.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/cli/serve.js';
import { startSimulator, type SimAccountInput, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { createLogger } from '../../src/util/log.js';
import type { DispatchEvent } from '../../src/dispatch/events.js';
import { credentialJson, defaultProject } from '../e2e/harness.js';

export const PASSWORD = 'fault-test-secret';

export interface FaultStackOptions {
  accounts: SimAccountInput[];
  /** Gemini API keys (GEMINI_API_KEYS), each in its own simulated project. */
  apiKeys?: string[];
  sim?: Omit<SimulatorOptions, 'accounts' | 'apiKeys'>;
  env?: Record<string, string>;
  server?: Pick<StartOptions, 'refreshIntervalMs' | 'watchDebounceMs'>;
}

export interface FaultStack {
  sim: Simulator;
  rotor: RunningServer;
  dir: string;
  logs: string[];
  /** Everything the dispatch loop reported (picks, attempts, fallbacks, requests done). */
  events: DispatchEvent[];
  fileOf(email: string): string;
  /** POST JSON with the password; returns status and text (never throws on HTTP errors). */
  post(path: string, body: unknown, init?: { signal?: AbortSignal }): Promise<{ status: number; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export async function startFaultStack(options: FaultStackOptions): Promise<FaultStack> {
  const apiKeys = options.apiKeys ?? [];
  const sim = await startSimulator({
    ...options.sim,
    accounts: options.accounts,
    apiKeys: apiKeys.map((key, i) => ({ key, projectId: `sim-key-project-${i + 1}` })),
  });
  const dir = await mkdtemp(join(tmpdir(), 'rotor-faults-'));
  const fileOf = (email: string) => join(dir, `oauth_creds_${email}.json`);
  for (const a of options.accounts) {
    await writeFile(fileOf(a.email), JSON.stringify(credentialJson(a, a.projectId ?? defaultProject(a.email)), null, 2), { mode: 0o600 });
  }
  const result = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PERSISTENT_STORAGE_PATH: dir,
    CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint,
    GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl,
    GOOGLE_OAUTH_AUTH_URL: sim.authUrl,
    GOOGLE_USERINFO_URL: sim.userinfoUrl,
    GEMINI_AUTH_PASSWORD: PASSWORD,
    ...(apiKeys.length ? { GEMINI_API_KEYS: apiKeys.join(','), GEMINI_API_BASE_URL: sim.geminiApiBaseUrl } : {}),
    ...options.env,
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', sink: (l) => logs.push(l) });
  const rotor = await startServer({
    config: result.config,
    logger,
    refreshIntervalMs: options.server?.refreshIntervalMs ?? 3_600_000,
    watchDebounceMs: options.server?.watchDebounceMs ?? 50,
    onboardPollIntervalMs: 10,
  });
  const events: DispatchEvent[] = [];
  rotor.events.on((e) => events.push(e));
  return {
    sim,
    rotor,
    dir,
    logs,
    events,
    fileOf,
    async post(path, body, init) {
      const google = path.startsWith('/v1beta');
      const res = await fetch(`${rotor.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(google ? { 'x-goog-api-key': PASSWORD } : { authorization: `Bearer ${PASSWORD}` }) },
        body: JSON.stringify(body),
        signal: init?.signal,
      });
      return { status: res.status, text: await res.text(), headers: res.headers };
    },
    async close() {
      await rotor.close(1000);
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Collects unhandled rejections and uncaught exceptions while a suite runs. */
export function watchProcess(): { problems: string[]; stop(): void } {
  const problems: string[] = [];
  const describe = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e));
  const onRejection = (reason: unknown) => problems.push(`unhandledRejection: ${describe(reason)}`);
  const onException = (err: unknown) => problems.push(`uncaughtException: ${describe(err)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    problems,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

export async function waitFor(what: string, pred: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const refreshTokenOf = (email: string) => `1//sim-refresh-${email}`;

interface SavedCredential {
  access_token?: string;
  refresh_token?: string;
  email?: string;
}

/** Why a credential file is not intact (parses, has its refresh token and the latest token, 0600), or undefined. */
export async function credentialFileProblem(stack: FaultStack, email: string): Promise<string | undefined> {
  const path = stack.fileOf(email);
  let saved: SavedCredential;
  try {
    saved = JSON.parse(await readFile(path, 'utf8')) as SavedCredential;
  } catch (err) {
    return `${email}: file unreadable or not JSON (${(err as Error).message})`;
  }
  if (saved.refresh_token !== refreshTokenOf(email)) return `${email}: refresh token lost (${String(saved.refresh_token)})`;
  const latest = stack.sim.issuedTokens(email).at(-1);
  if (latest !== undefined && saved.access_token !== latest) return `${email}: file holds an older access token than the latest issued`;
  const mode = (await stat(path)).mode & 0o777;
  if (mode !== 0o600) return `${email}: mode ${mode.toString(8)}, expected 600`;
  return undefined;
}

/** Waits (bounded) until every file is intact and no temp file is left, then asserts it. */
export async function expectCredentialsIntact(stack: FaultStack, emails: string[]): Promise<void> {
  const problems = async () => {
    const out: string[] = [];
    for (const e of emails) {
      const p = await credentialFileProblem(stack, e);
      if (p) out.push(p);
    }
    const temps = (await readdir(stack.dir)).filter((f) => f.endsWith('.tmp'));
    if (temps.length) out.push(`temp files left: ${temps.join(', ')}`);
    return out;
  };
  let last: string[] = [];
  try {
    await waitFor('credential files to settle', async () => (last = await problems()).length === 0, 5000);
  } catch {
    throw new Error(`credential files not intact:\n${last.join('\n')}`);
  }
}
