import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { codeChallengeOf, createPkce } from '../../src/login/pkce.js';
import { parseProjectField } from '../../src/login/project.js';
import { createLoginFlow, LoginError, LOGIN_SCOPES, parseRedirectUrl } from '../../src/login/index.js';
import { silentLogger } from '../../src/util/log.js';

const flow = (now = () => 1_000_000) =>
  createLoginFlow({
    clientId: 'client-123',
    clientSecret: 'secret-456',
    authUrl: 'https://accounts.example/o/oauth2/v2/auth',
    tokenUrl: 'http://127.0.0.1:9/token',
    userinfoUrl: 'http://127.0.0.1:9/userinfo',
    redirectUri: 'http://localhost:7860/oauth2callback',
    storagePath: '/nonexistent-rotor-test',
    codeAssistEndpoint: 'http://127.0.0.1:9',
    logger: silentLogger,
    now,
  });

const rejection = async (p: Promise<unknown>): Promise<LoginError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(LoginError);
  return err as LoginError;
};

describe('login flow: the authorization request', () => {
  it('asks for offline access with consent, the three scopes, state and PKCE S256', () => {
    const pending = flow().begin('my-project');
    const url = new URL(pending.authUrl);
    expect(url.origin + url.pathname).toBe('https://accounts.example/o/oauth2/v2/auth');
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      client_id: 'client-123',
      redirect_uri: 'http://localhost:7860/oauth2callback',
      response_type: 'code',
      access_type: 'offline',
      prompt: 'consent',
      scope: LOGIN_SCOPES.join(' '),
      state: pending.state,
      code_challenge_method: 'S256',
    });
    expect(pending.state).toMatch(/^[0-9a-f]{64}$/);
    expect(q.code_challenge).toBe(createHash('sha256').update(pending.codeVerifier).digest('base64url'));
    expect(JSON.stringify(q)).not.toContain('secret-456');
    expect(pending.project).toBe('my-project');
  });

  it('uses a fresh state and verifier every time', () => {
    const a = flow().begin(undefined);
    const b = flow().begin('');
    expect(a.state).not.toBe(b.state);
    expect(a.codeVerifier).not.toBe(b.codeVerifier);
    expect(a.project).toBeUndefined();
    expect(b.project).toBeUndefined();
  });

  it('PKCE verifier is 43-128 unreserved characters and the challenge is its SHA-256', () => {
    const { codeVerifier, codeChallenge } = createPkce();
    expect(codeVerifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
    expect(codeChallenge).toBe(codeChallengeOf(codeVerifier));
    // RFC 7636 appendix B.
    expect(codeChallengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});

describe('login flow: the answer from Google', () => {
  it('refuses a missing or different state before anything else', async () => {
    const f = flow();
    const pending = f.begin(undefined);
    expect((await rejection(f.complete(undefined, { state: pending.state, code: 'c' }))).code).toBe('STATE_MISMATCH');
    expect((await rejection(f.complete(pending, { code: 'c' }))).code).toBe('STATE_MISMATCH');
    expect((await rejection(f.complete(pending, { state: 'other', code: 'c' }))).code).toBe('STATE_MISMATCH');
    // State is checked before Google's error: a forged error cannot reach the user as "denied".
    expect((await rejection(f.complete(pending, { state: 'x', error: 'access_denied' }))).code).toBe('STATE_MISMATCH');
  });

  it('reports denied consent, other OAuth errors and a missing code', async () => {
    const f = flow();
    const p = f.begin(undefined);
    const denied = await rejection(f.complete(p, { state: p.state, error: 'access_denied' }));
    expect(denied.code).toBe('ACCESS_DENIED');
    const other = await rejection(f.complete(p, { state: p.state, error: 'invalid_scope<b>', errorDescription: 'bad scope' }));
    expect(other.code).toBe('OAUTH_ERROR');
    expect(other.message).toContain('"invalid_scopeb": bad scope');
    expect((await rejection(f.complete(p, { state: p.state }))).code).toBe('MISSING_CODE');
  });

  it('expires a login after 10 minutes', async () => {
    let t = 0;
    const f = flow(() => t);
    const p = f.begin(undefined);
    t = 10 * 60_000 + 1;
    const err = await rejection(f.complete(p, { state: p.state, code: 'c' }));
    expect(err.title).toMatch(/expired/);
  });

  it('reports an unreachable token endpoint without leaking the code or the secret', async () => {
    const f = flow();
    const p = f.begin(undefined);
    const err = await rejection(f.complete(p, { state: p.state, code: '4/0A-the-code' }));
    expect(err.code).toBe('EXCHANGE_FAILED');
    expect(err.message).toMatch(/could not be reached/);
    expect(`${err.message} ${err.hint}`).not.toMatch(/4\/0A-the-code|secret-456|client-123/);
  }, 30_000);
});

describe('parseRedirectUrl', () => {
  it('reads state, code and error from a full URL or a bare query', () => {
    expect(parseRedirectUrl(' http://localhost:7860/oauth2callback?state=s1&code=4%2F0Ab&scope=x ')).toEqual({
      state: 's1',
      code: '4/0Ab',
      error: undefined,
      errorDescription: undefined,
    });
    expect(parseRedirectUrl('?state=s2&error=access_denied')).toMatchObject({ state: 's2', error: 'access_denied' });
    expect(parseRedirectUrl('state=s3&code=c')).toMatchObject({ state: 's3', code: 'c' });
  });

  it('refuses text that is not a redirect address', () => {
    for (const bad of ['', 'hello', 'https://example.com/', 42]) {
      expect(() => parseRedirectUrl(bad)).toThrow(LoginError);
    }
  });
});

describe('parseProjectField', () => {
  it('accepts project ids, trims, and treats empty as none', () => {
    expect(parseProjectField('  my-project-123 ')).toBe('my-project-123');
    expect(parseProjectField('example.com:my-proj')).toBe('example.com:my-proj');
    expect(parseProjectField('')).toBeUndefined();
    expect(parseProjectField(undefined)).toBeUndefined();
  });

  it('refuses project numbers and malformed ids with a hint', () => {
    expect(() => parseProjectField('123456789012')).toThrow(/project number/);
    expect(() => parseProjectField('bad project')).toThrow(/not a valid/);
    expect(() => parseProjectField('<script>')).toThrow(LoginError);
  });
});
