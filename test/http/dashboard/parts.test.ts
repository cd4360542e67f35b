/** The dashboard's parts: the per-minute rings, the recent failures, the fixes read from reasons, the sessions. */
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { RequestSeries, OTHER, NO_TOKEN, MINUTE_MS } from '../../../src/http/dashboard/series.js';
import { RecentErrors } from '../../../src/http/dashboard/recent-errors.js';
import { fixFor, AI_STUDIO_KEYS } from '../../../src/http/dashboard/fix.js';
import { AdminSessions, readCookie } from '../../../src/http/dashboard/sessions.js';
import { crossSiteWrite } from '../../../src/http/admin-access.js';
import type { MemberStatus } from '../../../src/pool/types.js';

const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);
const req = (headers: Record<string, string>, method = 'POST') => ({ headers, method }) as unknown as IncomingMessage;

describe('RequestSeries', () => {
  it('counts per minute for the last hour, per model and token, oldest first', () => {
    let now = T0;
    const s = new RequestSeries(() => now);
    s.record('gemini-2.5-flash', 'cursor', T0 - 59 * MINUTE_MS);
    s.record('gemini-2.5-flash', undefined, T0 - 60 * MINUTE_MS); // an hour ago: outside
    s.record('gemini-2.5-pro', 'cursor', T0 - 5 * MINUTE_MS);
    s.record('gemini-2.5-pro', 'cursor', T0);
    s.record('gemini-2.5-pro', undefined, T0 + 59_000);
    const v = s.view();
    expect(v.start).toBe(T0 - 59 * MINUTE_MS);
    expect(v.total).toHaveLength(60);
    expect(v.total[0]).toBe(1);
    expect(v.total[54]).toBe(1);
    expect(v.total[59]).toBe(2);
    expect(v.by_model['gemini-2.5-pro']![59]).toBe(2);
    expect(v.by_token['cursor']![0]).toBe(1);
    expect(v.by_token[NO_TOKEN]![59]).toBe(1);

    // An event that arrives late still lands in its own minute; time moving on drops what left the hour.
    s.record('gemini-2.5-pro', 'cursor', T0 - 2 * MINUTE_MS);
    expect(s.view().total[57]).toBe(1);
    now = T0 + 30 * MINUTE_MS;
    const later = s.view();
    expect(later.total.reduce((a, b) => a + b, 0)).toBe(4); // the request 59 minutes before T0 has left the hour
    expect(later.total[59 - 30 - 5]).toBe(1);
    now = T0 + 2 * 3_600_000;
    const empty = s.view();
    expect(empty.total.every((n) => n === 0)).toBe(true);
    expect(empty.by_model).toEqual({});
    expect(empty.by_token).toEqual({});
  });

  it('keeps at most maxSeries named series per dimension; the rest count as "(other)"', () => {
    const s = new RequestSeries(() => T0, 3);
    for (let i = 0; i < 50; i++) s.record(`model-${i}`, `token-${i}`, T0);
    const v = s.view();
    expect(Object.keys(v.by_model)).toHaveLength(4);
    expect(v.by_model[OTHER]![59]).toBe(47);
    expect(Object.keys(v.by_token)).toHaveLength(4);
    expect(v.total[59]).toBe(50);
  });
});

describe('RecentErrors', () => {
  const attempt = (requestId: string, blamed = true) =>
    ({ type: 'attempt', requestId, model: 'gemini-2.5-flash', credential: 'c1', route: 'code-assist', attempt: 1, outcome: 'error', status: 429, kind: 'rate', blamed, latencyMs: 5, stream: false }) as const;

  it('keeps the newest failures, bounded, with the pool\'s reason (redacted) for blamed attempts', () => {
    const r = new RecentErrors(3);
    expect(r.record({ type: 'attempt', requestId: 'ok', model: 'm', credential: 'c1', route: 'x', attempt: 1, outcome: 'ok', latencyMs: 1, stream: false }, T0)).toBe(false);
    expect(r.record({ type: 'done', requestId: 'gone', model: 'm', operation: 'generate', outcome: 'error', credential: undefined, route: undefined, error: 'client-abort', latencyMs: 1 }, T0)).toBe(false);
    r.record(attempt('a'), T0);
    r.record({ type: 'done', requestId: 'b', model: 'gemini-2.5-flash', operation: 'generate', outcome: 'error', credential: undefined, route: undefined, error: '429', latencyMs: 1 }, T0);
    r.record(attempt('c', false), T0);
    r.record(attempt('d'), T0);
    const status: MemberStatus[] = [
      { id: 'c1', email: null, project: null, route: 'code-assist', state: 'available', reason: null, until: null, models: { 'gemini-2.5-flash': { state: 'cooling_down', until: null, reason: 'rate limited: key AIzaSECRET' } } },
    ];
    r.resolve(status, (t) => t.replace('AIzaSECRET', 'AIza…'), T0 + 100);
    const list = r.list();
    expect(list.map((e) => e.request_id)).toEqual(['d', 'c', 'b']);
    expect(list[0]!.reason).toBe('rate limited (HTTP 429): rate limited: key AIza…');
    expect(list[1]!.reason).toBe('rate limited (HTTP 429); not held against the credential');
    expect(list[2]).toMatchObject({ scope: 'request', status: 429, reason: 'no credential had quota left for the model' });
    expect(JSON.stringify(list)).not.toContain('pending');
  });

  it('does not attach a reason to a failure seen long before', () => {
    const r = new RecentErrors();
    r.record(attempt('old'), T0);
    r.resolve([{ id: 'c1', email: null, project: null, route: 'x', state: 'disabled', reason: 'later trouble', until: null, models: {} }], (t) => t, T0 + 60_000);
    expect(r.list()[0]!.reason).toBe('rate limited (HTTP 429)');
  });
});

describe('fixFor', () => {
  it('links the verification page only when it is Google\'s', () => {
    expect(fixFor('Verify your account: https://accounts.google.com/signin/continue?x=1.', false)).toMatchObject({ link: 'https://accounts.google.com/signin/continue?x=1' });
    const phishing = fixFor('Verify your account: https://accounts.google.com.evil.example/login', false)!;
    expect(phishing.link).toBeUndefined();
    expect(phishing.text).toMatch(/verification/);
    expect(fixFor('VALIDATION_REQUIRED javascript:alert(1)', false)!.link).toBeUndefined();
  });

  it('says what to do for the reasons Rotor knows', () => {
    expect(fixFor('Google no longer accepts this kind of Gemini API key (ACCESS_TOKEN_TYPE_UNSUPPORTED): …', false)).toMatchObject({ link: AI_STUDIO_KEYS });
    expect(fixFor('API key not valid. Please pass a valid API key.', false)!.text).toMatch(/AI Studio/);
    expect(fixFor('invalid_grant: Token has been expired or revoked.', false)!.text).toMatch(/--gen-creds/);
    expect(fixFor('anything', true)!.text).toMatch(/press Enable/);
    expect(fixFor('something new', false)).toBeUndefined();
    expect(fixFor(null, false)).toBeUndefined();
  });
});

describe('AdminSessions', () => {
  it('issues random ids in an httpOnly SameSite=Strict cookie, with a CSRF token, lifetimes and a bound', () => {
    let now = T0;
    const sessions = new AdminSessions({ ttlMs: 10_000, idleMs: 4_000, max: 2, now: () => now });
    const a = sessions.create();
    const cookieA = sessions.cookie(a, req({}));
    expect(cookieA).toMatch(/^rotor_admin=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=10$/);
    expect(sessions.cookie(a, req({ 'x-forwarded-proto': 'https' }))).toMatch(/; Secure$/);
    const withA = { cookie: `other=1; rotor_admin=${a.id}` };
    expect(sessions.sessionOk(req(withA))).toBe(true);
    expect(sessions.csrfOk(req(withA))).toBe(false);
    expect(sessions.csrfOk(req({ ...withA, 'x-rotor-csrf': a.csrf }))).toBe(true);
    expect(sessions.csrfOk(req({ ...withA, 'x-rotor-csrf': a.csrf + 'x' }))).toBe(false);
    expect(sessions.sessionOk(req({ cookie: 'rotor_admin=made-up' }))).toBe(false);

    // Idle too long: gone. Used in time: kept until its lifetime ends.
    now += 3_000;
    expect(sessions.sessionOk(req(withA))).toBe(true);
    now += 3_000;
    expect(sessions.sessionOk(req(withA))).toBe(true);
    now += 5_000; // 11 s after creation
    expect(sessions.sessionOk(req(withA))).toBe(false);

    // Bounded: the oldest goes first.
    const b = sessions.create();
    const c = sessions.create();
    const d = sessions.create();
    expect(sessions.size).toBe(2);
    expect(sessions.sessionOk(req({ cookie: `rotor_admin=${b.id}` }))).toBe(false);
    expect(sessions.sessionOk(req({ cookie: `rotor_admin=${c.id}` }))).toBe(true);
    sessions.end(req({ cookie: `rotor_admin=${d.id}` }));
    expect(sessions.sessionOk(req({ cookie: `rotor_admin=${d.id}` }))).toBe(false);
    expect(readCookie('a=1; rotor_admin = x ', 'rotor_admin')).toBe('x');
  });
});

describe('crossSiteWrite', () => {
  it('refuses a browser\'s write from another site, lets non-browsers and reads through', () => {
    expect(crossSiteWrite(req({ 'sec-fetch-site': 'cross-site' }, 'GET'), true)).toBeUndefined();
    expect(crossSiteWrite(req({}), true)).toBeUndefined();
    expect(crossSiteWrite(req({ 'sec-fetch-site': 'cross-site' }), false)?.status).toBe(403);
    expect(crossSiteWrite(req({ 'sec-fetch-site': 'same-site' }, 'DELETE'), false)?.status).toBe(403);
    expect(crossSiteWrite(req({ 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:7860', host: '127.0.0.1:7860' }), true)).toBeUndefined();
    expect(crossSiteWrite(req({ origin: 'http://127.0.0.1:9999', host: '127.0.0.1:7860' }), true)?.status).toBe(403);
    // With ADMIN_PASSWORD the Origin is not compared with the Host (a tunnel may rewrite the Host): the CSRF token is.
    expect(crossSiteWrite(req({ origin: 'https://abc-def.trycloudflare.com', host: '127.0.0.1:7860', 'sec-fetch-site': 'same-origin' }), false)).toBeUndefined();
  });
});
