/**
 * The dashboard page and its assets, the snapshot (GET /admin/status) and the live stream (GET /admin/events).
 * Every page goes out with a strict Content-Security-Policy: scripts, styles and images from Rotor only, no inline
 * script or style, no framing, fetches to Rotor only.
 */
import type { ServerResponse } from 'node:http';
import { hash } from 'node:crypto';
import { closeIfDraining } from '../../util/draining.js';
import { ApiError } from '../errors.js';
import type { ApiRequest } from '../router.js';
import { sendJson } from '../send.js';
import type { DashboardDeps } from '../dashboard/deps.js';
import type { SafeHtml } from '../pages/html.js';
import { renderDashboardLogin, renderDashboardPage, renderDashboardRefused } from '../../views/dashboard-page.js';
import { DASHBOARD_CSS } from '../../views/dashboard-style.js';
import { DASHBOARD_JS } from '../../views/dashboard-script.js';

export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries({ ...SECURITY_HEADERS, 'Cache-Control': 'no-store', ...headers })) res.setHeader(k, v);
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  closeIfDraining(res);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

function sendHtml(res: ServerResponse, status: number, page: SafeHtml): void {
  send(res, status, 'text/html; charset=utf-8', page.toString());
}

/** GET / and /dashboard: the dashboard, or the login form (ADMIN_PASSWORD), or a page saying why not here. */
export function serveDashboardPage(deps: DashboardDeps, r: ApiRequest): void {
  const denied = deps.adminCheck(r.req);
  if (denied) {
    if (denied.status === 401 && deps.sessions) return sendHtml(r.res, 401, renderDashboardLogin());
    return sendHtml(r.res, denied.status, renderDashboardRefused(denied.message));
  }
  const session = deps.sessions?.get(r.req);
  sendHtml(r.res, 200, renderDashboardPage({ version: deps.version, csrf: session?.csrf ?? '', loggedIn: session !== undefined }));
}

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="13" fill="none" stroke="#0b57d0" stroke-width="4"/><path d="M16 3a13 13 0 0 1 13 13h-6a7 7 0 0 0-7-7z" fill="#0b57d0"/></svg>`;

const ASSETS: Record<string, { type: string; body: string; etag: string }> = Object.fromEntries(
  (
    [
      ['app.js', 'text/javascript; charset=utf-8', DASHBOARD_JS],
      ['app.css', 'text/css; charset=utf-8', DASHBOARD_CSS],
      ['icon.svg', 'image/svg+xml', ICON],
    ] as const
  ).map(([name, type, body]) => [name, { type, body, etag: `"${hash('sha256', body, 'hex').slice(0, 16)}"` }]),
);

/** GET /dashboard/{app.js,app.css,icon.svg}: no secrets, served to anyone (the login page needs them too). */
export function serveDashboardAsset(r: ApiRequest): void {
  const asset = ASSETS[r.params[0] ?? ''];
  if (!asset) throw new ApiError(404, `no dashboard asset ${r.path}`);
  if (r.req.headers['if-none-match'] === asset.etag) {
    r.res.statusCode = 304;
    r.res.setHeader('ETag', asset.etag);
    return void r.res.end();
  }
  send(r.res, 200, asset.type, asset.body, { 'Cache-Control': 'no-cache', ETag: asset.etag });
}

/** GET /admin/status: the snapshot the page renders. */
export async function serveStatus(deps: DashboardDeps, r: ApiRequest): Promise<void> {
  sendJson(r.res, 200, await deps.live.snapshot(), { 'Cache-Control': 'no-store' });
}

/** GET /admin/events: SSE, a `snapshot` event at once, after each change, and every few seconds. */
export function serveEvents(deps: DashboardDeps, r: ApiRequest): void {
  if (r.req.method === 'HEAD') return send(r.res, 200, 'text/event-stream; charset=utf-8', '');
  if (!deps.live.watch(r.res)) {
    throw new ApiError(503, 'too many dashboards are watching at once; close one and reload', undefined, 'too_many_watchers', { 'retry-after': '5' });
  }
}
