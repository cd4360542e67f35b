/** The Code Assist entry of the upstream registry: quotas are per user, and a credential needs its project first. */
import type { RouteCredential, RouteEntry } from '../registry.js';
import type { UpstreamClient } from '../types.js';
import type { CallSignal } from '../../util/call-signal.js';

export function codeAssistRoute(deps: {
  client: UpstreamClient;
  /** Finds or onboards the credential's project; throws UpstreamError. */
  ensureProject(cred: RouteCredential, signal: CallSignal): Promise<unknown>;
}): RouteEntry {
  return {
    id: 'code-assist',
    label: 'Code Assist',
    client: deps.client,
    capabilities: new Set(['generate', 'stream', 'countTokens', 'search']),
    // Code Assist quotas are per user (docs/google-protocols.md#code-assist-quotas).
    quotaKey: (cred) => `user:${cred.email ?? cred.id}`,
    // Code Assist names its reset time in quotaResetTimeStamp when a quota runs out; the day turns at UTC midnight.
    dayResetAt: (now) => (Math.floor(now / 86_400_000) + 1) * 86_400_000,
    prepare: (cred, signal) => (cred.projectId ? undefined : deps.ensureProject(cred, signal).then(() => undefined)),
  };
}
