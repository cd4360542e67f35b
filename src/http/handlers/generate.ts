/**
 * The one generation handler every dialect runs through: parse → remote media and cached signatures →
 * translate → dispatch → the dialect's body or stream frames.
 */
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from '../../dispatch/dispatcher.js';
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
  const ctx = { signal, requestId: r.id, ...(affinityKey ? { affinityKey } : {}) };
  if (!plan.stream) {
    const { response, model, member } = await deps.dispatcher.generate(plan.model, plan.request, ctx);
    r.served = { credential: member.id, model };
    r.res.setHeader('x-rotor-model', headerSafe(model));
    const out = adapter.toResponse(response, plan.ctx);
    deps.signatures.remember(out.signatures);
    sendJson(r.res, 200, out.body);
    return;
  }
  const { stream, model, member } = await deps.dispatcher.stream(plan.model, plan.request, ctx);
  r.served = { credential: member.id, model };
  r.res.setHeader('x-rotor-model', headerSafe(model));
  await pipeStream(r.res, stream, adapter.openStream(plan.ctx), {
    framing: adapter.framing(plan.ctx),
    ...(adapter.heartbeat ? { heartbeat: adapter.heartbeat } : {}),
    signatures: deps.signatures,
  });
}
