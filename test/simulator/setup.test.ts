/**
 * loadCodeAssist scenarios and onboardUser as a long-running operation
 * (docs/google-protocols.md#project-discovery).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { call, envelope, json, start, tokenFor } from './helpers.js';

const METADATA = { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' };

let sim: Simulator;
const token: Record<string, string> = {};

beforeAll(async () => {
  sim = await start({
    accounts: [
      { email: 'on@x.com' },
      { email: 'fresh@x.com', onboarded: false },
      { email: 'snake@x.com', onboarded: false, projectId: 'snake-managed' },
      { email: 'std@x.com', tier: 'standard-tier', onboarded: false },
      { email: 'byo@x.com', scenario: 'needs-project' },
      { email: 'verify@x.com', scenario: 'validation-required' },
      { email: 'no@x.com', scenario: 'ineligible' },
    ],
  });
  for (const email of ['on', 'fresh', 'snake', 'std', 'byo', 'verify', 'no'].map((n) => `${n}@x.com`)) {
    token[email] = await tokenFor(sim, email);
  }
});
afterAll(() => sim.close());

const load = (email: string, body: Record<string, unknown> = { metadata: METADATA }) => call(sim, 'loadCodeAssist', token[email], body);
const onboard = (email: string, body: Record<string, unknown>) => call(sim, 'onboardUser', token[email], body);
const poll = async (email: string, name: string) =>
  json(await fetch(`${sim.url}/v1internal/${name}`, { headers: { authorization: `Bearer ${token[email]}` } }));

describe('loadCodeAssist', () => {
  it('returns the current tier and managed project of an onboarded account', async () => {
    const r = await load('on@x.com', { cloudaicompanionProject: undefined, metadata: { ...METADATA, duetProject: undefined } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      currentTier: { id: 'free-tier', name: expect.any(String), userDefinedCloudaicompanionProject: false },
      allowedTiers: [{ id: 'free-tier', isDefault: true }],
      cloudaicompanionProject: 'sim-project-on',
    });
  });

  it('offers the default tier, with no current tier or project, to an account never onboarded', async () => {
    const r = await load('fresh@x.com');
    expect(r.body.currentTier).toBeUndefined();
    expect(r.body.cloudaicompanionProject).toBeUndefined();
    expect(r.body.allowedTiers).toEqual([expect.objectContaining({ id: 'free-tier', isDefault: true })]);
  });

  it('asks a needs-project account for its own project, and adopts the one it names', async () => {
    const bare = await load('byo@x.com');
    expect(bare.body.currentTier).toMatchObject({ id: 'standard-tier', userDefinedCloudaicompanionProject: true });
    expect(bare.body.cloudaicompanionProject).toBeUndefined();
    const named = await load('byo@x.com', { cloudaicompanionProject: 'my-gcp-proj', metadata: { ...METADATA, duetProject: 'my-gcp-proj' } });
    expect(named.body.cloudaicompanionProject).toBe('my-gcp-proj');
    const gen = await call(sim, 'generateContent', token['byo@x.com'], { ...envelope('byo@x.com', 'hi'), project: 'my-gcp-proj' });
    expect(gen.status).toBe(200);
  });

  it('reports VALIDATION_REQUIRED with a link that, once visited, clears it', async () => {
    const r = await load('verify@x.com');
    expect(r.body.currentTier).toBeUndefined();
    const tier = r.body.ineligibleTiers[0];
    expect(tier).toMatchObject({ reasonCode: 'VALIDATION_REQUIRED', tierId: 'free-tier', validationUrl: expect.stringMatching(/^http:\/\//) });
    const gen = await call(sim, 'generateContent', token['verify@x.com'], envelope('verify@x.com', 'hi'));
    expect(gen.status).toBe(403);
    expect(gen.body.error.details[0]).toMatchObject({ reason: 'VALIDATION_REQUIRED', domain: 'cloudcode-pa.googleapis.com' });

    expect((await fetch(tier.validationUrl)).status).toBe(200);
    const after = await load('verify@x.com');
    expect(after.body.currentTier.id).toBe('free-tier');
    expect((await call(sim, 'generateContent', token['verify@x.com'], envelope('verify@x.com', 'hi'))).status).toBe(200);
  });

  it('reports an ineligible account with a reason', async () => {
    const r = await load('no@x.com');
    expect(r.body.currentTier).toBeUndefined();
    expect(r.body.ineligibleTiers).toEqual([
      expect.objectContaining({ reasonCode: 'INELIGIBLE_ACCOUNT', reasonMessage: expect.stringMatching(/not eligible/) }),
    ]);
  });

  it('parses its body strictly', async () => {
    const unknown = await load('on@x.com', { metadata: { ...METADATA, editor: 'vim' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe(`Invalid JSON payload received. Unknown name "editor" at 'metadata': Cannot find field.`);
    const badEnum = await load('on@x.com', { metadata: { ...METADATA, platform: 'AMIGA' } });
    expect(badEnum.status).toBe(400);
    expect(badEnum.body.error.message).toMatch(/^Invalid value at 'metadata.platform' \(type.googleapis.com\/.*Platform\), "AMIGA"$/);
  });
});

describe('onboardUser', () => {
  it('runs a long-running operation polled with GET, then the account is onboarded', async () => {
    const before = await call(sim, 'generateContent', token['fresh@x.com'], envelope('fresh@x.com', 'hi'));
    expect(before.status).toBe(403);

    const started = await onboard('fresh@x.com', { tierId: 'free-tier', metadata: METADATA });
    expect(started.status).toBe(200);
    expect(started.body).toEqual({ name: expect.stringMatching(/^operations\/\S+$/), done: false });
    const first = await poll('fresh@x.com', started.body.name);
    expect(first.body).toEqual({ name: started.body.name, done: false });
    const second = await poll('fresh@x.com', started.body.name);
    expect(second.body).toMatchObject({
      name: started.body.name,
      done: true,
      response: { cloudaicompanionProject: { id: 'sim-project-fresh', name: expect.any(String) } },
    });

    const loaded = await load('fresh@x.com');
    expect(loaded.body).toMatchObject({ currentTier: { id: 'free-tier' }, cloudaicompanionProject: 'sim-project-fresh' });
    expect((await call(sim, 'generateContent', token['fresh@x.com'], envelope('fresh@x.com', 'hi'))).status).toBe(200);
    const again = await onboard('fresh@x.com', { tierId: 'free-tier', metadata: METADATA });
    expect(again.body).toMatchObject({ done: true, response: { cloudaicompanionProject: { id: 'sim-project-fresh' } } });
  });

  it('accepts tier_id and completes when the client re-POSTs instead of polling', async () => {
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push((await onboard('snake@x.com', { tier_id: 'free-tier', metadata: METADATA })).body);
    expect(bodies.map((b) => b.done)).toEqual([false, false, true]);
    expect(bodies[2].response.cloudaicompanionProject.id).toBe('snake-managed');
  });

  it('refuses a project on the free tier, and requires one on the standard tier', async () => {
    const free = await onboard('on@x.com', { tierId: 'free-tier', cloudaicompanionProject: 'mine', metadata: METADATA });
    expect(free.status).toBe(400);
    expect(free.body.error).toMatchObject({ status: 'FAILED_PRECONDITION', message: 'Precondition Failed' });
    const bare = await onboard('std@x.com', { tierId: 'standard-tier', metadata: METADATA });
    expect(bare.status).toBe(400);
    const withProject = await onboard('std@x.com', { tierId: 'standard-tier', cloudaicompanionProject: 'corp-proj', metadata: METADATA });
    expect(withProject.body.done).toBe(false);
    await poll('std@x.com', withProject.body.name);
    const done = await poll('std@x.com', withProject.body.name);
    expect(done.body.response.cloudaicompanionProject.id).toBe('corp-proj');
    const gen = await call(sim, 'generateContent', token['std@x.com'], { ...envelope('std@x.com', 'hi'), project: 'corp-proj' });
    expect(gen.status).toBe(200);
  });

  it('hides operations of other accounts and unknown ones', async () => {
    const started = await onboard('no@x.com', { tierId: 'free-tier', metadata: METADATA });
    expect(started.status).toBe(403);
    expect((await poll('on@x.com', 'operations/does-not-exist')).status).toBe(404);
    const mine = await onboard('on@x.com', { tierId: 'free-tier', metadata: METADATA });
    expect((await poll('on@x.com', mine.body.name)).body).toMatchObject({ done: true });
    expect((await poll('fresh@x.com', mine.body.name)).status).toBe(404);
  });
});
