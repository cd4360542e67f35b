/**
 * Who may use the dashboard and `/admin/*` (and `/metrics` without METRICS_TOKEN). Without ADMIN_PASSWORD: only
 * this machine, directly — a loopback socket and a loopback `Host`, and none of the headers a tunnel or a reverse
 * proxy adds (X-Forwarded-For, Forwarded, CF-Connecting-IP, X-Real-IP), since through one of those every request
 * arrives from loopback. With ADMIN_PASSWORD: the password, as `Authorization: Bearer` (the CLI) or a session
 * the dashboard's login form issued (`sessionOk`), whose writes also carry the session's CSRF token (`csrfOk`).
 * Either way, a POST or DELETE a browser sent from another site is refused (`crossSiteWrite`).
 */
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../config/config.js';
import { secretMatcher } from '../util/secrets.js';
import { ApiError } from './errors.js';

export const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'cf-connecting-ip', 'x-real-ip'] as const;

export interface AdminAccessOptions {
  password: string | undefined;
  /** Whether the request carries a valid dashboard session (set by the dashboard's login). */
  sessionOk?: (req: IncomingMessage) => boolean;
  /**
   * Whether a session's POST or DELETE carries that session's CSRF token (the dashboard's `x-rotor-csrf` header).
   * A session-authenticated write without one is refused; Bearer callers need none (no browser sends Bearer by itself).
   */
  csrfOk?: (req: IncomingMessage) => boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const crossSite = (why: string) =>
  new ApiError(403, `refused: ${why}; the dashboard's own buttons send it from the same origin`, undefined, 'admin_cross_site');

/**
 * A POST or DELETE a browser sent from another site (or another port of this one): a web page the operator has
 * open must not be able to press the dashboard's buttons. Browsers say where a request comes from (Sec-Fetch-Site,
 * Origin); clients that are not browsers (curl, the CLI) send neither. `checkOrigin` compares the Origin with the
 * Host (without ADMIN_PASSWORD, where nothing else stands in the way; with it, the session's CSRF token does).
 */
export function crossSiteWrite(req: IncomingMessage, checkOrigin: boolean): ApiError | undefined {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return undefined;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return crossSite(`a ${req.method} sent by a page on another site (Sec-Fetch-Site: ${site})`);
  const origin = req.headers.origin;
  if (!checkOrigin || origin === undefined) return undefined;
  let host: string | undefined;
  try {
    host = origin === 'null' ? undefined : new URL(origin).host.toLowerCase();
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== (req.headers.host ?? '').toLowerCase()) {
    return crossSite(`a ${req.method} from Origin "${origin.slice(0, 100)}", not this dashboard's`);
  }
  return undefined;
}

export type AdminCheck = (req: IncomingMessage) => ApiError | undefined;

function hostnameOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return new URL(`http://${value}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/** Whether the request comes straight from this machine (not through a proxy or tunnel). */
export function isDirectLoopback(req: IncomingMessage): boolean {
  const remote = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  if (!isLoopbackHost(remote)) return false;
  const host = hostnameOf(req.headers.host);
  if (host === undefined || !(isLoopbackHost(host) || host.endsWith('.localhost'))) return false;
  return FORWARDING_HEADERS.every((h) => req.headers[h] === undefined);
}

export function createAdminCheck(options: AdminAccessOptions): AdminCheck {
  const matches = options.password === undefined ? undefined : secretMatcher(options.password);
  return (req) => {
    if (matches === undefined) {
      if (isDirectLoopback(req)) return crossSiteWrite(req, true);
      return new ApiError(403, 'the dashboard and /admin answer only on this machine, directly (no proxy or tunnel); set ADMIN_PASSWORD to open them to others', undefined, 'admin_loopback_only');
    }
    const cross = crossSiteWrite(req, false);
    if (cross) return cross;
    if (options.sessionOk?.(req)) {
      if (SAFE_METHODS.has(req.method ?? 'GET') || options.csrfOk?.(req) === true) return undefined;
      return new ApiError(403, 'refused: this dashboard action lacks its CSRF token (x-rotor-csrf); reload the dashboard and try again', undefined, 'admin_csrf');
    }
    const auth = req.headers.authorization;
    const m = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
    if (m && matches(m[1]!.trim())) return undefined;
    return new ApiError(401, 'admin login required: send Authorization: Bearer <ADMIN_PASSWORD>, or log in on the dashboard', undefined, 'admin_login_required');
  };
}
