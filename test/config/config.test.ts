import { describe, expect, it } from 'vitest';
import { GEMINI_CLI_CLIENT_ID, loadConfig } from '../../src/config/config.js';

describe('loadConfig', () => {
  it('has sane defaults', () => {
    const r = loadConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({
      port: 7860,
      host: '127.0.0.1',
      password: undefined,
      storagePath: './credentials',
      clientId: GEMINI_CLI_CLIENT_ID,
      domainName: 'http://localhost:7860',
      debug: false,
      redactLogs: true,
      codeAssistEndpoint: 'https://cloudcode-pa.googleapis.com',
      oauthTokenUrlOverride: undefined,
      oauthTokenUrl: 'https://oauth2.googleapis.com/token',
      maxBodyBytes: 20 * 1024 * 1024,
      mediaFetch: { allowPrivateNetworks: false, maxBytes: 20 * 1024 * 1024, timeoutMs: 15_000, maxUrls: 16, maxTotalBytes: 50 * 1024 * 1024 },
    });
  });

  it('reads the media limits and refuses bad ones', () => {
    const r = loadConfig({ MEDIA_MAX_URLS: '4', MEDIA_MAX_TOTAL_BYTES: '1048576' });
    expect(r.ok && r.config.mediaFetch).toMatchObject({ maxUrls: 4, maxTotalBytes: 1048576 });
    const bad = loadConfig({ MEDIA_MAX_URLS: '-1', MEDIA_MAX_TOTAL_BYTES: 'lots' });
    expect(!bad.ok && bad.errors).toEqual([
      'MEDIA_MAX_URLS: expected a whole number from 0 to 1000, found "-1"',
      'MEDIA_MAX_TOTAL_BYTES: expected a whole number from 1024 to 1073741824, found "lots"',
    ]);
  });

  it('reports every bad variable on its own line with name, expectation and value', () => {
    const r = loadConfig({ PORT: '99999', DEBUG: 'perhaps', CODE_ASSIST_ENDPOINT: 'ftp://x', MAX_BODY_BYTES: '-1' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'PORT: expected a whole number from 0 to 65535, found "99999"',
      'DEBUG: expected true or false, found "perhaps"',
      'CODE_ASSIST_ENDPOINT: expected an http(s) URL, found "ftp://x"',
      'MAX_BODY_BYTES: expected a whole number from 1024 to 1073741824, found "-1"',
    ]);
  });

  it('accepts a public HOST with or without a password (without one it serves access tokens only: checked at start)', () => {
    expect(loadConfig({ HOST: '0.0.0.0' }).ok).toBe(true);
    expect(loadConfig({ HOST: '0.0.0.0', GEMINI_AUTH_PASSWORD: 'pw' }).ok).toBe(true);
    expect(loadConfig({ HOST: '::1' }).ok).toBe(true);
    expect(loadConfig({ HOST: 'localhost' }).ok).toBe(true);
  });

  it('treats GOOGLE_OAUTH_TOKEN_URL as an override only when set, and trims trailing slashes', () => {
    const r = loadConfig({ GOOGLE_OAUTH_TOKEN_URL: 'http://127.0.0.1:9/token', CODE_ASSIST_ENDPOINT: 'http://127.0.0.1:9/' });
    expect(r.ok && r.config.oauthTokenUrlOverride).toBe('http://127.0.0.1:9/token');
    expect(r.ok && r.config.codeAssistEndpoint).toBe('http://127.0.0.1:9');
  });

  it('reads MODELS as a comma list', () => {
    const r = loadConfig({ MODELS: 'a, b ,,c' });
    expect(r.ok && r.config.models).toEqual(['a', 'b', 'c']);
  });

  it('parses MODEL_FALLBACKS and rejects a malformed rule', () => {
    const r = loadConfig({ MODEL_FALLBACKS: 'gemini-2.5-pro=gemini-2.5-flash; gemini-3-pro-preview = gemini-3-flash-preview, gemini-2.5-flash' });
    expect(r.ok && [...r.config.modelFallbacks]).toEqual([
      ['gemini-2.5-pro', ['gemini-2.5-flash']],
      ['gemini-3-pro-preview', ['gemini-3-flash-preview', 'gemini-2.5-flash']],
    ]);
    const bad = loadConfig({ MODEL_FALLBACKS: 'gemini-2.5-pro' });
    expect(!bad.ok && bad.errors).toEqual(['MODEL_FALLBACKS: expected "model=fallback[,fallback…][;model=…]", found "gemini-2.5-pro"']);
  });
});
