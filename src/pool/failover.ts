/**
 * The failover loop: pick a credential, run the attempt, learn from the outcome, move to the next one.
 * A request-scoped error (the client's fault) returns at once; a 401 earns one token refresh and a retry
 * on the same credential; anything credential- or model-scoped cools that credential and tries another.
 */
import { UpstreamError } from '../upstream/errors.js';
import { ClientAbortError } from '../upstream/types.js';
import type { CredentialPool } from './pool.js';
import type { PoolMember } from './types.js';
import type { CallSignal } from '../util/call-signal.js';

/** No credential can serve the request right now. */
export class NoCredentialError extends Error {
  override readonly name = 'NoCredentialError';
  constructor(
    message: string,
    /** 429 while credentials are only cooling down; 503 when none is usable at all. */
    readonly status: 429 | 503,
    readonly retryAfterMs: number | undefined,
    /** The last upstream failure seen while trying, if any. */
    readonly lastError?: UpstreamError,
  ) {
    super(message);
  }
}

export interface FailoverHooks<M extends PoolMember> {
  /**
   * Runs before the first attempt on a member (e.g. project discovery); may throw UpstreamError. Returns
   * undefined when there is nothing to wait for, so the usual request awaits nothing.
   */
  prepare?(member: M, signal: CallSignal): Promise<void> | undefined;
  /**
   * Renews the token after a 401; may throw UpstreamError (e.g. a revoked token). `rejected` is the token the
   * attempt started with (from `tokenOf`), so that many requests rejected together share one refresh.
   */
  refresh?(member: M, signal: CallSignal, rejected: string | undefined): Promise<void>;
  /** The token an attempt on this member will use, when it is already known. */
  tokenOf?(member: M): string | undefined;
  /** Called for every failed attempt, for logs. */
  onFailure?(member: M, err: UpstreamError): void;
}

export interface FailoverOptions<M extends PoolMember> {
  model: string;
  signal: CallSignal;
  maxAttempts: number;
  hooks?: FailoverHooks<M>;
  /** Only members this accepts may serve (e.g. routes that can embed). */
  accept?: (member: M) => boolean;
  /** What to say when no member is accepted at all. */
  emptyMessage?: string;
}

export async function runWithFailover<M extends PoolMember, T>(
  pool: CredentialPool<M>,
  options: FailoverOptions<M>,
  attempt: (member: M) => Promise<T>,
): Promise<{ value: T; member: M }> {
  const tried = new Set<string>();
  let lastError: UpstreamError | undefined;
  for (let n = 0; n < options.maxAttempts; n++) {
    if (options.signal.aborted) throw new ClientAbortError();
    const pick = pool.pick(options.model, tried, options.accept);
    if (!pick.ok) {
      if (pick.reason === 'tried') break; // every usable credential was tried in this request
      if (pick.reason === 'cooling') {
        throw new NoCredentialError(
          `all credentials are cooling down for ${options.model}${lastError ? ` (last error: ${lastError.message})` : ''}`,
          429,
          pick.retryAfterMs,
          lastError,
        );
      }
      throw noneUsable(pick.reason, lastError, options.emptyMessage);
    }
    const member = pick.member;
    tried.add(member.id);
    try {
      const preparing = options.hooks?.prepare?.(member, options.signal);
      if (preparing) await preparing;
      const value = await runWithOneRefresh(member, attempt, options.hooks, options.signal);
      pool.reportSuccess(member);
      return { value, member };
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      if (err.scope === 'request') throw err;
      lastError = err;
      options.hooks?.onFailure?.(member, err);
      pool.reportFailure(member, options.model, err);
    }
  }
  throw new NoCredentialError(
    `every attempt failed (${tried.size} credential${tried.size === 1 ? '' : 's'} tried); last error: ${lastError?.message ?? 'none'}`,
    lastError?.kind === 'rate' || lastError?.kind === 'quota' ? 429 : 503,
    lastError?.retryAfterMs,
    lastError,
  );
}

async function runWithOneRefresh<M extends PoolMember, T>(
  member: M,
  attempt: (member: M) => Promise<T>,
  hooks: FailoverHooks<M> | undefined,
  signal: CallSignal,
): Promise<T> {
  const used = hooks?.tokenOf?.(member);
  try {
    return await attempt(member);
  } catch (err) {
    if (!(err instanceof UpstreamError) || err.kind !== 'auth' || err.fatal || !hooks?.refresh) throw err;
    await hooks.refresh(member, signal, used);
    return attempt(member);
  }
}

function noneUsable(reason: 'empty' | 'disabled', lastError: UpstreamError | undefined, emptyMessage?: string): NoCredentialError {
  if (reason === 'empty') {
    return new NoCredentialError(
      emptyMessage ??
      'no credentials are configured: add Google accounts with `rotor --gen-creds` (or put oauth_creds_*.json files in PERSISTENT_STORAGE_PATH, or set CREDENTIALS_JSON_LIST), then retry',
      503,
      undefined,
    );
  }
  return new NoCredentialError(
    `every credential is disabled${lastError ? ` (last error: ${lastError.message})` : ''}; see GET /v1/keys/status for the reasons`,
    503,
    undefined,
    lastError,
  );
}
