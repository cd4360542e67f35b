/**
 * Client authentication: `Authorization: Bearer <password>` everywhere; the native Gemini routes also take
 * `x-goog-api-key` and `?key=` (what @google/genai and gemini-cli send). Compared in constant time.
 * Without a configured password the API is open (config refuses that on non-loopback addresses).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { secretMatcher } from '../../util/secrets.js';
import { ApiError, dialectOf, type Dialect } from '../errors.js';

/** The secret a request presents, from its headers and (native routes only) its `key` query parameter. */
export function presentedSecret(headers: IncomingHttpHeaders, keyParam: unknown, dialect: Dialect): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1]!.trim();
  }
  if (dialect === 'google') {
    const header = headers['x-goog-api-key'];
    if (typeof header === 'string' && header) return header.trim();
    if (typeof keyParam === 'string' && keyParam) return keyParam;
  }
  return undefined;
}

/** Checks a request's secret; returns the ApiError to answer with, or undefined when it may pass. */
export function createAuthCheck(password: string | undefined) {
  const matches = password === undefined ? undefined : secretMatcher(password);
  return (headers: IncomingHttpHeaders, keyParam: unknown, dialect: Dialect): ApiError | undefined => {
    if (matches === undefined) return undefined;
    const secret = presentedSecret(headers, keyParam, dialect);
    if (secret === undefined) {
      const how = dialect === 'google' ? 'an x-goog-api-key header, a ?key= parameter or ' : '';
      return new ApiError(401, `missing credentials: send ${how}an Authorization: Bearer <GEMINI_AUTH_PASSWORD> header`, undefined, 'missing_api_key');
    }
    if (!matches(secret)) return new ApiError(401, 'invalid API key (it does not match GEMINI_AUTH_PASSWORD)', undefined, 'invalid_api_key');
    return undefined;
  };
}

export function requireAuth(password: string | undefined) {
  const check = createAuthCheck(password);
  return (req: Request, _res: Response, next: NextFunction) => next(check(req.headers, req.query.key, dialectOf(req)));
}
