/**
 * The simulator's memory: accounts, issued tokens and codes, long-running operations and the request log.
 * One instance per simulator, created by startSimulator; nothing here is module-global.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { normalizeQuotas, type QuotaOverrun, type QuotaTable } from './quota.js';
import { QuotaStats } from './quota-stats.js';
import type { SimAccountInput, SimCall, SimCallFilter, SimQuotaStats, SimScenario, SimStats } from './types.js';

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
  quotas?: QuotaTable;
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

/** A request in the log, with the counters its outcome goes to. */
interface Tracked {
  call: SimCall;
  stats: SimQuotaStats | undefined;
}

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
    ...(input.quotas !== undefined ? { quotas: normalizeQuotas(input.quotas) } : {}),
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
  /** Requests that have ended, whichever way: tests wait for it before reading abortedCount. */
  endedCount = 0;
  private tally = new Map<string, Map<string, number>>();
  private readonly quotaStats = new QuotaStats();
  private readonly tracked = new WeakMap<ServerResponse, Tracked>();

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
    const quotas = patch.quotas === undefined ? undefined : normalizeQuotas(patch.quotas);
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
    if ('quotas' in patch) setOptional(account, 'quotas', quotas);
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

  /**
   * `who` keys counts() and stats(): the email by default; Gemini API traffic passes `key:<projectId>`. With `res`,
   * the call gets its answer's status when sent, and quota-consuming model calls are counted in stats().
   */
  record(call: SimCall, who = call.email ?? '(none)', res?: ServerResponse): void {
    this.log.push(call);
    // Trim in batches: copying 5000 entries on every request would show up in benchmarks.
    if (this.log.length > 2 * MAX_CALLS) this.log = this.log.slice(-MAX_CALLS);
    const perMethod = this.tally.get(who) ?? new Map<string, number>();
    perMethod.set(call.method, (perMethod.get(call.method) ?? 0) + 1);
    this.tally.set(who, perMethod);
    if (!res) return;
    const stats = this.quotaStats.received(who, call.method, call.model);
    this.tracked.set(res, { call, stats });
    const answered = (): void => {
      if (call.status !== undefined || !res.headersSent) return;
      call.status = res.statusCode;
      if (stats && res.statusCode === 429) stats.status429 += 1;
    };
    res.once('finish', answered);
    res.once('close', answered);
  }

  /** An event of the stream answered on `res` was written now. */
  eventWritten(res: ServerResponse): void {
    const call = this.tracked.get(res)?.call;
    if (call) (call.eventsAt ??= []).push(performance.now());
  }

  /** The request answered on `res` passed the quotas and was booked with these input tokens. */
  served(res: ServerResponse, inputTokens: number): void {
    const tracked = this.tracked.get(res);
    if (!tracked) return;
    tracked.call.inputTokens = inputTokens;
    if (tracked.stats) QuotaStats.served(tracked.stats, inputTokens);
  }

  /** The request answered on `res` is refused by the quotas (a 429 follows). */
  refused(res: ServerResponse, overruns: readonly QuotaOverrun[]): void {
    const tracked = this.tracked.get(res);
    if (!tracked) return;
    tracked.call.quotaExceeded = overruns.map((o) => o.window);
    if (tracked.stats) QuotaStats.refused(tracked.stats, overruns);
  }

  stats(): SimStats {
    return this.quotaStats.snapshot();
  }

  calls(filter: SimCallFilter = {}): SimCall[] {
    return this.log
      .slice(-MAX_CALLS)
      .filter(
        (c) =>
          (filter.method === undefined || c.method === filter.method) &&
          (filter.email === undefined || c.email === filter.email) &&
          (filter.route === undefined || c.route === filter.route) &&
          (filter.project === undefined || c.project === filter.project) &&
          (filter.status === undefined || c.status === filter.status),
      );
  }

  counts(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [email, perMethod] of this.tally) out[email] = Object.fromEntries(perMethod);
    return out;
  }

  resetStats(): void {
    this.abortedCount = 0;
    this.endedCount = 0;
    this.log = [];
    this.tally = new Map();
    this.quotaStats.reset();
  }

  /** Keeps long benchmarks from growing the token map without bound. */
  private pruneExpiredTokens(): void {
    if (this.accessTokens.size < 10_000 || this.accessTokens.size % 1000 !== 0) return;
    const now = this.now();
    for (const [token, rec] of this.accessTokens) if (rec.expiresAt <= now) this.accessTokens.delete(token);
  }
}

function setOptional<K extends 'rpm' | 'rpd' | 'quotas'>(account: SimAccount, key: K, value: SimAccount[K] | undefined): void {
  if (value === undefined) delete account[key];
  else account[key] = value;
}
