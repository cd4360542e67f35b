import { responseEcho } from '../../../src/translate/openai-responses/adapter.js';
import type { ResponsesContext } from '../../../src/translate/openai-responses/response-builder.js';
import { responsesRequestSchema } from '../../../src/translate/openai-responses/request-schema.js';
import { fixtureFolder } from '../fixture-folder.js';

export const { listFixtures, readJsonFixture, readChunksFixture } = fixtureFolder('openai-responses');

/** What a response or stream fixture may set in the context (`"ctx"`); the request defaults to `{model}`. */
export interface FixtureContext {
  model?: string;
  toolNames?: Record<string, string>;
  customTools?: string[];
  includeEncrypted?: boolean;
  /** The client request whose settings the response echoes. */
  request?: Record<string, unknown>;
}

export const FIXTURE_ID = 'resp_0123456789abcdef';
export const FIXTURE_CREATED = 1767999333;

/** A fresh context, as the adapter's toGemini makes it. */
export function fixtureContext(extra: FixtureContext = {}): ResponsesContext {
  const model = extra.model ?? 'gemini-2.5-flash';
  return {
    id: FIXTURE_ID,
    created: FIXTURE_CREATED,
    model,
    toolNames: new Map(Object.entries(extra.toolNames ?? {})),
    customTools: new Set(extra.customTools ?? []),
    includeEncrypted: extra.includeEncrypted ?? false,
    echo: responseEcho(responsesRequestSchema.parse({ model, ...extra.request })),
  };
}
