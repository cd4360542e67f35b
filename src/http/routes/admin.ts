/** Health (no auth, for container checks) and the pool's status (auth). */
import { Router } from 'express';
import type { Gateway } from '../../gateway/gateway.js';
import { requireAuth } from '../middleware/auth.js';

export function adminRoutes(deps: { gateway: Gateway; password: string | undefined; loadErrors: () => Array<{ source: string; reason: string }> }): Router {
  const router = Router();

  router.get('/health', (_req, res) => {
    const { summary } = deps.gateway.pool.status();
    const counts = { credentials: summary, load_errors: deps.loadErrors().length };
    if (summary.available > 0) {
      res.json({ status: 'ok', ...counts });
      return;
    }
    const reason =
      summary.total === 0
        ? 'no credentials loaded: add accounts with `rotor --gen-creds`, oauth_creds_*.json files or CREDENTIALS_JSON_LIST'
        : summary.cooling_down > 0
          ? 'every credential is cooling down'
          : 'every credential is disabled; see /v1/keys/status';
    res.status(503).json({ status: 'unavailable', reason, ...counts });
  });

  router.get('/v1/keys/status', requireAuth(deps.password), (_req, res) => {
    const status = deps.gateway.pool.status();
    const members = deps.gateway.pool.list();
    // status() lists the members in pool order.
    const credentials = status.credentials.map((c, i) => ({ ...c, access_token: members[i]?.credential.maskedAccessToken() ?? null }));
    res.json({ credentials, summary: status.summary, load_errors: deps.loadErrors() });
  });

  return router;
}
