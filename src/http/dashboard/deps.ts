/** What the dashboard's routes need, built in cli/serve.ts. */
import type { Member } from '../../dispatch/member.js';
import type { PasswordAttemptOptions } from '../../login/password-attempts.js';
import type { CredentialPool } from '../../pool/pool.js';
import type { Logger } from '../../util/log.js';
import type { AdminCheck } from '../admin-access.js';
import type { DashboardLive } from './live.js';
import type { AdminSessions } from './sessions.js';

export interface DashboardDeps {
  live: DashboardLive;
  pool: CredentialPool<Member>;
  /** The admin guard (the page runs it itself, to answer a browser with a page instead of JSON). */
  adminCheck: AdminCheck;
  /** With ADMIN_PASSWORD: the login sessions; undefined without (loopback only, no login). */
  sessions: AdminSessions | undefined;
  /** ADMIN_PASSWORD. */
  password: string | undefined;
  logger: Logger;
  version: string;
  /** The wrong-password budget per client (default 10 per 15 minutes); tests inject a clock. */
  loginAttempts?: PasswordAttemptOptions | undefined;
  /** Pause after each wrong password (default 400 ms). */
  wrongPasswordDelayMs?: number | undefined;
}
