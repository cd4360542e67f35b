/**
 * Gives a credential its Code Assist project once: concurrent callers share one discovery, and the result
 * is stored on the credential (and in its file, for file credentials).
 */
import { ProjectDiscoveryError } from './errors.js';
import { NEEDS_ACTION_RECHECK_MS, tokenError, UpstreamError } from '../upstream/errors.js';
import type { CredentialsOptions } from './load.js';
import type { OAuthCredential } from './oauth-credential.js';
import { discoverProject } from './project-discovery.js';

type Options = Pick<CredentialsOptions, 'codeAssistEndpoint' | 'logger' | 'onboardPollIntervalMs' | 'onboardTimeoutMs' | 'requestTimeoutMs' | 'transport'>;

const pending = new WeakMap<OAuthCredential, Promise<string>>();

/** Resolves the credential's project id, discovering (and onboarding) it first when it has none. */
export function ensureProject(cred: OAuthCredential, options: Options): Promise<string> {
  if (cred.projectId) return Promise.resolve(cred.projectId);
  let p = pending.get(cred);
  if (!p) {
    p = discover(cred, options).finally(() => pending.delete(cred));
    pending.set(cred, p);
  }
  return p;
}

/** Discoveries redone because the credential's file was replaced (another account) while one ran. */
const MAX_REPLACED = 2;

async function discover(cred: OAuthCredential, options: Options): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    // The project found belongs to the account the discovery started with; a replace() meanwhile makes it stale.
    const generation = cred.generation;
    const result = await discoverOnce(cred, options);
    if (await cred.setProjectId(result.projectId, generation)) {
      options.logger.info(`credential ${cred.id}: Code Assist project ${result.projectId} (tier ${result.tierId})`);
      return result.projectId;
    }
    if (cred.projectId) return cred.projectId; // the new file names its own project
    if (attempt >= MAX_REPLACED) {
      throw new ProjectDiscoveryError('HTTP', `credential ${cred.id} was replaced during Code Assist project discovery; retry`);
    }
  }
}

async function discoverOnce(cred: OAuthCredential, options: Options) {
  const run = (accessToken: string) =>
    discoverProject({
      accessToken,
      codeAssistEndpoint: options.codeAssistEndpoint,
      pollIntervalMs: options.onboardPollIntervalMs,
      timeoutMs: options.onboardTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      transport: options.transport,
    });
  const token = await cred.getAccessToken();
  try {
    return await run(token);
  } catch (err) {
    // A token revoked server-side before its expiry: refresh once and try again.
    if (!(err instanceof ProjectDiscoveryError && err.status === 401)) throw err;
    return run(await cred.refresh(token));
  }
}

/**
 * A failed discovery as the dispatch loop sees it: the account's owner must act (the credential is out until a
 * re-check), Google retired the account's tier (out for good), or it was a passing HTTP fault (fail over).
 */
export function projectDiscoveryFailure(err: unknown): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { code?: string; status?: number; message?: string; kind?: string };
  if (e?.kind === 'revoked' || e?.kind === 'transient') return tokenError(err);
  const message = `project discovery failed: ${e?.message ?? String(err)}`;
  if (e?.code === 'UNSUPPORTED_CLIENT') return new UpstreamError(message, 403, 'credential', 'permission', undefined, undefined, true, false);
  const passing = e?.code === 'HTTP' || e?.code === 'ONBOARD_TIMEOUT' || e?.code === undefined;
  if (passing && e?.status !== 403) return new UpstreamError(message, 502, 'credential', 'transient', undefined, undefined);
  // Verification, a licence, a project to set: the owner can fix these; re-checked after a while.
  return new UpstreamError(message, 403, 'credential', 'permission', NEEDS_ACTION_RECHECK_MS, undefined, true, false);
}
