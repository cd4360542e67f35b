/**
 * The OpenAI Responses routes around the generic generation handler: stored responses (`store`, default true,
 * kept in the state store's `resp` namespace for RESPONSES_TTL), `previous_response_id` (the stored conversation
 * goes in front of the new input before the adapter translates), `GET` / `DELETE /v1/responses/{id}`, and the
 * `426` that sends Codex's WebSocket attempt back to HTTP at once.
 *
 * Who may read a stored response: Rotor has one tenant per password, so any caller with it may get, continue or
 * delete any stored response whose id it knows. The ids are what keeps them apart: `resp_` and a random UUID
 * (122 random bits), never derived from anything the client sends, so they cannot be guessed or enumerated.
 *
 * What one request may store and load is bounded: each record holds its whole conversation (one read per
 * follow-up), so a long chain of `previous_response_id`s grows every record; a conversation over
 * RESPONSES_MAX_STORED_BYTES (default 16 MiB, under the 20 MB Google takes in one request) is not kept, and a
 * follow-up to it is a 400 that says so, instead of a load that grows without end.
 */
import type { GenerationAdapter, StreamTranslator } from '../../translate/dialect.js';
import { openAIErrorBody } from '../../translate/openai-chat/adapter.js';
import { openAIResponsesAdapter } from '../../translate/openai-responses/adapter.js';
import type { ResponsesRequest } from '../../translate/openai-responses/request-schema.js';
import type { ResponsesContext } from '../../translate/openai-responses/response-builder.js';
import {
  boundedStoredRecord,
  continueConversation,
  conversationOf,
  parseStoredResponse,
  storedResponse,
  type StoredResponse,
} from '../../translate/openai-responses/stored.js';
import type { StateStore } from '../../store/types.js';
import { ApiError } from '../errors.js';
import type { ApiRequest } from '../router.js';
import { sendJson } from '../send.js';
import { serveGeneration, type GenerateDeps } from './generate.js';

/** The state store namespace of stored responses. */
export const RESPONSES_NS = 'resp';
export const DEFAULT_RESPONSES_TTL_MS = 3_600_000;
/** The most conversation (bytes of JSON) one stored response keeps for previous_response_id. */
export const DEFAULT_RESPONSES_MAX_STORED_BYTES = 16 * 1024 * 1024;

export interface ResponsesDeps extends GenerateDeps {
  store: StateStore;
  /** How long a stored response is kept (RESPONSES_TTL). */
  responsesTtlMs?: number;
  /** The most conversation one stored response keeps (RESPONSES_MAX_STORED_BYTES). */
  responsesMaxStoredBytes?: number;
}

/** An id as an error message may quote it: ids come from the client (a path, a field) and may be anything. */
function quoted(id: string): string {
  return id.length > 80 ? `${id.slice(0, 80)}…` : id;
}

async function load(store: StateStore, id: string): Promise<StoredResponse | undefined> {
  const text = await store.kvGet(RESPONSES_NS, id);
  return text === undefined ? undefined : parseStoredResponse(text);
}

/** `POST /v1/responses`. */
export async function serveResponses(deps: ResponsesDeps, r: ApiRequest): Promise<void> {
  const parsed = openAIResponsesAdapter.parse(r.body, {});
  let req = parsed;
  if (parsed.previous_response_id) {
    const id = parsed.previous_response_id;
    const previous = await load(deps.store, id);
    if (!previous) {
      throw new ApiError(400, `Previous response with id '${quoted(id)}' not found.`, 'previous_response_id', 'previous_response_not_found');
    }
    if (previous.dropped) {
      const { bytes, limit } = previous.dropped;
      throw new ApiError(
        400,
        `Previous response with id '${quoted(id)}' cannot be continued: its conversation (${bytes} bytes) is over the ${limit} bytes Rotor keeps per response (RESPONSES_MAX_STORED_BYTES); send the conversation as input instead (store: false)`,
        'previous_response_id',
        'previous_response_too_large',
      );
    }
    req = continueConversation(parsed, conversationOf(previous));
  }
  const ttl = deps.responsesTtlMs ?? DEFAULT_RESPONSES_TTL_MS;
  const maxStored = deps.responsesMaxStoredBytes ?? DEFAULT_RESPONSES_MAX_STORED_BYTES;
  // Written before the answer's last bytes go out, so a follow-up that names this response finds it. Keeping it
  // must never turn an answer the client already has into an error.
  const keep = (ctx: ResponsesContext) => {
    if (req.store === false || !ctx.result) return;
    try {
      const record = boundedStoredRecord(storedResponse(req, ctx.result), maxStored);
      void deps.store.kvSet(RESPONSES_NS, ctx.result.response.id, record, ttl).catch(() => undefined);
    } catch (err) {
      deps.logger.warn('stored response not kept', { req: r.id, error: err instanceof Error ? err.message : String(err) });
    }
  };
  const adapter: GenerationAdapter<ResponsesRequest, ResponsesContext> = {
    ...openAIResponsesAdapter,
    parse: () => req,
    toResponse(res, ctx) {
      const out = openAIResponsesAdapter.toResponse(res, ctx);
      keep(ctx);
      return out;
    },
    openStream(ctx): StreamTranslator {
      const inner = openAIResponsesAdapter.openStream(ctx);
      return {
        signatures: inner.signatures,
        chunk: (chunk) => inner.chunk(chunk),
        finish: () => {
          const frames = inner.finish();
          keep(ctx);
          return frames;
        },
        fail: (error) => inner.fail(error),
      };
    },
  };
  await serveGeneration(deps, adapter, r);
}

/** `GET /v1/responses/{id}`: a stored response as its client got it. */
export async function getStoredResponse(deps: ResponsesDeps, r: ApiRequest): Promise<void> {
  const id = r.params[0]!;
  const stored = await load(deps.store, id);
  if (!stored) throw new ApiError(404, `Response with id '${quoted(id)}' not found.`, 'response_id');
  sendJson(r.res, 200, stored.response);
}

/** `DELETE /v1/responses/{id}`. */
export async function deleteStoredResponse(deps: ResponsesDeps, r: ApiRequest): Promise<void> {
  const id = r.params[0]!;
  if ((await deps.store.kvGet(RESPONSES_NS, id)) === undefined) throw new ApiError(404, `Response with id '${quoted(id)}' not found.`, 'response_id');
  await deps.store.kvDelete(RESPONSES_NS, id);
  sendJson(r.res, 200, { id, object: 'response', deleted: true });
}

/**
 * `GET /v1/responses`: Codex first asks for the Responses API over a WebSocket (`Upgrade: websocket`,
 * `OpenAI-Beta: responses_websockets=…`). Rotor serves it over HTTP only; a `426` makes Codex fall back to
 * `POST /v1/responses` at once, where a 404 or 405 costs it retries and delays (upstream-protocols §9.4). Node
 * hands an Upgrade request to the request handler while the server has no `upgrade` listener, as Rotor's has none.
 */
export function refuseResponsesWebSocket(r: ApiRequest): void {
  const upgrade = r.req.headers.upgrade;
  if (typeof upgrade !== 'string' || upgrade.trim() === '') {
    throw new ApiError(405, `no route for GET ${r.path} (it answers POST)`, undefined, undefined, { allow: 'POST' });
  }
  const message = 'Rotor serves the Responses API over HTTP only, without WebSockets: POST /v1/responses';
  // Node parses nothing more on a connection after an Upgrade request (any body or pipelined request after it is
  // never read), so a kept-alive socket would only sit there until its timeout: the answer closes it.
  sendJson(r.res, 426, openAIErrorBody({ status: 426, message, code: 'websocket_not_supported' }), { Connection: 'close' });
}
