import { afterEach, describe, expect, it } from 'vitest';
import { discoverProject, ProjectDiscoveryError } from '../../src/credentials/index.js';
import { startFakeServer, type FakeServer, type RecordedCall, type Reply } from './fake-server.js';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TOKEN = 'ya29.discovery-access-token';
const META = { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' };

/** Routes by path: `loadCodeAssist`, `onboardUser`, or `op` for operation polls. */
async function codeAssist(routes: { load: Reply | (() => Reply); onboard?: Reply | ((n: number) => Reply); op?: (n: number) => Reply }) {
  let onboards = 0;
  let polls = 0;
  server = await startFakeServer((call: RecordedCall) => {
    if (call.path === '/v1internal:loadCodeAssist') return typeof routes.load === 'function' ? routes.load() : routes.load;
    if (call.path === '/v1internal:onboardUser') {
      const r = routes.onboard;
      return typeof r === 'function' ? r(onboards++) : (r ?? { status: 500 });
    }
    if (call.path.startsWith('/v1internal/operations/') && routes.op) return routes.op(polls++);
    return { status: 404, body: { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } } };
  });
  return server;
}

const run = (extra: { requestedProject?: string; timeoutMs?: number } = {}) =>
  discoverProject({ accessToken: TOKEN, codeAssistEndpoint: server!.url + '/', pollIntervalMs: 10, timeoutMs: 2000, ...extra });

const fail = async (p: Promise<unknown>): Promise<ProjectDiscoveryError> => {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProjectDiscoveryError);
  return err as ProjectDiscoveryError;
};

describe('discoverProject', () => {
  it('returns the project of an onboarded account, sending the exact loadCodeAssist body', async () => {
    const s = await codeAssist({ load: { body: { currentTier: { id: 'free-tier' }, cloudaicompanionProject: 'managed-proj-1' } } });
    expect(await run()).toEqual({ projectId: 'managed-proj-1', tierId: 'free-tier' });
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]!.method).toBe('POST');
    expect(s.calls[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(s.calls[0]!.json).toStrictEqual({ metadata: META });
  });

  it('accepts the project as an object and prefers paidTier for the tier id', async () => {
    const s = await codeAssist({
      load: { body: { currentTier: { id: 'standard-tier' }, paidTier: { id: 'g1-pro-tier' }, cloudaicompanionProject: { id: 'obj-proj', name: 'x' } } },
    });
    expect(await run({ requestedProject: 'mine' })).toEqual({ projectId: 'obj-proj', tierId: 'g1-pro-tier' });
    expect(s.calls[0]!.json).toStrictEqual({ cloudaicompanionProject: 'mine', metadata: { ...META, duetProject: 'mine' } });
  });

  it('falls back to the requested project for an onboarded account without one', async () => {
    await codeAssist({ load: { body: { currentTier: { id: 'standard-tier' } } } });
    expect(await run({ requestedProject: 'user-proj' })).toEqual({ projectId: 'user-proj', tierId: 'standard-tier' });
  });

  it('PROJECT_REQUIRED for an onboarded account with no project and none requested', async () => {
    await codeAssist({ load: { body: { currentTier: { id: 'standard-tier' } } } });
    const err = await fail(run());
    expect(err.code).toBe('PROJECT_REQUIRED');
    expect(err.message).toMatch(/set a Google Cloud project id for this account/);
  });

  it('onboards a free-tier account without a project and polls the operation until done', async () => {
    const s = await codeAssist({
      load: { body: { allowedTiers: [{ id: 'legacy-tier' }, { id: 'free-tier', isDefault: true }] } },
      onboard: { body: { name: 'operations/onb-1', done: false } },
      op: (n) => (n < 2 ? { body: { name: 'operations/onb-1', done: false } } : { body: { name: 'operations/onb-1', done: true, response: { cloudaicompanionProject: { id: 'new-managed-proj', name: 'p' } } } }),
    });
    expect(await run({ requestedProject: 'ignored-for-free' })).toEqual({ projectId: 'new-managed-proj', tierId: 'free-tier' });
    expect(s.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /v1internal:loadCodeAssist',
      'POST /v1internal:onboardUser',
      'GET /v1internal/operations/onb-1',
      'GET /v1internal/operations/onb-1',
      'GET /v1internal/operations/onb-1',
    ]);
    expect(s.calls[1]!.json).toStrictEqual({ tierId: 'free-tier', metadata: META });
  });

  it('onboards a standard-tier account with the requested project; re-posts when no operation name', async () => {
    const s = await codeAssist({
      load: { body: { allowedTiers: [{ id: 'standard-tier', isDefault: true, userDefinedCloudaicompanionProject: true }] } },
      onboard: (n) => (n === 0 ? { body: { done: false } } : { body: { done: true, response: { cloudaicompanionProject: { id: 'user-proj' } } } }),
    });
    expect(await run({ requestedProject: 'user-proj' })).toEqual({ projectId: 'user-proj', tierId: 'standard-tier' });
    expect(s.calls.map((c) => c.path)).toEqual(['/v1internal:loadCodeAssist', '/v1internal:onboardUser', '/v1internal:onboardUser']);
    expect(s.calls[1]!.json).toStrictEqual({ tierId: 'standard-tier', cloudaicompanionProject: 'user-proj', metadata: { ...META, duetProject: 'user-proj' } });
  });

  it('PROJECT_REQUIRED before onboarding a tier that needs a user project (legacy fallback)', async () => {
    const s = await codeAssist({ load: { body: { allowedTiers: [{ id: 'standard-tier', userDefinedCloudaicompanionProject: true }] } } });
    const err = await fail(run());
    expect(err.code).toBe('PROJECT_REQUIRED');
    expect(err.message).toContain('legacy-tier');
    expect(s.calls).toHaveLength(1);
  });

  it('VALIDATION_REQUIRED from an ineligible tier carries the URL and says what to do', async () => {
    await codeAssist({
      load: {
        body: {
          allowedTiers: [{ id: 'free-tier', isDefault: true }],
          ineligibleTiers: [{ reasonCode: 'VALIDATION_REQUIRED', reasonMessage: 'Verify your account', tierId: 'free-tier', validationUrl: 'https://accounts.google.com/verify?x=1' }],
        },
      },
    });
    const err = await fail(run());
    expect(err.code).toBe('VALIDATION_REQUIRED');
    expect(err.validationUrl).toBe('https://accounts.google.com/verify?x=1');
    expect(err.message).toMatch(/open https:\/\/accounts\.google\.com\/verify\?x=1 .*then retry/);
  });

  it('VALIDATION_REQUIRED from a 403 ErrorInfo, with the Help link', async () => {
    await codeAssist({
      load: {
        status: 403,
        body: {
          error: {
            code: 403,
            message: 'Account verification required',
            status: 'PERMISSION_DENIED',
            details: [
              { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'VALIDATION_REQUIRED', domain: 'cloudcode-pa.googleapis.com', metadata: { validation_link: 'https://meta.example/verify' } },
              { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Verify', url: 'https://help.example/verify' }] },
            ],
          },
        },
      },
    });
    const err = await fail(run());
    expect(err).toMatchObject({ code: 'VALIDATION_REQUIRED', validationUrl: 'https://help.example/verify', status: 403 });
  });

  it('INELIGIBLE with Google reason messages when no tier is allowed', async () => {
    await codeAssist({
      load: {
        body: {
          ineligibleTiers: [
            { reasonCode: 'UNSUPPORTED_LOCATION', reasonMessage: 'Not available in your country', tierId: 'free-tier' },
            { reasonCode: 'INELIGIBLE_ACCOUNT', reasonMessage: 'You do not have a valid license', tierId: 'standard-tier' },
          ],
        },
      },
    });
    const err = await fail(run());
    expect(err.code).toBe('INELIGIBLE');
    expect(err.message).toContain('Not available in your country; You do not have a valid license');
  });

  it('ONBOARD_TIMEOUT when the operation never finishes', async () => {
    await codeAssist({
      load: { body: { allowedTiers: [{ id: 'free-tier', isDefault: true }] } },
      onboard: { body: { name: 'operations/slow', done: false } },
      op: () => ({ body: { name: 'operations/slow', done: false } }),
    });
    const err = await fail(run({ timeoutMs: 60 }));
    expect(err.code).toBe('ONBOARD_TIMEOUT');
  });

  it('ONBOARD_FAILED when the operation ends in an error', async () => {
    await codeAssist({
      load: { body: { allowedTiers: [{ id: 'free-tier', isDefault: true }] } },
      onboard: { body: { name: 'operations/x', done: true, error: { code: 9, message: 'Precondition failed' } } },
    });
    const err = await fail(run());
    expect(err.code).toBe('ONBOARD_FAILED');
    expect(err.message).toContain('Precondition failed');
  });

  it('HTTP errors carry the status and Google message, also when wrapped in an array', async () => {
    await codeAssist({ load: { status: 500, body: [{ error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } }] } });
    const err = await fail(run());
    expect(err).toMatchObject({ code: 'HTTP', status: 500 });
    expect(err.message).toContain('Internal error encountered.');
  });
});
