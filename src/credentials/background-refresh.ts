/**
 * Refreshes tokens that will expire soon off the request path, so a request rarely waits for the token
 * endpoint. Failures are only logged: the request path still refreshes (and classifies) on demand.
 */
import type { Logger } from '../util/log.js';
import type { OAuthCredential } from './oauth-credential.js';

export interface BackgroundRefreshOptions {
  /** How often to look (default 60 s). */
  intervalMs?: number;
  /** Refresh tokens expiring within this window (default 10 min, more than the 5-min request-path threshold). */
  leadMs?: number;
  /** At most this many refreshes at once (default 4). */
  concurrency?: number;
  logger: Logger;
}

export function startBackgroundRefresh(
  creds: () => OAuthCredential[],
  options: BackgroundRefreshOptions,
): { stop(): void; readonly rounds: number } {
  const intervalMs = options.intervalMs ?? 60_000;
  const leadMs = options.leadMs ?? 10 * 60_000;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let running = false;
  let stopped = false;
  /** Rounds completed: tests wait for rounds instead of for time. */
  let rounds = 0;

  const tick = async () => {
    if (running || stopped) return; // a slow round is not stacked on by the next one
    running = true;
    try {
      const now = Date.now();
      const due = creds().filter((c) => !c.disabledReason && (c.expiresAt === undefined || c.expiresAt - now <= leadMs));
      let next = 0;
      const worker = async () => {
        while (!stopped && next < due.length) {
          const cred = due[next++] as OAuthCredential;
          try {
            await cred.refresh();
          } catch (err) {
            options.logger.warn(`background refresh of ${cred.id} failed`, {
              error: err instanceof Error ? err.message : String(err),
            });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
    } finally {
      running = false;
      rounds += 1;
    }
  };

  const first = setTimeout(() => void tick(), 0);
  const timer = setInterval(() => void tick(), intervalMs);
  first.unref();
  timer.unref();
  return {
    get rounds() {
      return rounds;
    },
    stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
