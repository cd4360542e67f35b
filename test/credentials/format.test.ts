import { describe, expect, it } from 'vitest';
import { formatExpiry, parseCredentialJson, parseExpiry, serializeCredential } from '../../src/credentials/index.js';

const geminiCli = {
  access_token: 'ya29.a0AfB_old-access-token',
  refresh_token: '1//0gRefreshTokenValue123',
  scope: 'https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email',
  token_type: 'Bearer',
  id_token: 'eyJhbGciOiJSUzI1NiJ9.payload.sig',
  expiry_date: 1750927763467,
  custom_field: { nested: [1, 2, 3] },
};

const authorizedUser = {
  client_id: '681255809395-abc.apps.googleusercontent.com',
  client_secret: 'GOCSPX-secretvalue',
  token: 'ya29.a0AfB_authorized-user',
  refresh_token: '1//0gAuthorizedUserRefresh',
  scopes: ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/userinfo.email'],
  token_uri: 'https://oauth2.googleapis.com/token',
  expiry: '2025-06-26T08:49:23+00:00',
  project_id: 'my-proj-123',
  universe_domain: 'googleapis.com',
  account: '',
};

describe('parseCredentialJson', () => {
  it('reads the gemini-cli format', () => {
    const c = parseCredentialJson(geminiCli);
    expect(c).toMatchObject({
      format: 'gemini-cli',
      accessToken: 'ya29.a0AfB_old-access-token',
      refreshToken: '1//0gRefreshTokenValue123',
      expiresAt: 1750927763467,
      tokenType: 'Bearer',
      idToken: 'eyJhbGciOiJSUzI1NiJ9.payload.sig',
      clientId: undefined,
      projectId: undefined,
      email: undefined,
    });
  });

  it('reads the authorized_user format with a scope list and an offset expiry', () => {
    const c = parseCredentialJson(authorizedUser);
    expect(c).toMatchObject({
      format: 'authorized-user',
      accessToken: 'ya29.a0AfB_authorized-user',
      refreshToken: '1//0gAuthorizedUserRefresh',
      expiresAt: Date.UTC(2025, 5, 26, 8, 49, 23),
      clientId: '681255809395-abc.apps.googleusercontent.com',
      clientSecret: 'GOCSPX-secretvalue',
      tokenUri: 'https://oauth2.googleapis.com/token',
      projectId: 'my-proj-123',
      scope: 'https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email',
    });
  });

  it('reads authorized_user with a scope string, a naive UTC expiry and microseconds', () => {
    const c = parseCredentialJson({ refresh_token: '1//x', token: 't', scopes: 'a b', expiry: '2025-06-26T08:49:23.123456' });
    expect(c.format).toBe('authorized-user');
    expect(c.scope).toBe('a b');
    expect(c.expiresAt).toBe(Date.UTC(2025, 5, 26, 8, 49, 23, 123));
  });

  it('reads the CLIProxyAPI nested format', () => {
    const c = parseCredentialJson({
      token: { access_token: 'ya29.cp', refresh_token: '1//cp', expiry: '2025-06-26T10:49:23.5+02:00', token_type: 'Bearer', universe_domain: 'googleapis.com' },
      project_id: 'p1,p2',
      email: 'a@x.com',
      type: 'gemini',
      auto: true,
    });
    expect(c).toMatchObject({ format: 'cliproxy', accessToken: 'ya29.cp', refreshToken: '1//cp', projectId: 'p1', email: 'a@x.com' });
    expect(c.expiresAt).toBe(Date.UTC(2025, 5, 26, 8, 49, 23, 500));
  });

  it('treats a bare {refresh_token} as gemini-cli and empty project_id as absent', () => {
    const c = parseCredentialJson({ refresh_token: '1//only', project_id: '' });
    expect(c.format).toBe('gemini-cli');
    expect(c.projectId).toBeUndefined();
    expect(c.accessToken).toBeUndefined();
  });

  it('rejects a missing refresh_token with a clear reason', () => {
    expect(() => parseCredentialJson({ access_token: 'ya29.x', expiry_date: 1 })).toThrow(/missing refresh_token/);
    expect(() => parseCredentialJson({ token: 'ya29.x', refresh_token: '' })).toThrow(/missing refresh_token/);
    expect(() => parseCredentialJson({ token: { access_token: 'a' } })).toThrow(/missing refresh_token \(cliproxy/);
  });

  it('rejects wrong types, naming the field', () => {
    expect(() => parseCredentialJson({ refresh_token: '1//x', expiry_date: 'tomorrow' })).toThrow(/^expiry_date: /);
    expect(() => parseCredentialJson({ refresh_token: 42 })).toThrow(/^refresh_token: /);
    expect(() => parseCredentialJson({ refresh_token: '1//x', token: 't', expiry: 'not a date' })).toThrow(/expiry: .*ISO-8601/);
    expect(() => parseCredentialJson({ refresh_token: '1//x', scopes: [1] })).toThrow(/^scopes/);
    expect(() => parseCredentialJson(['x'])).toThrow('expected a JSON object');
    expect(() => parseCredentialJson(null)).toThrow('expected a JSON object');
  });
});

describe('serializeCredential', () => {
  it('round-trips gemini-cli unchanged and keeps unknown fields after an update', () => {
    const c = parseCredentialJson(geminiCli);
    expect(JSON.parse(serializeCredential(c))).toEqual(geminiCli);
    const out = JSON.parse(serializeCredential({ ...c, accessToken: 'ya29.new', expiresAt: 2e12, projectId: 'p-9' }));
    expect(out).toEqual({ ...geminiCli, access_token: 'ya29.new', expiry_date: 2e12, project_id: 'p-9' });
  });

  it('writes authorized_user in its own format with a YYYY-MM-DDTHH:MM:SSZ expiry', () => {
    const c = parseCredentialJson(authorizedUser);
    const expiresAt = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
    const out = JSON.parse(serializeCredential({ ...c, accessToken: 'ya29.renewed', expiresAt }));
    expect(out).toEqual({ ...authorizedUser, token: 'ya29.renewed', expiry: '2030-01-02T03:04:05Z' });
    expect(out).not.toHaveProperty('access_token');
    expect(out).not.toHaveProperty('expiry_date');
  });

  it('writes the CLIProxyAPI format nested and leaves a multi-project list alone', () => {
    const raw = { token: { access_token: 'a', refresh_token: '1//r', expiry: '2025-01-01T00:00:00Z', extra: 1 }, project_id: 'p1,p2', type: 'gemini' };
    const c = parseCredentialJson(raw);
    const out = JSON.parse(serializeCredential({ ...c, accessToken: 'b', expiresAt: Date.UTC(2031, 0, 1) }));
    expect(out).toEqual({ token: { access_token: 'b', refresh_token: '1//r', expiry: '2031-01-01T00:00:00Z', extra: 1 }, project_id: 'p1,p2', type: 'gemini' });
    expect(JSON.parse(serializeCredential({ ...c, projectId: 'p3' })).project_id).toBe('p3');
  });

  it('formats and parses expiry consistently', () => {
    expect(formatExpiry(Date.UTC(2025, 5, 26, 8, 49, 23, 999))).toBe('2025-06-26T08:49:23Z');
    expect(parseExpiry('2025-06-26T08:49:23Z')).toBe(Date.UTC(2025, 5, 26, 8, 49, 23));
  });
});
