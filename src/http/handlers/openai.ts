/** `POST /v1/embeddings`: OpenAI's embeddings over the Gemini API's batchEmbedContents. */

/** Batches of one request sent to Google at once: enough to be quick, few enough not to take the pool. */
export const EMBED_BATCH_CONCURRENCY = 4;
import {
  convertGeminiEmbeddingsToOpenAI,
  convertOpenAIEmbeddingsRequestToGemini,
  openAIEmbeddingsRequestSchema,
} from '../../translate/openai-chat/embeddings.js';
import { parseJsonObject } from '../../translate/parse-body.js';
import type { Dispatcher } from '../../dispatch/dispatcher.js';
import type { ApiRequest } from '../router.js';
import { sendJson } from '../send.js';
import { mapWithConcurrency } from '../../util/concurrency.js';
import type { TokenService } from '../../tokens/service.js';
import { admitToken, settleFailed } from './generate.js';

export async function handleEmbeddings(dispatcher: Dispatcher, r: ApiRequest, tokens?: Pick<TokenService, 'admit'>): Promise<void> {
  const body = parseJsonObject(openAIEmbeddingsRequestSchema, r.body, 'with "model" and "input"');
  const translated = convertOpenAIEmbeddingsRequestToGemini(body);
  // One request to the token's limits, however many batches it takes upstream.
  const lease = await admitToken({ tokens }, r, translated.model);
  const ctx = { signal: r.signal(), requestId: r.id, ...(r.token === undefined ? {} : { token: r.token }) };
  const responses = await mapWithConcurrency(translated.batches, EMBED_BATCH_CONCURRENCY, (batch) => dispatcher.embed(translated.model, batch, ctx), ctx.signal).catch(
    (err: unknown) => {
      settleFailed(lease, err);
      throw err;
    },
  );
  lease?.settle(undefined);
  sendJson(r.res, 200, convertGeminiEmbeddingsToOpenAI(responses, { model: body.model, encodingFormat: body.encoding_format }));
}
