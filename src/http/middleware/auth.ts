/**
 * Client authentication: `Authorization: Bearer <password>` everywhere; the native Gemini routes also take
 * `x-goog-api-key` and `?key=` (what @google/genai and gemini-cli send). Compared in constant time.
 * Without a configured password the API is open (config refuses that on non-loopback addresses).
 */
import type { NextFunction, Request, Response } from 'express';
import { secretMatcher } from '../../util/secrets.js';
import { ApiError, dialectOf } from '../errors.js';

export function presentedSecret(req: Request): string | undefined {
  const auth = req.get('authorization');
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1]!.trim();
  }
  if (dialectOf(req) === 'google') {
    const header = req.get('x-goog-api-key');
    if (header) return header.trim();
    const q = req.query.key;
    if (typeof q === 'string' && q) return q;
  }
  return undefined;
}

export function requireAuth(password: string | undefined) {
  const matches = password === undefined ? undefined : secretMatcher(password);
  return (req: Request, _res: Response, next: NextFunction) => {
    if (matches === undefined) return next();
    const secret = presentedSecret(req);
    if (secret === undefined) {
      const how = dialectOf(req) === 'google' ? 'an x-goog-api-key header, a ?key= parameter or ' : '';
      return next(new ApiError(401, `missing credentials: send ${how}an Authorization: Bearer <GEMINI_AUTH_PASSWORD> header`, undefined, 'missing_api_key'));
    }
    if (!matches(secret)) return next(new ApiError(401, 'invalid API key (it does not match GEMINI_AUTH_PASSWORD)', undefined, 'invalid_api_key'));
    next();
  };
}
