/**
 * Gives a credential its Code Assist project once: concurrent callers share one discovery, and the result
 * is stored on the credential (and in its file, for file credentials).
 */
import { ProjectDiscoveryError } from './errors.js';
import type { CredentialsOptions } from './load.js';
import type { OAuthCredential } from './oauth-credential.js';
import { discoverProject } from './project-discovery.js';

type Options = Pick<CredentialsOptions, 'codeAssistEndpoint' | 'logger' | 'onboardPollIntervalMs' | 'onboardTimeoutMs' | 'requestTimeoutMs'>;

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
