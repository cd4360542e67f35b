/** The Gemini API entry of the upstream registry: quotas are per Cloud project, so keys of one project share one. */
import type { RouteEntry } from '../registry.js';
import { msUntilPacificMidnight } from '../errors.js';
import type { UpstreamClient } from '../types.js';

export function geminiApiRoute(deps: { client: UpstreamClient }): RouteEntry {
  return {
    id: 'gemini-api',
    label: 'Gemini API',
    client: deps.client,
    capabilities: new Set(['generate', 'stream', 'countTokens', 'embed', 'search']),
    quotaKey: (cred) => (cred.projectId ? `project:${cred.projectId}` : `key:${cred.id}`),
    // The Gemini API's daily quotas reset at midnight Pacific time.
    dayResetAt: (now) => now + msUntilPacificMidnight(now),
  };
}
