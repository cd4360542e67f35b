/**
 * Finds (or creates, by onboarding) the Code Assist project of an account, as gemini-cli does at start-up
 * (docs/google-protocols.md#project-discovery): loadCodeAssist, then onboardUser for a not-yet-onboarded
 * account, then poll the long-running operation until it is done.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { callCodeAssist, unsupportedClient, validationRequired, type CodeAssistCall } from './code-assist-call.js';
import type { Transport } from '../upstream/transport.js';
import { ProjectDiscoveryError } from './errors.js';

export interface DiscoverProjectInput {
  accessToken: string;
  /** A Google Cloud project the user chose; needed by standard/legacy tiers. */
  requestedProject?: string | undefined;
  codeAssistEndpoint: string;
  pollIntervalMs?: number | undefined;
  timeoutMs?: number | undefined;
  /** Timeout of each HTTP call (default 30 s). */
  requestTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** The upstream transport (serve mode shares its own). */
  transport?: Transport | undefined;
}

export interface DiscoveredProject {
  projectId: string;
  tierId: string;
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const records = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/** Google has been seen to send the project as a string or as `{id, name}`; accept both. */
const projectIdOf = (v: unknown): string | undefined => str(v) ?? (isRecord(v) ? str(v['id']) : undefined);

export async function discoverProject(input: DiscoverProjectInput): Promise<DiscoveredProject> {
  const call: CodeAssistCall = {
    endpoint: input.codeAssistEndpoint,
    accessToken: input.accessToken,
    signal: input.signal,
    timeoutMs: input.requestTimeoutMs,
    transport: input.transport,
  };
  const requested = str(input.requestedProject);
  const load = await callCodeAssist(call, {
    method: 'loadCodeAssist',
    body: { ...(requested ? { cloudaicompanionProject: requested } : {}), metadata: clientMetadata(requested) },
  });
  const ineligible = records(load['ineligibleTiers']);
  const current = isRecord(load['currentTier']) ? load['currentTier'] : undefined;

  if (current) {
    const projectId = projectIdOf(load['cloudaicompanionProject']) ?? requested;
    const paid = isRecord(load['paidTier']) ? load['paidTier'] : undefined;
    const tierId = str(paid?.['id']) ?? str(current['id']) ?? 'standard-tier';
    if (projectId) return { projectId, tierId };
    throw ineligibleError(ineligible) ?? projectRequired(tierId);
  }

  // An account that must be verified first cannot be onboarded (docs/google-protocols.md#account-verification).
  if (ineligible.some((t) => t['reasonCode'] === 'VALIDATION_REQUIRED' || t['reasonCode'] === 'UNSUPPORTED_CLIENT')) throw ineligibleError(ineligible) as ProjectDiscoveryError;
  const allowed = records(load['allowedTiers']);
  const tier = allowed.find((t) => t['isDefault'] === true);
  if (!tier && allowed.length === 0 && ineligible.length > 0) throw ineligibleError(ineligible) as ProjectDiscoveryError;
  // No default tier offered: gemini-cli falls back to the legacy tier, which needs the user's own project.
  const tierId = str(tier?.['id']) ?? 'legacy-tier';
  const needsProject = tier ? tier['userDefinedCloudaicompanionProject'] === true : true;
  if (needsProject && !requested) throw projectRequired(tierId);

  return { projectId: await onboard(call, tierId, requested, input), tierId };
}

function clientMetadata(project: string | undefined): Json {
  return {
    ideType: 'IDE_UNSPECIFIED',
    platform: 'PLATFORM_UNSPECIFIED',
    pluginType: 'GEMINI',
    ...(project ? { duetProject: project } : {}),
  };
}

async function onboard(call: CodeAssistCall, tierId: string, requested: string | undefined, input: DiscoverProjectInput): Promise<string> {
  // The free tier uses a Google-managed project; naming one makes onboardUser fail its precondition
  // (docs/google-protocols.md#onboarduser).
  const project = tierId === 'free-tier' ? undefined : requested;
  const body = { tierId, ...(project ? { cloudaicompanionProject: project } : {}), metadata: clientMetadata(project) };
  const interval = input.pollIntervalMs ?? 5000;
  const deadline = Date.now() + (input.timeoutMs ?? 60_000);

  let op = await callCodeAssist(call, { method: 'onboardUser', body });
  while (op['done'] !== true) {
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new ProjectDiscoveryError(
        'ONBOARD_TIMEOUT',
        `Code Assist onboarding (${tierId}) did not finish within ${input.timeoutMs ?? 60_000} ms; retry later`,
      );
    }
    await sleep(Math.min(interval, left), undefined, input.signal ? { signal: input.signal } : undefined);
    const name = str(op['name']);
    // gemini-cli polls the operation by name; proxies re-send onboardUser when no name came back.
    op = name ? await callCodeAssist(call, { operation: name }) : await callCodeAssist(call, { method: 'onboardUser', body });
  }
  if (isRecord(op['error'])) {
    const msg = str(op['error']['message']) ?? 'unknown error';
    throw new ProjectDiscoveryError('ONBOARD_FAILED', `Code Assist onboarding (${tierId}) failed: ${msg.slice(0, 300)}; retry later or set a Google Cloud project id for this account`);
  }
  const response = isRecord(op['response']) ? op['response'] : {};
  const projectId = projectIdOf(response['cloudaicompanionProject']) ?? requested;
  if (!projectId) throw projectRequired(tierId);
  return projectId;
}

function projectRequired(tierId: string): ProjectDiscoveryError {
  return new ProjectDiscoveryError(
    'PROJECT_REQUIRED',
    `This account (Code Assist tier ${tierId}) needs a Google Cloud project: set a Google Cloud project id for this account ` +
      '(project_id in its credential file) with the Gemini for Google Cloud API enabled, then retry',
  );
}

function ineligibleError(tiers: Json[]): ProjectDiscoveryError | undefined {
  const unsupported = tiers.find((t) => t['reasonCode'] === 'UNSUPPORTED_CLIENT');
  if (unsupported) return unsupportedClient(str(unsupported['reasonMessage']));
  const validation = tiers.find((t) => t['reasonCode'] === 'VALIDATION_REQUIRED');
  if (validation) {
    return validationRequired(str(validation['validationUrl']), str(validation['reasonMessage']) ?? str(validation['validationErrorMessage']));
  }
  const reasons = tiers.map((t) => str(t['reasonMessage']) ?? str(t['reasonCode'])).filter((r): r is string => r !== undefined);
  if (reasons.length === 0) return undefined;
  return new ProjectDiscoveryError(
    'INELIGIBLE',
    `This account cannot use Code Assist: ${[...new Set(reasons)].join('; ')}. Fix this in the Google account or use another account`,
  );
}
