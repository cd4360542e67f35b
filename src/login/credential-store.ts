/**
 * Writes login and import results into PERSISTENT_STORAGE_PATH in the canonical format, one file per
 * account, and lists what is already there.
 *
 * Canonical format: gemini-cli's `oauth_creds.json` fields (access_token, refresh_token, scope, token_type,
 * id_token, expiry_date in epoch ms) plus `project_id` and `email`; `client_id`/`client_secret` only when
 * the refresh token belongs to an OAuth client other than gemini-cli's built-in one, and `token_uri` only
 * when it is not Google's. Files are named `oauth_creds_{email}_{project}.json`.
 */
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { GEMINI_CLI_CLIENT_ID } from '../config/config.js';
import { CREDENTIAL_FILE_PATTERN, GOOGLE_TOKEN_URL, readCredentialFile, serializeCredential } from '../credentials/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { maskSecret } from '../util/secrets.js';

/** Everything a canonical credential file holds. */
export interface CanonicalCredential {
  email: string;
  projectId: string;
  refreshToken: string;
  accessToken?: string | undefined;
  /** Epoch ms. */
  expiresAt?: number | undefined;
  scope?: string | undefined;
  tokenType?: string | undefined;
  idToken?: string | undefined;
  /** The OAuth client the refresh token was issued to. */
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  tokenUri?: string | undefined;
}

export interface SavedCredential {
  /** Base name of the written file. */
  file: string;
  /** Base names of older files of the same account that were removed. */
  replaced: string[];
}

/** One file in the storage folder, as the login page lists it (no secrets beyond a masked prefix). */
export interface StoredAccount {
  file: string;
  email: string | undefined;
  projectId: string | undefined;
  state: 'ready' | 'no-project' | 'unreadable';
  /** Why the file is unreadable, or a note for the other states. */
  detail: string | undefined;
  maskedRefreshToken: string;
  modifiedAt: number;
}

const safePart = (s: string): string => s.trim().replace(/[^A-Za-z0-9@._+-]/g, '_').slice(0, 100) || 'unknown';

export function credentialFileName(email: string, projectId: string): string {
  return `oauth_creds_${safePart(email.toLowerCase())}_${safePart(projectId)}.json`;
}

export function canonicalCredentialJson(c: CanonicalCredential): string {
  const ownClient = c.clientId !== undefined && c.clientId !== GEMINI_CLI_CLIENT_ID;
  const ownTokenUri = c.tokenUri !== undefined && c.tokenUri !== GOOGLE_TOKEN_URL;
  // Only fields outside the core's managed set go in `raw`; serializeCredential adds the rest in its own way.
  const raw: Record<string, unknown> = {
    ...(ownClient ? { client_id: c.clientId, ...(c.clientSecret ? { client_secret: c.clientSecret } : {}) } : {}),
    ...(ownTokenUri ? { token_uri: c.tokenUri } : {}),
  };
  return serializeCredential({
    format: 'gemini-cli',
    refreshToken: c.refreshToken,
    accessToken: c.accessToken,
    expiresAt: c.expiresAt,
    scope: c.scope,
    tokenType: c.tokenType ?? 'Bearer',
    idToken: c.idToken,
    clientId: undefined,
    clientSecret: undefined,
    tokenUri: undefined,
    projectId: c.projectId,
    email: c.email,
    raw,
  });
}

export interface CredentialStore {
  /**
   * Writes the account's file atomically (mode 0600), then removes any other file of the same account
   * (same email or same refresh token), so logging in again replaces rather than duplicates.
   */
  save(c: CanonicalCredential): Promise<SavedCredential>;
  list(): Promise<StoredAccount[]>;
}

export function createCredentialStore(dir: string): CredentialStore {
  // Saves run one after another so two logins of one account cannot both survive.
  let chain: Promise<unknown> = Promise.resolve();

  const save = async (c: CanonicalCredential): Promise<SavedCredential> => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = credentialFileName(c.email, c.projectId);
    await writeFileAtomic(join(dir, file), canonicalCredentialJson(c), 0o600);
    const replaced: string[] = [];
    for (const name of await credentialFiles(dir)) {
      if (name === file) continue;
      try {
        const other = await readCredentialFile(join(dir, name));
        const sameEmail = other.email !== undefined && other.email.toLowerCase() === c.email.toLowerCase();
        if (!sameEmail && other.refreshToken !== c.refreshToken) continue;
        await unlink(join(dir, name));
        replaced.push(name);
      } catch {
        // Unreadable or already gone: not ours to judge here.
      }
    }
    return { file, replaced };
  };

  return {
    save(c) {
      const run = chain.then(() => save(c));
      chain = run.catch(() => {});
      return run;
    },
    list: () => listStoredAccounts(dir),
  };
}

async function credentialFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => CREDENTIAL_FILE_PATTERN.test(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function listStoredAccounts(dir: string): Promise<StoredAccount[]> {
  const out: StoredAccount[] = [];
  for (const file of await credentialFiles(dir)) {
    const path = join(dir, file);
    let modifiedAt = 0;
    try {
      const s = await stat(path);
      if (!s.isFile()) continue;
      modifiedAt = s.mtimeMs;
      const c = await readCredentialFile(path);
      out.push({
        file,
        email: c.email,
        projectId: c.projectId,
        state: c.projectId ? 'ready' : 'no-project',
        detail: c.projectId ? undefined : 'the project is discovered on first use',
        maskedRefreshToken: maskSecret(c.refreshToken),
        modifiedAt,
      });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      out.push({ file, email: undefined, projectId: undefined, state: 'unreadable', detail, maskedRefreshToken: '', modifiedAt });
    }
  }
  return out;
}
