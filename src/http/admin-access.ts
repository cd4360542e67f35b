/**
 * Who may use the dashboard and `/admin/*` (and `/metrics` without METRICS_TOKEN). Without ADMIN_PASSWORD: only
 * this machine, directly — a loopback socket and a loopback `Host`, and none of the headers a tunnel or a reverse
 * proxy adds (X-Forwarded-For, Forwarded, CF-Connecting-IP, X-Real-IP), since through one of those every request
 * arrives from loopback. With ADMIN_PASSWORD: the password, as `Authorization: Bearer` (the CLI) or a session
 * the dashboard's login form issued (`sessionOk`).
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
      if (isDirectLoopback(req)) return undefined;
      return new ApiError(403, 'the dashboard and /admin answer only on this machine, directly (no proxy or tunnel); set ADMIN_PASSWORD to open them to others', undefined, 'admin_loopback_only');
    }
    if (options.sessionOk?.(req)) return undefined;
    const auth = req.headers.authorization;
    const m = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
    if (m && matches(m[1]!.trim())) return undefined;
    return new ApiError(401, 'admin login required: send Authorization: Bearer <ADMIN_PASSWORD>, or log in on the dashboard', undefined, 'admin_login_required');
  };
}
