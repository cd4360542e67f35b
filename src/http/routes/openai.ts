/**
 * OpenAI-compatible routes. The route parses the client's dialect (zod), hands a Gemini request to the
 * gateway, and translates the reply; all translation lives in translate/openai.
 */
import { Router, type Response } from 'express';
import { randomBytes } from 'node:crypto';
import type { Gateway } from '../../gateway/gateway.js';
import { normaliseModelId, toOpenAIModel } from '../../gateway/models.js';
import { openAIChatRequestSchema } from '../../translate/openai/request-schema.js';
import { convertOpenAIChatRequestToGemini } from '../../translate/openai/convert-openai-request-to-gemini.js';
import { convertGeminiResponseToOpenAIChat } from '../../translate/openai/convert-gemini-response-to-openai.js';
import { convertGeminiChunkToOpenAIChunks, createOpenAIStreamState, finishOpenAIStream } from '../../translate/openai/stream.js';
import { formatFieldPath, formatZodIssues } from '../../translate/zod-message.js';
import { isTranslationError } from '../../translate/translation-error.js';
import { openSse } from '../../sse/write.js';
import { ApiError, streamErrorPayload } from '../errors.js';
import { clientAbortSignal } from '../middleware/abort.js';

export function openaiRoutes(deps: { gateway: Gateway; models: string[] }): Router {
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

  router.post('/v1/chat/completions', async (req, res) => {
    if (req.body === undefined || typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
      throw new ApiError(400, 'request body must be a JSON object with "model" and "messages"');
    }
    const parsed = openAIChatRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new ApiError(400, `invalid request: ${formatZodIssues(parsed.error)}`, first ? formatFieldPath(first.path) : undefined);
    }
    const body = parsed.data;
    let translated;
    try {
      translated = convertOpenAIChatRequestToGemini(body);
    } catch (err) {
      if (isTranslationError(err)) throw new ApiError(400, err.message, err.field);
      throw err;
    }
    const model = normaliseModelId(translated.model);
    const ctx = { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model: body.model };
    const signal = clientAbortSignal(res);

    if (!body.stream) {
      const { response } = await gateway.generate(model, translated.request, signal);
      res.json(convertGeminiResponseToOpenAIChat(response, ctx));
      return;
    }
    const { stream } = await gateway.stream(model, translated.request, signal);
    await pipeOpenAIStream(res, stream, createOpenAIStreamState({ ...ctx, includeUsage: body.stream_options?.include_usage === true }));
  });

  return router;
}

type Opened = Awaited<ReturnType<Gateway['stream']>>['stream'];

async function pipeOpenAIStream(res: Response, stream: Opened, state: ReturnType<typeof createOpenAIStreamState>): Promise<void> {
  const sse = openSse(res);
  const sendAll = (chunks: unknown[]) => {
    for (const c of chunks) if (!sse.send(JSON.stringify(c))) return false;
    return true;
  };
  try {
    if (!sendAll(convertGeminiChunkToOpenAIChunks(stream.first, state))) return;
    for (let r = await stream.rest.next(); !r.done; r = await stream.rest.next()) {
      if (!sendAll(convertGeminiChunkToOpenAIChunks(r.value, state))) return;
    }
    sendAll(finishOpenAIStream(state));
    sse.send('[DONE]');
  } catch (err) {
    // Past the first byte there is no failover: tell the client in its dialect and end the stream.
    sse.send(JSON.stringify(streamErrorPayload(err, 'openai')));
  } finally {
    stream.close();
    sse.end();
  }
}
