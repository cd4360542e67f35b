/**
 * The simulator's memory: accounts, issued tokens and codes, long-running operations and the request log.
 * One instance per simulator, created by startSimulator; nothing here is module-global.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SimAccountInput, SimCall, SimCallFilter, SimScenario } from './types.js';

export interface SimAccount {
  email: string;
  refreshToken: string;
  projectId: string;
  onboarded: boolean;
  tier: 'free-tier' | 'standard-tier' | 'legacy-tier';
  scenario: SimScenario;
  revoked: boolean;
  noRefreshToken: boolean;
  rpm?: number;
  rpd?: number;
  /** Google's numeric user id, stable per email. */
  userId: string;
  /** Projects named by the user (needs-project / standard tiers) on top of projectId. */
  extraProjects: Set<string>;
}

export interface AccessTokenRecord {
  email: string;
  expiresAt: number;
  scope: string;
  clientId: string;
}

export interface AuthCodeRecord {
  email: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  offline: boolean;
  expiresAt: number;
  used: boolean;
}

export interface AuthSession {
  clientId: string;
  redirectUri: string;
  scope: string;
  state?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  offline: boolean;
  expiresAt: number;
}

export interface OperationRecord {
  id: string;
  email: string;
  project: string;
  polls: number;
}

export const DEFAULT_SCOPES = [
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
].join(' ');

const MAX_CALLS = 5000;
const MAX_TOKENS_LISTED = 1000;

export function randomId(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

function localPart(email: string): string {
  return (email.split('@')[0] ?? email).replace(/[^a-z0-9-]/gi, '-').toLowerCase();
}

export function createAccount(input: SimAccountInput): SimAccount {
  const digest = createHash('sha256').update(input.email).digest();
  return {
    email: input.email,
    refreshToken: input.refreshToken ?? `1//sim-refresh-${input.email}`,
    projectId: input.projectId ?? `sim-project-${localPart(input.email)}`,
    onboarded: input.onboarded ?? true,
    tier: input.tier ?? 'free-tier',
    scenario: input.scenario ?? 'ok',
    revoked: input.revoked ?? false,
    noRefreshToken: input.noRefreshToken ?? false,
    ...(input.rpm !== undefined ? { rpm: input.rpm } : {}),
    ...(input.rpd !== undefined ? { rpd: input.rpd } : {}),
    // 21 digits, like Google's account ids.
    userId: '1' + (digest.readBigUInt64BE(0) % 10n ** 20n).toString().padStart(20, '0'),
    extraProjects: new Set(),
  };
}

export class SimState {
  readonly accounts = new Map<string, SimAccount>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  readonly codes = new Map<string, AuthCodeRecord>();
  readonly sessions = new Map<string, AuthSession>();
  readonly operations = new Map<string, OperationRecord>();
  private readonly byRefreshToken = new Map<string, string>();
  private readonly issued = new Map<string, string[]>();
  private log: SimCall[] = [];
  /** Requests whose client went away before the reply was complete. */
  abortedCount = 0;
  private tally = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number) {}

  upsertAccount(input: SimAccountInput): SimAccount {
    const existing = this.accounts.get(input.email);
    if (existing) return this.updateAccount(input.email, input);
    const account = createAccount(input);
    this.accounts.set(account.email, account);
    this.byRefreshToken.set(account.refreshToken, account.email);
    return account;
  }

  /** Throws for an unknown email; `email` in the patch is ignored. */
  updateAccount(email: string, patch: Partial<SimAccountInput>): SimAccount {
    const account = this.accounts.get(email);
    if (!account) throw new Error(`simulator: unknown account ${email}`);
    if (patch.refreshToken !== undefined && patch.refreshToken !== account.refreshToken) {
      this.byRefreshToken.delete(account.refreshToken);
      account.refreshToken = patch.refreshToken;
      this.byRefreshToken.set(account.refreshToken, email);
    }
    if (patch.projectId !== undefined) account.projectId = patch.projectId;
    if (patch.onboarded !== undefined) account.onboarded = patch.onboarded;
    if (patch.tier !== undefined) account.tier = patch.tier;
    if (patch.scenario !== undefined) account.scenario = patch.scenario;
    if (patch.revoked !== undefined) account.revoked = patch.revoked;
    if (patch.noRefreshToken !== undefined) account.noRefreshToken = patch.noRefreshToken;
    if ('rpm' in patch) setOptional(account, 'rpm', patch.rpm);
    if ('rpd' in patch) setOptional(account, 'rpd', patch.rpd);
    return account;
  }

  accountByRefreshToken(token: string): SimAccount | undefined {
    const email = this.byRefreshToken.get(token);
    return email === undefined ? undefined : this.accounts.get(email);
  }

  issueAccessToken(email: string, ttlSec: number, scope: string, clientId: string): string {
    const token = `ya29.sim-${randomId(32)}`;
    this.accessTokens.set(token, { email, expiresAt: this.now() + ttlSec * 1000, scope, clientId });
    const list = this.issued.get(email) ?? [];
    list.push(token);
    if (list.length > MAX_TOKENS_LISTED) list.shift();
    this.issued.set(email, list);
    this.pruneExpiredTokens();
    return token;
  }

  issuedTokens(email: string): string[] {
    return [...(this.issued.get(email) ?? [])];
  }

  /** Projects this account may generate against; empty until it is onboarded and eligible. */
  allowedProjects(account: SimAccount): Set<string> {
    if (!account.onboarded || account.scenario === 'ineligible' || account.scenario === 'validation-required' || account.scenario === 'unsupported-client') {
      return new Set();
    }
    return new Set([account.projectId, ...account.extraProjects]);
  }

  /** `who` keys counts(): the email by default; Gemini API traffic passes `key:<projectId>`. */
  record(call: SimCall, who = call.email ?? '(none)'): void {
    this.log.push(call);
    // Trim in batches: copying 5000 entries on every request would show up in benchmarks.
    if (this.log.length > 2 * MAX_CALLS) this.log = this.log.slice(-MAX_CALLS);
    const key = who;
    const perMethod = this.tally.get(key) ?? new Map<string, number>();
    perMethod.set(call.method, (perMethod.get(call.method) ?? 0) + 1);
    this.tally.set(key, perMethod);
  }

  calls(filter: SimCallFilter = {}): SimCall[] {
    return this.log
      .slice(-MAX_CALLS)
      .filter(
        (c) =>
          (filter.method === undefined || c.method === filter.method) &&
          (filter.email === undefined || c.email === filter.email) &&
          (filter.route === undefined || c.route === filter.route) &&
          (filter.project === undefined || c.project === filter.project),
      );
  }

  counts(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [email, perMethod] of this.tally) out[email] = Object.fromEntries(perMethod);
    return out;
  }

  resetStats(): void {
    this.abortedCount = 0;
    this.log = [];
    this.tally = new Map();
  }

  /** Keeps long benchmarks from growing the token map without bound. */
  private pruneExpiredTokens(): void {
    if (this.accessTokens.size < 10_000 || this.accessTokens.size % 1000 !== 0) return;
    const now = this.now();
    for (const [token, rec] of this.accessTokens) if (rec.expiresAt <= now) this.accessTokens.delete(token);
  }
}

function setOptional(account: SimAccount, key: 'rpm' | 'rpd', value: number | undefined): void {
  if (value === undefined) delete account[key];
  else account[key] = value;
}
