/**
 * Composition root for serve mode: builds credentials, pool, upstream, gateway and the express app from a
 * Config, and listens. main.ts (the CLI) and the tests both start Rotor through startServer().
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/config.js';
import {
  ensureProject,
  loadApiKeys,
  loadCredentials,
  startBackgroundRefresh,
  watchCredentialFolder,
  type CredentialsOptions,
  type FolderWatch,
  type OAuthCredential,
} from './credentials/index.js';
import { createGateway, Member, type Gateway } from './gateway/gateway.js';
import { createRequestHandler } from './http/app.js';
import { createSignatureCache } from './gateway/signature-cache.js';
import { createMediaFetcher } from './media/fetch-media.js';
import { CredentialPool } from './pool/pool.js';
import { systemClock, type Clock } from './pool/types.js';
import { createCodeAssistClient } from './upstream/code-assist/client.js';
import { createGeminiApiClient } from './upstream/gemini-api/client.js';
import type { Logger } from './util/log.js';
import { openStateFile } from './store/state-file.js';
import { join } from 'node:path';
import { markDraining } from './util/draining.js';

export const VERSION = '0.1.0';

/** Cooldowns and disables, kept beside the credential files. */
export const STATE_FILE = 'rotor-state.json';

export interface StartOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** Tests shorten these. */
  refreshIntervalMs?: number;
  onboardPollIntervalMs?: number;
  watchDebounceMs?: number;
  stateIntervalMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  gateway: Gateway;
  credentials: () => OAuthCredential[];
  /** Re-reads the credential folder now (also happens on its own when files change). */
  rescanCredentials(): Promise<void>;
  /** Writes the cooldown state file now, if anything changed (also happens every few seconds and on close). */
  flushState(): Promise<void>;
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
    requestTimeoutMs: config.upstreamTimeoutMs,
  };
  const loaded = await loadCredentials(credOptions);
  const apiKeys = await loadApiKeys({
    envKeys: config.geminiApiKeys,
    jsonListEntries: loaded.apiKeyEntries,
    storagePath: loaded.mode === 'files' ? config.storagePath : undefined,
    logger,
  });
  for (const e of apiKeys.errors) logger.warn(`API key ${e.source} not loaded: ${e.reason}`);
  if (apiKeys.keys.length) logger.info(`loaded ${apiKeys.keys.length} Gemini API key(s)`);
  const loadErrors = [...loaded.errors, ...apiKeys.errors];

  const pool = new CredentialPool<Member>({ clock, transientMaxMs: config.defaultCooldownMs });
  for (const c of loaded.credentials) pool.upsert(new Member(c));
  for (const k of apiKeys.keys) pool.upsert(new Member(k));
  const state = await openStateFile({ path: join(config.storagePath, STATE_FILE), pool, logger, intervalMs: options.stateIntervalMs });

  const upstream = createCodeAssistClient({
    endpoint: config.codeAssistEndpoint,
    timeoutMs: config.upstreamTimeoutMs,
    defaultRateCooldownMs: config.defaultCooldownMs,
    userAgent: `GeminiCLI-rotor/${VERSION}`,
    now: () => clock.now(),
  });
  const geminiApi = createGeminiApiClient({
    baseUrl: config.geminiApiBaseUrl,
    timeoutMs: config.upstreamTimeoutMs,
    defaultRateCooldownMs: config.defaultCooldownMs,
    now: () => clock.now(),
  });
  const gateway = createGateway({
    pool,
    upstreams: { 'code-assist': upstream, 'gemini-api': geminiApi },
    maxAttempts: config.maxAttempts,
    timeoutMs: config.upstreamTimeoutMs,
    fallbacks: config.modelFallbacks,
    logger,
    ensureProject: (cred) => ensureProject(cred as OAuthCredential, credOptions),
  });
  // The OAuth credentials (API keys need no refresh and have no files to watch).
  const credentials = () => pool.list().flatMap((m) => (m.route === 'code-assist' ? [m.credential as OAuthCredential] : []));
  const refresher = startBackgroundRefresh(credentials, { logger, intervalMs: options.refreshIntervalMs });
  const watcher: FolderWatch | undefined =
    loaded.mode === 'files'
      ? watchCredentialFolder(
          credOptions,
          (id) => {
            const m = pool.get(id);
            return m?.route === 'code-assist' ? (m.credential as OAuthCredential) : undefined;
          },
          {
            upsert(cred, isNew) {
              pool.upsert(new Member(cred));
              removeLoadError(loadErrors, cred.id);
              logger.info(`credential ${cred.id} ${isNew ? 'added' : 'changed on disk'}; now serving it`);
            },
            remove(id) {
              pool.remove(id);
              logger.info(`credential ${id} is no longer served (its file was deleted or now duplicates another)`);
            },
            error(file, reason) {
              removeLoadError(loadErrors, file);
              loadErrors.push({ source: file, reason });
              logger.warn(`credential ${file} not loaded: ${reason}`);
            },
            resolved(file) {
              removeLoadError(loadErrors, file);
            },
          },
          // Seeded with what the loader read, so only files that differ from that are read again.
          { debounceMs: options.watchDebounceMs, initial: loaded.files },
        )
      : undefined;

  const signatures = createSignatureCache();
  const media = createMediaFetcher(config.mediaFetch);
  const app = createRequestHandler({
    signatures,
    media,
    gateway,
    logger,
    password: config.password,
    models: config.models,
    maxBodyBytes: config.maxBodyBytes,
    loadErrors: () => loadErrors,
  });
  // Shutting down (markDraining): every answer Rotor writes from then on says Connection: close.
  const server = createServer(app);
  // requestTimeout bounds receiving the request (not streaming the answer): a client trickling its body
  // must not hold a connection for ever.
  server.requestTimeout = 120_000;
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
      markDraining(server);
      refresher.stop();
      watcher?.close();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections that finish their last response become idle later; close those as they appear.
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 50);
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      timer.unref();
      await done;
      clearInterval(sweeper);
      clearTimeout(timer);
      await state.close(); // after the last in-flight request has had its say
      await upstream.close();
      await geminiApi.close();
      await media.close();
    })());

  const rescanCredentials = async () => watcher?.rescan();
  return { url, port, server, gateway, credentials, rescanCredentials, flushState: () => state.flush(), close };
}

function removeLoadError(errors: Array<{ source: string }>, source: string): void {
  const i = errors.findIndex((e) => e.source === source);
  if (i >= 0) errors.splice(i, 1);
}
