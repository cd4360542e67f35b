/**
 * The dashboard tests' stack: the simulator and Rotor in process (OAuth accounts and Gemini API keys), with
 * ADMIN_PASSWORD when asked, plus a raw HTTP client that can set any header (Host, forwarding headers, Origin),
 * which fetch cannot.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/cli/serve.js';
import { startSimulator, type SimAccountInput, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { createLogger } from '../../src/util/log.js';
import { credentialJson, defaultProject } from './harness.js';

export const API_PASSWORD = 'dash-api-secret-123';

export interface DashStackOptions {
  accounts: SimAccountInput[];
  apiKeys?: Array<{ key: string; projectId: string }>;
  adminPassword?: string;
  env?: Record<string, string>;
  sim?: Omit<SimulatorOptions, 'accounts' | 'apiKeys'>;
  server?: Partial<Omit<StartOptions, 'config' | 'logger'>>;
}

export interface DashStack {
  sim: Simulator;
  rotor: RunningServer;
  dir: string;
  logs: string[];
  /** A chat request through the API (the password), returning the status. */
  chat(model?: string): Promise<number>;
  close(): Promise<void>;
}

export async function startDashStack(options: DashStackOptions): Promise<DashStack> {
  const sim = await startSimulator({ ...options.sim, accounts: options.accounts, apiKeys: options.apiKeys ?? [] });
  const dir = await mkdtemp(join(tmpdir(), 'rotor-dash-'));
  for (const a of options.accounts) {
    await writeFile(join(dir, `oauth_creds_${a.email}.json`), JSON.stringify(credentialJson(a, a.projectId ?? defaultProject(a.email))), { mode: 0o600 });
  }
  if (options.apiKeys?.length) {
    await writeFile(join(dir, 'api_keys.json'), JSON.stringify(options.apiKeys.map((k) => ({ api_key: k.key, project_id: k.projectId }))), { mode: 0o600 });
  }
  const result = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PERSISTENT_STORAGE_PATH: dir,
    CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint,
    GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl,
    GOOGLE_OAUTH_AUTH_URL: sim.authUrl,
    GOOGLE_USERINFO_URL: sim.userinfoUrl,
    GEMINI_API_BASE_URL: sim.geminiApiBaseUrl,
    GEMINI_AUTH_PASSWORD: API_PASSWORD,
    ...(options.adminPassword ? { ADMIN_PASSWORD: options.adminPassword } : {}),
    ...options.env,
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const logs: string[] = [];
  const rotor = await startServer({
    config: result.config,
    logger: createLogger({ level: 'debug', sink: (l) => logs.push(l) }),
    refreshIntervalMs: 3_600_000,
    onboardPollIntervalMs: 10,
    ...options.server,
  });
  return {
    sim,
    rotor,
    dir,
    logs,
    async chat(model = 'gemini-2.5-flash') {
      const res = await fetch(`${rotor.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${API_PASSWORD}` },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.text();
      return res.status;
    },
    async close() {
      await rotor.close(1000);
      await sim.close();
      // A credential file Rotor was still rewriting when it stopped (its first token refresh) may land late.
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    },
  };
}

export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One HTTP request with exactly these headers (Host included), read to its end. */
export function raw(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawReply> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: init.method ?? 'GET', headers: init.headers ?? {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The first SSE event of a stream (event name and parsed data), then closes it. */
export async function firstEvent(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; event?: string; data?: unknown }> {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  if (res.status !== 200 || !res.body) {
    await res.text();
    return { status: res.status, type: res.headers.get('content-type') };
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended before an event');
      buf += decoder.decode(value, { stream: true });
      for (const block of buf.split('\n\n').slice(0, -1)) {
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) return { status: 200, type: res.headers.get('content-type'), event, data: JSON.parse(data) };
      }
    }
  } finally {
    ac.abort();
  }
}
