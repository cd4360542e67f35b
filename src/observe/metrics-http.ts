/**
 * `GET /metrics`. With METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>` opens it, from anywhere
 * (a Prometheus elsewhere, through a proxy); without it, the admin rule: this machine, directly (no forwarding
 * headers), or ADMIN_PASSWORD when that is set.
 */
import type { AdminCheck } from '../http/admin-access.js';
import { ApiError } from '../http/errors.js';
import type { ApiRequest } from '../http/router.js';
import { closeIfDraining } from '../util/draining.js';
import { secretMatcher } from '../util/secrets.js';
import type { RotorMetrics } from './metrics.js';

export interface MetricsRouteOptions {
  metrics: RotorMetrics;
  /** METRICS_TOKEN. */
  token: string | undefined;
  adminAccess: AdminCheck;
}

export function createMetricsHandler(options: MetricsRouteOptions): (r: ApiRequest) => Promise<void> {
  const matches = options.token === undefined ? undefined : secretMatcher(options.token);
  const check = (r: ApiRequest): ApiError | undefined => {
    if (matches === undefined) return options.adminAccess(r.req);
    const auth = r.req.headers.authorization;
    const m = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
    if (m && matches(m[1]!.trim())) return undefined;
    return new ApiError(401, 'metrics need Authorization: Bearer <METRICS_TOKEN>', undefined, m ? 'invalid_metrics_token' : 'missing_metrics_token', { 'WWW-Authenticate': 'Bearer realm="rotor-metrics"' });
  };
  return async (r) => {
    const denied = check(r);
    if (denied) throw denied;
    const text = await options.metrics.scrape();
    const res = r.res;
    res.statusCode = 200;
    res.setHeader('Content-Type', options.metrics.contentType);
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.setHeader('Cache-Control', 'no-store');
    closeIfDraining(res);
    res.end(text);
  };
}
