import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { CLIENT_ID, CLIENT_SECRET, form, json, refresh, start, tokenFor } from './helpers.js';

const REDIRECT = 'http://127.0.0.1:8085/oauth2callback';

describe('token endpoint: refresh_token grant', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await start({ accounts: [{ email: 'a@x.com' }, { email: 'r@x.com', revoked: true }, { email: 'c@x.com', refreshToken: '1//custom' }] });
  });
  afterAll(() => sim.close());

  it('issues unique, unguessable Bearer tokens with expiry and scope, and no new refresh token', async () => {
    const one = await refresh(sim, '1//sim-refresh-a@x.com');
    const two = await refresh(sim, '1//sim-refresh-a@x.com');
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toMatch(/^application\/json/);
    expect(one.body).toEqual({
      access_token: expect.stringMatching(/^ya29\.sim-[A-Za-z0-9_-]{40,}$/),
      expires_in: 3599,
      scope: expect.stringContaining('https://www.googleapis.com/auth/cloud-platform'),
      token_type: 'Bearer',
    });
    expect(two.body.access_token).not.toBe(one.body.access_token);
    expect(sim.issuedTokens('a@x.com')).toEqual([one.body.access_token, two.body.access_token]);
  });

  it('honours a custom refresh token and answers unknown or revoked ones with invalid_grant', async () => {
    expect((await refresh(sim, '1//custom')).status).toBe(200);
    for (const token of ['1//nobody', '1//sim-refresh-r@x.com']) {
      const r = await refresh(sim, token);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    }
    expect(sim.issuedTokens('r@x.com')).toEqual([]);
  });

  it('revokes and restores through updateAccount', async () => {
    sim.updateAccount('a@x.com', { revoked: true });
    expect((await refresh(sim, '1//sim-refresh-a@x.com')).body.error).toBe('invalid_grant');
    sim.updateAccount('a@x.com', { revoked: false });
    expect((await refresh(sim, '1//sim-refresh-a@x.com')).status).toBe(200);
  });

  it('accepts a JSON body and HTTP Basic client authentication', async () => {
    const viaJson = await json(
      await fetch(sim.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: '1//custom', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
      }),
    );
    expect(viaJson.status).toBe(200);
    const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');
    const init = form({ grant_type: 'refresh_token', refresh_token: '1//custom' });
    const viaBasic = await json(await fetch(sim.tokenUrl, { ...init, headers: { ...init.headers, authorization: `Basic ${basic}` } }));
    expect(viaBasic.status).toBe(200);
  });

  it('rejects a request without a client, and an unknown grant type', async () => {
    const noClient = await json(await fetch(sim.tokenUrl, form({ grant_type: 'refresh_token', refresh_token: '1//custom' })));
    expect(noClient.status).toBe(401);
    expect(noClient.body.error).toBe('invalid_client');
    const noSecret = await json(await fetch(sim.tokenUrl, form({ grant_type: 'refresh_token', refresh_token: '1//custom', client_id: 'x' })));
    expect(noSecret.status).toBe(400);
    const weird = await json(await fetch(sim.tokenUrl, form({ grant_type: 'password', client_id: 'x', client_secret: 'y' })));
    expect(weird.status).toBe(400);
    expect(weird.body.error).toBe('unsupported_grant_type');
  });
});

describe('userinfo and token expiry', () => {
  let sim: Simulator;
  let clock = Date.UTC(2026, 0, 1, 12);
  beforeAll(async () => {
    sim = await start({ accounts: [{ email: 'alice@x.com' }], accessTokenTtlSec: 60, now: () => clock });
  });
  afterAll(() => sim.close());

  it('returns the profile for a valid token on v2 and v1 paths', async () => {
    const token = await tokenFor(sim, 'alice@x.com');
    for (const url of [sim.userinfoUrl, `${sim.url}/oauth2/v1/userinfo?alt=json`]) {
      const r = await json(await fetch(url, { headers: { authorization: `Bearer ${token}` } }));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ email: 'alice@x.com', verified_email: true, id: expect.stringMatching(/^\d{21}$/) });
      expect(typeof r.body.name).toBe('string');
      expect(typeof r.body.picture).toBe('string');
    }
  });

  it('answers a missing or unknown token with a 401 google.rpc.Status', async () => {
    const missing = await json(await fetch(sim.userinfoUrl));
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED', message: expect.stringMatching(/missing required authentication/) });
    const unknown = await json(await fetch(sim.userinfoUrl, { headers: { authorization: 'Bearer ya29.not-issued' } }));
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });

  it('expires access tokens after accessTokenTtlSec on the simulator clock', async () => {
    const token = await tokenFor(sim, 'alice@x.com');
    clock += 59_000;
    expect((await fetch(sim.userinfoUrl, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    clock += 2_000;
    const r = await json(await fetch(sim.userinfoUrl, { headers: { authorization: `Bearer ${token}` } }));
    expect(r.status).toBe(401);
    expect(r.body.error.details[0]).toMatchObject({ reason: 'ACCESS_TOKEN_EXPIRED' });
  });
});

describe('authorization code flow', () => {
  let sim: Simulator;
  let clock = Date.now();
  beforeAll(async () => {
    sim = await start({
      accounts: [{ email: 'alice@x.com' }, { email: 'bob@x.com', noRefreshToken: true }, { email: 'eve"<b>x</b>@x.com' }],
      now: () => clock,
    });
  });
  afterAll(() => sim.close());

  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };

  async function consent(email: string, params: Record<string, string>): Promise<URL> {
    const query = new URLSearchParams({
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email',
      state: 'st-123',
      access_type: 'offline',
      ...params,
    });
    const page = await fetch(`${sim.authUrl}?${query}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const links = [...html.matchAll(/<a class="account" data-email="([^"]*)" href="([^"]*)"/g)];
    const link = links.find((m) => m[1] === email.replace(/"/g, '&#34;').replace(/</g, '&#60;').replace(/>/g, '&#62;'));
    expect(link, `account link for ${email}`).toBeDefined();
    const res = await fetch(new URL(link![2]!.replace(/&amp;/g, '&'), sim.url), { redirect: 'manual' });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location')!);
  }

  const exchange = async (params: Record<string, string>) =>
    json(await fetch(sim.tokenUrl, form({ grant_type: 'authorization_code', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: REDIRECT, ...params })));

  it('lists every account, escaped, with a Cancel link', async () => {
    const q = new URLSearchParams({ client_id: '"><img src=x onerror=alert(1)>', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid' });
    const html = await (await fetch(`${sim.authUrl}?${q}`)).text();
    expect(html.match(/class="account"/g)).toHaveLength(3);
    expect(html).toContain('data-email="alice@x.com"');
    expect(html).not.toContain('<b>x</b>');
    expect(html).not.toContain('<img');
    expect(html).toMatch(/class="deny"[^>]*>Cancel</);
  });

  it('redirects with code, state and scope, and exchanges it once with a good PKCE verifier', async () => {
    const { verifier, challenge } = pkce();
    const back = await consent('alice@x.com', { code_challenge: challenge, code_challenge_method: 'S256' });
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-123');
    expect(back.searchParams.get('scope')).toContain('cloud-platform');
    const code = back.searchParams.get('code')!;

    const ok = await exchange({ code, code_verifier: verifier });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, refresh_token: '1//sim-refresh-alice@x.com' });
    const payload = JSON.parse(Buffer.from(ok.body.id_token.split('.')[1], 'base64url').toString());
    expect(payload).toMatchObject({ email: 'alice@x.com', aud: CLIENT_ID, iss: 'https://accounts.google.com' });
    expect(sim.issuedTokens('alice@x.com')).toContain(ok.body.access_token);

    const again = await exchange({ code, code_verifier: verifier });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
  });

  it('rejects a wrong or missing verifier, and a different redirect_uri', async () => {
    const { challenge } = pkce();
    const code = (await consent('alice@x.com', { code_challenge: challenge, code_challenge_method: 'S256' })).searchParams.get('code')!;
    expect(await exchange({ code, code_verifier: pkce().verifier })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await exchange({ code })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const other = await exchange({ code, code_verifier: 'x', redirect_uri: 'http://127.0.0.1:9999/oauth2callback' });
    expect(other).toMatchObject({ status: 400, body: { error: 'redirect_uri_mismatch' } });
  });

  it('omits refresh_token without access_type=offline and for noRefreshToken accounts', async () => {
    const online = (await consent('alice@x.com', { access_type: 'online' })).searchParams.get('code')!;
    const a = await exchange({ code: online });
    expect(a.status).toBe(200);
    expect(a.body.refresh_token).toBeUndefined();
    const bobCode = (await consent('bob@x.com', {})).searchParams.get('code')!;
    const b = await exchange({ code: bobCode });
    expect(b.status).toBe(200);
    expect(b.body.refresh_token).toBeUndefined();
    expect(typeof b.body.access_token).toBe('string');
  });

  it('expires codes after five minutes', async () => {
    const code = (await consent('alice@x.com', {})).searchParams.get('code')!;
    clock += 5 * 60_000 + 1;
    expect(await exchange({ code })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('Cancel redirects with access_denied and the state', async () => {
    const q = new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's9' });
    const html = await (await fetch(`${sim.authUrl}?${q}`)).text();
    const href = /class="deny" id="deny" href="([^"]+)"/.exec(html)![1]!;
    const res = await fetch(new URL(href.replace(/&amp;/g, '&'), sim.url), { redirect: 'manual' });
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('s9');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('answers a request without client_id or redirect_uri with a 400 page', async () => {
    const noClient = await fetch(`${sim.authUrl}?${new URLSearchParams({ redirect_uri: REDIRECT, response_type: 'code', scope: 'openid' })}`);
    expect(noClient.status).toBe(400);
    expect(await noClient.text()).toContain('client_id');
    const noRedirect = await fetch(`${sim.authUrl}?${new URLSearchParams({ client_id: CLIENT_ID, response_type: 'code', scope: 'openid' })}`);
    expect(noRedirect.status).toBe(400);
    expect(await noRedirect.text()).toContain('redirect_uri');
  });
});
