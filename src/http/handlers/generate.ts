/**
 * The one generation handler every dialect runs through: parse → remote media and cached signatures →
 * translate → dispatch → the dialect's body or stream frames.
 */
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from '../../dispatch/dispatcher.js';
import { NoCredentialError } from '../../dispatch/errors.js';
import { TokenRefusal, type TokenLease, type TokenService } from '../../tokens/service.js';
import type { GeminiResponse } from '../../types/gemini.js';
import type { OpenedStream } from '../../upstream/types.js';
import { ApiError } from '../errors.js';
import type { GenerationAdapter, RouteParams } from '../../translate/dialect.js';
import type { GeminiBlob } from '../../types/gemini.js';
import type { SignatureCache } from '../../store/signature-cache.js';
import type { CallSignal } from '../../util/call-signal.js';
import { headerSafe } from '../../util/header-safe.js';
import type { ApiRequest } from '../router.js';
import { sendJson } from '../send.js';
import { pipeStream } from './pipe-stream.js';
import type { Logger } from '../../util/log.js';
import { describeBody } from '../../util/redact-body.js';

export interface MediaFetcher {
  fetchAll(urls: string[], signal?: CallSignal): Promise<Map<string, GeminiBlob>>;
}

export interface GenerateDeps {
  dispatcher: Dispatcher;
  media: MediaFetcher;
  signatures: SignatureCache;
  logger: Logger;
  /** DEBUG_REDACT_LOGS: whether debug lines show prompts ('shown') or only the request's shape. */
  debugPrompts: 'hidden' | 'shown';
  /** Access tokens: their model lists and limits (absent: no token is ever checked here). */
  tokens?: Pick<TokenService, 'admit'>;
}

/**
 * A token's model list and limits for this request, once the upstream model is known (after aliases); nothing to
 * do for a request without a token. A refusal is the dialect's 403 naming the models, or its 429 naming the limit
 * with the token's own Retry-After (and x-should-retry: false for a daily limit: waiting a few seconds will not help).
 */
export async function admitToken(deps: { tokens?: Pick<TokenService, 'admit'> | undefined }, r: ApiRequest, model: string, book = true): Promise<TokenLease | undefined> {
  if (r.token === undefined || !deps.tokens) return undefined;
  try {
    return await deps.tokens.admit(r.token, model, { book });
  } catch (err) {
    if (!(err instanceof TokenRefusal)) throw err;
    const headers: Record<string, string> = {};
    if (err.retryAfterMs !== undefined) {
      const ms = Math.ceil(err.retryAfterMs);
      headers['retry-after'] = String(Math.max(1, Math.ceil(ms / 1000)));
      headers['retry-after-ms'] = String(ms);
    }
    if (err.limit === 'rpd' || err.limit === 'daily_tokens') headers['x-should-retry'] = 'false';
    throw new ApiError(err.status, err.message, err.status === 403 ? 'model' : undefined, err.code, headers);
  }
}

/** After a failed dispatch: a request no credential took is given back to the token's limits; any other stands. */
export function settleFailed(lease: TokenLease | undefined, err: unknown): void {
  if (!lease) return;
  if (err instanceof NoCredentialError) lease.release();
  else lease.settle(undefined);
}

/** The stream with its usage watched, so the token's day is corrected when it ends (however it ends). */
function settledStream(stream: OpenedStream, lease: TokenLease): OpenedStream {
  let usage = stream.first.usageMetadata;
  const rest = stream.rest;
  const watched: AsyncIterator<GeminiResponse> = {
    next: () =>
      rest.next().then(
        (n) => {
          if (n.done) lease.settle(usage);
          else if (n.value.usageMetadata) usage = n.value.usageMetadata;
          return n;
        },
        (err: unknown) => {
          lease.settle(usage);
          throw err;
        },
      ),
    ...(rest.return ? { return: (v?: unknown) => rest.return!(v) } : {}),
  };
  return {
    first: stream.first,
    rest: watched,
    close: () => {
      lease.settle(usage);
      stream.close();
    },
  };
}

const NONE = new Map<string, never>();

export async function serveGeneration<Req, Ctx>(deps: GenerateDeps, adapter: GenerationAdapter<Req, Ctx>, r: ApiRequest, params: RouteParams = {}): Promise<void> {
  const req = adapter.parse(r.body, params);
  if (deps.logger.enabled('debug')) deps.logger.debug('request body', { req: r.id, dialect: adapter.id, body: describeBody(r.body, deps.debugPrompts) });
  // Before the media fetch: a client that leaves while its images download must not start a generation.
  const signal = r.signal();
  const urls = adapter.mediaUrls(req);
  const media: ReadonlyMap<string, GeminiBlob> = urls.length > 0 ? await deps.media.fetchAll(urls, signal) : NONE;
  const ids = adapter.signatureIds(req);
  const known: ReadonlyMap<string, string> = ids.length > 0 ? await deps.signatures.lookup(ids) : NONE;
  const plan = adapter.toGemini(req, {
    params,
    media: (url) => media.get(url),
    signatures: (id) => known.get(id),
    id: randomUUID().replaceAll('-', ''),
    created: Math.floor(Date.now() / 1000),
  });
  const session = r.req.headers['x-session-id'];
  const affinityKey = adapter.affinityKey?.(req) ?? (typeof session === 'string' && session !== '' ? session : undefined);
  // Without a token there is nothing to admit: no promise to wait for.
  const lease = r.token === undefined ? undefined : await admitToken(deps, r, plan.model);
  const ctx = { signal, requestId: r.id, ...(affinityKey ? { affinityKey } : {}), ...(r.token === undefined ? {} : { token: r.token }) };
  if (!plan.stream) {
    const generating = deps.dispatcher.generate(plan.model, plan.request, ctx);
    // A token's booking is settled whichever way the request ends; without one, nothing to catch.
    const { response, model, member } = await (lease
      ? generating.catch((err: unknown) => {
          settleFailed(lease, err);
          throw err;
        })
      : generating);
    lease?.settle(response.usageMetadata);
    r.served = { credential: member.id, model };
    r.res.setHeader('x-rotor-model', headerSafe(model));
    const out = adapter.toResponse(response, plan.ctx);
    deps.signatures.remember(out.signatures);
    sendJson(r.res, 200, out.body);
    return;
  }
  const opened = await deps.dispatcher.stream(plan.model, plan.request, ctx).catch((err: unknown) => {
    settleFailed(lease, err);
    throw err;
  });
  const { model, member } = opened;
  const stream = lease ? settledStream(opened.stream, lease) : opened.stream;
  r.served = { credential: member.id, model };
  r.res.setHeader('x-rotor-model', headerSafe(model));
  await pipeStream(r.res, stream, adapter.openStream(plan.ctx), {
    framing: adapter.framing(plan.ctx),
    ...(adapter.heartbeat ? { heartbeat: adapter.heartbeat } : {}),
    signatures: deps.signatures,
  });
}
