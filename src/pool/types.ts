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

export interface Cooldown {
  until: number;
  reason: string;
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

/** What survives a restart: cooldowns still running and disables awaiting a re-check (JSON-safe). */
export interface PoolState {
  version: 1;
  credentialCooldowns: Record<string, Cooldown>;
  modelCooldowns: Record<string, Record<string, Cooldown>>;
  /** Older files held bare reasons (disabled for good); those are read and dropped. */
  disabled: Record<string, Cooldown | string>;
}
