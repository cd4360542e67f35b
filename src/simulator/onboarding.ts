/**
 * Project discovery and onboarding (docs/google-protocols.md#project-discovery): loadCodeAssist scenarios,
 * onboardUser as a long-running operation (polled with GET operations/<id> or by re-POSTing), and
 * retrieveUserQuota (docs/google-protocols.md#retrieveuserquota).
 */
import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { sendJson, sendRpc } from './http-io.js';
import { readProto, type ProtoObject } from './proto-json.js';
import { limitsFor, nextUtcMidnight } from './quota.js';
import { loadCodeAssistRequest, onboardUserRequest, retrieveUserQuotaRequest } from './setup-schema.js';
import {
  badRequest,
  formatTimestamp,
  notFound,
  permissionDenied,
  rpcError,
  UNSUPPORTED_CLIENT_MESSAGE,
  unsupportedClient,
  validationRequired,
} from './rpc-errors.js';
import { randomId, type OperationRecord, type SimAccount } from './state.js';

type TierId = SimAccount['tier'];

const TIERS: Record<TierId, ProtoObject> = {
  'free-tier': {
    id: 'free-tier',
    name: 'Gemini Code Assist for individuals',
    description: 'Gemini Code Assist for individuals, at no cost.',
    userDefinedCloudaicompanionProject: false,
    privacyNotice: { showNotice: true, noticeText: 'Google collects your prompts and related code to improve its products.' },
  },
  'standard-tier': {
    id: 'standard-tier',
    name: 'Gemini Code Assist Standard',
    description: 'Gemini Code Assist Standard, billed to your Google Cloud project.',
    userDefinedCloudaicompanionProject: true,
    privacyNotice: { showNotice: false },
  },
  'legacy-tier': {
    id: 'legacy-tier',
    name: 'Gemini Code Assist',
    description: 'Gemini Code Assist (legacy), billed to your Google Cloud project.',
    userDefinedCloudaicompanionProject: true,
  },
};

const OPERATION_DONE_AFTER_POLLS = 2;
const ONBOARD_RESPONSE_TYPE = 'type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse';

function tier(id: TierId, isDefault = false): ProtoObject {
  return isDefault ? { ...TIERS[id], isDefault: true } : { ...TIERS[id] };
}

export function validationUrl(ctx: SimContext, account: SimAccount): string {
  return `${ctx.url}/__sim/validate?email=${encodeURIComponent(account.email)}`;
}

/** Reads a body against a message spec, or answers 400 and returns undefined. */
function parsed(res: ServerResponse, body: unknown, spec: Parameters<typeof readProto>[1]): ProtoObject | undefined {
  const result = readProto(body, spec);
  if (result.violations.length > 0) {
    sendRpc(res, badRequest(result.violations));
    return undefined;
  }
  return result.value;
}

export function handleLoadCodeAssist(ctx: SimContext, res: ServerResponse, account: SimAccount, body: unknown): void {
  const req = parsed(res, body, loadCodeAssistRequest);
  if (!req) return;
  const metadata = (req['metadata'] ?? {}) as ProtoObject;
  const requested = (req['cloudaicompanionProject'] ?? metadata['duetProject']) as string | undefined;

  switch (account.scenario) {
    case 'validation-required':
      return sendJson(res, 200, {
        ineligibleTiers: [
          {
            reasonCode: 'VALIDATION_REQUIRED',
            reasonMessage: 'Verify your account to continue using Gemini Code Assist.',
            tierId: account.tier,
            tierName: TIERS[account.tier]['name'],
            validationErrorMessage: 'Account verification required.',
            validationUrl: validationUrl(ctx, account),
            validationUrlLinkText: 'Verify your account',
            validationLearnMoreUrl: 'https://support.google.com/accounts',
            validationLearnMoreLinkText: 'Learn more',
          },
        ],
      });
    case 'ineligible':
      return sendJson(res, 200, {
        ineligibleTiers: [
          {
            reasonCode: 'INELIGIBLE_ACCOUNT',
            reasonMessage: 'This account is not eligible for Gemini Code Assist.',
            tierId: account.tier,
            tierName: TIERS[account.tier]['name'],
          },
        ],
      });
    case 'unsupported-client':
      // Code Assist for individuals, retired for this client: no current tier, no project, the reason as an
      // ineligible tier (gemini-cli shows reasonMessage as "Failed to sign in. Message: ...").
      return sendJson(res, 200, {
        ineligibleTiers: [
          {
            reasonCode: 'UNSUPPORTED_CLIENT',
            reasonMessage: UNSUPPORTED_CLIENT_MESSAGE,
            tierId: 'free-tier',
            tierName: TIERS['free-tier']['name'],
          },
        ],
      });
    case 'needs-project': {
      // A licensed (standard) user with no managed project: the client must bring its own.
      const out: ProtoObject = { currentTier: tier('standard-tier'), allowedTiers: [tier('standard-tier', true)] };
      if (requested) {
        account.extraProjects.add(requested);
        out['cloudaicompanionProject'] = requested;
      }
      return sendJson(res, 200, out);
    }
    case 'ok':
      break;
  }
  if (!account.onboarded) return sendJson(res, 200, { allowedTiers: [tier(account.tier, true)] });
  let project = account.projectId;
  if (requested && TIERS[account.tier]['userDefinedCloudaicompanionProject'] === true) {
    account.extraProjects.add(requested);
    project = requested;
  }
  sendJson(res, 200, { currentTier: tier(account.tier), allowedTiers: [tier(account.tier, true)], cloudaicompanionProject: project });
}

function operationView(op: OperationRecord): ProtoObject {
  const name = `operations/${op.id}`;
  if (op.polls < OPERATION_DONE_AFTER_POLLS) return { name, done: false };
  return {
    name,
    done: true,
    response: {
      '@type': ONBOARD_RESPONSE_TYPE,
      cloudaicompanionProject: { id: op.project, name: op.project },
    },
  };
}

/** One more look at a pending operation; it completes on the second poll and onboards the account. */
function advance(ctx: SimContext, op: OperationRecord): ProtoObject {
  if (op.polls < OPERATION_DONE_AFTER_POLLS) op.polls += 1;
  if (op.polls >= OPERATION_DONE_AFTER_POLLS) {
    const account = ctx.state.accounts.get(op.email);
    if (account && !account.onboarded) account.onboarded = true;
    if (account && op.project !== account.projectId) account.extraProjects.add(op.project);
  }
  return operationView(op);
}

export function handleOnboardUser(ctx: SimContext, res: ServerResponse, account: SimAccount, body: unknown): void {
  const req = parsed(res, body, onboardUserRequest);
  if (!req) return;
  const tierId = req['tierId'];
  const requested = req['cloudaicompanionProject'] as string | undefined;
  if (typeof tierId !== 'string' || tierId === '') return sendRpc(res, rpcError(400, 'Request contains an invalid argument.'));
  if (account.scenario === 'validation-required') return sendRpc(res, validationRequired(validationUrl(ctx, account)));
  if (account.scenario === 'ineligible') return sendRpc(res, rpcError(403, 'This account is not eligible for Gemini Code Assist.'));
  // UNCONFIRMED what Google answers here. A finished operation without a project is what makes gemini-cli end its
  // set-up with IneligibleTierError (the reasonMessage of loadCodeAssist), as users of retired accounts report.
  if (account.scenario === 'unsupported-client') {
    return sendJson(res, 200, { done: true, response: { '@type': ONBOARD_RESPONSE_TYPE } });
  }
  const allowedTier: TierId = account.scenario === 'needs-project' ? 'standard-tier' : account.tier;
  if (tierId !== allowedTier) return sendRpc(res, rpcError(400, `Tier ${tierId} is not available for this user.`));
  // gemini-cli setup.ts: the free tier uses a managed project; naming one fails the precondition.
  if (tierId === 'free-tier' && requested) return sendRpc(res, rpcError(400, 'Precondition Failed', undefined, 'FAILED_PRECONDITION'));
  if (tierId !== 'free-tier' && !requested) {
    return sendRpc(res, rpcError(400, 'A Google Cloud project is required for this tier.', undefined, 'FAILED_PRECONDITION'));
  }
  const project = requested ?? account.projectId;
  const alreadyDone = account.onboarded && (account.scenario === 'ok' || account.extraProjects.has(project));
  if (alreadyDone) {
    if (project !== account.projectId) account.extraProjects.add(project);
    const done: OperationRecord = { id: randomId(12), email: account.email, project, polls: OPERATION_DONE_AFTER_POLLS };
    ctx.state.operations.set(done.id, done);
    return sendJson(res, 200, operationView(done));
  }
  const pending = [...ctx.state.operations.values()].find(
    (op) => op.email === account.email && op.project === project && op.polls < OPERATION_DONE_AFTER_POLLS,
  );
  if (pending) return sendJson(res, 200, advance(ctx, pending));
  const op: OperationRecord = { id: randomId(12), email: account.email, project, polls: 0 };
  ctx.state.operations.set(op.id, op);
  sendJson(res, 200, operationView(op));
}

export function handleGetOperation(ctx: SimContext, res: ServerResponse, account: SimAccount, id: string): void {
  const op = ctx.state.operations.get(id);
  if (!op || op.email !== account.email) return sendRpc(res, notFound());
  sendJson(res, 200, advance(ctx, op));
}

export function handleRetrieveUserQuota(ctx: SimContext, res: ServerResponse, account: SimAccount, body: unknown): void {
  const req = parsed(res, body, retrieveUserQuotaRequest);
  if (!req) return;
  const project = typeof req['project'] === 'string' ? req['project'] : '';
  if (account.scenario === 'unsupported-client' && project !== '') return sendRpc(res, unsupportedClient());
  if (!ctx.state.allowedProjects(account).has(project)) return sendRpc(res, permissionDenied(project));
  const resetTime = formatTimestamp(nextUtcMidnight(ctx.now()));
  const buckets = [...ctx.models].map((modelId) => {
    const bucket: ProtoObject = { modelId, tokenType: 'REQUESTS', resetTime, remainingFraction: 1 };
    const rpd = limitsFor(modelId, account, ctx.defaultQuotas).rpd;
    if (rpd !== undefined) {
      const left = Math.max(0, rpd - ctx.quota.usedToday(account.email, modelId));
      bucket['remainingAmount'] = String(left);
      bucket['remainingFraction'] = rpd > 0 ? left / rpd : 0;
    }
    return bucket;
  });
  sendJson(res, 200, { buckets });
}
