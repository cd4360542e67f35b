/**
 * The dispatcher: serves one Gemini request over the pool and the upstream routes. One call = pick a credential,
 * make it ready (its route's preparation), run the call on its route's client, fail over, fall back to another
 * model when a model is out everywhere. Knows no HTTP and no client dialect; tells subscribers what it does.
 */
import type { GeminiCountTokensResponse, GeminiRequest, GeminiResponse, GeminiUsageMetadata } from '../types/gemini.js';
import type { GeminiEmbedRequest, GeminiEmbedResponse, OpenedStream } from '../upstream/types.js';
import { ClientAbortError } from '../upstream/types.js';
import { UpstreamError } from '../upstream/errors.js';
import { accessTokenWithin } from '../upstream/transport.js';
import type { Capability } from '../upstream/registry.js';
import type { CredentialPool } from '../pool/pool.js';
import type { Logger } from '../util/log.js';
import type { CallSignal } from '../util/call-signal.js';
import { NoCredentialError } from './errors.js';
import type { DispatchEvents } from './events.js';
import { outcomeOf, runWithFailover, type BookResult, type FailoverHooks, type Lease } from './failover.js';
import type { Member } from './member.js';
import type { QuotaBook, ReserveOutcome } from '../pool/quota.js';
import type { WaitQueue } from './queue.js';
import type { Affinity } from './affinity.js';
import { estimateInputTokens } from './estimate.js';

export interface DispatcherOptions {
  pool: CredentialPool<Member>;
  events: DispatchEvents;
  maxAttempts: number;
  /** Models to try, in order, when every credential is out of quota for a model (MODEL_FALLBACKS). */
  fallbacks?: ReadonlyMap<string, string[]>;
  /** Upper bound for a forced token refresh (UPSTREAM_TIMEOUT_MS). */
  timeoutMs: number;
  logger: Logger;
  now?: () => number;
  /** Books each attempt against the buckets' limits (absent: nothing is booked). */
  quota?: QuotaBook;
  /** Where requests wait while every credential is out of quota for their model. */
  queue?: WaitQueue;
  affinity?: Affinity;
}

/** Who is asking: the client's signal (it may leave) and the request id events carry. */
export interface CallContext {
  signal: CallSignal;
  requestId: string;
  /** A conversation key: its requests go back to the credential that served it while it has room. */
  affinityKey?: string;
  /** The access token (its name) the request came with: carried to the `done` event, for usage per token. */
  token?: string;
}

export interface Dispatcher {
  readonly pool: CredentialPool<Member>;
  readonly events: DispatchEvents;
  /** `model` in the result is the one that served: the requested one, or a configured fallback. */
  generate(model: string, request: GeminiRequest, ctx: CallContext): Promise<{ response: GeminiResponse; member: Member; model: string }>;
  stream(model: string, request: GeminiRequest, ctx: CallContext): Promise<{ stream: OpenedStream; member: Member; model: string }>;
  countTokens(model: string, request: GeminiRequest, ctx: CallContext): Promise<GeminiCountTokensResponse>;
  /** Embeddings: only on routes that can embed (the Gemini API; Code Assist cannot). */
  embed(model: string, request: GeminiEmbedRequest, ctx: CallContext): Promise<GeminiEmbedResponse>;
}

const promptTokensOf = (r: GeminiResponse) => r.usageMetadata?.promptTokenCount;
const NO_LEASE: BookResult = Object.freeze({ ok: true, lease: undefined });
const can = (capability: Capability) => (m: Member) => m.entry.capabilities.has(capability);
const canEmbed = can('embed');

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { pool, logger, events } = options;
  const now = options.now ?? Date.now;

  const hooks: FailoverHooks<Member> = {
    prepare: (member, signal) => member.entry.prepare?.(member.credential, signal),
    async refresh(member, signal, rejected) {
      // Bounded like any upstream wait: a stalled token endpoint must not hold the request.
      await accessTokenWithin({ getAccessToken: () => member.credential.refresh(rejected) }, options.timeoutMs, signal);
    },
    tokenOf: (member) => member.credential.cachedAccessToken?.(),
  };

  const { quota, queue, affinity } = options;
  hooks.onFailure = (member, err, req) =>
    logger.warn(`credential ${member.id} failed: ${err.kind} (HTTP ${err.status}): ${err.message}`, { req, credential: member.id, status: err.status, kind: err.kind });

  /** Books an attempt; the lease corrects the tokens after the answer or takes the booking back. */
  const bookFor = (model: string, tokens: () => number) =>
    quota &&
    ((m: Member): BookResult | Promise<BookResult> => {
      // Most bookings are answered at once (nothing to book, or far from the limits): no promise for those.
      const r = quota.reserve(m, model, tokens);
      return r instanceof Promise ? r.then((outcome) => leaseFor(quota, m, model, outcome)) : leaseFor(quota, m, model, r);
    });

  const leaseFor = (book: QuotaBook, m: Member, model: string, r: ReserveOutcome): BookResult => {
    if (!r.ok) return r;
    const reservation = r.reservation;
    if (!reservation) return NO_LEASE;
    const lease: Lease = {
      answered: (promptTokens) => void book.restamp(reservation, promptTokens),
      settle: (promptTokens) => void book.settle(reservation, promptTokens),
      release: () => {
        void book.release(reservation).then(() => {
          pool.unbook(m.quotaKey, model);
          queue?.wake(model);
        });
      },
    };
    return { ok: true, lease };
  };

  type Ran<T> = { value: T; member: Member; lease: Lease | undefined };

  function run<T>(
    model: string,
    ctx: CallContext,
    stream: boolean,
    attempt: (m: Member) => Promise<T>,
    extra: { accept?: (m: Member) => boolean; emptyMessage?: string; tokens?: () => number; free?: boolean; answerTokens?: (value: T) => number | undefined } = {},
  ): Promise<Ran<T>> {
    const go = (preferredId: string | undefined) =>
      runWithFailover(
        pool,
        {
          model,
          signal: ctx.signal,
          requestId: ctx.requestId,
          stream,
          maxAttempts: options.maxAttempts,
          hooks,
          events,
          accept: extra.accept,
          emptyMessage: extra.emptyMessage,
          answerTokens: extra.answerTokens,
          now,
          // countTokens costs no quota: nothing to book.
          book: extra.free ? undefined : bookFor(model, extra.tokens ?? (() => 0)) || undefined,
          preferred: preferredId === undefined ? undefined : pool.get(preferredId),
          queue,
        },
        quota
          ? (m) =>
              attempt(m).catch((err: unknown) => {
                // A 429 that names its limits teaches the quota book (every instance, across restarts).
                if (err instanceof UpstreamError) for (const v of err.quota) if (v.limit !== undefined) void quota.learn(m, model, v.window, v.limit, v.quotaId, err.retryAfterMs);
                throw err;
              })
          : attempt,
      );
    const key = ctx.affinityKey;
    // Without a conversation key, no lookup to wait for (and no promise of its own).
    if (!key || !affinity) return go(undefined);
    return affinity
      .lookup(key)
      .then(go)
      .then((result) => {
        affinity.remember(key, result.member.id);
        return result;
      });
  }

  /** Tries the model, then its configured fallbacks while every credential is out of quota for the previous one. */
  function withFallback<T>(model: string, ctx: CallContext, call: (m: string) => Promise<T>): Promise<{ value: T; model: string }> {
    const fallbacks = options.fallbacks?.get(model);
    if (!fallbacks || fallbacks.length === 0) return call(model).then((value) => ({ value, model }));
    return withFallbacks([model, ...fallbacks], ctx, call);
  }

  async function withFallbacks<T>(chain: string[], ctx: CallContext, call: (m: string) => Promise<T>): Promise<{ value: T; model: string }> {
    for (let i = 0; ; i++) {
      try {
        return { value: await call(chain[i]!), model: chain[i]! };
      } catch (err) {
        const last = i === chain.length - 1;
        if (last || !(err instanceof NoCredentialError) || err.status !== 429) throw err;
        logger.info(`no credential can serve ${chain[i]} now; falling back to ${chain[i + 1]}`, { req: ctx.requestId, model: chain[i], to: chain[i + 1] });
        if (events.active) events.emit({ type: 'fallback', requestId: ctx.requestId, model: chain[i]!, to: chain[i + 1]! });
      }
    }
  }

  /** Runs a whole operation and reports it done (with what served it) or failed. */
  function observed<T>(
    operation: 'generate' | 'stream' | 'countTokens' | 'embed',
    model: string,
    ctx: CallContext,
    body: () => Promise<T>,
    result: (value: T) => { member: Member; usage?: GeminiUsageMetadata } | undefined,
  ): Promise<T> {
    if (!events.active) return body();
    const started = now();
    return body().then(
      (value) => {
        const r = result(value);
        // A stream reports itself done when it ends (below).
        if (operation !== 'stream') {
          events.emit({ type: 'done', requestId: ctx.requestId, model, operation, outcome: 'ok', credential: r?.member.id, route: r?.member.route, usage: r?.usage, latencyMs: now() - started, ...tokenOf(ctx) });
        }
        return value;
      },
      (err: unknown) => {
        events.emit({ type: 'done', requestId: ctx.requestId, model, operation, outcome: 'error', credential: undefined, route: undefined, error: errorClass(err), latencyMs: now() - started, ...tokenOf(ctx) });
        throw err;
      },
    );
  }

  return {
    pool,
    events,
    generate: (requested, request, ctx) =>
      observed('generate', requested, ctx, () => {
        const tokens = () => estimateInputTokens(request);
        return withFallback(requested, ctx, (model) =>
          // The answer is complete when the attempt ends: its tokens are settled with the restamp.
          run(model, ctx, false, (m) => m.entry.client.generate(m, { model, request, signal: ctx.signal }), { tokens, answerTokens: promptTokensOf }),
        ).then(({ value: done, model }) => ({ response: done.value, member: done.member, model }));
      }, (v) => ({ member: v.member, usage: v.response.usageMetadata })),

    stream: (requested, request, ctx) =>
      observed('stream', requested, ctx, async () => {
        const started = now();
        const tokens = () => estimateInputTokens(request);
        const { value: opened, model } = await withFallback(requested, ctx, (model) =>
          run(model, ctx, true, (m) => m.entry.client.stream(m, { model, request, signal: ctx.signal }), { tokens }),
        );
        const { value, member, lease } = opened;
        let usage = value.first.usageMetadata;
        let reported = false;
        const report = (err?: unknown) => {
          if (reported) return;
          reported = true;
          // Google counted the request once it streamed: the booking stands, with the real tokens when known.
          lease?.settle(usage?.promptTokenCount);
          if (!events.active) return;
          events.emit({
            type: 'done', requestId: ctx.requestId, model: requested, operation: 'stream', outcome: err === undefined ? 'ok' : 'error',
            credential: member.id, route: member.route, usage, latencyMs: now() - started, ...(err === undefined ? {} : { error: errorClass(err) }), ...tokenOf(ctx),
          });
        };
        // A failure after the first event cannot fail over, but the pool still learns from it.
        const rest = value.rest;
        const watched: AsyncIterator<GeminiResponse> = {
          // A chain on the event's own promise, not an async function: one promise an event fewer.
          next: () =>
            rest.next().then(
              (r) => {
                if (r.done) report();
                else if (r.value.usageMetadata) usage = r.value.usageMetadata;
                return r;
              },
              (err: unknown) => {
                if (err instanceof UpstreamError && err.scope !== 'request') pool.reportFailure(member, model, outcomeOf(err));
                report(err);
                throw err;
              },
            ),
          return: async (v?: unknown) => {
            report(ctx.signal.aborted ? new ClientAbortError() : undefined);
            return rest.return ? rest.return(v) : { done: true, value: undefined };
          },
        };
        return { stream: { ...value, rest: watched }, member, model };
      }, () => undefined),

    countTokens: (model, request, ctx) =>
      observed('countTokens', model, ctx, async () => run(model, ctx, false, (m) => m.entry.client.countTokens(m, { model, request, signal: ctx.signal }), { free: true }), (v) => ({ member: v.member })).then((r) => r.value),

    embed: (model, request, ctx) => {
      if (!pool.list().some(canEmbed)) {
        return Promise.reject(
          new UpstreamError(
            'embeddings need a Gemini API key (Code Assist accounts cannot embed): add one with GEMINI_API_KEYS, an api_key*.json file or a CREDENTIALS_JSON_LIST entry {"api_key": "..."}',
            400, 'request', 'invalid', undefined, undefined,
          ),
        );
      }
      return observed('embed', model, ctx, async () => {
        const r = await run(model, ctx, false, (m) => m.entry.client.embed!(m, { model, request, signal: ctx.signal }), { accept: canEmbed });
        r.lease?.settle(undefined);
        return r;
      }, (v) => ({ member: v.member })).then((r) => r.value);
    },
  };
}

/** The `token` field of a `done` event (absent without a token). */
const tokenOf = (ctx: CallContext): { token?: string } => (ctx.token === undefined ? {} : { token: ctx.token });

/** A failure's class for usage and metrics: the status Rotor answers, or who ended it. */
function errorClass(err: unknown): string {
  if (err instanceof ClientAbortError) return 'client-abort';
  if (err instanceof NoCredentialError) return String(err.status);
  if (err instanceof UpstreamError) return String(err.status || 502);
  return 'internal';
}
