/**
 * The dashboard's routes. The page (GET / and /dashboard) runs the admin guard itself, so that a browser refused
 * gets a page (the login form, or why not here) rather than a JSON error; everything else under /admin is
 * `auth: 'admin'` in the chain. The assets hold no secrets and are served to anyone (the login form uses them).
 */
import { openAIDialect } from '../../translate/openai-chat/adapter.js';
import { credentialAction } from '../handlers/admin-actions.js';
import { serveDashboardAsset, serveDashboardPage, serveEvents, serveStatus } from '../handlers/admin-dashboard.js';
import { createLoginHandlers } from '../handlers/admin-login.js';
import type { ApiRoute } from '../router.js';
import type { DashboardDeps } from './deps.js';

export function dashboardRoutes(deps: DashboardDeps): ApiRoute[] {
  const login = createLoginHandlers(deps);
  const dialect = openAIDialect;
  return [
    { method: 'GET', path: '/', dialect, auth: 'none', handle: (r) => serveDashboardPage(deps, r) },
    { method: 'GET', path: '/dashboard', dialect, auth: 'none', handle: (r) => serveDashboardPage(deps, r) },
    { method: 'GET', path: /^\/dashboard\/(app\.js|app\.css|icon\.svg)$/, dialect, auth: 'none', handle: (r) => serveDashboardAsset(r) },
    { method: 'GET', path: '/admin/status', dialect, auth: 'admin', handle: (r) => serveStatus(deps, r) },
    { method: 'GET', path: '/admin/events', dialect, auth: 'admin', handle: (r) => serveEvents(deps, r) },
    { method: 'POST', path: /^\/admin\/credentials\/([^/]+)\/(disable|enable|clear-cooldown)$/, dialect, auth: 'admin', handle: (r) => credentialAction(deps, r) },
    { method: 'POST', path: '/admin/login', dialect, auth: 'none', body: true, handle: (r) => login.login(r) },
    { method: 'POST', path: '/admin/logout', dialect, auth: 'admin', handle: (r) => login.logout(r) },
  ];
}
