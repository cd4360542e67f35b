/** Bearer-token authentication shared by Code Assist and userinfo: the check Google's front end runs first. */
import type { IncomingMessage } from 'node:http';
import type { SimContext } from './context.js';
import { bearerToken } from './http-io.js';
import { unauthenticated, type RpcError } from './rpc-errors.js';
import type { SimAccount } from './state.js';

export type AuthResult = { ok: true; account: SimAccount; scope: string } | { ok: false; error: RpcError };

/** Resolves the bearer token to an account, as Google's front end does before any handler runs. */
export function authenticate(ctx: SimContext, req: IncomingMessage, method = ''): AuthResult {
  const token = bearerToken(req);
  if (!token) return { ok: false, error: unauthenticated('CREDENTIALS_MISSING', method) };
  const record = ctx.state.accessTokens.get(token);
  if (!record) return { ok: false, error: unauthenticated('ACCESS_TOKEN_TYPE_UNSUPPORTED', method) };
  if (record.expiresAt <= ctx.now()) return { ok: false, error: unauthenticated('ACCESS_TOKEN_EXPIRED', method) };
  const account = ctx.state.accounts.get(record.email);
  if (!account) return { ok: false, error: unauthenticated('ACCESS_TOKEN_TYPE_UNSUPPORTED', method) };
  return { ok: true, account, scope: record.scope };
}
