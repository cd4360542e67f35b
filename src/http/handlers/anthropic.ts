/** `POST /v1/messages/count_tokens`: the request translated as for generation, counted by Google's countTokens. */
import { randomUUID } from 'node:crypto';
import { countTokensRequest, parseAnthropicRequest, planAnthropic, type AnthropicAdapterOptions } from '../../translate/anthropic/adapter.js';
import { collectAnthropicMediaUrls } from '../../translate/anthropic/content.js';
import type { GeminiBlob } from '../../types/gemini.js';
import type { ApiRequest } from '../router.js';
import { sendJson } from '../send.js';
import { admitToken, type GenerateDeps } from './generate.js';

export async function handleAnthropicCountTokens(deps: GenerateDeps, options: AnthropicAdapterOptions, r: ApiRequest): Promise<void> {
  const req = parseAnthropicRequest(r.body);
  const signal = r.signal();
  const urls = collectAnthropicMediaUrls(req);
  const media: ReadonlyMap<string, GeminiBlob> = urls.length > 0 ? await deps.media.fetchAll(urls, signal) : new Map();
  // Signatures do not change the count: the bypass value stands in for them.
  const inputs = { media: (url: string) => media.get(url), signatures: () => undefined, id: randomUUID().replaceAll('-', '') };
  const plan = planAnthropic(req, inputs, { ...options, allowEmpty: true });
  const request = countTokensRequest(plan.request);
  // Counting costs no quota: the token's model list applies, its limits do not.
  await admitToken(deps, r, plan.model, false);
  // Nothing to count (empty messages, no system, no tools): Google refuses empty contents.
  if (request.contents.length === 0) return sendJson(r.res, 200, { input_tokens: 0 });
  const counted = await deps.dispatcher.countTokens(plan.model, request, { signal, requestId: r.id, ...(r.token === undefined ? {} : { token: r.token }) });
  sendJson(r.res, 200, { input_tokens: counted.totalTokens });
}
