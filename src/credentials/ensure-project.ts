/**
 * Gives a credential its Code Assist project once: concurrent callers share one discovery, and the result
 * is stored on the credential (and in its file, for file credentials).
 */
import { ProjectDiscoveryError } from './errors.js';
import type { CredentialsOptions } from './load.js';
import type { OAuthCredential } from './oauth-credential.js';
import { discoverProject } from './project-discovery.js';

const pending = new WeakMap<OAuthCredential, Promise<string>>();

/** Resolves the credential's project id, discovering (and onboarding) it first when it has none. */
export function ensureProject(
  cred: OAuthCredential,
  options: Pick<CredentialsOptions, 'codeAssistEndpoint' | 'logger' | 'onboardPollIntervalMs' | 'onboardTimeoutMs' | 'requestTimeoutMs'>,
): Promise<string> {
  if (cred.projectId) return Promise.resolve(cred.projectId);
  let p = pending.get(cred);
  if (!p) {
    p = discover(cred, options).finally(() => pending.delete(cred));
    pending.set(cred, p);
  }
  return p;
}

async function discover(
  cred: OAuthCredential,
  options: Pick<CredentialsOptions, 'codeAssistEndpoint' | 'logger' | 'onboardPollIntervalMs' | 'onboardTimeoutMs' | 'requestTimeoutMs'>,
): Promise<string> {
  const run = (accessToken: string) =>
    discoverProject({
      accessToken,
      codeAssistEndpoint: options.codeAssistEndpoint,
      pollIntervalMs: options.onboardPollIntervalMs,
      timeoutMs: options.onboardTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
    });
  let token = await cred.getAccessToken();
  let result;
  try {
    result = await run(token);
  } catch (err) {
    // A token revoked server-side before its expiry: refresh once and try again.
    if (!(err instanceof ProjectDiscoveryError && err.status === 401)) throw err;
    token = await cred.refresh(token);
    result = await run(token);
  }
  await cred.setProjectId(result.projectId);
  options.logger.info(`credential ${cred.id}: Code Assist project ${result.projectId} (tier ${result.tierId})`);
  return result.projectId;
}
