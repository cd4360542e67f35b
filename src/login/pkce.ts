/** The random values of one authorization request: `state` (CSRF) and a PKCE S256 pair (RFC 7636). */
import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes as hex, like gemini-cli's loopback flow. */
export function createState(): string {
  return randomBytes(32).toString('hex');
}

export interface PkcePair {
  /** 64 base64url characters (RFC 7636 allows 43–128 of [A-Za-z0-9-._~]). */
  codeVerifier: string;
  codeChallenge: string;
}

export function createPkce(): PkcePair {
  const codeVerifier = randomBytes(48).toString('base64url');
  return { codeVerifier, codeChallenge: codeChallengeOf(codeVerifier) };
}

export function codeChallengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
