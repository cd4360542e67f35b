/**
 * Runs a simulator in its own process, for benchmarks and manual checks:
 *   node dist/simulator/cli.js --port 8001 --accounts 3 --api-keys 2 --latency-ms 20 --stream-events 20
 * Prints one JSON line on stdout ({url, tokenUrl, geminiApiBaseUrl, ..., accounts:[{email, refreshToken,
 * projectId}], apiKeys:[{key, projectId}]}) and runs until SIGINT / SIGTERM. --rpm / --rpd apply to the
 * accounts and to the API keys' projects (one project per key), for every model; --quotas sets the simulator-wide
 * limits per model (SimulatorOptions.quotas), e.g. --quotas '{"gemini-2.5-flash":{"rpm":5,"rpd":100,"tpm":20000}}'.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { quotasSchema } from './control.js';
import { startSimulator } from './server.js';
import { createAccount } from './state.js';
import type { SimAccountInput, SimApiKeyInput, SimQuotas } from './types.js';

const USAGE = `usage: simulator [--host 127.0.0.1] [--port 0] [--accounts 3] [--api-keys 0] [--latency-ms 0] [--stream-events 3]
                 [--stream-interval-ms 0] [--rpm N] [--rpd N] [--quotas '{"<model>|*":{"rpm":N,"rpd":N,"tpm":N}}']
                 [--rate-window-ms 60000] [--token-ttl-sec 3599]`;

function num(values: Record<string, string | boolean | undefined>, key: string): number | undefined {
  const raw = values[key];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`--${key} must be a number, got ${raw}`);
  return n;
}

function quotasOf(raw: string | undefined): SimQuotas | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`--quotas must be JSON, got ${raw}`);
  }
  const parsed = quotasSchema.safeParse(value);
  if (!parsed.success) throw new Error(`--quotas: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data as SimQuotas;
}

/** A stable 39-character key in the shape of Google's (`AIza` + 35), so log redaction treats it like one. */
function simKey(n: number): string {
  return `AIzaSySim${createHash('sha256').update(`sim-api-key-${n}`).digest('base64url').slice(0, 30)}`;
}

async function main(): Promise<void> {
  const option = { type: 'string' } as const;
  const { values } = parseArgs({
    options: {
      host: option,
      port: option,
      accounts: option,
      'api-keys': option,
      'latency-ms': option,
      'stream-events': option,
      'stream-interval-ms': option,
      rpm: option,
      rpd: option,
      quotas: option,
      'rate-window-ms': option,
      'token-ttl-sec': option,
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const rpm = num(values, 'rpm');
  const rpd = num(values, 'rpd');
  const accounts: SimAccountInput[] = Array.from({ length: num(values, 'accounts') ?? 3 }, (_, i) => ({
    email: `sim-user-${i + 1}@example.com`,
    ...(rpm !== undefined ? { rpm } : {}),
    ...(rpd !== undefined ? { rpd } : {}),
  }));
  const apiKeys: SimApiKeyInput[] = Array.from({ length: num(values, 'api-keys') ?? 0 }, (_, i) => ({
    key: simKey(i + 1),
    projectId: `sim-key-project-${i + 1}`,
    ...(rpm !== undefined ? { rpm } : {}),
    ...(rpd !== undefined ? { rpd } : {}),
  }));
  const port = num(values, 'port');
  const latencyMs = num(values, 'latency-ms');
  const streamEvents = num(values, 'stream-events');
  const streamIntervalMs = num(values, 'stream-interval-ms');
  const rateWindowMs = num(values, 'rate-window-ms');
  const accessTokenTtlSec = num(values, 'token-ttl-sec');
  const quotas = quotasOf(values.quotas);
  const sim = await startSimulator({
    accounts,
    apiKeys,
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(streamEvents !== undefined ? { streamEvents } : {}),
    ...(streamIntervalMs !== undefined ? { streamIntervalMs } : {}),
    ...(rateWindowMs !== undefined ? { rateWindowMs } : {}),
    ...(accessTokenTtlSec !== undefined ? { accessTokenTtlSec } : {}),
    ...(quotas !== undefined ? { quotas } : {}),
  });
  process.stdout.write(
    `${JSON.stringify({
      url: sim.url,
      codeAssistEndpoint: sim.codeAssistEndpoint,
      tokenUrl: sim.tokenUrl,
      authUrl: sim.authUrl,
      userinfoUrl: sim.userinfoUrl,
      geminiApiBaseUrl: sim.geminiApiBaseUrl,
      accounts: accounts.map(createAccount).map((a) => ({ email: a.email, refreshToken: a.refreshToken, projectId: a.projectId })),
      apiKeys: apiKeys.map((k) => ({ key: k.key, projectId: k.projectId })),
      ...(quotas !== undefined ? { quotas } : {}),
    })}\n`,
  );
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exit(1);
});
