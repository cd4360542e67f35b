/**
 * Login-mode routes: the home page, starting a login (redirect or paste), Google's callback, the pasted
 * redirect URL, and the result page. Thin: the flow lives in src/login/, pages in src/views/.
 */
import { Router, type Request, type Response } from 'express';
import {
  callbackParams,
  LoginError,
  parseRedirectUrl,
  type CallbackParams,
  type LoginErrorCode,
  type LoginFlow,
  type PendingLogin,
} from '../../login/index.js';
import type { Logger } from '../../util/log.js';
import { renderLoginPage } from '../../views/login-page.js';
import { renderPastePage } from '../../views/paste-page.js';
import { renderErrorPage, renderSuccessPage, type ErrorPageModel, type SuccessPageModel } from '../../views/result-pages.js';
import type { SafeHtml } from './html.js';

/** The outcome of the last login, shown by GET /done (post-redirect-get keeps the code out of history). */
export type LoginResult =
  | ({ kind: 'success' } & SuccessPageModel)
  | ({ kind: 'error'; status: number } & ErrorPageModel);

declare module 'express-session' {
  interface SessionData {
    authed?: boolean;
    /** Started logins by state; a browser may run a few at once (two tabs, two accounts). */
    logins?: Record<string, PendingLogin>;
    result?: LoginResult;
  }
}

export interface LoginRoutesDeps {
  flow: LoginFlow;
  logger: Logger;
  storagePath: string;
  envListActive: boolean;
}

const MAX_PENDING = 5;
/** These leave the started login usable: the answer was not (provably) meant for it, or not read at all. */
const KEEPS_PENDING = new Set<LoginErrorCode>(['STATE_MISMATCH', 'MISSING_CODE', 'BAD_INPUT']);

const send = (res: Response, status: number, page: SafeHtml) => res.status(status).type('html').send(page.toString());
const showResult = (res: Response, r: LoginResult) =>
  r.kind === 'success' ? send(res, 200, renderSuccessPage(r)) : send(res, r.status, renderErrorPage(r));

/**
 * Google's words reach these pages (error descriptions, tier and project names, e-mails): they get the
 * masking the log lines get, so a token Google echoes back is never shown in full.
 */
function masked(r: LoginResult, redact: (text: string) => string): LoginResult {
  if (r.kind === 'success') return { ...r, email: redact(r.email), projectId: redact(r.projectId), tierId: redact(r.tierId) };
  const link = r.link && { url: redact(r.link.url), text: redact(r.link.text) };
  return { ...r, title: redact(r.title), message: redact(r.message), hint: redact(r.hint), link };
}

const field = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function loginRoutes(deps: LoginRoutesDeps): Router {
  const { flow, logger } = deps;
  const router = Router();

  const home = async (res: Response, status = 200, extra: { project?: string; inputError?: string } = {}) =>
    send(
      res,
      status,
      renderLoginPage({
        // An unreadable file's reason may quote the file; the table gets the log's masking too.
        accounts: (await flow.store.list()).map((a) => (a.detail ? { ...a, detail: logger.redact(a.detail) } : a)),
        storagePath: deps.storagePath,
        redirectUri: flow.redirectUri,
        envListActive: deps.envListActive,
        ...extra,
      }),
    );

  const finish = async (req: Request, res: Response, params: CallbackParams) => {
    const logins = req.session.logins;
    const pending = logins && params.state !== undefined && Object.hasOwn(logins, params.state) ? logins[params.state] : undefined;
    let result: LoginResult;
    let keep = false;
    try {
      const ok = await flow.complete(pending, params);
      result = { kind: 'success', ...ok, storagePath: deps.storagePath };
    } catch (err) {
      if (!(err instanceof LoginError)) {
        logger.error(`login: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        err = new LoginError('ONBOARDING_FAILED', {
          title: 'Login failed',
          message: 'Something unexpected went wrong; see the Rotor log. No account was added.',
          hint: 'Try again. If it keeps failing, report it with the log lines.',
          status: 500,
        });
      }
      const e = err as LoginError;
      logger.warn(`login failed (${e.code}): ${e.message}`);
      keep = KEEPS_PENDING.has(e.code);
      result = { kind: 'error', status: e.status, title: e.title, message: e.message, hint: e.hint, link: e.link };
    }
    result = masked(result, logger.redact);
    // No login was started in this session (a forged link, an <img> on some page, a session gone): answer at
    // once and leave the session untouched, so no session is created and a flood of these cannot push real
    // pending logins out of the bounded store. Only a state the session knows gets the post-redirect-get.
    if (!logins) return showResult(res, result);
    if (pending && !keep) {
      delete logins[pending.state];
      req.session.logins = logins;
    }
    req.session.result = result;
    res.redirect(303, '/done');
  };

  router.get('/', async (_req, res) => {
    await home(res);
  });

  router.post('/start', async (req, res) => {
    const project = field(req.body?.project);
    let pending: PendingLogin;
    try {
      pending = flow.begin(project);
    } catch (err) {
      if (err instanceof LoginError) return void (await home(res, 400, { project: project ?? '', inputError: logger.redact(`${err.message} ${err.hint}`) }));
      throw err;
    }
    const logins = { ...(req.session.logins ?? {}), [pending.state]: pending };
    // Keep only the newest few; an abandoned login must not pile up.
    const states = Object.values(logins).sort((a, b) => a.createdAt - b.createdAt).map((p) => p.state);
    for (const s of states.slice(0, Math.max(0, states.length - MAX_PENDING))) delete logins[s];
    req.session.logins = logins;
    if (field(req.body?.mode) === 'paste') return res.redirect(303, `/paste?state=${encodeURIComponent(pending.state)}`);
    res.redirect(303, pending.authUrl);
  });

  router.get('/paste', (req, res) => {
    const state = field(req.query.state);
    const pending = state !== undefined && req.session.logins && Object.hasOwn(req.session.logins, state) ? req.session.logins[state] : undefined;
    if (!pending) return res.redirect(303, '/');
    send(res, 200, renderPastePage({ authUrl: pending.authUrl, redirectUri: flow.redirectUri }));
  });

  router.post('/paste', async (req, res) => {
    let params: CallbackParams;
    try {
      params = parseRedirectUrl(req.body?.redirect_url);
    } catch (err) {
      if (!(err instanceof LoginError)) throw err;
      return send(res, 400, renderErrorPage(err));
    }
    await finish(req, res, params);
  });

  router.get('/oauth2callback', async (req, res) => {
    await finish(req, res, callbackParams(req.query as Record<string, unknown>));
  });

  router.get('/done', (req, res) => {
    const r = req.session.result;
    if (!r) return res.redirect(303, '/');
    showResult(res, r);
  });

  return router;
}
