/**
 * Gemini API keys (one per Google Cloud project, docs/google-protocols.md#api-keys). A key has no refresh and
 * no file format of Google's own, so Rotor reads them from GEMINI_API_KEYS (comma-separated), from
 * CREDENTIALS_JSON_LIST entries `{"type":"api_key","api_key":"…","project_id":"…"}`, and from
 * `api_key*.json` files holding one such object (or a list). Keys are never validated by their shape:
 * AI Studio's newer "authorization keys" look different from `AIza…` ones.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../util/log.js';
import { fingerprint, maskSecret } from '../util/secrets.js';

export interface ApiKeyCredential {
  readonly id: string;
  readonly route: 'gemini-api';
  readonly email: undefined;
  /** The Cloud project the key belongs to, when known: keys of one project share one quota bucket. */
  readonly projectId: string | undefined;
  readonly disabledReason: undefined;
  readonly label: string | undefined;
  /** The key's quota tier as its owner declared it (`free`, `tier1`…), selecting configured limits. */
  readonly tier: string | undefined;
  maskedAccessToken(): string;
  getAccessToken(): Promise<string>;
  cachedAccessToken(): string | undefined;
  refresh(): Promise<string>;
}

const entrySchema = z.looseObject({
  type: z.literal('api_key').optional(),
  api_key: z.string().min(1),
  project_id: z.string().min(1).nullish(),
  label: z.string().nullish(),
  tier: z.string().min(1).nullish(),
});

export const API_KEY_FILE_PATTERN = /^api_keys?.*\.json$/;

export function isApiKeyEntry(value: unknown): boolean {
  return typeof value === 'object' && value !== null && ('api_key' in value || (value as { type?: unknown }).type === 'api_key');
}

export function createApiKeyCredential(key: string, projectId?: string, label?: string, tier?: string): ApiKeyCredential {
  const secret = key.trim();
  const id = `key-${fingerprint(secret).slice(0, 10)}`;
  return {
    id,
    route: 'gemini-api',
    email: undefined,
    projectId,
    disabledReason: undefined,
    label,
    tier,
    maskedAccessToken: () => maskSecret(secret),
    getAccessToken: async () => secret,
    cachedAccessToken: () => secret,
    refresh: async () => secret,
  };
}

export interface ApiKeyLoadResult {
  keys: ApiKeyCredential[];
  errors: Array<{ source: string; reason: string }>;
}

export async function loadApiKeys(input: {
  envKeys?: string | undefined;
  jsonListEntries?: unknown[];
  storagePath?: string | undefined;
  logger: Logger;
}): Promise<ApiKeyLoadResult> {
  const out: ApiKeyLoadResult = { keys: [], errors: [] };
  const seen = new Set<string>();
  const add = (key: string, project: string | undefined, label: string | undefined, source: string, tier?: string) => {
    // Not a check of the key's shape (Google's formats change): a key that cannot travel in a header never works.
    if (!/^[\x21-\x7e]+$/.test(key.trim())) {
      out.errors.push({ source, reason: 'the key holds characters an HTTP header cannot carry (a pasted quote, space or line break?)' });
      return;
    }
    const cred = createApiKeyCredential(key, project, label, tier);
    if (seen.has(cred.id)) return;
    seen.add(cred.id);
    input.logger.addSecret(key.trim());
    out.keys.push(cred);
  };
  (input.envKeys ?? '').split(',').forEach((raw, i) => raw.trim() && add(raw, undefined, undefined, `GEMINI_API_KEYS[${i}]`));

  const addEntry = (value: unknown, source: string) => {
    const r = entrySchema.safeParse(value);
    if (!r.success) out.errors.push({ source, reason: 'expected {"api_key": "...", "project_id"?: "..."}' });
    else add(r.data.api_key, r.data.project_id ?? undefined, r.data.label ?? undefined, source, r.data.tier ?? undefined);
  };
  (input.jsonListEntries ?? []).forEach((v, i) => addEntry(v, `CREDENTIALS_JSON_LIST[${i}]`));

  if (input.storagePath) {
    let names: string[] = [];
    try {
      names = (await readdir(input.storagePath)).filter((n) => API_KEY_FILE_PATTERN.test(n)).sort();
    } catch {
      /* the folder is created by the OAuth loader; nothing to read yet */
    }
    for (const name of names) {
      try {
        const json: unknown = JSON.parse(await readFile(join(input.storagePath, name), 'utf8'));
        const list = Array.isArray(json) ? json : [json];
        list.forEach((v, i) => addEntry(v, list.length > 1 ? `${name}[${i}]` : name));
      } catch {
        out.errors.push({ source: name, reason: 'invalid JSON' });
      }
    }
  }
  return out;
}
