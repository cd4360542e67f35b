/**
 * Who may use the API. With GEMINI_AUTH_PASSWORD, a request must present it where its dialect's SDKs put their
 * key (compared in constant time). Without one the API is open, but only to this machine's own clients: a
 * foreign `Host` (DNS rebinding) and a foreign `Origin` (a web page the user happens to open) are refused, so
 * no web page can spend the quota or read the accounts.
 *
 * Access tokens (`rotor tokens`) work beside the password, in the same places: a valid one is served from
 * anywhere (so a tunnel can be used with tokens alone); an expired one is a 401 that says so; a secret shaped
 * like a token (`rotor_…`) that matches none (revoked, never issued) is a 401 even where no key is needed.
 */
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../config/config.js';
import type { Dialect } from '../translate/dialect.js';
import { looksLikeToken } from '../tokens/token.js';
import type { TokenAuth } from '../tokens/service.js';
import { secretMatcher } from '../util/secrets.js';
import { ApiError } from './errors.js';

export interface AccessOptions {
  password: string | undefined;
  /** Access tokens: looked up by the hash of the presented secret (src/tokens/service.ts). */
  tokens?: { authenticate(secret: string): TokenAuth };
}

/** Checks a request; on success through a token, its name is set on `r.token` (for the log line, limits and usage). */
export type AccessCheck = (req: IncomingMessage, dialect: Dialect, query: URLSearchParams, r?: { token?: string }) => ApiError | undefined;

function hostnameOf(value: string): string | undefined {
  try {
    return new URL(`http://${value}`).hostname;
  } catch {
    return undefined;
  }
}

function isLoopbackName(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return isLoopbackHost(h) || h.endsWith('.localhost');
}

/**
 * Refuses, on an API without a password, what is not this machine's own client: another machine (Rotor may
 * listen on a public address to serve access tokens), or a browser on this machine tricked into calling it
 * (DNS rebinding: a foreign Host; a web page: a foreign Origin).
 */
export function foreignCaller(req: IncomingMessage): ApiError | undefined {
  const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  if (!isLoopbackHost(peer)) {
    return new ApiError(401, 'without GEMINI_AUTH_PASSWORD the API answers other machines only with an access token: send one (rotor tokens create) as a Bearer token', undefined, 'token_required');
  }
  const host = req.headers.host;
  const hostname = host === undefined ? undefined : hostnameOf(host);
  if (hostname === undefined || !isLoopbackName(hostname)) {
    return new ApiError(403, `Host "${String(host ?? '').slice(0, 100)}" refused: without GEMINI_AUTH_PASSWORD the API answers only to a loopback Host (localhost, 127.0.0.1, [::1]), or to a request with an access token; set GEMINI_AUTH_PASSWORD or create a token (rotor tokens create) to serve other names`, undefined, 'host_not_allowed');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== '') {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).hostname;
    } catch {
      originHost = undefined;
    }
    if (originHost === undefined || !isLoopbackName(originHost)) {
      return new ApiError(403, `cross-site request from Origin "${origin.slice(0, 100)}" refused: without GEMINI_AUTH_PASSWORD only this machine's own clients may use the API`, undefined, 'origin_not_allowed');
    }
  }
  return undefined;
}

export function createAccessCheck(options: AccessOptions): AccessCheck {
  const matches = options.password === undefined ? undefined : secretMatcher(options.password);
  const tokens = options.tokens;
  return (req, dialect, query, r) => {
    if (matches === undefined && tokens === undefined) return foreignCaller(req);
    const secret = dialect.secret(req.headers, query);
    if (tokens !== undefined && secret !== undefined && looksLikeToken(secret)) {
      const t = tokens.authenticate(secret);
      if (t.kind === 'ok') {
        if (r) r.token = t.name;
        return undefined;
      }
      if (t.kind === 'expired') {
        return new ApiError(401, `access token "${t.name}" expired at ${t.expires}; ask for a new one (rotor tokens create)`, undefined, 'token_expired');
      }
      if (!matches?.(secret)) return new ApiError(401, 'invalid API key: no such access token (revoked, or never issued)', undefined, 'invalid_api_key');
      return undefined;
    }
    if (matches === undefined) return foreignCaller(req);
    if (secret === undefined) {
      return new ApiError(401, `missing credentials: send ${dialect.secretHint}an Authorization: Bearer <GEMINI_AUTH_PASSWORD or an access token> header`, undefined, 'missing_api_key');
    }
    if (!matches(secret)) return new ApiError(401, 'invalid API key (it does not match GEMINI_AUTH_PASSWORD)', undefined, 'invalid_api_key');
    return undefined;
  };
}
