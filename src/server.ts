/**
 * Composition root for serve mode: builds credentials, pool, upstream, gateway and the express app from a
 * Config, and listens. main.ts (the CLI) and the tests both start Rotor through startServer().
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/config.js';
import { ensureProject, loadCredentials, startBackgroundRefresh, type CredentialsOptions, type OAuthCredential } from './credentials/index.js';
import { createGateway, Member, type Gateway } from './gateway/gateway.js';
import { createApp } from './http/app.js';
import { CredentialPool } from './pool/pool.js';
import { systemClock, type Clock } from './pool/types.js';
import { createCodeAssistClient } from './upstream/code-assist/client.js';
import type { Logger } from './util/log.js';

export const VERSION = '0.1.0';

export interface StartOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** Tests shorten these. */
  refreshIntervalMs?: number;
  onboardPollIntervalMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  gateway: Gateway;
  credentials: () => OAuthCredential[];
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  if (config.password) logger.addSecret(config.password);

  const credOptions: CredentialsOptions = {
    storagePath: config.storagePath,
    credentialsJsonList: config.credentialsJsonList,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    tokenUrlOverride: config.oauthTokenUrlOverride,
    codeAssistEndpoint: config.codeAssistEndpoint,
    logger,
    onboardPollIntervalMs: options.onboardPollIntervalMs,
  };
  const loaded = await loadCredentials(credOptions);
  for (const e of loaded.errors) logger.warn(`credential ${e.source} not loaded: ${e.reason}`);
  logger.info(
    `loaded ${loaded.credentials.length} credential(s) from ${loaded.mode === 'env' ? 'CREDENTIALS_JSON_LIST' : config.storagePath}` +
      (loaded.errors.length ? `, ${loaded.errors.length} skipped` : ''),
  );

  const pool = new CredentialPool<Member>({ clock, transientMaxMs: config.defaultCooldownMs });
  for (const c of loaded.credentials) pool.upsert(new Member(c));

  const upstream = createCodeAssistClient({
    endpoint: config.codeAssistEndpoint,
    timeoutMs: config.upstreamTimeoutMs,
    defaultRateCooldownMs: config.defaultCooldownMs,
    userAgent: `GeminiCLI-rotor/${VERSION}`,
    now: () => clock.now(),
  });
  const gateway = createGateway({
    pool,
    upstream,
    maxAttempts: config.maxAttempts,
    logger,
    ensureProject: (cred) => ensureProject(cred as OAuthCredential, credOptions),
  });
  const credentials = () => pool.list().map((m) => m.credential as OAuthCredential);
  const refresher = startBackgroundRefresh(credentials, { logger, intervalMs: options.refreshIntervalMs });

  const app = createApp({
    gateway,
    logger,
    password: config.password,
    models: config.models,
    maxBodyBytes: config.maxBodyBytes,
    loadErrors: () => loaded.errors,
  });
  const server = createServer(app);
  // Streams can be long; Node's default request timeout (5 min) would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (graceMs = 30_000) =>
    (closing ??= (async () => {
      refresher.stop();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      timer.unref();
      await done;
      clearTimeout(timer);
      await upstream.close();
    })());

  return { url, port, server, gateway, credentials, close };
}
