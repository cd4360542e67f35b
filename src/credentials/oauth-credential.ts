/**
 * One OAuth user credential: hands out access tokens, refreshes them through google-auth-library's
 * OAuth2Client (one refresh in flight at a time), and writes refreshed tokens back to its file.
 */
import { OAuth2Client, type Credentials } from 'google-auth-library';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/log.js';
import { fingerprint, maskSecret } from '../util/secrets.js';
import { CredentialError } from './errors.js';
import { classifyRefreshFailure } from './refresh-errors.js';
import { serializeCredential, type CredentialFormat, type ParsedCredential } from './format.js';
import { contentDigest, readRefreshToken } from './credential-file.js';

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
  /** Counts the replace() calls that took new data: a result worked out for one generation is stale in the next. */
  readonly generation: number;
  /** Resolves once a refresh under way and every write-back queued have finished. */
  settled(): Promise<void>;
  /**
   * Stores a discovered project id (written back to the file for file credentials). Given the generation the
   * discovery started in, does nothing and answers false if the data was replaced since (another account).
   */
  setProjectId(projectId: string, generation?: number): Promise<boolean>;
  /**
   * Replaces the data with a re-read file (folder watcher; `digest` is the file content's contentDigest) and
   * clears disabledReason; answers whether it did. Takes nothing when the file leaves what it uses (refresh
   * token, project, format, OAuth client) as it is. Refuses a refresh token this credential has rotated away
   * from: that file is an older copy of its own data, so the current data is written back over it instead.
   */
  replace(parsed: ParsedCredential, digest?: string): boolean;
  /** True for the content digest of its file as last read or as written since: the file holds nothing new. */
  knowsFileContent(digest: string): boolean;
  /** Fingerprints of its refresh token and of those it rotated away from, current first (duplicate checks). */
  refreshTokenFingerprints(): string[];
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
  /** `digest`: the contentDigest of the file text `parsed` was read from. */
  init: { id: string; source: CredentialSource; parsed: ParsedCredential; digest?: string | undefined },
  deps: OAuthCredentialDeps,
): OAuthCredential {
  return new OAuthUserCredential(init.id, init.source, init.parsed, deps, init.digest);
}

/** Enough to recognise a file read while Rotor's own write-backs replaced it; a few writes can overlap a scan. */
const KEPT_DIGESTS = 8;
/** Rotated-away refresh tokens remembered; only recent ones can still turn up in a stale copy. */
const KEPT_RETIRED = 16;

/** Whether two versions of a credential refresh alike and name one project (access tokens aside). */
const sameUse = (a: ParsedCredential, b: ParsedCredential): boolean =>
  a.refreshToken === b.refreshToken &&
  a.projectId === b.projectId &&
  a.format === b.format &&
  a.clientId === b.clientId &&
  a.clientSecret === b.clientSecret &&
  a.tokenUri === b.tokenUri;

/** Appends (or moves to the end) `value`, dropping the oldest beyond `max`. */
function pushBounded(list: string[], value: string, max: number): void {
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1);
  list.push(value);
  if (list.length > max) list.shift();
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
  #generation = 0;
  /** Content digests of its file as last read and as written since (see knowsFileContent). */
  #fileDigests: string[] = [];
  /** The digest of a write in progress: it may land after a replace(), so it stays known across one. */
  #writingDigest: string | undefined;
  /** Fingerprints (never the tokens) of refresh tokens the token endpoint rotated away from. */
  #retired: string[] = [];
  #fingerprint: { token: string; fp: string } | undefined;
  readonly #deps: OAuthCredentialDeps;
  readonly #threshold: number;

  constructor(
    readonly id: string,
    readonly source: CredentialSource,
    parsed: ParsedCredential,
    deps: OAuthCredentialDeps,
    digest: string | undefined,
  ) {
    this.#deps = deps;
    this.#threshold = deps.refreshThresholdMs ?? DEFAULT_REFRESH_THRESHOLD_MS;
    this.#data = parsed;
    this.#diskRefreshToken = parsed.refreshToken;
    if (digest) this.#fileDigests.push(digest);
    this.#registerSecrets(parsed);
  }

  get generation(): number {
    return this.#generation;
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

  /** Resolves once a refresh under way and every write-back queued have finished: shutdown waits for them. */
  async settled(): Promise<void> {
    await this.#inflight?.catch(() => undefined);
    // A write may queue another (the file changed under it): wait until the chain stops growing.
    for (let seen: Promise<void> | undefined; seen !== this.#writeChain; ) await (seen = this.#writeChain);
  }

  async setProjectId(projectId: string, generation?: number): Promise<boolean> {
    if (generation !== undefined && generation !== this.#generation) return false;
    if (this.#data.projectId === projectId) return true;
    this.#data = { ...this.#data, projectId };
    await this.#persist();
    return true;
  }

  replace(parsed: ParsedCredential, digest?: string): boolean {
    if (this.#retired.includes(fingerprint(parsed.refreshToken))) {
      this.#deps.logger.warn(`credential ${this.id}: its file holds an older refresh token of this credential; writing the current one back`);
      void this.#persist();
      return false;
    }
    if (sameUse(this.#data, parsed)) {
      if (digest) pushBounded(this.#fileDigests, digest, KEPT_DIGESTS);
      return false;
    }
    this.#registerSecrets(parsed);
    this.#forgetSecrets(this.#data);
    this.#data = parsed;
    this.#diskRefreshToken = parsed.refreshToken;
    this.#client = undefined; // the next refresh makes one with the new client id and token endpoint
    this.#disabledReason = undefined;
    this.#generation++;
    // Earlier contents are no longer this file's, except a write-back still landing (see #persist).
    this.#fileDigests = [digest, this.#writingDigest].filter((d): d is string => d !== undefined);
    return true;
  }

  knowsFileContent(digest: string): boolean {
    return this.#fileDigests.includes(digest);
  }

  refreshTokenFingerprints(): string[] {
    const token = this.#data.refreshToken;
    if (this.#fingerprint?.token !== token) this.#fingerprint = { token, fp: fingerprint(token) };
    return [this.#fingerprint.fp, ...this.#retired];
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
    const rotated = issued?.refresh_token;
    // A stale copy of the file may still hold the old token; replace() must not take it back (see there).
    if (rotated && rotated !== used.refreshToken) pushBounded(this.#retired, fingerprint(used.refreshToken), KEPT_RETIRED);
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
   * The file is only rewritten while it is still this credential's (its refresh token is one this credential
   * holds, held, or wrote): a deleted file stays deleted (the user removed the account) and a file that now
   * holds another refresh token is the user's new credential, which the folder watcher loads. A corrupt file
   * is rewritten whole, so the credential is not lost.
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
        const ours =
          onDisk === 'unreadable' ||
          onDisk === this.#diskRefreshToken ||
          onDisk === this.#data.refreshToken ||
          this.#retired.includes(fingerprint(onDisk));
        if (!ours) {
          this.#deps.logger.warn(`credential ${this.id}: its file now holds another credential; not overwriting it`);
          return;
        }
        const data = this.#data;
        const generation = this.#generation;
        const text = serializeCredential(data);
        // Known before it lands, so the folder watcher never takes this write for an outside change.
        this.#writingDigest = contentDigest(text);
        pushBounded(this.#fileDigests, this.#writingDigest, KEPT_DIGESTS);
        try {
          await writeFileAtomic(source.path, text, 0o600);
        } finally {
          this.#writingDigest = undefined;
        }
        this.#diskRefreshToken = data.refreshToken;
        // The file was replaced while this write ran, which may have landed over the new file: write the
        // current data (the new file's) back. A file that now holds a third credential is left alone above.
        if (generation !== this.#generation) void this.#persist();
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
