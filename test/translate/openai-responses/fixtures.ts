import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { responseEcho } from '../../../src/translate/openai-responses/adapter.js';
import type { ResponsesContext } from '../../../src/translate/openai-responses/response-builder.js';
import { responsesRequestSchema } from '../../../src/translate/openai-responses/request-schema.js';
import type { GeminiResponse } from '../../../src/types/gemini.js';

const dir = fileURLToPath(new URL('../../fixtures/openai-responses/', import.meta.url));

/** Fixture names (without extension) that start with `prefix` and end with `suffix`. */
export function listFixtures(prefix: string, suffix: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(suffix))
    .map((f) => f.slice(0, -suffix.length))
    .sort();
}

export function readJsonFixture<T>(file: string): T {
  return JSON.parse(readFileSync(dir + file, 'utf8')) as T;
}

/** A `*.chunks.txt` stream fixture: one Gemini GenerateContentResponse JSON per line. */
export function readChunksFixture(name: string): GeminiResponse[] {
  return readFileSync(`${dir}${name}.chunks.txt`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as GeminiResponse);
}

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
