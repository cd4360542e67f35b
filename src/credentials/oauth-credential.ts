/**
 * One OAuth user credential: hands out access tokens, refreshes them through google-auth-library's
 * OAuth2Client (one refresh in flight at a time), and writes refreshed tokens back to its file.
 */
import { readFile } from 'node:fs/promises';
import { OAuth2Client, type Credentials } from 'google-auth-library';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/log.js';
import { maskSecret } from '../util/secrets.js';
import { CredentialError } from './errors.js';
import { classifyRefreshFailure } from './refresh-errors.js';
import { parseCredentialJson, serializeCredential, type CredentialFormat, type ParsedCredential } from './format.js';

export type CredentialSource = { kind: 'file'; path: string } | { kind: 'env'; index: number };

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const DEFAULT_REFRESH_THRESHOLD_MS = 5 * 60_000;

/** An OAuth user credential ("Login with Google") used against Code Assist. */
export interface OAuthCredential {
  /** Stable: the file basename for files, `env-<index>` for CREDENTIALS_JSON_LIST entries. */
  readonly id: string;
  readonly source: CredentialSource;
  readonly format: CredentialFormat;
  readonly route: 'code-assist';
  readonly email: string | undefined;
  readonly projectId: string | undefined;
  /** Set when the credential can no longer refresh (revoked refresh token, rejected OAuth client). */
  readonly disabledReason: string | undefined;
  /** Epoch ms when the current access token expires. */
  readonly expiresAt: number | undefined;
  /** e.g. `ya29…x9Q`; empty when there is no access token yet. */
  maskedAccessToken(): string;
  /**
   * A valid access token; refreshes first when it is missing, expired or within the threshold.
   * Concurrent callers share one refresh. Throws CredentialError.
   */
  getAccessToken(): Promise<string>;
  /** The access token when it is valid beyond the refresh threshold, without waiting; else undefined. */
  cachedAccessToken(): string | undefined;
  /**
   * Forces a refresh (after an upstream 401); single-flight. Pass the token the upstream rejected:
   * if another caller has already replaced it with a fresh one, that one is returned without a new refresh.
   */
  refresh(rejectedToken?: string): Promise<string>;
  /** Stores a discovered project id (written back to the file for file credentials). */
  setProjectId(projectId: string): Promise<void>;
  /** Replaces the data with a re-read file (folder watcher); clears disabledReason. */
  replace(parsed: ParsedCredential): void;
}

export interface OAuthCredentialDeps {
  clientId: string;
  clientSecret: string;
  tokenUrlOverride?: string | undefined;
  logger: Logger;
  refreshThresholdMs?: number | undefined;
  /** Give up on a token endpoint that does not answer within this (default 30 s), so a refresh never hangs. */
  requestTimeoutMs?: number | undefined;
}

export const DEFAULT_TOKEN_REQUEST_TIMEOUT_MS = 30_000;

export function createOAuthCredential(
  init: { id: string; source: CredentialSource; parsed: ParsedCredential },
  deps: OAuthCredentialDeps,
): OAuthCredential {
  return new OAuthUserCredential(init.id, init.source, init.parsed, deps);
}

// ES private fields (#) keep tokens out of JSON.stringify and util.inspect of the object.
class OAuthUserCredential implements OAuthCredential {
  readonly route = 'code-assist' as const;
  #data: ParsedCredential;
  /** Made on the first refresh: a pool of thousands of credentials with valid tokens needs none at start-up. */
  #client: OAuth2Client | undefined;
  #inflight: Promise<string> | undefined;
  #writeChain: Promise<void> = Promise.resolve();
  #disabledReason: string | undefined;
  #disabledKind: 'revoked' | 'invalid' = 'revoked';
  /** The refresh token the file held when this credential last read or wrote it. */
  #diskRefreshToken: string;
  readonly #deps: OAuthCredentialDeps;
  readonly #threshold: number;

  constructor(
    readonly id: string,
    readonly source: CredentialSource,
    parsed: ParsedCredential,
    deps: OAuthCredentialDeps,
  ) {
    this.#deps = deps;
    this.#threshold = deps.refreshThresholdMs ?? DEFAULT_REFRESH_THRESHOLD_MS;
    this.#data = parsed;
    this.#diskRefreshToken = parsed.refreshToken;
    this.#registerSecrets(parsed);
  }

  get format(): CredentialFormat {
    return this.#data.format;
  }
  get email(): string | undefined {
    return this.#data.email;
  }
  get projectId(): string | undefined {
    return this.#data.projectId;
  }
  get disabledReason(): string | undefined {
    return this.#disabledReason;
  }
  get expiresAt(): number | undefined {
    return this.#data.expiresAt;
  }

  maskedAccessToken(): string {
    return maskSecret(this.#data.accessToken);
  }

  cachedAccessToken(): string | undefined {
    return this.#disabledReason ? undefined : this.#freshToken();
  }

  async getAccessToken(): Promise<string> {
    if (this.#disabledReason) throw this.#disabledError();
    return this.#freshToken() ?? this.refresh();
  }

  refresh(rejectedToken?: string): Promise<string> {
    // A revoked grant usually takes its access tokens with it, so a disabled credential hands out nothing.
    if (this.#disabledReason) return Promise.reject(this.#disabledError());
    if (rejectedToken !== undefined && rejectedToken !== this.#data.accessToken) {
      const token = this.#freshToken();
      if (token) return Promise.resolve(token);
    }
    this.#inflight ??= this.#doRefresh().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async setProjectId(projectId: string): Promise<void> {
    if (this.#data.projectId === projectId) return;
    this.#data = { ...this.#data, projectId };
    await this.#persist();
  }

  replace(parsed: ParsedCredential): void {
    this.#registerSecrets(parsed);
    this.#forgetSecrets(this.#data);
    this.#data = parsed;
    this.#diskRefreshToken = parsed.refreshToken;
    this.#client = undefined; // the next refresh makes one with the new client id and token endpoint
    this.#disabledReason = undefined;
  }

  /** A safe summary for logs and admin views: no tokens. */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      source: this.source,
      format: this.format,
      email: this.email,
      projectId: this.projectId,
      expiresAt: this.expiresAt,
      disabledReason: this.disabledReason,
      accessToken: this.maskedAccessToken(),
    };
  }

  #disabledError(): CredentialError {
    return new CredentialError(this.#disabledKind, this.id, `credential ${this.id} is disabled: ${this.#disabledReason}`);
  }

  #freshToken(): string | undefined {
    const { accessToken, expiresAt } = this.#data;
    // No expiry recorded means we cannot tell; refresh once to learn it.
    if (accessToken && expiresAt !== undefined && expiresAt - Date.now() > this.#threshold) return accessToken;
    return undefined;
  }

  #createClient(parsed: ParsedCredential): OAuth2Client {
    const tokenUrl = this.#deps.tokenUrlOverride ?? parsed.tokenUri ?? GOOGLE_TOKEN_URL;
    return new OAuth2Client({
      clientId: parsed.clientId ?? this.#deps.clientId,
      clientSecret: parsed.clientSecret ?? this.#deps.clientSecret,
      endpoints: { oauth2TokenUrl: tokenUrl },
      eagerRefreshThresholdMillis: this.#threshold,
      transporterOptions: { timeout: this.#deps.requestTimeoutMs ?? DEFAULT_TOKEN_REQUEST_TIMEOUT_MS },
    });
  }

  #registerSecrets(p: ParsedCredential): void {
    const log = this.#deps.logger;
    log.addSecret(p.refreshToken);
    log.addSecret(p.accessToken);
    log.addSecret(p.idToken);
  }

  #forgetSecrets(p: ParsedCredential): void {
    const log = this.#deps.logger;
    log.dropSecret(p.refreshToken);
    log.dropSecret(p.accessToken);
    log.dropSecret(p.idToken);
  }

  async #doRefresh(): Promise<string> {
    const used = this.#data;
    const client = (this.#client ??= this.#createClient(used));
    client.setCredentials({ refresh_token: used.refreshToken });
    // refreshAccessToken() keeps the old refresh token in its result; the 'tokens' event shows a rotated one.
    let issued: Credentials | undefined;
    const onTokens = (t: Credentials) => {
      issued = { ...t };
    };
    client.on('tokens', onTokens);
    let creds: Credentials;
    try {
      creds = (await client.refreshAccessToken()).credentials;
    } catch (err) {
      throw this.#fail(err, used.refreshToken);
    } finally {
      client.off('tokens', onTokens);
    }
    const accessToken = creds.access_token;
    if (!accessToken) {
      throw new CredentialError('transient', this.id, `credential ${this.id}: token endpoint answered without an access_token`);
    }
    // The file was replaced while we refreshed with the old refresh token: keep the new data.
    if (this.#data.refreshToken !== used.refreshToken) {
      this.#deps.logger.addSecret(accessToken); // handed out once; rare enough not to track
      return accessToken;
    }
    const previous = this.#data;
    this.#data = {
      ...this.#data,
      accessToken,
      expiresAt: creds.expiry_date ?? undefined,
      refreshToken: issued?.refresh_token || this.#data.refreshToken,
      scope: creds.scope ?? this.#data.scope,
      tokenType: creds.token_type ?? this.#data.tokenType,
      idToken: creds.id_token ?? this.#data.idToken,
    };
    // The logger masks this credential's live secrets by value; replaced ones are dropped, so a long-running
    // pool does not accumulate every token it ever held.
    this.#registerSecrets(this.#data);
    this.#forgetSecrets(previous);
    this.#deps.logger.debug(`credential ${this.id}: access token refreshed`, {
      token: maskSecret(accessToken),
      expiresAt: this.#data.expiresAt,
    });
    await this.#persist();
    return accessToken;
  }

  #fail(err: unknown, usedRefreshToken: string): CredentialError {
    const f = classifyRefreshFailure(err);
    // Only the refresh token that failed is dead; a file replaced meanwhile brought a new one.
    if (f.disable && usedRefreshToken === this.#data.refreshToken) {
      this.#disabledReason = f.disable;
      this.#disabledKind = f.kind === 'revoked' ? 'revoked' : 'invalid';
      this.#deps.logger.warn(`credential ${this.id} disabled: ${f.disable}`);
    } else {
      this.#deps.logger.warn(`credential ${this.id}: token refresh failed (${f.kind}): ${f.detail}`);
    }
    return new CredentialError(f.kind, this.id, `credential ${this.id}: ${f.detail}`, f.status);
  }

  /**
   * Env credentials live in memory only. Writes to one file run one after another, each with the latest data.
   * The file is only rewritten while it is still this credential's: a deleted file stays deleted (the user
   * removed the account) and a file that now holds another refresh token is the user's new credential, which
   * the folder watcher loads. A corrupt file is rewritten whole, so the credential is not lost.
   */
  #persist(): Promise<void> {
    const source = this.source;
    if (source.kind !== 'file') return Promise.resolve();
    const write = async () => {
      try {
        const onDisk = await readRefreshToken(source.path);
        if (onDisk === 'missing') {
          this.#deps.logger.info(`credential ${this.id}: its file was deleted; the refreshed token is not written back`);
          return;
        }
        if (onDisk !== 'unreadable' && onDisk !== this.#diskRefreshToken) {
          this.#deps.logger.warn(`credential ${this.id}: its file now holds another credential; not overwriting it`);
          return;
        }
        await writeFileAtomic(source.path, serializeCredential(this.#data), 0o600);
        this.#diskRefreshToken = this.#data.refreshToken;
      } catch (err) {
        this.#deps.logger.warn(`credential ${this.id}: could not write it back to disk; the new data is kept in memory`, {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    };
    this.#writeChain = this.#writeChain.then(write);
    return this.#writeChain;
  }
}

/** The refresh token a credential file holds now, or why there is none. */
async function readRefreshToken(path: string): Promise<string | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return (err as { code?: string }).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    return parseCredentialJson(JSON.parse(text)).refreshToken;
  } catch {
    return 'unreadable';
  }
}
