/** The dashboard's buttons on credentials: POST /admin/credentials/{id}/disable | enable | clear-cooldown → 204. */
import { closeIfDraining } from '../../util/draining.js';
import { OPERATOR_DISABLE_REASON } from '../dashboard/snapshot.js';
import type { DashboardDeps } from '../dashboard/deps.js';
import { ApiError } from '../errors.js';
import type { ApiRequest } from '../router.js';

export type CredentialAction = 'disable' | 'enable' | 'clear-cooldown';

export function credentialAction(deps: DashboardDeps, r: ApiRequest): void {
  const [id = '', action] = r.params as [string, CredentialAction];
  const pool = deps.pool;
  const member = pool.get(id);
  if (!member) throw new ApiError(404, `no credential "${id.slice(0, 200)}" in the pool (GET /admin/status lists them)`, undefined, 'credential_not_found');
  switch (action) {
    case 'disable':
      pool.disable(id, OPERATOR_DISABLE_REASON);
      deps.logger.info(`dashboard: credential ${id} disabled by the operator`, { credential: id });
      break;
    case 'enable':
      pool.enable(id);
      if (member.disabledReason !== undefined) {
        // The credential took itself out (a revoked sign-in): only a new file brings it back.
        throw new ApiError(
          409,
          `credential ${id} cannot be enabled from here: ${deps.live.redact(member.disabledReason)}. Fix it (for a revoked sign-in: rotor --gen-creds) and Rotor reloads its file`,
          undefined,
          'credential_disabled_itself',
        );
      }
      deps.logger.info(`dashboard: credential ${id} enabled by the operator`, { credential: id });
      break;
    case 'clear-cooldown':
      pool.clearCooldowns(id);
      deps.logger.info(`dashboard: cooldowns of credential ${id} cleared by the operator`, { credential: id });
      break;
    default:
      throw new ApiError(404, `no credential action "${String(action)}"`);
  }
  r.res.statusCode = 204;
  closeIfDraining(r.res);
  r.res.end();
}
