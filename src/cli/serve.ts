/**
 * Serve mode: builds the parts from a Config — transport, upstream registry, credentials, state store, pool,
 * dispatcher, the API chain — and listens. main.ts (the CLI) and the tests both start Rotor through startServer().
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config, RotationStrategy } from '../config/config.js';
import {
  ensureProject,
  loadApiKeys,
  loadCredentials,
  startBackgroundRefresh,
  watchCredentialFolder,
  type CredentialsOptions,
  type FolderWatch,
  type OAuthCredential,
} from '../credentials/index.js';
import { projectDiscoveryFailure } from '../credentials/ensure-project.js';
import { createDispatcher, type Dispatcher } from '../dispatch/dispatcher.js';
import { DispatchEvents } from '../dispatch/events.js';
import { Member, type DispatchCredential } from '../dispatch/member.js';
import { createAccessCheck } from '../http/access.js';
import { createAdminCheck } from '../http/admin-access.js';
import { createChain } from '../http/chain.js';
import { DashboardLive } from '../http/dashboard/live.js';
import { AdminSessions } from '../http/dashboard/sessions.js';
import { API_PREFIXES, apiRoutes, dialectForPath } from '../http/routes.js';
import { createMediaFetcher } from '../media/fetch-media.js';
import type { PasswordAttemptOptions } from '../login/password-attempts.js';
import { CredentialPool, type PoolOptions } from '../pool/pool.js';
import { QuotaBook } from '../pool/quota.js';
import { createFillFirstSelector } from '../pool/selector.js';
import { WaitQueue } from '../dispatch/queue.js';
import { createAffinity } from '../dispatch/affinity.js';
import { systemClock, type Clock } from '../pool/types.js';
import { openStateStore } from '../store/open.js';
import { createSignatureCache } from '../store/signature-cache.js';
import type { StateStore } from '../store/types.js';
import { codeAssistRoute } from '../upstream/code-assist/route.js';
import { createCodeAssistClient } from '../upstream/code-assist/client.js';
import { geminiApiRoute } from '../upstream/gemini-api/route.js';
import { createGeminiApiClient } from '../upstream/gemini-api/client.js';
import { createRegistry, type Registry } from '../upstream/registry.js';
import { createTransport } from '../upstream/transport.js';
import { markDraining } from '../util/draining.js';
import { tokenList, TokenService } from '../tokens/service.js';
import { UsageRecorder } from '../observe/usage.js';
import { knownModels, RotorMetrics } from '../observe/metrics.js';
import { createMetricsHandler } from '../observe/metrics-http.js';
import type { Logger } from '../util/log.js';

export const VERSION = '0.1.0';

/** Cooldowns, disables, usage and durable records, kept beside the credential files (without REDIS_URL). */
export { STATE_FILE } from '../store/open.js';

export interface StartOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** Tests shorten these. */
  refreshIntervalMs?: number;
  onboardPollIntervalMs?: number;
  watchDebounceMs?: number;
  stateIntervalMs?: number;
  /** How often the dashboard sends a snapshot while a page watches (default 5 s). */
  dashboardIntervalMs?: number;
  /** The dashboard login's wrong-password budget per client and pause after each wrong one (tests shorten them). */
  adminLogin?: { attempts?: PasswordAttemptOptions; wrongPasswordDelayMs?: number };
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  dispatcher: Dispatcher;
  pool: CredentialPool<Member>;
  quota: QuotaBook;
  queue: WaitQueue;
  events: DispatchEvents;
  /** What GET /metrics shows. */
  metrics: RotorMetrics;
  /** The dashboard's live side (requests per minute, recent errors, SSE watchers). */
  dashboard: DashboardLive;
  store: StateStore;
  registry: Registry;
  /** Access tokens (their mirror of the store, limits, create and revoke). */
  tokens: TokenService;
  /** Usage counters (written to the store once a second). */
  usage: UsageRecorder;
  credentials: () => OAuthCredential[];
  /** Re-reads the credential folder now (also happens on its own when files change). */
  rescanCredentials(): Promise<void>;
  /** Writes the state snapshot now, if anything changed (also happens every few seconds and on close). */
  flushState(): Promise<void>;
  /** Why the state snapshot cannot be written now, if it cannot. */
  stateError(): string | undefined;
  /** Resolves once no API request's handler is running (one whose client left may run on a moment). */
  idle(): Promise<void>;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  if (config.password) logger.addSecret(config.password);
  if (config.adminPassword) logger.addSecret(config.adminPassword);
  if (config.metricsToken) logger.addSecret(config.metricsToken);

  const transport = createTransport({ timeoutMs: config.upstreamTimeoutMs, defaultRateCooldownMs: config.defaultCooldownMs, now: () => clock.now() });
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
    transport,
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

  const registry = createRegistry([
    codeAssistRoute({
      client: createCodeAssistClient({ endpoint: config.codeAssistEndpoint, transport, timeoutMs: config.upstreamTimeoutMs, userAgent: `GeminiCLI-rotor/${VERSION}` }),
      ensureProject: (cred) => ensureProject(cred as OAuthCredential, credOptions).catch((err: unknown) => Promise.reject(projectDiscoveryFailure(err))),
    }),
    geminiApiRoute({ client: createGeminiApiClient({ baseUrl: config.geminiApiBaseUrl, transport, timeoutMs: config.upstreamTimeoutMs }) }),
  ]);
  const member = (cred: DispatchCredential) => new Member(cred, registry.get(cred.route));

  // REDIS_URL: shared with every instance (serving from memory while Redis is away); else memory + snapshot.
  const state = await openStateStore(config, logger, clock, { stateIntervalMs: options.stateIntervalMs, usageRetentionDays: config.usageRetentionDays });
  const store = state.store;
  const quota = new QuotaBook({
    store,
    clock,
    config: config.quotas,
    minuteMs: config.quotaWindowMs,
    marginMs: config.quotaMarginMs,
    dayResetAt: (route, now) => registry.get(route).dayResetAt(now),
    optimistic: config.redisUrl !== undefined,
  });
  await quota.load();
  const pool = new CredentialPool<Member>({
    clock,
    store,
    transientMaxMs: config.defaultCooldownMs,
    ...strategy(config.rotationStrategy, quota),
  });
  for (const c of loaded.credentials) pool.upsert(member(c));
  for (const k of apiKeys.keys) pool.upsert(member(k));
  await pool.load();
  const queue = new WaitQueue({ maxWaitMs: config.queue.maxWaitMs, maxLength: config.queue.maxLength, now: () => clock.now() });

  const events = new DispatchEvents();
  const dispatcher = createDispatcher({
    pool,
    events,
    maxAttempts: config.maxAttempts,
    timeoutMs: config.upstreamTimeoutMs,
    fallbacks: config.modelFallbacks,
    logger,
    now: () => clock.now(),
    quota,
    queue,
    affinity: createAffinity(store),
  });
  // Usage per day, token, credential, bucket and model, from the dispatch events; access tokens from the store.
  const usage = new UsageRecorder({ store, events, bucketOf: (id) => pool.get(id)?.quotaKey, now: () => clock.now(), retentionDays: config.usageRetentionDays, logger });
  const tokens = await TokenService.open({
    store,
    now: () => clock.now(),
    logger,
    // A token created or revoked is on disk at once (memory store), not at the next snapshot.
    persist: () => state.flush(),
    onRefusal: (token, model, status) => usage.record({ token, model }, { requests: 1, [`errors_${status}`]: 1 }),
  });
  if (tokens.size > 0) logger.info(`${tokens.size} access token(s) loaded`);

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
              pool.upsert(member(cred));
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

  const media = createMediaFetcher(config.mediaFetch);
  const metrics = new RotorMetrics({ events, pool, quota, queue, store, models: knownModels(config) });
  // The dashboard: live snapshots over SSE, and with ADMIN_PASSWORD its login sessions.
  const dashboard = new DashboardLive({
    pool,
    quota,
    queue,
    store,
    clock,
    events,
    models: config.models,
    loadErrors: () => loadErrors,
    redact: (text) => logger.redact(text),
    // The access tokens with today's usage: GET /admin/tokens' rows.
    listTokens: async () => {
      const day = new Date(clock.now()).toISOString().slice(0, 10);
      return tokenList(tokens, await usage.rows(day, day));
    },
    intervalMs: options.dashboardIntervalMs,
  });
  const sessions = config.adminPassword === undefined ? undefined : new AdminSessions({ now: () => clock.now() });
  const adminAccess = createAdminCheck({ password: config.adminPassword, sessionOk: sessions?.sessionOk, csrfOk: sessions?.csrfOk });
  const handler = createChain({
    routes: apiRoutes({
      dispatcher,
      media,
      signatures: createSignatureCache(store),
      logger,
      debugPrompts: config.redactLogs ? 'hidden' : 'shown',
      store,
      models: config.models,
      modelAliases: config.modelAliases,
      responsesTtlMs: config.responsesTtlMs,
      responsesMaxStoredBytes: config.responsesMaxStoredBytes,
      loadErrors: () => loadErrors,
      redact: (text) => logger.redact(text),
      quota,
      queue,
      tokens,
      tokenAdmin: { tokens, usage, now: () => clock.now() },
      metrics: createMetricsHandler({ metrics, token: config.metricsToken, adminAccess }),
      dashboard: {
        live: dashboard,
        pool,
        adminCheck: adminAccess,
        sessions,
        password: config.adminPassword,
        logger,
        version: VERSION,
        loginAttempts: options.adminLogin?.attempts,
        wrongPasswordDelayMs: options.adminLogin?.wrongPasswordDelayMs,
      },
    }),
    access: createAccessCheck({ password: config.password, tokens }),
    adminAccess,
    maxBodyBytes: config.maxBodyBytes,
    logger,
    dialectFor: dialectForPath,
    apiPrefixes: API_PREFIXES,
    onRequestEnd: (r, end) => metrics.requestEnd(r, end),
  });
  const server = createServer(handler);
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
      // One grace period for the whole stop, requests and write-backs together (a supervisor kills after it).
      const deadline = Date.now() + graceMs;
      // Shutting down: every answer Rotor writes from now on says Connection: close.
      markDraining(server);
      dashboard.close(); // ends the dashboards' SSE streams, which would otherwise hold the server open
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
      // Handlers whose clients left end when they notice; a token refreshed during the last requests is written
      // back. Both before Rotor stops, within the grace period.
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([handler.idle(), ...credentials().map((c) => c.settled())]),
        new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())),
      ]);
      clearTimeout(graceTimer);
      metrics.close();
      pool.close();
      quota.close();
      tokens.close();
      await usage.close(); // the last counts, before the store's last write
      await state.close(); // the snapshot's last write: after the last in-flight request has had its say
      await transport.close();
      await media.close();
    })());

  return {
    url,
    port,
    server,
    dispatcher,
    pool,
    quota,
    queue,
    events,
    metrics,
    dashboard,
    store,
    registry,
    tokens,
    usage,
    credentials,
    rescanCredentials: async () => watcher?.rescan(),
    flushState: () => state.flush(),
    stateError: () => state.stateError(),
    idle: () => handler.idle(),
    close,
  };
}

/** ROTATION_STRATEGY → how the pool orders the members free for a model. */
function strategy(name: RotationStrategy, quota: QuotaBook): Pick<PoolOptions<Member>, 'selector' | 'score'> {
  switch (name) {
    case 'round-robin':
      return {};
    case 'fill-first':
      return { selector: createFillFirstSelector() };
    case 'least-used':
      return { score: (m, model) => -quota.usedToday(m, model) };
    case 'headroom':
      return { score: (m, model) => quota.headroom(m, model) };
  }
}

function removeLoadError(errors: Array<{ source: string }>, source: string): void {
  const i = errors.findIndex((e) => e.source === source);
  if (i >= 0) errors.splice(i, 1);
}
