/**
 * Every upstream failure becomes an UpstreamError with a scope (who is to blame) and a kind (what happened),
 * so the pool can decide: a request-scoped error goes back to the client at once and cools nothing; a
 * credential- or model-scoped one cools that credential (for that model) and the request moves on.
 * Facts: docs/google-protocols.md#google-error-bodies.
 */
import type { GoogleRpcStatus } from '../types/gemini.js';

export type ErrorScope = 'request' | 'credential' | 'model';
export type ErrorKind =
  | 'invalid' // 400: the client's request is wrong
  | 'not-found' // 404: unknown model or entity
  | 'auth' // 401: token rejected (refresh once, then retry)
  | 'permission' // 403: account cannot use the service
  | 'rate' // 429 per-minute
  | 'quota' // 429 per-day / exhausted
  | 'capacity' // 429/503 no capacity for the model
  | 'transient'; // 5xx, network errors, timeouts

/** One quota Google says was exceeded, read from a 429's QuotaFailure (a limit the quota book can learn). */
export interface QuotaViolation {
  /** rpm, rpd or tpm. */
  window: 'rpm' | 'rpd' | 'tpm';
  /** quotaValue: the limit, when Google named it. */
  limit: number | undefined;
  quotaId: string;
}

/** QuotaFailure violations → windows: PerMinute / PerDay in the quota id, tokens in the metric. */
export function quotaViolations(rpc: GoogleRpcStatus | undefined): QuotaViolation[] {
  const failure = errorDetail(rpc, 'google.rpc.QuotaFailure');
  const list = Array.isArray(failure?.violations) ? (failure.violations as Array<Record<string, unknown>>) : [];
  // proto3 JSON drops a zero: a limit of 0 has no quotaValue, only "limit: 0" on its metric's line of the message.
  const stated = new Map<string, number>();
  for (const m of (rpc?.message ?? '').matchAll(/metric:\s*(\S+?),\s*limit:\s*(\d+)/g)) stated.set(m[1]!, Number(m[2]));
  const out: QuotaViolation[] = [];
  for (const v of list) {
    const quotaId = typeof v.quotaId === 'string' ? v.quotaId : '';
    const metric = typeof v.quotaMetric === 'string' ? v.quotaMetric : '';
    const value = v.quotaValue === undefined ? (stated.get(metric) ?? NaN) : Number(v.quotaValue);
    const tokens = /token/i.test(metric) || /Token/.test(quotaId);
    const window = /PerDay|Daily/i.test(quotaId) ? 'rpd' : /PerMinute/i.test(quotaId) ? (tokens ? 'tpm' : 'rpm') : undefined;
    if (window === undefined || (tokens && window === 'rpd')) continue;
    out.push({ window, limit: Number.isInteger(value) && value >= 0 ? value : undefined, quotaId });
  }
  return out;
}

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  /** google.rpc.ErrorInfo's reason, when Google gave one (e.g. RATE_LIMIT_EXCEEDED, API_KEY_INVALID). */
  readonly reason: string | undefined;
  constructor(
    message: string,
    readonly status: number,
    readonly scope: ErrorScope,
    readonly kind: ErrorKind,
    readonly retryAfterMs: number | undefined,
    /** Google's error body when it sent one; passed through to native clients. */
    readonly rpcStatus: GoogleRpcStatus | undefined,
    /** Takes the credential out: for good, or (with retryAfterMs) until a re-check. */
    readonly fatal = false,
    /**
     * Google answered with an error the request may have caused as much as the credential (a 5xx, a 403 that
     * names no reason): a request that fails this way on two credentials stops there instead of spreading to
     * the rest of the pool.
     */
    readonly suspect = false,
  ) {
    super(message);
    const reason = errorDetail(rpcStatus, 'google.rpc.ErrorInfo')?.['reason'];
    this.reason = typeof reason === 'string' ? reason : undefined;
  }

  /** For a 429: the quotas Google says were exceeded. */
  get quota(): QuotaViolation[] {
    return this.status === 429 ? quotaViolations(this.rpcStatus) : [];
  }

  /** "The same way": two failures with one status and reason are taken to have one cause. */
  get signature(): string {
    return `${this.status}:${this.reason ?? this.rpcStatus?.status ?? this.kind}`;
  }
}

/** Parses durations Google uses: "0.539s", "56s", "539.477544ms", Go-style "13h19m1.2s". */
export function parseGoogleDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = false;
  for (const m of text.matchAll(re)) {
    matched = true;
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
  }
  return matched ? Math.ceil(total) : undefined;
}

/** Google's error body, `{"error": google.rpc.Status}` (or that wrapped in an array); undefined for anything else. */
export function parseRpcStatus(bodyText: string): GoogleRpcStatus | undefined {
  try {
    let body: unknown = JSON.parse(bodyText);
    // Some transports wrap the status in an array: [{"error": {...}}].
    if (Array.isArray(body)) body = body[0];
    const err = (body as { error?: unknown } | undefined)?.error;
    if (err && typeof err === 'object' && typeof (err as GoogleRpcStatus).message === 'string') {
      const e = err as GoogleRpcStatus;
      return { code: Number(e.code) || 0, message: e.message, status: String(e.status ?? ''), details: e.details };
    }
  } catch {
    /* not JSON */
  }
  return undefined;
}

/** The first detail of a type, e.g. `google.rpc.ErrorInfo`, `google.rpc.RetryInfo`, `google.rpc.Help`. */
export function errorDetail(rpc: GoogleRpcStatus | undefined, type: string): Record<string, unknown> | undefined {
  return rpc?.details?.find((d) => typeof d['@type'] === 'string' && d['@type'].endsWith(type));
}

interface RetryHints {
  reason?: string;
  retryAfterMs?: number;
  resetAtMs?: number;
  perDay: boolean;
  limitZero: boolean;
}

function readRetryHints(rpc: GoogleRpcStatus | undefined, now: number): RetryHints {
  const info = errorDetail(rpc, 'google.rpc.ErrorInfo');
  const retry = errorDetail(rpc, 'google.rpc.RetryInfo');
  const failure = errorDetail(rpc, 'google.rpc.QuotaFailure');
  const meta = (info?.metadata ?? {}) as Record<string, string>;
  const reason = typeof info?.reason === 'string' ? info.reason : undefined;
  const named =
    parseGoogleDuration(typeof retry?.retryDelay === 'string' ? retry.retryDelay : undefined) ??
    parseGoogleDuration(meta.quotaResetDelay);
  const message = rpc?.message ?? '';
  // "Please retry in 56.2s", "Your quota will reset after 13h19m1s": every unit, not only the first.
  const m = /(?:retry in|reset after)\s+((?:[\d.]+(?:ms|h|m|s))+)/i.exec(message);
  const said = m ? parseGoogleDuration(m[1]) : undefined;
  // RetryInfo is rounded down to whole seconds ("56s" beside "retry in 56.185908122s"): the later of the two, so
  // a bucket does not come back before Google's slot frees (a delay under a second read as none at all).
  const retryAfterMs = named === undefined ? said : said === undefined ? named : Math.max(named, said);
  const stamp = meta.quotaResetTimeStamp ? Date.parse(meta.quotaResetTimeStamp) : NaN;
  const violations = (failure?.violations ?? []) as Array<{ quotaId?: string }>;
  const perDay = violations.some((v) => /PerDay|Daily/i.test(v.quotaId ?? ''));
  return {
    reason,
    retryAfterMs,
    resetAtMs: Number.isFinite(stamp) && stamp > now ? stamp : undefined,
    perDay,
    limitZero: /limit:\s*0\b/.test(message),
  };
}

/**
 * How long an exhausted quota stays out: `limit: 0` (no quota for the model at all) a day; else until the reset
 * time Google names; a per-day quota without one until midnight Pacific time, when the Gemini API resets daily
 * quotas (a short RetryInfo on a per-day 429 does not bring the quota back); else Google's delay, or an hour.
 */
function quotaCooldownMs(hints: RetryHints, now: number): number {
  if (hints.limitZero) return 86_400_000;
  if (hints.resetAtMs) return hints.resetAtMs - now;
  if (hints.perDay) return Math.max(hints.retryAfterMs ?? 0, msUntilPacificMidnight(now));
  return hints.retryAfterMs ?? 3_600_000;
}

const pacificClock = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' });

/** Milliseconds until the next midnight in America/Los_Angeles (on the two DST days, up to an hour off). */
export function msUntilPacificMidnight(now: number): number {
  const parts = pacificClock.formatToParts(new Date(now));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const elapsed = ((part('hour') * 60 + part('minute')) * 60 + part('second')) * 1000 + (now % 1000);
  return 86_400_000 - elapsed;
}

/** How long a credential that needs its owner's action (verification, an API to enable) waits for a re-check. */
export const NEEDS_ACTION_RECHECK_MS = 30 * 60_000;

export interface ClassifyOptions {
  now: number;
  /** Cooldown when Google gives no delay for a per-minute 429. */
  defaultRateCooldownMs: number;
}

/** Google no longer accepts this key type (standard Gemini API keys, since September 2026). */
export const KEY_TYPE_UNSUPPORTED_ADVICE =
  'Google no longer accepts this kind of Gemini API key (ACCESS_TOKEN_TYPE_UNSUPPORTED): create a new key in Google AI Studio and put it in place of this one';

/** A free / Google One AI Pro / Ultra account that Code Assist no longer serves (since 2026-06-18). */
export const UNSUPPORTED_CLIENT_MESSAGE =
  'Google stopped serving "Code Assist for individuals" (free, Google One AI Pro and Ultra accounts) to third-party clients on 2026-06-18 (UNSUPPORTED_CLIENT): use a Gemini API key (GEMINI_API_KEYS) or Vertex AI for this account instead';

/**
 * A 403 about something the request names (an uploaded file, cached content, a tuned model) rather than about
 * the credential: every credential would answer the same, so it goes back to the client and cools nothing.
 */
const REQUEST_RESOURCE = /\b(?:files\/|cachedContents\/|tunedModels\/|corpora\/|the File\b|CachedContent\b|cached content\b)/i;

/** Turns an HTTP error reply into an UpstreamError. Reasons (ErrorInfo, status) decide before message text. */
export function classifyHttpError(status: number, bodyText: string, opts: ClassifyOptions): UpstreamError {
  const rpc = parseRpcStatus(bodyText);
  const message = rpc?.message ?? (bodyText.slice(0, 300) || `upstream answered HTTP ${status}`);
  const hints = readRetryHints(rpc, opts.now);
  const reason = hints.reason;
  const make = (scope: ErrorScope, kind: ErrorKind, retryAfterMs?: number, fatal = false, suspect?: boolean, text = message) =>
    new UpstreamError(text, status, scope, kind, retryAfterMs, rpc, fatal, suspect ?? (kind === 'transient' && status >= 500));

  if (status === 400) {
    if (reason === 'API_KEY_INVALID') return make('credential', 'auth', undefined, true);
    return make('request', 'invalid');
  }
  if (status === 401) {
    // On the Gemini API this reason means a retired key type (for good); elsewhere (an OAuth token Code Assist no
    // longer knows) it earns the usual refresh and retry.
    const service = errorDetail(rpc, 'google.rpc.ErrorInfo')?.['metadata'] as Record<string, unknown> | undefined;
    if (reason === 'ACCESS_TOKEN_TYPE_UNSUPPORTED' && service?.['service'] === 'generativelanguage.googleapis.com') {
      return make('credential', 'auth', undefined, true, false, `${KEY_TYPE_UNSUPPORTED_ADVICE} (Google said: ${message})`);
    }
    return make('credential', 'auth');
  }
  if (status === 403) return classifyForbidden(message, reason, make);
  if (status === 404) return make('request', 'not-found');
  if (status === 429 || status === 503 || status === 499) {
    if (reason === 'MODEL_CAPACITY_EXHAUSTED' || reason === 'MODEL_CAPACITY_EXCEEDED') return make('model', 'capacity', hints.retryAfterMs);
    if (status === 429) {
      if (reason === 'QUOTA_EXHAUSTED' || hints.perDay || hints.limitZero) return make('model', 'quota', quotaCooldownMs(hints, opts.now));
      return make('model', 'rate', hints.retryAfterMs ?? opts.defaultRateCooldownMs);
    }
  }
  if (status >= 500 || status === 408 || status === 499) return make('credential', 'transient', hints.retryAfterMs);
  // Anything else (405, 409, 413, 422…) is about the request itself.
  return make('request', 'invalid');
}

type Make = (scope: ErrorScope, kind: ErrorKind, retryAfterMs?: number, fatal?: boolean, suspect?: boolean, text?: string) => UpstreamError;

function classifyForbidden(message: string, reason: string | undefined, make: Make): UpstreamError {
  // Known reasons first: they describe the credential whatever the request said.
  if (reason === 'UNSUPPORTED_CLIENT') return make('credential', 'permission', undefined, true, false, `${UNSUPPORTED_CLIENT_MESSAGE} (Google said: ${message})`);
  if (reason === 'VALIDATION_REQUIRED' || reason === 'SERVICE_DISABLED' || reason === 'API_KEY_SERVICE_BLOCKED' || reason === 'BILLING_DISABLED') {
    // The owner can fix these (verify, enable the API, billing): out until a re-check, when one request tries again.
    return make('credential', 'permission', NEEDS_ACTION_RECHECK_MS, true, false);
  }
  if (reason === 'IAM_PERMISSION_DENIED' || reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' || reason === 'CONSUMER_INVALID') {
    return make('credential', 'permission', undefined, false, false);
  }
  // Messages only where no reason says otherwise, and only Google's own sentences from their start: text Google
  // echoes from the request must never take a credential out for good.
  if (reason === undefined) {
    if (/^This client is no longer supported for Gemini Code Assist/i.test(message)) {
      return make('credential', 'permission', undefined, true, false, `${UNSUPPORTED_CLIENT_MESSAGE} (Google said: ${message})`);
    }
    if (/^This service has been disabled in this account for violation of Terms of Service/i.test(message)) return make('credential', 'permission', undefined, true, false);
    if (/^You do not have a valid license/i.test(message) || /^[^.]{0,120} API has not been used in project [\w-]+ before or it is disabled/i.test(message)) {
      return make('credential', 'permission', NEEDS_ACTION_RECHECK_MS, true, false);
    }
  }
  if (REQUEST_RESOURCE.test(message)) return make('request', 'invalid');
  // A 403 that names no reason we know: the credential's, unless other credentials answer the same.
  return make('credential', 'permission', undefined, false, true);
}

/** Google could not be reached, or did not answer in time: no reply to read. */
export class UpstreamNetworkError extends UpstreamError {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message, timedOut ? 504 : 502, 'credential', 'transient', undefined, undefined);
  }
}

/** A network failure or timeout talking to Google. */
export function networkError(cause: unknown, timedOut: boolean): UpstreamError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new UpstreamNetworkError(timedOut ? `upstream timed out (${detail})` : `upstream connection failed (${detail})`, timedOut);
}

/** A credential could not produce an access token (revoked refresh token, token endpoint down…). */
export function tokenError(cause: unknown): UpstreamError {
  if (cause instanceof UpstreamError) return cause;
  const kind = (cause as { kind?: string } | undefined)?.kind;
  const detail = cause instanceof Error ? cause.message : String(cause);
  if (kind === 'revoked') return new UpstreamError(detail, 401, 'credential', 'auth', undefined, undefined, true);
  return new UpstreamError(`token refresh failed: ${detail}`, 502, 'credential', 'transient', undefined, undefined);
}
