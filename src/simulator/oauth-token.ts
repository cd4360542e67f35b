/**
 * Google's OAuth token endpoint (refresh_token and authorization_code grants, PKCE), revoke, and userinfo
 * (docs/google-protocols.md#oauth). OAuth errors use the RFC 6749 shape `{error, error_description}`, not rpc
 * Status.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate } from './bearer-auth.js';
import type { SimContext } from './context.js';
import { sendFault } from './faults.js';
import { parseParams, readBody, sendJson, sendRpc, sleep } from './http-io.js';
import { DEFAULT_SCOPES, type SimAccount } from './state.js';

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description });
}

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const header = req.headers['authorization'];
  const match = typeof header === 'string' ? /^Basic\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** An unsigned JWT with Google's claims: enough for clients that read `email` out of the id_token. */
function idToken(ctx: SimContext, account: SimAccount, clientId: string): string {
  const iat = Math.floor(ctx.now() / 1000);
  const header = { alg: 'RS256', kid: 'sim-key', typ: 'JWT' };
  const payload = {
    iss: 'https://accounts.google.com',
    azp: clientId,
    aud: clientId,
    sub: account.userId,
    email: account.email,
    email_verified: true,
    iat,
    exp: iat + ctx.accessTokenTtlSec,
  };
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}.${base64url('sim-signature')}`;
}

function tokenReply(ctx: SimContext, account: SimAccount, scope: string, clientId: string): Record<string, unknown> {
  const accessToken = ctx.state.issueAccessToken(account.email, ctx.accessTokenTtlSec, scope, clientId);
  return { access_token: accessToken, expires_in: ctx.accessTokenTtlSec, scope, token_type: 'Bearer' };
}

export async function handleToken(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const params = parseParams(await readBody(req), req.headers['content-type']);
  const basic = basicCredentials(req);
  const clientId = params['client_id'] ?? basic?.id;
  const clientSecret = params['client_secret'] ?? basic?.secret;
  const grant = params['grant_type'];
  const code = grant === 'authorization_code' ? ctx.state.codes.get(params['code'] ?? '') : undefined;
  const refreshAccount = grant === 'refresh_token' ? ctx.state.accountByRefreshToken(params['refresh_token'] ?? '') : undefined;
  const email = code?.email ?? refreshAccount?.email;
  ctx.state.record({ method: 'token', ...(email !== undefined ? { email } : {}), body: params, at: ctx.now() }, undefined, res);

  if (!clientId) return oauthError(res, 401, 'invalid_client', 'The OAuth client was not found.');
  if (!clientSecret) return oauthError(res, 400, 'invalid_request', 'client_secret is missing.');
  const plan = ctx.faults.plan({ method: 'token', ...(email !== undefined ? { email } : {}) });
  if (plan.stallMs > 0) await sleep(plan.stallMs);
  if (plan.terminal) return sendFault(res, plan.terminal, { method: 'token' }, ctx.now());

  if (grant === 'refresh_token') {
    if (!params['refresh_token']) return oauthError(res, 400, 'invalid_request', 'Missing required parameter: refresh_token');
    if (!refreshAccount || refreshAccount.revoked) {
      return oauthError(res, 400, 'invalid_grant', 'Token has been expired or revoked.');
    }
    const reply = tokenReply(ctx, refreshAccount, DEFAULT_SCOPES, clientId);
    return sendJson(res, 200, reply, { 'cache-control': 'no-store' });
  }
  if (grant === 'authorization_code') {
    if (!params['code']) return oauthError(res, 400, 'invalid_request', 'Missing required parameter: code');
    if (!code) return oauthError(res, 400, 'invalid_grant', 'Malformed auth code.');
    if (code.used || code.expiresAt <= ctx.now()) return oauthError(res, 400, 'invalid_grant', 'Bad Request');
    if (code.clientId !== clientId) return oauthError(res, 401, 'unauthorized_client', 'Unauthorized');
    if (code.redirectUri !== params['redirect_uri']) return oauthError(res, 400, 'redirect_uri_mismatch', 'Bad Request');
    const verifier = params['code_verifier'];
    if (code.codeChallenge !== undefined) {
      if (!verifier) return oauthError(res, 400, 'invalid_grant', 'Missing code verifier.');
      const expected =
        code.codeChallengeMethod === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
      if (expected !== code.codeChallenge) return oauthError(res, 400, 'invalid_grant', 'Invalid code verifier.');
    } else if (verifier) {
      return oauthError(res, 400, 'invalid_request', 'code_verifier or verifier is not needed.');
    }
    const account = ctx.state.accounts.get(code.email);
    if (!account) return oauthError(res, 400, 'invalid_grant', 'Bad Request');
    code.used = true;
    // A fresh consent re-grants offline access, so a revoked account works again.
    account.revoked = false;
    const reply = tokenReply(ctx, account, code.scope, clientId);
    if (code.offline && !account.noRefreshToken) reply['refresh_token'] = account.refreshToken;
    reply['id_token'] = idToken(ctx, account, clientId);
    return sendJson(res, 200, reply, { 'cache-control': 'no-store' });
  }
  if (!grant) return oauthError(res, 400, 'invalid_request', 'Missing required parameter: grant_type');
  oauthError(res, 400, 'unsupported_grant_type', `Invalid grant_type: ${grant}`);
}

/** POST /revoke?token=… : a refresh token revokes the account's offline access, an access token just dies. */
export async function handleRevoke(ctx: SimContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const params = parseParams(await readBody(req), req.headers['content-type']);
  const token = params['token'] ?? query.get('token') ?? '';
  const account = ctx.state.accountByRefreshToken(token);
  if (account) account.revoked = true;
  else if (!ctx.state.accessTokens.delete(token)) return oauthError(res, 400, 'invalid_token', 'Token expired or revoked');
  sendJson(res, 200, {});
}

export async function handleUserinfo(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await readBody(req);
  const auth = authenticate(ctx, req);
  ctx.state.record({ method: 'userinfo', ...(auth.ok ? { email: auth.account.email } : {}), body: {}, at: ctx.now() }, undefined, res);
  if (!auth.ok) return sendRpc(res, auth.error);
  const plan = ctx.faults.plan({ method: 'userinfo', email: auth.account.email });
  if (plan.stallMs > 0) await sleep(plan.stallMs);
  if (plan.terminal) return sendFault(res, plan.terminal, { method: 'userinfo', email: auth.account.email }, ctx.now());
  const { account } = auth;
  const given = (account.email.split('@')[0] ?? 'user').replace(/^./, (c) => c.toUpperCase());
  sendJson(res, 200, {
    id: account.userId,
    email: account.email,
    verified_email: true,
    name: `${given} Sim`,
    given_name: given,
    family_name: 'Sim',
    picture: `${ctx.url}/__sim/avatar.svg`,
  });
}
