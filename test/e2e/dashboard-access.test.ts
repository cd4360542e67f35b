/**
 * The dashboard and /admin over HTTP: who gets in (direct loopback only without ADMIN_PASSWORD; each forwarding
 * header and a foreign Host refused), cross-site writes refused, the credential actions, the snapshot and its SSE
 * stream, and with ADMIN_PASSWORD the login (cookie flags, attempt budget), sessions, CSRF and logout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARDING_HEADERS } from '../../src/http/admin-access.js';
import type { Snapshot } from '../../src/http/dashboard/snapshot.js';
import { firstEvent, raw, startDashStack, type DashStack } from './dashboard-stack.js';

const ADMIN = 'admin-pass-0123456789';
const forwarded: Record<string, string> = {
  'x-forwarded-for': '203.0.113.7',
  forwarded: 'for=203.0.113.7;proto=https',
  'cf-connecting-ip': '203.0.113.7',
  'x-real-ip': '203.0.113.7',
};

describe('dashboard access without ADMIN_PASSWORD (direct loopback only)', () => {
  let s: DashStack;
  let id: string;
  beforeAll(async () => {
    s = await startDashStack({ accounts: [{ email: 'ada@example.com' }, { email: 'bob@example.com' }] });
    id = s.rotor.pool.list()[0]!.id;
  });
  afterAll(async () => s?.close());

  it('serves the page on loopback with a strict CSP and nothing from elsewhere', async () => {
    for (const path of ['/', '/dashboard']) {
      const r = await raw(s.rotor.url, path);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.text).toContain('<script src="/dashboard/app.js" defer></script>');
      // No external script, style or image: every src/href is Rotor's own path.
      for (const m of r.text.matchAll(/(?:src|href)="([^"]*)"/g)) expect(m[1]).toMatch(/^\//);
    }
    const js = await raw(s.rotor.url, '/dashboard/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect(js.text).not.toContain('innerHTML');
    const again = await raw(s.rotor.url, '/dashboard/app.js', { headers: { 'if-none-match': String(js.headers.etag) } });
    expect(again.status).toBe(304);
    expect((await raw(s.rotor.url, '/dashboard/app.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it.each(Object.keys(forwarded))('refuses every admin path when %s is present (a tunnel or proxy)', async (header) => {
    expect(FORWARDING_HEADERS).toContain(header);
    for (const path of ['/', '/dashboard', '/admin/status', '/admin/events']) {
      const r = await raw(s.rotor.url, path, { headers: { [header]: forwarded[header]! } });
      expect(r.status, `${header} on ${path}`).toBe(403);
      if (path.startsWith('/admin')) expect(JSON.parse(r.text).error.code).toBe('admin_loopback_only');
      else expect(r.text).toContain('id="refused"');
    }
    const post = await raw(s.rotor.url, `/admin/credentials/${encodeURIComponent(id)}/disable`, { method: 'POST', headers: { [header]: forwarded[header]! } });
    expect(post.status).toBe(403);
    expect(s.rotor.pool.status().credentials.every((c) => c.state === 'available')).toBe(true);
  });

  it('refuses a non-loopback Host (DNS rebinding, or a proxy that keeps the Host)', async () => {
    for (const host of ['rotor.example.com', 'abc-def.trycloudflare.com', '192.168.1.5:7860']) {
      for (const path of ['/', '/admin/status', '/admin/events']) {
        expect((await raw(s.rotor.url, path, { headers: { host } })).status, `${host} ${path}`).toBe(403);
      }
      const post = await raw(s.rotor.url, `/admin/credentials/${encodeURIComponent(id)}/disable`, { method: 'POST', headers: { host } });
      expect(post.status).toBe(403);
    }
    expect(s.rotor.pool.status().summary.disabled).toBe(0);
  });

  it('refuses a write a page on another site sends, and takes one from this machine', async () => {
    const path = `/admin/credentials/${encodeURIComponent(id)}/disable`;
    const attempts: Array<Record<string, string>> = [{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'http://localhost:1' }];
    for (const headers of attempts) {
      const r = await raw(s.rotor.url, path, { method: 'POST', headers });
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(r.text).error.code).toBe('admin_cross_site');
    }
    expect(s.rotor.pool.status().summary.disabled).toBe(0);

    const host = new URL(s.rotor.url).host;
    const ok = await raw(s.rotor.url, path, { method: 'POST', headers: { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' } });
    expect(ok.status).toBe(204);
    const c = s.rotor.pool.status().credentials.find((x) => x.id === id)!;
    expect(c.state).toBe('disabled');
    expect((await raw(s.rotor.url, `/admin/credentials/${encodeURIComponent(id)}/enable`, { method: 'POST' })).status).toBe(204);
    expect(s.rotor.pool.status().credentials.find((x) => x.id === id)!.state).toBe('available');
  });

  it('clears cooldowns, and answers 404 for an unknown credential', async () => {
    s.sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 60_000 }, email: 'ada@example.com', times: 1 });
    s.sim.injectFault({ fault: { type: 'rate-limit', retryDelayMs: 60_000 }, email: 'bob@example.com', times: 1 });
    await s.chat();
    const cooling = s.rotor.pool.status().credentials.filter((c) => Object.keys(c.models).length > 0);
    expect(cooling.length).toBeGreaterThan(0);
    for (const c of cooling) expect((await raw(s.rotor.url, `/admin/credentials/${encodeURIComponent(c.id)}/clear-cooldown`, { method: 'POST' })).status).toBe(204);
    expect(s.rotor.pool.status().credentials.every((c) => Object.keys(c.models).length === 0)).toBe(true);
    for (const action of ['disable', 'enable', 'clear-cooldown']) {
      const r = await raw(s.rotor.url, `/admin/credentials/nobody/${action}`, { method: 'POST' });
      expect(r.status).toBe(404);
      expect(JSON.parse(r.text).error.code).toBe('credential_not_found');
    }
  });

  it('GET /admin/status is the snapshot: masked tokens, quotas, the series, recent errors', async () => {
    await s.chat();
    const r = await raw(s.rotor.url, '/admin/status');
    expect(r.status).toBe(200);
    const snap = JSON.parse(r.text) as Snapshot;
    expect(snap.credentials.map((c) => c.email).sort()).toEqual(['ada@example.com', 'bob@example.com']);
    for (const c of snap.credentials) if (c.access_token) expect(c.access_token).toMatch(/…/);
    expect(r.text).not.toMatch(/ya29\.[A-Za-z0-9._-]{12,}/);
    expect(r.text).not.toContain('1//sim-refresh');
    expect(snap.series.total).toHaveLength(60);
    expect(snap.series.total.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
    expect(Object.keys(snap.series.by_model)).toContain('gemini-2.5-flash');
    expect(snap.errors.some((e) => e.scope === 'attempt' && e.kind === 'rate')).toBe(true);
    expect(snap.quotas.some((b) => b.models.some((m) => m.model === 'gemini-2.5-flash' && m.used_today > 0))).toBe(true);
    expect(snap.store.kind).toBe('memory');
    expect(snap.tokens).toEqual([]); // no token created yet
  });

  it('GET /admin/events starts with a snapshot over SSE', async () => {
    const first = await firstEvent(`${s.rotor.url}/admin/events`);
    expect(first.status).toBe(200);
    expect(first.type).toBe('text/event-stream; charset=utf-8');
    expect(first.event).toBe('snapshot');
    expect((first.data as Snapshot).credentials).toHaveLength(2);
    await expect.poll(() => s.rotor.dashboard.watching).toBe(0);
  });

  it('has no login without ADMIN_PASSWORD', async () => {
    const r = await raw(s.rotor.url, '/admin/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":"x"}' });
    expect(r.status).toBe(404);
    expect(r.headers['set-cookie']).toBeUndefined();
  });
});

describe('dashboard access with ADMIN_PASSWORD', () => {
  let s: DashStack;
  let id: string;
  beforeAll(async () => {
    s = await startDashStack({
      accounts: [{ email: 'cy@example.com' }],
      adminPassword: ADMIN,
      server: { adminLogin: { attempts: { maxFailures: 3 }, wrongPasswordDelayMs: 5 } },
    });
    id = s.rotor.pool.list()[0]!.id;
  });
  afterAll(async () => s?.close());

  const login = (password: string, headers: Record<string, string> = {}) =>
    raw(s.rotor.url, '/admin/login', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ password }) });
  const cookieOf = (r: { headers: Record<string, unknown> }) => String((r.headers['set-cookie'] as string[] | undefined)?.[0] ?? '');

  it('asks for a login: the page is the login form, /admin answers 401', async () => {
    const page = await raw(s.rotor.url, '/');
    expect(page.status).toBe(401);
    expect(page.text).toContain('id="login-form"');
    expect(page.text).not.toContain('id="creds"');
    for (const path of ['/admin/status', '/admin/events']) {
      const r = await raw(s.rotor.url, path);
      expect(r.status).toBe(401);
      expect(JSON.parse(r.text).error.code).toBe('admin_login_required');
    }
    expect((await raw(s.rotor.url, `/admin/credentials/${encodeURIComponent(id)}/disable`, { method: 'POST' })).status).toBe(401);
    // The API password is not the admin password.
    expect((await raw(s.rotor.url, '/admin/status', { headers: { authorization: 'Bearer dash-api-secret-123' } })).status).toBe(401);
  });

  it('takes the password as Bearer (the CLI), through a proxy too', async () => {
    const r = await raw(s.rotor.url, '/admin/status', { headers: { authorization: `Bearer ${ADMIN}`, ...forwarded, host: 'rotor.example.com' } });
    expect(r.status).toBe(200);
    // A Bearer write needs no CSRF token (no browser sends Bearer on its own)...
    expect((await raw(s.rotor.url, `/admin/credentials/${encodeURIComponent(id)}/clear-cooldown`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(204);
    // ...but a browser's cross-site write is refused whoever it claims to be.
    const cross = await raw(s.rotor.url, `/admin/credentials/${encodeURIComponent(id)}/disable`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'sec-fetch-site': 'cross-site' } });
    expect(cross.status).toBe(403);
  });

  it('logs in with an httpOnly, SameSite=Strict cookie; writes need the CSRF token; logout ends the session', async () => {
    const wrong = await login('nope');
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const ok = await login(ADMIN);
    expect(ok.status).toBe(204);
    const setCookie = cookieOf(ok);
    expect(setCookie).toMatch(/^rotor_admin=[A-Za-z0-9_-]{40,};/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).not.toMatch(/Secure/); // plain http on loopback
    const cookie = setCookie.split(';')[0]!;

    const page = await raw(s.rotor.url, '/', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="logout"');
    const csrf = /<meta name="rotor-csrf" content="([^"]+)">/.exec(page.text)?.[1];
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect((await raw(s.rotor.url, '/admin/status', { headers: { cookie } })).status).toBe(200);
    const events = await firstEvent(`${s.rotor.url}/admin/events`, { cookie });
    expect(events.event).toBe('snapshot');

    const disable = `/admin/credentials/${encodeURIComponent(id)}/disable`;
    const noToken = await raw(s.rotor.url, disable, { method: 'POST', headers: { cookie } });
    expect(noToken.status).toBe(403);
    expect(JSON.parse(noToken.text).error.code).toBe('admin_csrf');
    expect((await raw(s.rotor.url, disable, { method: 'POST', headers: { cookie, 'x-rotor-csrf': 'forged-token-forged-token' } })).status).toBe(403);
    // A page on another site that somehow had the cookie and the token is still refused.
    expect((await raw(s.rotor.url, disable, { method: 'POST', headers: { cookie, 'x-rotor-csrf': csrf!, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' } })).status).toBe(403);
    expect(s.rotor.pool.status().summary.disabled).toBe(0);
    expect((await raw(s.rotor.url, disable, { method: 'POST', headers: { cookie, 'x-rotor-csrf': csrf!, 'sec-fetch-site': 'same-origin' } })).status).toBe(204);
    expect(s.rotor.pool.status().summary.disabled).toBe(1);
    expect((await raw(s.rotor.url, `/admin/credentials/${encodeURIComponent(id)}/enable`, { method: 'POST', headers: { cookie, 'x-rotor-csrf': csrf! } })).status).toBe(204);

    const out = await raw(s.rotor.url, '/admin/logout', { method: 'POST', headers: { cookie, 'x-rotor-csrf': csrf! } });
    expect(out.status).toBe(204);
    expect(cookieOf(out)).toMatch(/^rotor_admin=; .*Max-Age=0/);
    expect((await raw(s.rotor.url, '/admin/status', { headers: { cookie } })).status).toBe(401);
  });

  it('marks the cookie Secure when the visitor came over https (a tunnel says so)', async () => {
    const ok = await login(ADMIN, { 'x-forwarded-proto': 'https', 'cf-connecting-ip': '198.51.100.9' });
    expect(ok.status).toBe(204);
    expect(cookieOf(ok)).toMatch(/; Secure/);
  });

  it('refuses a cross-site login, and stops a client after its budget of wrong passwords', async () => {
    expect((await login(ADMIN, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // A form post (not JSON) cannot reach it at all.
    const form = await raw(s.rotor.url, '/admin/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `password=${ADMIN}` });
    expect(form.status).toBe(415);

    const visitor = { 'cf-connecting-ip': '198.51.100.77' };
    for (let i = 0; i < 3; i++) expect((await login('guess' + i, visitor)).status).toBe(401);
    const locked = await login(ADMIN, visitor);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // Another visitor through the same tunnel keeps its own budget.
    expect((await login(ADMIN, { 'cf-connecting-ip': '198.51.100.78' })).status).toBe(204);
    expect(s.logs.join('\n')).not.toContain(ADMIN);
  });
});

describe('dashboard streams at shutdown', () => {
  it('ends every SSE stream when Rotor stops, so a watching page does not hold the shutdown', async () => {
    const s = await startDashStack({ accounts: [{ email: 'eve@example.com' }] });
    try {
      const res = await fetch(`${s.rotor.url}/admin/events`);
      const reader = res.body!.getReader();
      await reader.read(); // the stream is open
      await expect.poll(() => s.rotor.dashboard.watching).toBe(1);
      // A grace longer than the test's timeout: a stream that held the shutdown would fail the test, no clock needed.
      await s.rotor.close(600_000);
      // The page's stream ends (after whatever was already sent).
      for (;;) if ((await reader.read()).done) break;
    } finally {
      await s.close();
    }
  });
});

describe('a credential that took itself out', () => {
  it('shows the fix (sign in again), and Enable answers 409 rather than pretending', async () => {
    const s = await startDashStack({ accounts: [{ email: 'rev@example.com', revoked: true }, { email: 'fine@example.com' }] });
    try {
      const rev = s.rotor.pool.list().find((m) => m.email === 'rev@example.com')!;
      for (let i = 0; i < 4 && rev.disabledReason === undefined; i++) expect(await s.chat()).toBe(200);
      expect(rev.disabledReason).toBeDefined();
      const snap = JSON.parse((await raw(s.rotor.url, '/admin/status')).text) as Snapshot;
      const c = snap.credentials.find((x) => x.id === rev.id)!;
      expect(c.state).toBe('disabled');
      expect(c.disabled_by_operator).toBe(false);
      expect(c.fix?.text).toContain('rotor --gen-creds');
      const r = await raw(s.rotor.url, `/admin/credentials/${encodeURIComponent(rev.id)}/enable`, { method: 'POST' });
      expect(r.status).toBe(409);
      expect(JSON.parse(r.text).error.code).toBe('credential_disabled_itself');
      expect(r.text).not.toContain('1//sim-refresh');
    } finally {
      await s.close();
    }
  });
});
