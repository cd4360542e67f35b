/**
 * `rotor import`: takes existing credentials (gemini-cli `oauth_creds.json`, authorized_user files, or a
 * JSON list of either), refreshes each once to prove it works, finds its e-mail and Code Assist project,
 * and stores it in the canonical format with the same naming and replacement rules as the web login.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { GEMINI_CLI_CLIENT_ID } from '../config/config.js';
import { createOAuthCredential, parseCredentialJson, type ParsedCredential } from '../credentials/index.js';
import { describeJsonError } from '../credentials/load.js';
import { silentLogger, type Logger } from '../util/log.js';
import type { CredentialStore } from './credential-store.js';
import { LoginError } from './errors.js';
import { fetchEmail } from './google-oauth.js';
import { findProject } from './project.js';

export interface ImportOptions {
  store: CredentialStore;
  clientId: string;
  clientSecret: string;
  /** GOOGLE_OAUTH_TOKEN_URL when set; otherwise each credential's token_uri or Google's. */
  tokenUrlOverride: string | undefined;
  userinfoUrl: string;
  codeAssistEndpoint: string;
  /** Used instead of a project stored in the file (and to onboard standard-tier accounts). */
  project?: string | undefined;
  onboardPollIntervalMs?: number | undefined;
  logger?: Logger;
}

/** One credential found in an input file; `label` is `FILE` or `FILE[index]` for lists. */
export type ImportOutcome =
  | { label: string; ok: true; email: string; projectId: string; file: string; replaced: string[] }
  | { label: string; ok: false; reason: string };

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Imports every credential of one file; never throws (a failure is an outcome). */
export async function importCredentialFile(path: string, options: ImportOptions): Promise<ImportOutcome[]> {
  let json: unknown;
  try {
    const text = await readFile(path, 'utf8');
    try {
      json = JSON.parse(text);
    } catch (err) {
      return [{ label: path, ok: false, reason: describeJsonError(err) }];
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return [{ label: path, ok: false, reason: code === 'ENOENT' ? 'no such file' : message(err) }];
  }
  const items = Array.isArray(json) ? json.map((v, i) => ({ label: `${path}[${i}]`, value: v as unknown })) : [{ label: path, value: json }];
  if (items.length === 0) return [{ label: path, ok: false, reason: 'the list is empty' }];
  const out: ImportOutcome[] = [];
  for (const item of items) out.push(await importOne(item.label, item.value, options));
  return out;
}

async function importOne(label: string, value: unknown, options: ImportOptions): Promise<ImportOutcome> {
  const logger = options.logger ?? silentLogger;
  let parsed: ParsedCredential;
  try {
    parsed = parseCredentialJson(value);
  } catch (err) {
    return { label, ok: false, reason: logger.redact(message(err)) };
  }
  // Kept in memory only (source "env"): the input file is never rewritten.
  const cred = createOAuthCredential(
    { id: basename(label), source: { kind: 'env', index: 0 }, parsed },
    { clientId: options.clientId, clientSecret: options.clientSecret, tokenUrlOverride: options.tokenUrlOverride, logger },
  );
  try {
    const accessToken = await cred.getAccessToken();
    const email = parsed.email ?? (await fetchEmail(options.userinfoUrl, accessToken));
    const projectId =
      options.project ??
      parsed.projectId ??
      (
        await findProject({
          accessToken,
          email,
          requestedProject: undefined,
          codeAssistEndpoint: options.codeAssistEndpoint,
          pollIntervalMs: options.onboardPollIntervalMs,
        })
      ).projectId;
    const clientId = parsed.clientId ?? options.clientId;
    const saved = await options.store.save({
      email,
      projectId,
      refreshToken: parsed.refreshToken,
      accessToken,
      expiresAt: cred.expiresAt,
      scope: parsed.scope,
      tokenType: parsed.tokenType,
      idToken: parsed.idToken,
      ...(clientId !== GEMINI_CLI_CLIENT_ID ? { clientId, clientSecret: parsed.clientSecret ?? options.clientSecret } : {}),
      tokenUri: parsed.tokenUri,
    });
    return { label, ok: true, email, projectId, ...saved };
  } catch (err) {
    // Refresh and setup errors quote Google, whose error_description may echo a token: masked as the log is.
    const reason = err instanceof LoginError ? `${err.message.replace(/ No account was added\.$/, '')} ${err.hint}` : message(err);
    return { label, ok: false, reason: logger.redact(reason) };
  }
}
