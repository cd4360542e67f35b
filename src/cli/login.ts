/**
 * `rotor --gen-creds`: the login mode. Serves the "Login with Google" page on PORT, on loopback unless
 * DOMAIN_NAME is public and GEMINI_AUTH_PASSWORD is set. Google redirects back to
 * `{DOMAIN_NAME}/oauth2callback`; for a loopback DOMAIN_NAME whose port differs from the one actually
 * listened on (PORT changed, or PORT=0), the real port is used so the redirect lands here.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GEMINI_CLI_CLIENT_ID, isLoopbackHost, type Config } from '../config/config.js';
import { isEnvListSet } from '../credentials/index.js';
import { createLoginApp, type LoginAppDeps } from '../http/pages/login-app.js';
import { createLoginFlow } from '../login/index.js';
import type { Logger } from '../util/log.js';

export interface LoginServerOptions extends Pick<LoginAppDeps, 'passwordAttempts' | 'wrongPasswordDelayMs' | 'sessionStore'> {
  /** Tests shorten onboarding polls (default 5 s, like gemini-cli). */
  onboardPollIntervalMs?: number;
  onboardTimeoutMs?: number;
  /** Bound on each call to Google during a login (code exchange, userinfo, Code Assist); default 30 s. */
  requestTimeoutMs?: number;
}

export interface LoginServer {
  /** The page to open, e.g. http://localhost:7860 (no trailing slash). */
  url: string;
  redirectUri: string;
  /** The port actually listened on. */
  port: number;
  close(): Promise<void>;
}

const defaultPort = (u: URL): string => u.port || (u.protocol === 'https:' ? '443' : '80');

export async function startLoginServer(config: Config, logger: Logger, options: LoginServerOptions = {}): Promise<LoginServer> {
  const domain = new URL(config.domainName);
  const publicDomain = !isLoopbackHost(domain.hostname);
  const publicMode = publicDomain && config.password !== undefined;
  if (config.password) logger.addSecret(config.password);
  if (publicDomain && !publicMode) {
    logger.warn(`DOMAIN_NAME ${domain.origin} is public but GEMINI_AUTH_PASSWORD is not set: the login page listens on loopback only`);
  }
  if (publicDomain && config.clientId === GEMINI_CLI_CLIENT_ID) {
    // gemini-cli's client is a desktop ("installed app") client: Google redirects it only to loopback addresses.
    logger.warn(`Google will refuse the redirect to ${domain.origin}/oauth2callback for gemini-cli's built-in OAuth client; set CLIENT_ID/CLIENT_SECRET of your own web client that allows it, or keep DOMAIN_NAME on localhost and use an SSH tunnel or the paste flow`);
  }
  const host = publicMode || isLoopbackHost(config.host) ? config.host : '127.0.0.1';
  if (host !== config.host) logger.warn(`login mode listens on ${host}, not HOST=${config.host}: it only opens to the network with a public DOMAIN_NAME and a password`);

  const server = createServer();
  server.headersTimeout = 30_000;
  server.requestTimeout = 5 * 60_000; // onboarding may poll for a while
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const base = new URL(domain.origin);
  if (!publicDomain && defaultPort(base) !== String(port)) {
    base.port = String(port);
    logger.info(`DOMAIN_NAME ${domain.origin} does not name port ${port}; using ${base.origin} for the OAuth redirect`);
  }
  const baseUrl = publicDomain ? config.domainName : base.origin;
  const redirectUri = `${baseUrl}/oauth2callback`;

  const flow = createLoginFlow({
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    authUrl: config.oauthAuthUrl,
    tokenUrl: config.oauthTokenUrl,
    userinfoUrl: config.userinfoUrl,
    redirectUri,
    storagePath: config.storagePath,
    codeAssistEndpoint: config.codeAssistEndpoint,
    logger,
    onboardPollIntervalMs: options.onboardPollIntervalMs,
    onboardTimeoutMs: options.onboardTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  const app = createLoginApp({
    flow,
    logger,
    password: config.password,
    sessionSecret: config.sessionSecret ?? randomBytes(32).toString('hex'),
    baseUrl,
    publicMode,
    authOrigin: new URL(config.oauthAuthUrl).origin,
    storagePath: config.storagePath,
    envListActive: isEnvListSet(config.credentialsJsonList),
    passwordAttempts: options.passwordAttempts,
    wrongPasswordDelayMs: options.wrongPasswordDelayMs,
    sessionStore: options.sessionStore,
  });
  server.on('request', app);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  return { url: baseUrl, redirectUri, port, close };
}

/** Runs login mode until SIGINT/SIGTERM. */
export async function runLogin(config: Config, logger: Logger): Promise<void> {
  const login = await startLoginServer(config, logger);
  process.stdout.write(
    [
      '',
      `Rotor login: open ${login.url}/ in a browser and click "Login with Google" for each account.`,
      `  credential files go to ${config.storagePath}; a running "rotor" picks them up by itself.`,
      `  Google redirects to ${login.redirectUri}; on a machine without a browser use "paste the redirect URL".`,
      config.password ? '  the page asks for GEMINI_AUTH_PASSWORD.' : '',
      'Press Ctrl+C to stop.',
      '',
    ]
      .filter((l, i, all) => l !== '' || i === 0 || i === all.length - 1)
      .join('\n'),
  );
  const stop = () => void login.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
