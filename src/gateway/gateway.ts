/**
 * The gateway: one call = pick a credential from the pool, make sure it is ready (project), run the
 * upstream call, fail over. Routes talk to this; it knows no HTTP and no client dialect.
 */
import type { GeminiCountTokensResponse, GeminiRequest, GeminiResponse } from '../types/gemini.js';
import type { GeminiEmbedRequest, GeminiEmbedResponse, OpenedStream, UpstreamClient } from '../upstream/types.js';
import { NEEDS_ACTION_RECHECK_MS, tokenError, UpstreamError } from '../upstream/errors.js';
import { accessTokenWithin } from '../upstream/http-call.js';
import type { CredentialPool } from '../pool/pool.js';
import { NoCredentialError, runWithFailover } from '../pool/failover.js';
import type { PoolMember } from '../pool/types.js';
import type { Logger } from '../util/log.js';
import type { CallSignal } from '../util/call-signal.js';

/** The credential surface the gateway needs (satisfied by credentials/OAuthCredential). */
export interface GatewayCredential {
  readonly id: string;
  readonly email: string | undefined;
  readonly projectId: string | undefined;
  readonly route: string;
  readonly disabledReason: string | undefined;
  getAccessToken(): Promise<string>;
  cachedAccessToken?(): string | undefined;
  /** A new token; given the token a server rejected, a newer one already in hand is returned instead. */
  refresh(rejected?: string): Promise<string>;
  /** The current token or key for display, e.g. `ya29…x9Q` (empty before the first token). */
  maskedAccessToken(): string;
}

/** Adapts a credential to the pool and the upstream. */
export class Member implements PoolMember {
  constructor(readonly credential: GatewayCredential) {}
  get id() {
    return this.credential.id;
  }
  get email() {
    return this.credential.email;
  }
  get projectId() {
    return this.credential.projectId;
  }
  get route() {
    return this.credential.route;
  }
  get disabledReason() {
    return this.credential.disabledReason;
  }
  /**
   * Code Assist quotas are per user, so the bucket follows the account (upstream-protocols.md §1.9);
   * Gemini API quotas are per Cloud project, so keys of one project share a bucket (§2.5).
   */
  get quotaKey() {
    if (this.credential.route === 'gemini-api') {
      return this.credential.projectId ? `project:${this.credential.projectId}` : `key:${this.credential.id}`;
    }
    return `user:${this.credential.email ?? this.credential.id}`;
  }
  getAccessToken() {
    return this.credential.getAccessToken();
  }
  cachedAccessToken() {
    return this.credential.cachedAccessToken?.();
  }
}

export type Route = 'code-assist' | 'gemini-api';

export interface GatewayOptions {
  pool: CredentialPool<Member>;
  upstreams: Record<Route, UpstreamClient>;
  maxAttempts: number;
  /** Models to try, in order, when every credential is out of quota for a model (MODEL_FALLBACKS). */
  fallbacks?: ReadonlyMap<string, string[]>;
  /** Upper bound for a forced token refresh (UPSTREAM_TIMEOUT_MS). */
  timeoutMs: number;
  logger: Logger;
  /** Finds or onboards the Code Assist project of a credential that has none; throws on failure. */
  ensureProject(credential: GatewayCredential, signal: CallSignal): Promise<string>;
}

export interface Gateway {
  readonly pool: CredentialPool<Member>;
  /** `model` in the result is the one that served: the requested one, or a configured fallback. */
  generate(model: string, request: GeminiRequest, signal: CallSignal): Promise<{ response: GeminiResponse; member: Member; model: string }>;
  stream(model: string, request: GeminiRequest, signal: CallSignal): Promise<{ stream: OpenedStream; member: Member; model: string }>;
  countTokens(model: string, request: GeminiRequest, signal: CallSignal): Promise<GeminiCountTokensResponse>;
  /** Embeddings: only routes that can embed (the Gemini API; Code Assist cannot). */
  embed(model: string, request: GeminiEmbedRequest, signal: CallSignal): Promise<GeminiEmbedResponse>;
}

const canEmbed = (m: Member) => m.route === 'gemini-api';

export function createGateway(options: GatewayOptions): Gateway {
  const { pool, logger } = options;
  const upstreamOf = (m: Member): UpstreamClient => options.upstreams[(m.route as Route)] ?? options.upstreams['code-assist'];

  const hooks = {
    prepare(member: Member, signal: CallSignal) {
      if (member.projectId || member.route !== 'code-assist') return undefined;
      return options.ensureProject(member.credential, signal).then(
        () => undefined,
        (err: unknown) => {
          throw projectError(err);
        },
      );
    },
    async refresh(member: Member, signal: CallSignal, rejected: string | undefined) {
      // Bounded like any upstream wait: a stalled token endpoint must not hold the request.
      await accessTokenWithin({ getAccessToken: () => member.credential.refresh(rejected) }, options.timeoutMs, signal);
    },
    tokenOf: (member: Member) => member.credential.cachedAccessToken?.(),
    onFailure(member: Member, err: UpstreamError) {
      logger.warn(`credential ${member.id} failed: ${err.kind} (HTTP ${err.status}): ${err.message}`);
    },
  };

  const run = <T>(model: string, signal: CallSignal, attempt: (m: Member) => Promise<T>, accept?: (m: Member) => boolean) =>
    runWithFailover(pool, { model, signal, maxAttempts: options.maxAttempts, hooks, accept }, attempt);

  /** Tries the model, then its configured fallbacks while every credential is out of quota for the previous one. */
  async function withFallback<T>(model: string, call: (m: string) => Promise<T>): Promise<{ value: T; model: string }> {
    const chain = [model, ...(options.fallbacks?.get(model) ?? [])];
    for (let i = 0; ; i++) {
      try {
        return { value: await call(chain[i]!), model: chain[i]! };
      } catch (err) {
        const last = i === chain.length - 1;
        if (last || !(err instanceof NoCredentialError) || err.status !== 429) throw err;
        logger.info(`no credential can serve ${chain[i]} now; falling back to ${chain[i + 1]}`);
      }
    }
  }

  return {
    pool,
    async generate(requested, request, signal) {
      const { value: done, model } = await withFallback(requested, (model) =>
        run(model, signal, (m) => upstreamOf(m).generate(m, { model, request, signal })),
      );
      return { response: done.value, member: done.member, model };
    },
    async stream(requested, request, signal) {
      const { value: opened, model } = await withFallback(requested, (model) =>
        run(model, signal, (m) => upstreamOf(m).stream(m, { model, request, signal })),
      );
      const { value, member } = opened;
      // A failure after the first event cannot fail over, but the pool still learns from it.
      const rest = value.rest;
      const watched: AsyncIterator<GeminiResponse> = {
        next: async () => {
          try {
            return await rest.next();
          } catch (err) {
            if (err instanceof UpstreamError && err.scope !== 'request') pool.reportFailure(member, model, err);
            throw err;
          }
        },
        return: async (v?: unknown) => (rest.return ? rest.return(v) : { done: true, value: undefined }),
      };
      return { stream: { ...value, rest: watched }, member, model };
    },
    async countTokens(model, request, signal) {
      const { value } = await run(model, signal, (m) => upstreamOf(m).countTokens(m, { model, request, signal }));
      return value;
    },
    async embed(model, request, signal) {
      if (!pool.list().some(canEmbed)) {
        throw new UpstreamError(
          'embeddings need a Gemini API key (Code Assist accounts cannot embed): add one with GEMINI_API_KEYS, an api_key*.json file or a CREDENTIALS_JSON_LIST entry {"api_key": "..."}',
          400,
          'request',
          'invalid',
          undefined,
          undefined,
        );
      }
      const { value } = await run(model, signal, (m) => upstreamOf(m).embed(m, { model, request, signal }), canEmbed);
      return value;
    },
  };
}

/** Project discovery failures: the user must act (fatal for this credential) unless it was a passing HTTP fault. */
function projectError(err: unknown): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { code?: string; status?: number; message?: string; kind?: string };
  if (e?.kind === 'revoked' || e?.kind === 'transient') return tokenError(err);
  const message = `project discovery failed: ${e?.message ?? String(err)}`;
  const passing = e?.code === 'HTTP' || e?.code === 'ONBOARD_TIMEOUT' || e?.code === undefined;
  if (passing && e?.status !== 403) return new UpstreamError(message, 502, 'credential', 'transient', undefined, undefined);
  // Verification, a licence, a project to set: the owner can fix these; re-checked after a while.
  return new UpstreamError(message, 403, 'credential', 'permission', NEEDS_ACTION_RECHECK_MS, undefined, true);
}
