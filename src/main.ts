/**
 * The `rotor` command: parse argv, load .env and the config, start a mode.
 *   rotor              serve the API (default)
 *   rotor demo         Rotor against its built-in Google simulator
 *   rotor --gen-creds  the "Login with Google" page that adds accounts
 *   rotor --expose     serve, and publish through a Cloudflare quick tunnel (cloudflared)
 *   rotor import FILE  copy existing gemini-cli / authorized_user credentials into the pool
 *   rotor tokens …     create, list, revoke and watch access tokens
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { isLoopbackHost, loadConfig, publicWithoutAccess, type Config } from './config/config.js';
import { startServer, VERSION } from './cli/serve.js';
import { createLogger, flushLogs, levelFromEnv, type Logger } from './util/log.js';
// The other modes (demo, --gen-creds, import, tokens) are imported when chosen: serving never loads the
// simulator, express or the login pages (about 10 MB of memory and a slower start).
import { CLOUDFLARED_INSTALL, expose, ExposeError, findExecutable, tokensViaAdminApi, type Tunnel } from './cli/expose.js';

const USAGE = `rotor ${VERSION}: one endpoint for a pool of Google Gemini credentials

Usage:
  rotor                 serve the OpenAI (/v1) and Gemini (/v1beta) APIs on HOST:PORT
  rotor --expose        the same, plus a public https URL through a Cloudflare quick tunnel
                        (needs cloudflared on PATH, and GEMINI_AUTH_PASSWORD or an access token)
  rotor demo            run against the built-in Google simulator (no account needed)
  rotor --gen-creds     open the "Login with Google" page on PORT to add accounts
  rotor import [--project ID] FILE...
                        add existing gemini-cli oauth_creds.json / authorized_user files (or JSON lists)
  rotor tokens create --name NAME [--rpm N] [--rpd N] [--daily-tokens N] [--models a,b] [--expires 30d]
  rotor tokens list | revoke NAME | watch
                        access tokens for clients, with limits (rotor tokens --help)
  rotor --help          this text

Configuration comes from the environment and a .env file; see .env.example.`;

async function main(argv: string[]): Promise<void> {
  // Its own flags (--name, --rpm…): parsed by the subcommand, strictly.
  if (argv[0] === 'tokens') {
    dotenv.config({ quiet: true });
    const { runTokens } = await import('./cli/tokens.js');
    process.exit(await runTokens(argv.slice(1), configOrExit));
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      'gen-creds': { type: 'boolean' },
      expose: { type: 'boolean' },
      project: { type: 'string' },
    },
  });
  if (values.help) return void process.stdout.write(USAGE + '\n');
  if (values.version) return void process.stdout.write(VERSION + '\n');

  dotenv.config({ quiet: true });
  const command = positionals[0] ?? 'serve';
  const logger = createLogger({ level: levelFromEnv(process.env), ...logFormat(process.env) });
  if (command === 'demo') return (await import('./cli/demo.js')).runDemo(process.env, logger);
  if (values['gen-creds'] === true) return (await import('./cli/login.js')).runLogin(configOrExit(), logger);
  if (command === 'import') {
    const { IMPORT_USAGE, runImport } = await import('./cli/import.js');
    if (values.project === true) return usageError('--project needs a value', IMPORT_USAGE);
    const project = typeof values.project === 'string' ? values.project : undefined;
    const code = await runImport(configOrExit(), logger, { files: positionals.slice(1), project });
    process.exit(code);
  }
  if (command !== 'serve') {
    say(`rotor: unknown command "${command}"\n\n${USAGE}\n`);
    process.exit(2);
  }
  await serve(logger, values.expose === true);
}

/** LOG_FORMAT=json|pretty; default: pretty on a terminal, JSON otherwise. */
function logFormat(env: NodeJS.ProcessEnv): { format?: 'json' | 'pretty' } {
  const f = env.LOG_FORMAT?.trim().toLowerCase();
  return f === 'json' || f === 'pretty' ? { format: f } : {};
}

function configOrExit(): Config {
  const result = loadConfig(process.env);
  if (result.ok) return result.config;
  for (const line of result.errors) say(`rotor: configuration error: ${line}\n`);
  process.exit(2);
}

function usageError(message: string, usage: string): never {
  say(`rotor: ${message}\n${usage}\n`);
  process.exit(2);
}

async function serve(bootLogger: Logger, exposeFlag: boolean): Promise<void> {
  const config = configOrExit();
  const logger = bootLogger;
  const exposing = exposeFlag || config.expose;
  if (exposing && !findExecutable('cloudflared', process.env.PATH)) {
    say(`rotor --expose: ${CLOUDFLARED_INSTALL}\n`);
    process.exit(2);
  }
  const server = await startServer({ config, logger });
  if (!config.password && !isLoopbackHost(config.host)) {
    // Tokens live in the state store, so this is known only now. Until the refusal, other machines were
    // refused anyway (a password-less API serves them only with a token).
    if (server.tokens.size === 0) {
      say(`rotor: configuration error: ${publicWithoutAccess(config.host)}\n`);
      await server.close(1000);
      process.exit(2);
    }
    logger.info(`GEMINI_AUTH_PASSWORD is not set: other machines are served only with an access token (${server.tokens.size} exist)`);
  } else if (!config.password && !exposing) {
    logger.warn('GEMINI_AUTH_PASSWORD is not set: the API is open to anyone who can reach this loopback address');
  }
  logger.info(`rotor ${VERSION} listening on ${server.url} (OpenAI: ${server.url}/v1, Gemini: ${server.url}/v1beta)`);
  flushLogs(); // people and scripts wait for this line: not a batch later

  let tunnel: Tunnel | undefined;
  if (exposing) {
    try {
      tunnel = await expose({
        address: server.server.address() as AddressInfo,
        password: config.password !== undefined,
        adminPassword: config.adminPassword !== undefined,
        hasTokens: () => tokensViaAdminApi(server.url, config.adminPassword),
        logger,
        env: process.env,
      });
    } catch (err) {
      if (!(err instanceof ExposeError)) throw err;
      say(`rotor --expose: ${err.message}\n`);
      await server.close(1000);
      process.exit(err.reason === 'tunnel' ? 1 : 2);
    }
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: finishing in-flight requests, then exiting`);
    // The public URL goes first, so nothing new arrives through it while in-flight requests finish.
    void (tunnel?.stop() ?? Promise.resolve())
      .then(() => server.close(config.shutdownGraceMs))
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

process.on('unhandledRejection', (err) => {
  say(`rotor: unhandled rejection: ${err instanceof Error ? err.stack : String(err)}\n`);
});

main(process.argv.slice(2)).catch((err: unknown) => {
  say(`rotor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/** Rotor's own lines on stderr (usage, configuration errors, a fatal error), after the log lines before them. */
function say(text: string): void {
  flushLogs();
  process.stderr.write(text);
}
