/**
 * createLoginApp(deps): the express app of login mode (`rotor --gen-creds`). Sessions hold the started
 * logins (state + PKCE verifier) in memory, behind an httpOnly SameSite=Lax cookie. With a password, every
 * page asks for it first; without public mode, only loopback clients with a loopback Host get in.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLoopbackHost } from '../../config/config.js';
import type { LoginFlow } from '../../login/index.js';
import { clientKey, createPasswordAttempts, type PasswordAttemptOptions } from '../../login/password-attempts.js';
import type { Logger } from '../../util/log.js';
import { secretMatcher } from '../../util/secrets.js';
import { renderErrorPage } from '../../views/result-pages.js';
import { renderPasswordPage } from '../../views/password-page.js';
import { loginRoutes } from './login-routes.js';
import { BoundedMemoryStore } from './session-store.js';

export interface LoginAppDeps {
  flow: LoginFlow;
  logger: Logger;
  /** GEMINI_AUTH_PASSWORD; when set, every page asks for it. */
  password: string | undefined;
  sessionSecret: string;
  /** The origin users open (DOMAIN_NAME, or its loopback form with the real port). */
  baseUrl: string;
  /** DOMAIN_NAME is public and a password is set: accept non-loopback clients. */
  publicMode: boolean;
  /** The authorization endpoint's origin, allowed as a form-action redirect target. */
  authOrigin: string;
  storagePath: string;
  envListActive: boolean;
  /** The wrong-password budget per client (default 10 per 15 minutes); tests inject a clock. */
  passwordAttempts?: PasswordAttemptOptions | undefined;
  /** Pause after each wrong password (default 400 ms). */
  wrongPasswordDelayMs?: number | undefined;
  /** Default: a BoundedMemoryStore of 1,000 sessions; tests pass one to watch its size. */
  sessionStore?: session.Store | undefined;
}

const SESSION_MS = 30 * 60_000;

function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && isLoopbackHost(address.replace(/^::ffff:/, ''));
}

function hostnameOf(hostHeader: string | undefined): string | undefined {
  try {
    return new URL(`http://${hostHeader ?? ''}`).hostname;
  } catch {
    return undefined;
  }
}

/** Only same-site relative paths, so `next` can never send the browser elsewhere. */
const localPath = (v: unknown): string => (typeof v === 'string' && /^\/(?![/\\])/.test(v) ? v : '/');

export function createLoginApp(deps: LoginAppDeps): express.Express {
  const app = express();
  const base = new URL(deps.baseUrl);
  const https = base.protocol === 'https:';
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    res.set({
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      // Chrome applies form-action to the redirect after POST /start, so Google's origin must be allowed.
      'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' ${deps.authOrigin}; frame-ancestors 'none'; base-uri 'none'`,
    });
    deps.logger.debug(`login: ${req.method} ${req.path}`);
    next();
  });

  if (!deps.publicMode) {
    app.use((req, res, next) => {
      const hostname = hostnameOf(req.headers.host);
      // A non-loopback Host on a loopback socket is a DNS-rebinding attempt, or a proxy we were not told about.
      if (!isLoopbackAddress(req.socket.remoteAddress) || hostname === undefined || !isLoopbackHost(hostname)) {
        return res.status(403).type('text').send('The login page answers only on this machine (loopback). Set DOMAIN_NAME to a public URL and GEMINI_AUTH_PASSWORD to open it to the network.\n');
      }
      // Cookies are per host name: keep the browser on DOMAIN_NAME's spelling (localhost vs 127.0.0.1) so the
      // session that started a login is the one Google's redirect comes back to. The port may differ (SSH tunnel).
      if (hostname !== base.hostname && isLoopbackHost(base.hostname) && req.method === 'GET') {
        const port = new URL(`http://${req.headers.host}`).port;
        return res.redirect(302, `${base.protocol}//${base.hostname}${port ? `:${port}` : ''}${req.originalUrl}`);
      }
      next();
    });
  }

  // Any web page the user has open can post a form here; a cross-site POST carries no SameSite=Lax cookie, so
  // each would start a fresh session (evicting real pending logins) or spend the password budget of the
  // user's own address. Browsers say where a form comes from; a client that does not (curl) is no drive-by.
  app.use((req, res, next) => {
    if (req.method !== 'POST' || req.headers['sec-fetch-site'] !== 'cross-site') return next();
    const page = renderErrorPage({
      title: 'Form from another site refused',
      message: 'This form was sent to Rotor by another web site, so it was ignored.',
      hint: 'Open the login page itself and use its buttons.',
    });
    res.status(403).type('html').send(page.toString());
  });

  app.use(express.urlencoded({ extended: false, limit: '16kb' }));
  app.use(
    session({
      name: 'rotor_login',
      secret: deps.sessionSecret,
      store: deps.sessionStore ?? new BoundedMemoryStore(1000, SESSION_MS),
      resave: false,
      saveUninitialized: false,
      rolling: true,
      // Behind a TLS-terminating proxy: trust its X-Forwarded-Proto for the Secure cookie.
      proxy: https,
      cookie: { httpOnly: true, sameSite: 'lax', secure: https, maxAge: SESSION_MS, path: '/' },
    }),
  );

  if (deps.password !== undefined) {
    const matchesPassword = secretMatcher(deps.password);
    const attempts = createPasswordAttempts(deps.passwordAttempts);
    const delayMs = deps.wrongPasswordDelayMs ?? 400;
    app.post('/password', async (req, res) => {
      const given = typeof req.body?.password === 'string' ? req.body.password : '';
      const next = localPath(req.body?.next);
      const client = clientKey(req.socket.remoteAddress);
      // Checked, compared and counted in one synchronous step, so parallel guesses cannot slip past the budget.
      const waitMs = attempts.retryAfterMs(client);
      if (waitMs > 0) {
        const retryAfterSec = Math.ceil(waitMs / 1000);
        res.set('retry-after', String(retryAfterSec));
        return res.status(429).type('html').send(renderPasswordPage({ wrong: true, next, retryAfterSec }).toString());
      }
      if (!matchesPassword(given)) {
        if (attempts.fail(client)) deps.logger.warn(`login: too many wrong passwords from ${client}; refusing its attempts for a while`);
        else deps.logger.warn(`login: wrong password from ${req.ip ?? 'unknown'}`);
        await sleep(delayMs); // slows one connection's guessing; the budget above limits a client's
        return res.status(401).type('html').send(renderPasswordPage({ wrong: true, next }).toString());
      }
      attempts.succeed(client);
      // A fresh session id after login, so a session fixed before it is worthless.
      await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
      req.session.authed = true;
      res.redirect(303, next);
    });
    app.use((req, res, next) => {
      if (req.session.authed) return next();
      const nextPath = req.method === 'GET' ? localPath(req.originalUrl) : '/';
      res.status(401).type('html').send(renderPasswordPage({ wrong: false, next: nextPath }).toString());
    });
  }

  app.use(
    loginRoutes({ flow: deps.flow, logger: deps.logger, storagePath: deps.storagePath, envListActive: deps.envListActive }),
  );

  app.use((req: Request, res: Response) => {
    const page = renderErrorPage({ title: 'Not found', message: `There is no page at ${req.path}.`, hint: 'Go back to the login page.' });
    res.status(404).type('html').send(page.toString());
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) deps.logger.error(`login: error on ${req.method} ${req.path}: ${(err as Error)?.stack ?? String(err)}`);
    if (res.headersSent) return void res.destroy();
    const page = renderErrorPage({
      title: status === 413 ? 'Request too large' : status < 500 ? 'Bad request' : 'Something went wrong',
      message: status < 500 ? 'The request could not be read.' : 'An unexpected error happened; see the Rotor log.',
      hint: 'Go back to the login page and try again.',
    });
    res.status(status).type('html').send(page.toString());
  });

  return app;
}
