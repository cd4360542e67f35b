/**
 * `npm run demo`: Rotor end to end with no Google account. Starts the built-in Google simulator with three
 * accounts, writes their credential files to a temporary folder, starts Rotor against it and prints how to
 * call it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/config.js';
import { startServer } from './serve.js';
import { startSimulator } from '../simulator/index.js';
import type { Logger } from '../util/log.js';

const ACCOUNTS = ['alice@example.com', 'bob@example.com', 'carol@example.com'];

export async function runDemo(env: NodeJS.ProcessEnv, logger: Logger): Promise<void> {
  const sim = await startSimulator({
    accounts: ACCOUNTS.map((email) => ({ email, rpm: 30 })),
    latencyMs: 150,
    streamEvents: 5,
    streamIntervalMs: 120,
  });
  const dir = await mkdtemp(join(tmpdir(), 'rotor-demo-'));
  for (const email of ACCOUNTS) {
    // gemini-cli's own file format, without a project: Rotor discovers it on first use.
    const file = { access_token: '', refresh_token: `1//sim-refresh-${email}`, scope: 'https://www.googleapis.com/auth/cloud-platform', token_type: 'Bearer', expiry_date: 0, email };
    await writeFile(join(dir, `oauth_creds_${email}.json`), JSON.stringify(file, null, 2), { mode: 0o600 });
  }
  const password = env.GEMINI_AUTH_PASSWORD || `demo-${randomBytes(9).toString('base64url')}`;
  const result = loadConfig({
    ...env,
    HOST: '127.0.0.1',
    PORT: env.PORT ?? '7860',
    GEMINI_AUTH_PASSWORD: password,
    PERSISTENT_STORAGE_PATH: dir,
    CREDENTIALS_JSON_LIST: '',
    CODE_ASSIST_ENDPOINT: sim.codeAssistEndpoint,
    GOOGLE_OAUTH_TOKEN_URL: sim.tokenUrl,
    GOOGLE_OAUTH_AUTH_URL: sim.authUrl,
    GOOGLE_USERINFO_URL: sim.userinfoUrl,
  });
  if (!result.ok) {
    for (const line of result.errors) process.stderr.write(`rotor demo: ${line}\n`);
    process.exit(2);
  }
  let server;
  try {
    server = await startServer({ config: result.config, logger, onboardPollIntervalMs: 200 });
  } catch (err) {
    if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
    logger.warn(`port ${result.config.port} is busy; using a free port instead`);
    server = await startServer({ config: { ...result.config, port: 0 }, logger, onboardPollIntervalMs: 200 });
  }
  const body = JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hello, Rotor!' }] });
  process.stdout.write(
    [
      '',
      'Rotor demo is running against its built-in Google simulator (no Google account needed).',
      `  base URL : ${server.url}/v1   (OpenAI)   ${server.url}/v1beta   (Gemini)`,
      `  password : ${password}`,
      `  accounts : ${ACCOUNTS.join(', ')} (credential files in ${dir})`,
      '',
      'Try:',
      `  curl -s ${server.url}/v1/chat/completions -H 'Authorization: Bearer ${password}' -H 'Content-Type: application/json' -d '${body}'`,
      `  curl -s ${server.url}/v1/keys/status -H 'Authorization: Bearer ${password}'`,
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await server.close(5_000);
    await sim.close();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
