import { describe, expect, it } from 'vitest';
import { createAnthropicAdapter, parseAnthropicRequest, unsignedToolUseIds } from '../../../src/translate/anthropic/adapter.js';
import { collectAnthropicMediaUrls } from '../../../src/translate/anthropic/content.js';
import { convertAnthropicRequestToGemini, type AnthropicToGeminiOptions } from '../../../src/translate/anthropic/convert-request.js';
import type { ModelAliasRule } from '../../../src/translate/anthropic/models.js';
import type { GeminiBlob } from '../../../src/types/gemini.js';
import { DEFAULT_MODELS } from '../../../src/config/config.js';
import { listFixtures, readJsonFixture } from './fixtures.js';

interface RequestFixture {
  anthropic: unknown;
  gemini: unknown;
  options?: { signatures?: Record<string, string>; media?: Record<string, GeminiBlob>; aliases?: ModelAliasRule[] };
  /** Gemini name → client name, when names were mapped. */
  toolNames?: Record<string, string>;
  signatureIds?: string[];
  mediaUrls?: string[];
}

function options(fixture: RequestFixture['options']): AnthropicToGeminiOptions {
  const { signatures = {}, media = {}, aliases = [] } = fixture ?? {};
  return { aliases, served: DEFAULT_MODELS, lookupSignature: (id) => signatures[id], media: (url) => media[url] };
}

describe('convertAnthropicRequestToGemini', () => {
  it.each(listFixtures('request-', '.json'))('translates %s to the exact Gemini request', (name) => {
    const fixture = readJsonFixture<RequestFixture>(`${name}.json`);
    const req = parseAnthropicRequest(fixture.anthropic);
    const { model, request, toolNames } = convertAnthropicRequestToGemini(req, options(fixture.options));
    expect({ model, request }).toStrictEqual(fixture.gemini);
    if (fixture.toolNames) expect(Object.fromEntries(toolNames)).toStrictEqual(fixture.toolNames);
    expect(unsignedToolUseIds(req)).toStrictEqual(fixture.signatureIds ?? unsignedToolUseIds(req));
    if (fixture.mediaUrls) expect(collectAnthropicMediaUrls(req)).toStrictEqual(fixture.mediaUrls);
  });
});
