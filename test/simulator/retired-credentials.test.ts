/**
 * Credentials Google stopped serving in 2026, over real HTTP: Code Assist accounts of the retired "Code Assist for
 * individuals" tier (UNSUPPORTED_CLIENT) and standard Gemini API keys (401 ACCESS_TOKEN_TYPE_UNSUPPORTED).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { apiCall, apiRaw, call, envelope, json, raw, start, tokenFor, userText } from './helpers.js';

const METADATA = { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' };
const RETIRED_MESSAGE =
  'This client is no longer supported for Gemini Code Assist for individuals. To continue using Gemini, please migrate to the Antigravity suite of products: https://antigravity.google';
const UNSUPPORTED_CLIENT_BODY = {
  error: {
    code: 403,
    message: RETIRED_MESSAGE,
    status: 'PERMISSION_DENIED',
    details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'UNSUPPORTED_CLIENT', domain: 'cloudcode-pa.googleapis.com' }],
  },
};

const OLD_KEY = 'AIzaSyOld-standard-key-0000000000000000';
const NEW_KEY = 'AQ.Ab8RN6-new-authorization-key-00000000';
const KEY_401_MESSAGE =
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';
const key401 = (rpc: string) => ({
  error: {
    code: 401,
    message: KEY_401_MESSAGE,
    status: 'UNAUTHENTICATED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com', method: `google.ai.generativelanguage.v1beta.${rpc}` },
      },
    ],
  },
});

let sim: Simulator;
const control = (method: string, path: string, body?: unknown) =>
  fetch(`${sim.url}/__sim/${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  }).then((r) => json(r));

beforeAll(async () => {
  sim = await start({
    accounts: [{ email: 'retired@x.com', scenario: 'unsupported-client' }, { email: 'later@x.com' }, { email: 'fresh-retired@x.com', scenario: 'unsupported-client', onboarded: false }],
    apiKeys: [
      { key: OLD_KEY, projectId: 'proj-keys', rejected: true },
      { key: NEW_KEY, projectId: 'proj-keys' },
    ],
  });
});
afterAll(() => sim.close());

describe('UNSUPPORTED_CLIENT (Code Assist for individuals, retired 2026-06-18)', () => {
  it('still issues tokens, and loadCodeAssist names no current tier or project, only the retired tier and why', async () => {
    for (const email of ['retired@x.com', 'fresh-retired@x.com']) {
      const token = await tokenFor(sim, email);
      const r = await call(sim, 'loadCodeAssist', token, { metadata: METADATA });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        ineligibleTiers: [
          { reasonCode: 'UNSUPPORTED_CLIENT', reasonMessage: RETIRED_MESSAGE, tierId: 'free-tier', tierName: 'Gemini Code Assist for individuals' },
        ],
      });
      // Naming a project changes nothing.
      const named = await call(sim, 'loadCodeAssist', token, { cloudaicompanionProject: 'my-proj', metadata: { ...METADATA, duetProject: 'my-proj' } });
      expect(named.body.currentTier).toBeUndefined();
      expect(named.body.cloudaicompanionProject).toBeUndefined();
      expect(named.body.ineligibleTiers[0].reasonCode).toBe('UNSUPPORTED_CLIENT');
    }
  });

  it('answers generateContent, streamGenerateContent and countTokens 403 UNSUPPORTED_CLIENT, whatever the project', async () => {
    const token = await tokenFor(sim, 'retired@x.com');
    const own = await call(sim, 'generateContent', token, envelope('retired@x.com', 'hi'));
    expect(own.status).toBe(403);
    expect(own.body).toEqual(UNSUPPORTED_CLIENT_BODY);
    const other = await call(sim, 'generateContent', token, { ...envelope('retired@x.com', 'hi'), project: 'someone-elses-project' });
    expect(other.body).toEqual(UNSUPPORTED_CLIENT_BODY);

    const sse = await raw(sim, 'streamGenerateContent', token, envelope('retired@x.com', 'hi'), '?alt=sse');
    expect(sse.status).toBe(403);
    expect(sse.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await sse.json()).toEqual(UNSUPPORTED_CLIENT_BODY);
    const array = await call(sim, 'streamGenerateContent', token, envelope('retired@x.com', 'hi'));
    expect(array.body).toEqual(UNSUPPORTED_CLIENT_BODY);

    const count = await call(sim, 'countTokens', token, { request: { model: 'models/gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } });
    expect(count.status).toBe(403);
    expect(count.body).toEqual(UNSUPPORTED_CLIENT_BODY);
  });

  it('keeps the ordinary 400 for a request naming no project, and the 404 for an unknown model', async () => {
    const token = await tokenFor(sim, 'retired@x.com');
    const { project: _omit, ...noProject } = envelope('retired@x.com', 'hi');
    expect((await call(sim, 'generateContent', token, noProject)).body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect((await call(sim, 'generateContent', token, envelope('retired@x.com', 'hi', {}, 'gemini-0-nope'))).status).toBe(404);
  });

  it('refuses retrieveUserQuota the same way, and onboarding ends without a project', async () => {
    const token = await tokenFor(sim, 'fresh-retired@x.com');
    const quota = await call(sim, 'retrieveUserQuota', token, { project: 'sim-project-fresh-retired' });
    expect(quota.body).toEqual(UNSUPPORTED_CLIENT_BODY);
    const op = await call(sim, 'onboardUser', token, { tierId: 'free-tier', metadata: METADATA });
    expect(op.status).toBe(200);
    expect(op.body.done).toBe(true);
    expect(op.body.response.cloudaicompanionProject).toBeUndefined();
  });

  it('switches an account that worked with updateAccount, and back through the control API', async () => {
    const token = await tokenFor(sim, 'later@x.com');
    expect((await call(sim, 'generateContent', token, envelope('later@x.com', 'hi'))).status).toBe(200);

    sim.updateAccount('later@x.com', { scenario: 'unsupported-client' });
    expect((await call(sim, 'generateContent', token, envelope('later@x.com', 'hi'))).body).toEqual(UNSUPPORTED_CLIENT_BODY);
    expect((await call(sim, 'loadCodeAssist', token, { metadata: METADATA })).body.ineligibleTiers[0].reasonCode).toBe('UNSUPPORTED_CLIENT');

    expect((await control('POST', 'accounts', { email: 'later@x.com', scenario: 'ok' })).status).toBe(200);
    expect((await call(sim, 'generateContent', token, envelope('later@x.com', 'hi'))).status).toBe(200);
    expect((await control('POST', 'accounts', { email: 'later@x.com', scenario: 'unsupported-client' })).status).toBe(200);
    const listed = (await control('GET', 'accounts')).body.accounts.find((a: { email: string }) => a.email === 'later@x.com');
    expect(listed.scenario).toBe('unsupported-client');
    expect((await call(sim, 'generateContent', token, envelope('later@x.com', 'hi'))).status).toBe(403);
    expect((await control('POST', 'accounts', { email: 'later@x.com', scenario: 'retired' })).status).toBe(400);
  });
});

describe('ACCESS_TOKEN_TYPE_UNSUPPORTED (standard Gemini API keys, rejected since September 2026)', () => {
  it('answers every /v1beta call with a rejected key 401, naming the RPC', async () => {
    const methods: Array<[string, string, unknown]> = [
      ['generateContent', 'GenerativeService.GenerateContent', userText('hi')],
      ['countTokens', 'GenerativeService.CountTokens', userText('hi')],
    ];
    for (const [method, rpc, body] of methods) {
      const r = await apiCall(sim, 'gemini-2.5-flash', method, OLD_KEY, body);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(r.body).toEqual(key401(rpc));
    }
    const sse = await apiRaw(sim, 'gemini-2.5-flash', 'streamGenerateContent', OLD_KEY, userText('hi'), '?alt=sse');
    expect(sse.status).toBe(401);
    expect(await sse.json()).toEqual(key401('GenerativeService.StreamGenerateContent'));
    const embed = await apiCall(sim, 'gemini-embedding-001', 'embedContent', OLD_KEY, { content: { parts: [{ text: 'hi' }] } });
    expect(embed.body).toEqual(key401('GenerativeService.EmbedContent'));

    const list = await json(await fetch(`${sim.url}/v1beta/models`, { headers: { 'x-goog-api-key': OLD_KEY } }));
    expect(list.body).toEqual(key401('ModelService.ListModels'));
    const get = await json(await fetch(`${sim.url}/v1beta/models/gemini-2.5-flash?key=${OLD_KEY}`));
    expect(get.body).toEqual(key401('ModelService.GetModel'));
  });

  it('refuses the key before any injected fault, logs it masked with its project, and leaves the new key alone', async () => {
    sim.resetStats();
    sim.injectFault({ fault: { type: 'capacity', status: 503 }, project: 'proj-keys', times: 1 });
    expect((await apiCall(sim, 'gemini-2.5-flash', 'generateContent', OLD_KEY, userText('hi'))).status).toBe(401);
    // The fault is still there for the key Google accepts, then it is served.
    expect((await apiCall(sim, 'gemini-2.5-flash', 'generateContent', NEW_KEY, userText('hi'))).status).toBe(503);
    expect((await apiCall(sim, 'gemini-2.5-flash', 'generateContent', NEW_KEY, userText('hi'))).status).toBe(200);
    const calls = sim.calls({ route: 'gemini-api', project: 'proj-keys' });
    expect(calls.map((c) => c.apiKey)).toEqual(['AIza...0000', 'AQ.A...0000', 'AQ.A...0000']);
    expect(sim.counts()['key:proj-keys']?.generateContent).toBe(3);
  });

  it('rejects and restores a key with addApiKey and the control API; an upsert without `rejected` keeps it', async () => {
    const k = 'AIzaSyLater-rejected-000000000000000000';
    sim.addApiKey({ key: k, projectId: 'proj-later' });
    expect((await apiCall(sim, 'gemini-2.5-flash', 'generateContent', k, userText('hi'))).status).toBe(200);
    sim.addApiKey({ key: k, projectId: 'proj-later', rejected: true });
    expect((await apiCall(sim, 'gemini-2.5-flash', 'generateContent', k, userText('hi'))).status).toBe(401);
    sim.addApiKey({ key: k, projectId: 'proj-later', rpm: 100 });
    expect((await apiCall(sim, 'gemini-2.5-flash', 'generateContent', k, userText('hi'))).status).toBe(401);

    expect((await control('POST', 'api-keys', { key: k, projectId: 'proj-later', rejected: false })).body).toEqual({ ok: true, key: k, projectId: 'proj-later' });
    expect((await apiCall(sim, 'gemini-2.5-flash', 'generateContent', k, userText('hi'))).status).toBe(200);
    expect((await control('POST', 'api-keys', { key: k, projectId: 'proj-later', rejected: true })).body).toEqual({ ok: true, key: k, projectId: 'proj-later', rejected: true });
    expect((await control('GET', 'api-keys')).body.apiKeys).toContainEqual({ key: k, projectId: 'proj-later', rejected: true, rpm: 100 });
    expect((await apiCall(sim, 'gemini-2.5-flash', 'generateContent', k, userText('hi'))).body.error.details[0].reason).toBe('ACCESS_TOKEN_TYPE_UNSUPPORTED');
    expect((await control('POST', 'api-keys', { key: k, projectId: 'proj-later', rejected: 'yes' })).status).toBe(400);
  });
});
