/**
 * OpenAI-compatible routes. The route parses the client's dialect (zod), fetches remote media, hands a
 * Gemini request to the gateway, and translates the reply; all translation lives in translate/openai.
 */
import { Router } from 'express';
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Gateway } from '../../gateway/gateway.js';
import { normaliseModelId, toOpenAIModel } from '../../gateway/models.js';
import type { SignatureCache } from '../../gateway/signature-cache.js';
import { MediaFetchError } from '../../media/fetch-media.js';
import { openAIChatRequestSchema, type OpenAIChatRequest } from '../../translate/openai/request-schema.js';
import { convertOpenAIChatRequestToGemini } from '../../translate/openai/convert-openai-request-to-gemini.js';
import { convertGeminiResponseToOpenAIChat } from '../../translate/openai/convert-gemini-response-to-openai.js';
import { createOpenAIStreamState } from '../../translate/openai/stream.js';
import { collectRemoteMediaUrls } from '../../translate/openai/media.js';
import { extractThoughtSignatures } from '../../translate/openai/thought-signature.js';
import {
  convertGeminiEmbeddingsToOpenAI,
  convertOpenAIEmbeddingsRequestToGemini,
  openAIEmbeddingsRequestSchema,
} from '../../translate/openai/embeddings.js';
import { isTranslationError } from '../../translate/translation-error.js';
import type { GeminiBlob } from '../../types/gemini.js';
import { ApiError } from '../errors.js';
import { clientAbortSignal } from '../middleware/abort.js';
import { pipeOpenAIStream } from './openai-stream.js';
import { sendJson } from '../send.js';
import { parseJsonObject } from '../parse-body.js';
import type { CallSignal } from '../../util/call-signal.js';
import { headerSafe } from '../../util/header-safe.js';

export interface OpenAIRouteDeps {
  gateway: Gateway;
  models: string[];
  signatures: SignatureCache;
  media: { fetchAll(urls: string[], signal?: CallSignal): Promise<Map<string, GeminiBlob>> };
}

/** Runs a translator; its TranslationError is the client's fault, with the field it names. */
function translating<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isTranslationError(err)) throw new ApiError(400, err.message, err.field);
    throw err;
  }
}

async function fetchMedia(deps: OpenAIRouteDeps, body: OpenAIChatRequest, signal: CallSignal): Promise<Map<string, GeminiBlob>> {
  const urls = collectRemoteMediaUrls(body);
  if (urls.length === 0) return new Map();
  try {
    return await deps.media.fetchAll(urls, signal);
  } catch (err) {
    if (err instanceof MediaFetchError) throw new ApiError(400, err.message, 'messages');
    throw err;
  }
}

/** POST /v1/chat/completions, free of express so the lean fast path (fast-path.ts) and the express route share it. */
export async function handleChatCompletions(deps: OpenAIRouteDeps, reqBody: unknown, res: ServerResponse): Promise<void> {
  const { gateway, signatures } = deps;
  const body = parseJsonObject(openAIChatRequestSchema, reqBody, 'with "model" and "messages"');
  // Before the media fetch: a client that leaves while its images download must not start a generation.
  const signal = clientAbortSignal(res);
  const media = await fetchMedia(deps, body, signal);
  const translated = translating(() =>
    convertOpenAIChatRequestToGemini(body, {
      resolveMedia: (url) => media.get(url),
      lookupSignature: (callId) => signatures.get(callId),
    }),
  );
  const model = normaliseModelId(translated.model);
  const ctx = {
    id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    toolNames: translated.toolNames,
  };
  const remember = (out: Parameters<typeof extractThoughtSignatures>[0]) => {
    for (const { callId, signature } of extractThoughtSignatures(out)) signatures.set(callId, signature);
  };

  if (!body.stream) {
    const { response, model: served } = await gateway.generate(model, translated.request, signal);
    res.setHeader('x-rotor-model', headerSafe(served));
    const completion = convertGeminiResponseToOpenAIChat(response, ctx);
    remember(completion);
    sendJson(res, 200, completion);
    return;
  }
  const { stream, model: served } = await gateway.stream(model, translated.request, signal);
  res.setHeader('x-rotor-model', headerSafe(served));
  const state = createOpenAIStreamState({ ...ctx, includeUsage: body.stream_options?.include_usage === true });
  await pipeOpenAIStream(res, stream, state, remember);
}

export function openaiRoutes(deps: OpenAIRouteDeps): Router {
  const router = Router();
  const { gateway } = deps;

  router.get('/v1/models', (_req, res) => {
    res.json({ object: 'list', data: deps.models.map(toOpenAIModel) });
  });

  router.get('/v1/models/:model', (req, res) => {
    const id = normaliseModelId(req.params.model);
    if (!deps.models.includes(id)) throw new ApiError(404, `model ${id} is not served here; GET /v1/models lists the models`, 'model', 'model_not_found');
    res.json(toOpenAIModel(id));
  });

  router.post('/v1/chat/completions', (req, res) => handleChatCompletions(deps, req.body, res));

  router.post('/v1/embeddings', async (req, res) => {
    const body = parseJsonObject(openAIEmbeddingsRequestSchema, req.body, 'with "model" and "input"');
    const translated = translating(() => convertOpenAIEmbeddingsRequestToGemini(body));
    const signal = clientAbortSignal(res);
    const responses = [];
    for (const batch of translated.batches) responses.push(await gateway.embed(translated.model, batch, signal));
    res.json(convertGeminiEmbeddingsToOpenAI(responses, { model: body.model, encodingFormat: body.encoding_format }));
  });

  return router;
}
