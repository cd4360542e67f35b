import { hash, timingSafeEqual } from 'node:crypto';

/** Masks a secret for display: keeps a short prefix and suffix, e.g. `AIza…x9Q`, `ya29…x9Q`. */
export function maskSecret(secret: string | undefined | null): string {
  if (!secret) return '';
  if (secret.length <= 10) return '…';
  return `${secret.slice(0, 4)}…${secret.slice(-3)}`;
}

/**
 * A constant-time checker for one fixed secret. Both sides are hashed, so their lengths are equal and
 * nothing leaks through them; the secret's hash is computed once.
 */
export function secretMatcher(secret: string): (candidate: string) => boolean {
  const expected = hash('sha256', secret, 'buffer');
  // The one-shot hash: createHash builds a native Hash object per call, which showed in the request's CPU.
  return (candidate) => timingSafeEqual(hash('sha256', candidate, 'buffer'), expected);
}

/** A short stable fingerprint for a secret (for logs and state keys), never reversible. */
export function fingerprint(secret: string): string {
  return hash('sha256', secret, 'hex').slice(0, 12);
}
