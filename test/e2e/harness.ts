/**
 * Starts the real stack for e2e tests: the Google simulator and Rotor, each on a free loopback port,
 * with credential files in a fresh temp folder; returns real SDK clients pointed at Rotor.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { loadConfig } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { startSimulator, type SimAccountInput, type SimApiKeyInput, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { createLogger, type Logger } from '../../src/util/log.js';

export interface StackOptions {
  accounts: Array<SimAccountInput & { format?: 'gemini-cli' | 'authorized-user'; withProject?: boolean; inEnv?: boolean }>;
  sim?: Omit<SimulatorOptions, 'accounts'>;
  env?: Record<string, string>;
  password?: string | null;
  /** Gemini API keys: served by the simulator's /v1beta and given to Rotor through GEMINI_API_KEYS. */
  apiKeys?: Array<SimApiKeyInput>;
  /** Give Rotor the keys in an api_keys.json file that names each key's project (else GEMINI_API_KEYS, projects unknown). */
  apiKeysWithProjects?: boolean;
}

export interface Stack {
  sim: Simulator;
  rotor: RunningServer;
  dir: string;
  password: string | undefined;
  logs: string[];
  openai: OpenAI;
  genai: GoogleGenAI;
  fileOf(email: string): string;
  close(): Promise<void>;
}

export function credentialJson(a: StackOptions['accounts'][number], projectId: string | undefined): Record<string, unknown> {
  const refresh = a.refreshToken ?? `1//sim-refresh-${a.email}`;
  if (a.format === 'authorized-user') {
    return {
      client_id: 'rotor-test-client',
      client_secret: 'rotor-test-secret',
      token: 'ya29.stale-token-' + a.email,
      refresh_token: refresh,
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
      token_uri: 'https://oauth2.googleapis.com/token',
      expiry: '2020-01-01T00:00:00Z',
      email: a.email,
      ...(projectId ? { project_id: projectId } : {}),
      custom_field: 'kept',
    };
  }
  return {
    access_token: 'ya29.stale-token-' + a.email,
    refresh_token: refresh,
    scope: 'https://www.googleapis.com/auth/cloud-platform',
    token_type: 'Bearer',
    expiry_date: 0,
    email: a.email,
    ...(projectId ? { project_id: projectId } : {}),
  };
}

export function defaultProject(email: string): string {
  return `sim-project-${email.split('@')[0]}`;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const sim = await startSimulator({ ...options.sim, accounts: options.accounts, ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}) });
  const dir = await mkdtemp(join(tmpdir(), 'rotor-test-'));
  const envList: unknown[] = [];
  for (const a of options.accounts) {
    const project = a.withProject === false ? undefined : (a.projectId ?? defaultProject(a.email));
    const json = credentialJson(a, project);
    if (a.inEnv) envList.push(json);
    else await writeFile(join(dir, `oauth_creds_${a.email}.json`), JSON.stringify(json, null, 2), { mode: 0o600 });
  }
  if (options.apiKeys && options.apiKeysWithProjects) {
    const entries = options.apiKeys.map((k) => ({ api_key: k.key, project_id: k.projectId }));
    await writeFile(join(dir, 'api_keys.json'), JSON.stringify(entries), { mode: 0o600 });
  }
  const password = options.password === null ? undefined : (options.password ?? 'test-password-123');
  const result = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PERSISTENT_STORAGE_PATH: dir,
    CREDENTIALS_JSON_LIST: envList.length ? JSON.stringify(envList) : '',
    CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint,
    GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl,
    GOOGLE_OAUTH_AUTH_URL: sim.authUrl,
    GOOGLE_USERINFO_URL: sim.userinfoUrl,
    GEMINI_API_BASE_URL: sim.url,
    ...(options.apiKeys && !options.apiKeysWithProjects ? { GEMINI_API_KEYS: options.apiKeys.map((k) => k.key).join(',') } : {}),
    ...(password ? { GEMINI_AUTH_PASSWORD: password } : {}),
    ...options.env,
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const logs: string[] = [];
  const logger: Logger = createLogger({ level: 'debug', sink: (l) => logs.push(l) });
  const rotor = await startServer({ config: result.config, logger, refreshIntervalMs: 3_600_000, onboardPollIntervalMs: 10 });
  const openai = new OpenAI({ baseURL: `${rotor.url}/v1`, apiKey: password ?? 'unused', maxRetries: 0 });
  const genai = new GoogleGenAI({ apiKey: password ?? 'unused', httpOptions: { baseUrl: rotor.url } });
  return {
    sim,
    rotor,
    dir,
    password,
    logs,
    openai,
    genai,
    fileOf: (email) => join(dir, `oauth_creds_${email}.json`),
    async close() {
      await rotor.close(1000);
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
