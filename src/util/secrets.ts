import { createHash, timingSafeEqual } from 'node:crypto';

/** Masks a secret for display: keeps a short prefix and suffix, e.g. `AIza…x9Q`, `ya29…x9Q`. */
export function maskSecret(secret: string | undefined | null): string {
  if (!secret) return '';
  if (secret.length <= 10) return '…';
  return `${secret.slice(0, 4)}…${secret.slice(-3)}`;
}

/** Constant-time string comparison; hashing first makes the lengths equal so nothing leaks through them. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** A checker for one fixed secret: its hash is computed once, each check hashes only the candidate. */
export function secretMatcher(secret: string): (candidate: string) => boolean {
  const expected = createHash('sha256').update(secret).digest();
  return (candidate) => timingSafeEqual(createHash('sha256').update(candidate).digest(), expected);
}

/** A short stable fingerprint for a secret (for logs and state keys), never reversible. */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}
