/**
 * The dashboard's login (ADMIN_PASSWORD): POST /admin/login {"password"} → 204 with an httpOnly, SameSite=Strict
 * session cookie; POST /admin/logout → 204. The password is compared in constant time; each client has a budget
 * of wrong passwords (login mode's), and each wrong one is answered after a pause.
 */
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientKey, createPasswordAttempts } from '../../login/password-attempts.js';
import { closeIfDraining } from '../../util/draining.js';
import { secretMatcher } from '../../util/secrets.js';
import { crossSiteWrite } from '../admin-access.js';
import type { DashboardDeps } from '../dashboard/deps.js';
import { ApiError } from '../errors.js';
import type { ApiRequest } from '../router.js';

/**
 * Whose attempts a login counts against: the socket's address, or, through a tunnel on this machine
 * (cloudflared), the visitor's address it reports, so one visitor cannot spend everyone's budget.
 */
function loginClient(req: IncomingMessage): string {
  const socket = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const via = req.headers['cf-connecting-ip'];
  const loopback = socket === '::1' || /^127\./.test(socket);
  return clientKey(loopback && typeof via === 'string' && /^[0-9a-f.:]{2,45}$/i.test(via) ? via : req.socket.remoteAddress);
}

function noContent(r: ApiRequest, cookie?: string): void {
  r.res.statusCode = 204;
  if (cookie) r.res.setHeader('Set-Cookie', cookie);
  r.res.setHeader('Cache-Control', 'no-store');
  closeIfDraining(r.res);
  r.res.end();
}

export function createLoginHandlers(deps: DashboardDeps): { login(r: ApiRequest): Promise<void>; logout(r: ApiRequest): void } {
  const matches = deps.password === undefined ? undefined : secretMatcher(deps.password);
  const attempts = createPasswordAttempts(deps.loginAttempts);
  const delayMs = deps.wrongPasswordDelayMs ?? 400;
  return {
    async login(r) {
      const sessions = deps.sessions;
      if (!matches || !sessions) {
        throw new ApiError(404, 'no ADMIN_PASSWORD is set: the dashboard answers on this machine without a login, and nowhere else', undefined, 'admin_login_off');
      }
      const cross = crossSiteWrite(r.req, false);
      if (cross) throw cross;
      const client = loginClient(r.req);
      // Checked, compared and counted in one synchronous step, so parallel guesses cannot slip past the budget.
      const waitMs = attempts.retryAfterMs(client);
      if (waitMs > 0) {
        const sec = Math.ceil(waitMs / 1000);
        throw new ApiError(429, `too many wrong passwords from this address: try again in ${Math.ceil(sec / 60)} min`, undefined, 'admin_login_locked', { 'retry-after': String(sec) });
      }
      const given = (r.body as { password?: unknown } | undefined)?.password;
      if (typeof given !== 'string' || given === '') throw new ApiError(400, 'send {"password": "<ADMIN_PASSWORD>"}', 'password');
      if (!matches(given)) {
        if (attempts.fail(client)) deps.logger.warn(`dashboard: too many wrong passwords from ${client}; refusing its attempts for a while`);
        else deps.logger.warn(`dashboard: wrong admin password from ${client}`);
        await sleep(delayMs);
        throw new ApiError(401, 'wrong password', 'password', 'admin_wrong_password');
      }
      attempts.succeed(client);
      sessions.end(r.req);
      const session = sessions.create();
      deps.logger.info(`dashboard: admin logged in from ${client}`);
      noContent(r, sessions.cookie(session, r.req));
    },
    logout(r) {
      if (!deps.sessions) return noContent(r);
      deps.sessions.end(r.req);
      noContent(r, deps.sessions.clearCookie(r.req));
    },
  };
}
