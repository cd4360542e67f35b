/**
 * Google's consent screen, reduced to an account chooser: GET /o/oauth2/v2/auth lists the accounts; choosing
 * one redirects to redirect_uri with a single-use code (5 minutes), Cancel redirects with access_denied.
 * The request's parameters stay server-side under a session id, so a page link cannot alter them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { escapeHtml, redirect, sendHtml } from './http-io.js';
import { randomId, type AuthSession } from './state.js';

const CODE_TTL_MS = 5 * 60 * 1000;
const SESSION_TTL_MS = 30 * 60 * 1000;
export const AUTH_PATH = '/o/oauth2/v2/auth';

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}a.account{display:block;padding:.8rem;margin:.4rem 0;border:1px solid #ccc;border-radius:6px;text-decoration:none;color:#202124}a.account:hover{background:#f1f3f4}.error{color:#b00020}</style>
</head><body>${body}</body></html>`;
}

function errorPage(res: ServerResponse, message: string): void {
  sendHtml(res, 400, page('Error 400', `<h1 class="error">Error 400: invalid_request</h1><p class="error">${escapeHtml(message)}</p>`));
}

function validRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function handleAuthPage(ctx: SimContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
  ctx.state.record({ method: 'auth', body: Object.fromEntries(query), at: ctx.now() }, undefined, res);
  const clientId = query.get('client_id');
  const redirectUri = query.get('redirect_uri');
  if (!clientId) return errorPage(res, 'Missing required parameter: client_id');
  if (!redirectUri) return errorPage(res, 'Missing required parameter: redirect_uri');
  if (!validRedirect(redirectUri)) return errorPage(res, `Invalid parameter value for redirect_uri: ${redirectUri}`);
  if (query.get('response_type') !== 'code') return errorPage(res, 'Invalid response_type: only "code" is supported.');
  const scope = query.get('scope');
  if (!scope) return errorPage(res, 'Missing required parameter: scope');
  const challenge = query.get('code_challenge') ?? undefined;
  const method = query.get('code_challenge_method') ?? (challenge ? 'plain' : undefined);
  if (method !== undefined && method !== 'S256' && method !== 'plain') {
    return errorPage(res, `Invalid code_challenge_method: ${method}`);
  }
  if (method !== undefined && !challenge) return errorPage(res, 'Missing required parameter: code_challenge');

  const session: AuthSession = {
    clientId,
    redirectUri,
    scope: scope.split(/\s+/).filter(Boolean).join(' '),
    offline: query.get('access_type') === 'offline',
    expiresAt: ctx.now() + SESSION_TTL_MS,
    ...(query.get('state') !== null ? { state: query.get('state') ?? '' } : {}),
    ...(challenge !== undefined ? { codeChallenge: challenge, codeChallengeMethod: method === 'S256' ? 'S256' : 'plain' } : {}),
  };
  const id = randomId(16);
  ctx.state.sessions.set(id, session);

  const sid = encodeURIComponent(id);
  const accounts = [...ctx.state.accounts.values()]
    .map(
      (a) =>
        `<a class="account" data-email="${escapeHtml(a.email)}" href="${AUTH_PATH}/choose?session=${sid}&amp;email=${escapeHtml(encodeURIComponent(a.email))}">${escapeHtml(a.email)}</a>`,
    )
    .join('\n');
  const html = page(
    'Sign in - Google Accounts',
    `<h1>Choose an account</h1>
<p>to continue to <span class="client">${escapeHtml(clientId)}</span></p>
<div class="accounts">${accounts || '<p class="empty">No accounts.</p>'}</div>
<p><a class="deny" id="deny" href="${AUTH_PATH}/deny?session=${sid}">Cancel</a></p>
<p class="scopes">Requested access: ${escapeHtml(session.scope)}</p>`,
  );
  sendHtml(res, 200, html);
}

function takeSession(ctx: SimContext, res: ServerResponse, query: URLSearchParams): AuthSession | undefined {
  const id = query.get('session') ?? '';
  const session = ctx.state.sessions.get(id);
  ctx.state.sessions.delete(id);
  if (!session || session.expiresAt <= ctx.now()) {
    errorPage(res, 'This sign-in request has expired or was already used. Start again.');
    return undefined;
  }
  return session;
}

function back(session: AuthSession, params: Record<string, string>): string {
  const url = new URL(session.redirectUri);
  if (session.state !== undefined) url.searchParams.set('state', session.state);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

export function handleAuthChoose(ctx: SimContext, res: ServerResponse, query: URLSearchParams): void {
  const email = query.get('email') ?? '';
  const account = ctx.state.accounts.get(email);
  if (!account) return errorPage(res, `Unknown account: ${email}`);
  const session = takeSession(ctx, res, query);
  if (!session) return;
  const code = `4/0Asim-${randomId(32)}`;
  ctx.state.codes.set(code, {
    email: account.email,
    clientId: session.clientId,
    redirectUri: session.redirectUri,
    scope: session.scope,
    offline: session.offline,
    expiresAt: ctx.now() + CODE_TTL_MS,
    used: false,
    ...(session.codeChallenge !== undefined
      ? { codeChallenge: session.codeChallenge, codeChallengeMethod: session.codeChallengeMethod ?? 'plain' }
      : {}),
  });
  redirect(res, back(session, { code, scope: session.scope }));
}

export function handleAuthDeny(ctx: SimContext, res: ServerResponse, query: URLSearchParams): void {
  const session = takeSession(ctx, res, query);
  if (!session) return;
  redirect(res, back(session, { error: 'access_denied' }));
}
