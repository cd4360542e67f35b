/**
 * The failover loop: pick a credential, run the attempt, tell the pool what happened, move to the next one.
 * - A request-scoped error (the client's fault) returns at once and cools nothing.
 * - A 401 earns one token refresh and a retry on the same credential.
 * - A rate, quota or capacity error cools that bucket for the model, and the request moves on.
 * - Transient failures (a timeout, a reset) are told to the pool, which cools a credential only when requests
 *   in a row fail on it (outlier detection), never for one request's retries.
 * - The retry budget: Google's error answers that the request may have caused itself (a 5xx, an unexplained
 *   403) are held back; once the request has failed the same way on two credentials it stops, Google's error
 *   goes back to the client, and neither those credentials nor the rest of the pool are blamed (a poison
 *   request must not take the pool down). When the request is served elsewhere, or fails in other ways too,
 *   the held-back failures are told to the pool after all.
 */
import { UpstreamError, UpstreamNetworkError } from '../upstream/errors.js';
import { ClientAbortError } from '../upstream/types.js';
import type { CredentialPool } from '../pool/pool.js';
import type { Outcome, PoolMember } from '../pool/types.js';
import type { CallSignal } from '../util/call-signal.js';
import { NoCredentialError } from './errors.js';
import type { DispatchEvents } from './events.js';
import type { Ticket, WaitQueue } from './queue.js';

export interface FailoverHooks<M extends PoolMember> {
  /** Runs before an attempt on a member (e.g. project discovery); undefined when there is nothing to wait for. */
  prepare?(member: M, signal: CallSignal): Promise<void> | undefined;
  /**
   * Renews the token after a 401; may throw UpstreamError (e.g. a revoked token). `rejected` is the token the
   * attempt started with (from `tokenOf`), so that many requests rejected together share one refresh.
   */
  refresh?(member: M, signal: CallSignal, rejected: string | undefined): Promise<void>;
  /** The token an attempt on this member will use, when it is already known. */
  tokenOf?(member: M): string | undefined;
  /** Called for every failed attempt (logs). */
  onFailure?(member: M, err: UpstreamError, requestId: string): void;
}

/** A booking in the quota book for one attempt, settled once the answer (or the stream) is complete. */
export interface Lease {
  /**
   * Google has answered (or started to stream): the booking counts from now. A complete answer passes its real
   * input tokens, so the correction goes with it (one store call instead of two).
   */
  answered(promptTokens?: number): void;
  /** Google served it: corrects the booked tokens with the real count. */
  settle(promptTokens: number | undefined): void;
  /** Google did not count it (it refused the request): the booking is taken back. */
  release(): void;
}

export type BookResult = { ok: true; lease: Lease | undefined } | { ok: false; retryAt: number; window: string };

export interface FailoverOptions<M extends PoolMember, T = unknown> {
  model: string;
  signal: CallSignal;
  maxAttempts: number;
  requestId?: string;
  stream?: boolean;
  hooks?: FailoverHooks<M>;
  events?: DispatchEvents;
  /** Only members this accepts may serve (e.g. routes that can embed). */
  accept?: (member: M) => boolean;
  /** What to say when no member is accepted at all. */
  emptyMessage?: string;
  now?: () => number;
  /**
   * Books the attempt in the quota book before it goes out; a refusal skips that bucket until it frees. A plain
   * answer when the book needs no store (most requests): no promise to wait for.
   */
  book?: (member: M) => BookResult | Promise<BookResult>;
  /** Tried first while it is free (session affinity: the conversation's credential, for Gemini's prompt cache). */
  preferred?: M;
  /** Where requests wait when every credential is out of quota for the model. */
  queue?: WaitQueue;
  /** The input tokens Google counted, read from a complete answer (JSON, not a stream), for the lease. */
  answerTokens?: (value: T) => number | undefined;
}

/** How many credentials may fail a request the same suspect way before it stops (the retry budget). */
export const SAME_FAILURE_BUDGET = 2;

/** The pool's view of an upstream error: what happened, never the error class. */
export function outcomeOf(err: UpstreamError): Outcome {
  const kind = err.kind === 'invalid' || err.kind === 'not-found' ? 'transient' : err.kind;
  return { kind, message: err.message, retryAfterMs: err.retryAfterMs, fatal: err.fatal, suspect: err.suspect };
}

const QUOTA_KINDS = new Set(['rate', 'quota', 'capacity', 'booked']);

export async function runWithFailover<M extends PoolMember, T>(
  pool: CredentialPool<M>,
  options: FailoverOptions<M, T>,
  attempt: (member: M) => Promise<T>,
): Promise<{ value: T; member: M; lease: Lease | undefined }> {
  const { model, signal, hooks, events } = options;
  const now = options.now ?? Date.now;
  const requestId = options.requestId ?? '';
  const tried = new Set<string>();
  /** Failures the request may have caused itself, told to the pool when it ends, unless it was to blame (made on the first). */
  let heldBack: Array<[M, UpstreamError]> | undefined;
  let sameWay: Map<string, number> | undefined;
  let lastError: UpstreamError | undefined;
  let ticket: Ticket | undefined;
  let preferred = options.preferred;
  const release = () => {
    if (heldBack) for (const [m, err] of heldBack) pool.reportFailure(m, model, outcomeOf(err));
  };

  try {
    /** Waits in the model's line until `retryAt` (or room reappears); false when that is past the deadline. */
    const waitInLine = async (retryAt: number, retryAfterMs: number | undefined): Promise<boolean> => {
      if (!options.queue?.enabled) return false;
      ticket ??= options.queue.join(model, signal, retryAfterMs);
      if (retryAt > ticket.deadline) return false;
      await ticket.turn(retryAt);
      return true;
    };
    for (let n = 0, refused = 0, refusedUntil = Infinity; n < options.maxAttempts; ) {
      if (signal.aborted) throw new ClientAbortError();
      const candidate = preferred && !tried.has(preferred.id) && pool.isFree(preferred, model) && (options.accept?.(preferred) ?? true) ? preferred : undefined;
      preferred = undefined;
      const pick = candidate ? ({ ok: true, member: candidate } as const) : pool.pick(model, tried, options.accept);
      if (!pick.ok) {
        if (pick.reason === 'tried') {
          // Every credential was tried and Google refused each for its quota: wait for the first to free, then
          // try again (a refused request costs no quota), rather than fail what a minute's wait would serve.
          if (lastError && QUOTA_KINDS.has(lastError.kind) && options.queue?.enabled) {
            tried.clear();
            continue;
          }
          break;
        }
        if (pick.reason === 'cooling') {
          const quotaOut = pick.coolingKind === undefined || QUOTA_KINDS.has(pick.coolingKind);
          // Out of quota everywhere: wait in line for the first bucket to free, if it frees in time.
          if (quotaOut && (await waitInLine(now() + (pick.retryAfterMs ?? 0), pick.retryAfterMs))) {
            refused = 0; // a new turn: buckets may have freed (or been taken by other instances) meanwhile
            continue;
          }
          release();
          throw coolingError(model, pick.coolingKind, pick.retryAfterMs, lastError);
        }
        release();
        throw noneUsable(pick.reason, lastError, options.emptyMessage);
      }
      const member = pick.member;
      let lease: Lease | undefined;
      if (options.book) {
        const pending = options.book(member);
        const booked = pending instanceof Promise ? await pending : pending;
        if (!booked.ok) {
          // This bucket is booked out: skip it (and every key of its project) until it frees; not an attempt.
          pool.markBooked(member, model, booked.retryAt, booked.window);
          refusedUntil = Math.min(refusedUntil, booked.retryAt);
          // Other instances keep taking the room that frees: after a round of refusals, wait in line like the rest.
          if (++refused > pool.size) {
            const retryAfterMs = Math.max(0, refusedUntil - now());
            if (!(await waitInLine(refusedUntil, retryAfterMs))) {
              release();
              throw new NoCredentialError(`all credentials are booked out for ${model}`, 429, retryAfterMs);
            }
            refused = 0;
            refusedUntil = Infinity;
          }
          continue;
        }
        lease = booked.lease;
      }
      ticket?.leave();
      ticket = undefined;
      tried.add(member.id);
      n++;
      if (events?.active) events.emit({ type: 'pick', requestId, model, credential: member.id, route: member.route, attempt: n });
      const started = events?.active ? now() : 0;
      try {
        const preparing = hooks?.prepare?.(member, signal);
        if (preparing) await preparing;
        const value = await runWithOneRefresh(member, attempt, hooks, signal);
        lease?.answered(options.answerTokens?.(value));
        pool.reportSuccess(member);
        if (events?.active) {
          events.emit({ type: 'attempt', requestId, model, credential: member.id, route: member.route, attempt: n, outcome: 'ok', latencyMs: now() - started, stream: options.stream === true });
        }
        release();
        return { value, member, lease };
      } catch (err) {
        // Google answered with a refusal: it did not count the request. (A reset or a timeout may have been counted.)
        if (!(err instanceof UpstreamNetworkError)) lease?.release();
        if (!(err instanceof UpstreamError)) throw err;
        const budgetSpent = err.suspect && (sameWay?.get(err.signature) ?? 0) + 1 >= SAME_FAILURE_BUDGET;
        const blamed = err.scope !== 'request' && !budgetSpent;
        if (events?.active) {
          events.emit({ type: 'attempt', requestId, model, credential: member.id, route: member.route, attempt: n, outcome: 'error', status: err.status, kind: err.kind, blamed, latencyMs: now() - started, stream: options.stream === true });
        }
        // The client's fault, or the same failure twice: the request is to blame, not the credentials.
        if (!blamed) throw err;
        lastError = err;
        hooks?.onFailure?.(member, err, requestId);
        if (err.suspect) {
          sameWay ??= new Map();
          sameWay.set(err.signature, (sameWay.get(err.signature) ?? 0) + 1);
          (heldBack ??= []).push([member, err]);
        } else pool.reportFailure(member, model, outcomeOf(err));
      }
    }
    release();
    throw exhausted(tried.size, lastError);
  } finally {
    ticket?.leave();
  }
}

function runWithOneRefresh<M extends PoolMember, T>(
  member: M,
  attempt: (member: M) => Promise<T>,
  hooks: FailoverHooks<M> | undefined,
  signal: CallSignal,
): Promise<T> {
  const used = hooks?.tokenOf?.(member);
  let first: Promise<T>;
  try {
    first = attempt(member);
  } catch (err) {
    first = Promise.reject(err);
  }
  const refresh = hooks?.refresh;
  // Without a way to refresh there is nothing to catch: the attempt's own promise, and no other.
  if (!refresh) return first;
  return first.catch(async (err: unknown) => {
    if (!(err instanceof UpstreamError) || err.kind !== 'auth' || err.fatal) throw err;
    await refresh(member, signal, used);
    return attempt(member);
  });
}

/** Every credential is cooling down: 429 when quotas are out, 503 when they are failing. */
function coolingError(model: string, kind: string | undefined, retryAfterMs: number | undefined, lastError: UpstreamError | undefined): NoCredentialError {
  const last = lastError ? ` (last error: ${lastError.message})` : '';
  if (kind === undefined || QUOTA_KINDS.has(kind)) {
    return new NoCredentialError(`all credentials are cooling down for ${model}${last}`, 429, retryAfterMs);
  }
  return new NoCredentialError(`every credential is cooling down after failures for ${model}${last}`, 503, retryAfterMs, true, 'credentials_failing');
}

/** The attempts ran out: a quota 429, or the upstream's failure as a 502/503/504, never a 429 for an outage. */
function exhausted(tried: number, lastError: UpstreamError | undefined): NoCredentialError {
  const message = `every attempt failed (${tried} credential${tried === 1 ? '' : 's'} tried); last error: ${lastError?.message ?? 'none'}`;
  if (lastError && QUOTA_KINDS.has(lastError.kind)) return new NoCredentialError(message, 429, lastError.retryAfterMs);
  if (lastError?.kind === 'transient') return new NoCredentialError(message, lastError.status === 504 ? 504 : 502, lastError.retryAfterMs, true, 'upstream_failed');
  return new NoCredentialError(message, 503, lastError?.retryAfterMs);
}

function noneUsable(reason: 'empty' | 'disabled', lastError: UpstreamError | undefined, emptyMessage?: string): NoCredentialError {
  if (reason === 'empty') {
    return new NoCredentialError(
      emptyMessage ??
        'no credentials are configured: add Google accounts with `rotor --gen-creds` (or put oauth_creds_*.json files in PERSISTENT_STORAGE_PATH, or set CREDENTIALS_JSON_LIST), then retry',
      503,
      undefined,
      false,
    );
  }
  return new NoCredentialError(
    `every credential is disabled${lastError ? ` (last error: ${lastError.message})` : ''}; see GET /v1/keys/status for the reasons`,
    503,
    undefined,
    false,
  );
}
