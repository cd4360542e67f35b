/** What the pool needs to know about a credential; it never sees tokens or HTTP. */
export interface PoolMember {
  readonly id: string;
  readonly email: string | undefined;
  readonly projectId: string | undefined;
  readonly route: string;
  /** Credentials that share a Google quota bucket share this key (per user for Code Assist, per project for keys). */
  readonly quotaKey: string;
  /** Set by the credential itself when it can never work again (e.g. a revoked refresh token). */
  readonly disabledReason: string | undefined;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export type CredentialState = 'available' | 'cooling_down' | 'disabled';

/**
 * What the pool learns from a failed attempt (the dispatch loop builds it from an upstream error): the pool
 * never sees an error class or a response.
 */
export interface Outcome {
  /** rate | quota | capacity: the bucket cools for the model; auth | permission | transient: the credential. */
  kind: 'rate' | 'quota' | 'capacity' | 'auth' | 'permission' | 'transient';
  message: string;
  retryAfterMs: number | undefined;
  /** Takes the credential out: for good, or (with retryAfterMs) until a re-check. */
  fatal: boolean;
  /** Might be the request's fault as much as the credential's (an unexplained 403): not a cooldown at once. */
  suspect: boolean;
}

export interface ModelStatus {
  state: 'cooling_down' | 'disabled';
  until: string | null;
  reason: string;
}

export interface MemberStatus {
  id: string;
  email: string | null;
  project: string | null;
  route: string;
  state: CredentialState;
  reason: string | null;
  until: string | null;
  models: Record<string, ModelStatus>;
}

export interface PoolSummary {
  total: number;
  available: number;
  cooling_down: number;
  disabled: number;
}
