/**
 * Loads OAuth credentials from PERSISTENT_STORAGE_PATH (`oauth_creds*.json`) or, when set, from the
 * CREDENTIALS_JSON_LIST environment text. A bad entry is reported and skipped; the others still load.
 * Loading never rewrites a file.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Transport } from '../upstream/transport.js';
import type { Logger } from '../util/log.js';
import { fingerprint } from '../util/secrets.js';
import { parseCredentialJson, type ParsedCredential } from './format.js';
import { createOAuthCredential, type OAuthCredential } from './oauth-credential.js';
import { isApiKeyEntry } from './api-key.js';
import { CredentialFileError, describeJsonError, readCredentialFileInfo, type CredentialFileRead, type FileState } from './credential-file.js';

export { describeJsonError } from './credential-file.js';

export interface CredentialsOptions {
  /** PERSISTENT_STORAGE_PATH; created (0700) if missing. */
  storagePath: string;
  /** CREDENTIALS_JSON_LIST raw text; non-empty and not "[]" replaces file loading. */
  credentialsJsonList?: string | undefined;
  /** Default OAuth client; a credential's own client_id/client_secret wins. */
  clientId: string;
  clientSecret: string;
  /** GOOGLE_OAUTH_TOKEN_URL: when set, overrides every credential's token_uri. */
  tokenUrlOverride?: string | undefined;
  /** e.g. https://cloudcode-pa.googleapis.com (Rotor appends /v1internal:method). */
  codeAssistEndpoint: string;
  logger: Logger;
  /** Refresh this long before expiry (default 5 min). */
  refreshThresholdMs?: number | undefined;
  /** Timeout of each token-endpoint and project-discovery request (default 30 s). */
  requestTimeoutMs?: number | undefined;
  /** LRO poll interval during onboarding (default 5000). */
  onboardPollIntervalMs?: number | undefined;
  /** Give up onboarding after this long (default 60000). */
  onboardTimeoutMs?: number | undefined;
  /** The upstream transport project discovery calls Code Assist through (a default one when absent). */
  transport?: Transport | undefined;
}

export interface LoadResult {
  credentials: OAuthCredential[];
  errors: Array<{ source: string; reason: string }>;
  mode: 'files' | 'env';
  /** CREDENTIALS_JSON_LIST entries that are Gemini API keys, left for loadApiKeys. */
  apiKeyEntries: unknown[];
  /** Each file as read (by name), to seed the folder watcher; empty in env mode. */
  files: Map<string, FileState>;
}

export const CREDENTIAL_FILE_PATTERN = /^oauth_creds.*\.json$/;

/** Reads and parses one credential file; throws an Error whose message is the reason. */
export async function readCredentialFile(path: string): Promise<ParsedCredential> {
  return (await readCredentialFileInfo(path)).parsed;
}

/** True when CREDENTIALS_JSON_LIST should replace file loading. */
export function isEnvListSet(text: string | undefined): text is string {
  if (text === undefined) return false;
  const t = text.trim();
  return t !== '' && t.replace(/\s+/g, '') !== '[]';
}

export async function loadCredentials(options: CredentialsOptions): Promise<LoadResult> {
  await ensureStorageDir(options.storagePath);
  const entries = isEnvListSet(options.credentialsJsonList)
    ? { mode: 'env' as const, ...parseEnvList(options.credentialsJsonList) }
    : { mode: 'files' as const, ...(await readFolder(options.storagePath)) };

  const credentials: OAuthCredential[] = [];
  const errors = [...entries.errors];
  const seen = new Map<string, string>();
  for (const e of entries.parsed) {
    // Two entries with one refresh token would race each other's refreshes; keep the first.
    const key = fingerprint(e.parsed.refreshToken);
    const first = seen.get(key);
    if (first) {
      errors.push({ source: e.label, reason: `same refresh token as ${first}; skipped` });
      const file = entries.files?.get(e.label);
      if (file) Object.assign(file, { failed: true, duplicate: key });
      continue;
    }
    seen.set(key, e.label);
    credentials.push(createOAuthCredential({ id: e.id, source: e.source, parsed: e.parsed, digest: e.digest }, options));
  }
  for (const err of errors) options.logger.warn(`credential ${err.source} skipped: ${err.reason}`);
  options.logger.info(`loaded ${credentials.length} credential(s) from ${entries.mode === 'env' ? 'CREDENTIALS_JSON_LIST' : options.storagePath}`);
  return { credentials, errors, mode: entries.mode, apiKeyEntries: entries.apiKeyEntries ?? [], files: entries.files ?? new Map() };
}

type Entry = {
  id: string;
  label: string;
  source: OAuthCredential['source'];
  parsed: ParsedCredential;
  digest?: string;
};
type Entries = { parsed: Entry[]; errors: LoadResult['errors']; apiKeyEntries?: unknown[]; files?: Map<string, FileState> };

async function ensureStorageDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  const s = await stat(path);
  if (!s.isDirectory()) throw new Error(`PERSISTENT_STORAGE_PATH ${path} is not a directory`);
}

/** Files read at once: each read waits on the disk (stat, open, read, close), so a large folder reads in parallel. */
const READ_CONCURRENCY = 32;

async function readFolder(dir: string): Promise<Entries> {
  const names = (await readdir(dir)).filter((n) => CREDENTIAL_FILE_PATTERN.test(n)).sort();
  const results = new Array<CredentialFileRead | CredentialFileError>(names.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < names.length; i = next++) {
      try {
        results[i] = await readCredentialFileInfo(join(dir, names[i]!));
      } catch (err) {
        results[i] = err instanceof CredentialFileError ? err : new CredentialFileError(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, worker));
  // In name order, whatever order the reads finished in: later duplicates are the ones skipped.
  const out: Entries & { files: Map<string, FileState> } = { parsed: [], errors: [], files: new Map() };
  names.forEach((name, i) => {
    const r = results[i]!;
    if (r instanceof CredentialFileError) {
      out.errors.push({ source: name, reason: r.message });
      if (r.stamp) out.files.set(name, { ...r.stamp, failed: true });
      return;
    }
    // The stamp of exactly what was read: the watcher re-reads the file only if it differs.
    out.files.set(name, { size: r.size, mtimeMs: r.mtimeMs });
    out.parsed.push({ id: basename(name), label: name, source: { kind: 'file', path: join(dir, name) }, parsed: r.parsed, digest: r.digest });
  });
  return out;
}

function parseEnvList(text: string): Entries {
  const out: Entries = { parsed: [], errors: [] };
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (err) {
    out.errors.push({ source: 'CREDENTIALS_JSON_LIST', reason: describeJsonError(err) });
    return out;
  }
  if (!Array.isArray(list)) {
    out.errors.push({ source: 'CREDENTIALS_JSON_LIST', reason: 'expected a JSON array of credential objects' });
    return out;
  }
  list.forEach((item: unknown, index) => {
    const label = `CREDENTIALS_JSON_LIST[${index}]`;
    if (isApiKeyEntry(item)) return void (out.apiKeyEntries ??= []).push(item); // loaded by api-key.ts
    try {
      const parsed = parseCredentialJson(item);
      out.parsed.push({ id: `env-${index}`, label, source: { kind: 'env', index }, parsed });
    } catch (err) {
      out.errors.push({ source: label, reason: err instanceof Error ? err.message : String(err) });
    }
  });
  return out;
}
