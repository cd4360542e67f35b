/**
 * Native Gemini API (/v1beta): the client's body is a Gemini request already, so it passes through into the
 * upstream envelope and the reply is unwrapped. Streams are SSE with alt=sse, else one JSON array written
 * element by element as events arrive.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Gateway } from '../../gateway/gateway.js';
import { normaliseModelId, toGeminiModel } from '../../gateway/models.js';
import type { GeminiRequest } from '../../types/gemini.js';
import type { GeminiEmbedRequest } from '../../upstream/types.js';
import { openSse } from '../../sse/write.js';
import { ApiError, streamErrorPayload } from '../errors.js';
import { clientAbortSignal } from '../middleware/abort.js';
import { sendJson } from '../send.js';
import { parseJsonObject } from '../parse-body.js';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../../util/log.js';
import { headerSafe } from '../../util/header-safe.js';
import { closeIfDraining } from '../../util/draining.js';

const partSchema = z.looseObject({});
const contentSchema = z.looseObject({
  role: z.enum(['user', 'model']).optional(),
  parts: z.array(partSchema).min(1, 'must contain at least one part'),
});
const generateSchema = z.looseObject({
  contents: z.array(contentSchema).min(1, 'must contain at least one content'),
  systemInstruction: z.looseObject({ parts: z.array(partSchema) }).optional(),
  system_instruction: z.looseObject({ parts: z.array(partSchema) }).optional(),
  tools: z.array(z.looseObject({})).optional(),
  generationConfig: z.looseObject({}).optional(),
  generation_config: z.looseObject({}).optional(),
  safetySettings: z.array(z.looseObject({})).optional(),
});
const embedRequestSchema = z.looseObject({
  model: z.string().optional(),
  content: z.looseObject({ parts: z.array(z.looseObject({ text: z.string() })).min(1, 'must contain at least one text part') }),
  taskType: z.string().optional(),
  title: z.string().optional(),
  outputDimensionality: z.number().int().positive().optional(),
});
const batchEmbedSchema = z.looseObject({ requests: z.array(embedRequestSchema).min(1, 'must contain at least one request') });
// countTokens takes either {contents} or {generateContentRequest}; validating the shape the client chose
// names the right field in errors.
const countSchema = z.looseObject({ contents: z.array(contentSchema).min(1, 'must contain at least one content') });
const wrappedCountSchema = z.looseObject({ generateContentRequest: generateSchema });

const parseBody = <T>(schema: z.ZodType<T>, body: unknown): T => parseJsonObject(schema, body, '(a GenerateContentRequest)');

/** The body minus what belongs in the URL; everything else is forwarded as Google defines it. */
function toGeminiRequest(body: Record<string, unknown>): GeminiRequest {
  const { model: _model, ...rest } = body;
  return rest as unknown as GeminiRequest;
}

export interface GeminiRouteDeps {
  gateway: Gateway;
  models: string[];
  logger: Logger;
}

export function geminiRoutes(deps: GeminiRouteDeps): Router {
  const router = Router();

  router.get('/v1beta/models', (_req, res) => {
    res.json({ models: deps.models.map(toGeminiModel) });
  });

  router.get('/v1beta/models/:model', (req, res) => {
    const id = normaliseModelId(req.params.model);
    if (!deps.models.includes(id)) throw new ApiError(404, `model ${id} is not served here; GET /v1beta/models lists the models`);
    res.json(toGeminiModel(id));
  });

  router.post('/v1beta/models/:target', (req: Request<{ target: string }>, res: Response) =>
    handleModelCall(deps, req.params.target, req.query.alt, req.body, res),
  );

  return router;
}

/**
 * POST /v1beta/models/{model}:{method}, free of express so the lean fast path (fast-path.ts) and the
 * express route share it.
 */
export async function handleModelCall(
  deps: GeminiRouteDeps,
  target: string,
  alt: unknown,
  reqBody: unknown,
  res: ServerResponse,
): Promise<void> {
  const { gateway } = deps;
  const sep = target.lastIndexOf(':');
  if (sep <= 0) throw new ApiError(404, `unknown method: expected models/{model}:generateContent, :streamGenerateContent or :countTokens`);
  const model = normaliseModelId(target.slice(0, sep));
  const method = target.slice(sep + 1);
  const signal = clientAbortSignal(res);

  if (method === 'generateContent') {
    const body = parseBody(generateSchema, reqBody);
    const { response, model: served } = await gateway.generate(model, toGeminiRequest(body), signal);
    res.setHeader('x-rotor-model', headerSafe(served));
    sendJson(res, 200, response);
    return;
  }
  if (method === 'streamGenerateContent') {
    const body = parseBody(generateSchema, reqBody);
    const { stream, model: served } = await gateway.stream(model, toGeminiRequest(body), signal);
    res.setHeader('x-rotor-model', headerSafe(served));
    await (alt === 'sse' ? pipeSse(res, stream) : pipeJsonArray(res, stream));
    return;
  }
  if (method === 'countTokens') {
    const wrapped = typeof reqBody === 'object' && reqBody !== null && 'generateContentRequest' in reqBody;
    const inner: Record<string, unknown> = wrapped
      ? parseBody(wrappedCountSchema, reqBody).generateContentRequest
      : parseBody(countSchema, reqBody);
    const result = await gateway.countTokens(model, toGeminiRequest(inner), signal);
    sendJson(res, 200, result);
    return;
  }
  if (method === 'embedContent' || method === 'batchEmbedContents') {
    const requests =
      method === 'embedContent' ? [parseBody(embedRequestSchema, reqBody)] : parseBody(batchEmbedSchema, reqBody).requests;
    const batch = { requests: requests.map((r) => ({ ...r, model: `models/${model}` })) } as GeminiEmbedRequest;
    const result = await gateway.embed(model, batch, signal);
    sendJson(res, 200, method === 'embedContent' ? { embedding: result.embeddings?.[0] ?? { values: [] } } : result);
    return;
  }
  throw new ApiError(404, `unknown method "${method}": expected generateContent, streamGenerateContent, countTokens, embedContent or batchEmbedContents`);
  }

type Opened = Awaited<ReturnType<Gateway['stream']>>['stream'];

async function pipeSse(res: ServerResponse, stream: Opened): Promise<void> {
  const sse = openSse(res);
  try {
    sse.send(JSON.stringify(stream.first));
    for (let r = await stream.rest.next(); !r.done; r = await stream.rest.next()) {
      if (!sse.send(JSON.stringify(r.value))) break;
    }
  } catch (err) {
    sse.send(JSON.stringify(streamErrorPayload(err, 'google')));
  } finally {
    stream.close();
    sse.end();
  }
}

/**
 * Without alt=sse: one JSON array written element by element, in Google's layout `[{…}\n,\r\n{…}\n]`, which
 * some clients (Portkey's google provider among them) parse by splitting on \r\n rather than as JSON.
 */
async function pipeJsonArray(res: ServerResponse, stream: Opened): Promise<void> {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  closeIfDraining(res);
  res.write('[' + JSON.stringify(stream.first));
  try {
    for (let r = await stream.rest.next(); !r.done; r = await stream.rest.next()) {
      if (res.destroyed) break;
      res.write(ARRAY_SEPARATOR + JSON.stringify(r.value));
    }
  } catch (err) {
    if (!res.destroyed) res.write(ARRAY_SEPARATOR + JSON.stringify(streamErrorPayload(err, 'google')));
  } finally {
    stream.close();
    if (!res.writableEnded) res.end('\n]');
  }
}

const ARRAY_SEPARATOR = '\n,\r\n';
