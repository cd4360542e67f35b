/**
 * "Login with Google" for Rotor: the OAuth authorization-code flow with state and PKCE (S256), then the
 * account's e-mail, its Code Assist project, and a canonical credential file. HTTP-free: the login routes
 * keep the pending logins in the session and hand the callback's parameters here.
 */
import type { Logger } from '../util/log.js';
import { createCredentialStore, type CredentialStore } from './credential-store.js';
import { clip, LoginError } from './errors.js';
import { buildAuthUrl, exchangeCode, fetchEmail, type GoogleOAuthOptions } from './google-oauth.js';
import { createPkce, createState } from './pkce.js';
import { findProject, parseProjectField } from './project.js';

/** One started login, kept server-side (in the session) until its callback arrives. Plain JSON. */
export interface PendingLogin {
  state: string;
  codeVerifier: string;
  project?: string;
  authUrl: string;
  createdAt: number;
}

/** What came back from Google: the redirect's query parameters. */
export interface CallbackParams {
  state?: string | undefined;
  code?: string | undefined;
  error?: string | undefined;
  errorDescription?: string | undefined;
}

export interface LoginSuccess {
  email: string;
  projectId: string;
  tierId: string;
  requestedProject: string | undefined;
  file: string;
  replaced: string[];
}

export interface LoginFlowOptions extends GoogleOAuthOptions {
  storagePath: string;
  codeAssistEndpoint: string;
  logger: Logger;
  onboardPollIntervalMs?: number | undefined;
  onboardTimeoutMs?: number | undefined;
  /** How long a started login stays valid; default 10 minutes (Google's codes live about as long). */
  pendingTtlMs?: number | undefined;
  now?: () => number;
}

export interface LoginFlow {
  readonly redirectUri: string;
  readonly store: CredentialStore;
  /** Starts a login; throws LoginError (BAD_INPUT) for a malformed project field. */
  begin(projectField: unknown): PendingLogin;
  /**
   * Finishes a login. `pending` is the login whose state the callback named (undefined when none
   * matched). Throws LoginError; writes nothing unless every step succeeded.
   */
  complete(pending: PendingLogin | undefined, params: CallbackParams): Promise<LoginSuccess>;
}

export function createLoginFlow(options: LoginFlowOptions): LoginFlow {
  const now = options.now ?? Date.now;
  const ttl = options.pendingTtlMs ?? 10 * 60_000;
  const store = createCredentialStore(options.storagePath);
  const log = options.logger;

  return {
    redirectUri: options.redirectUri,
    store,
    begin(projectField) {
      const project = parseProjectField(projectField);
      const state = createState();
      const { codeVerifier, codeChallenge } = createPkce();
      const authUrl = buildAuthUrl(options, state, codeChallenge);
      return { state, codeVerifier, ...(project ? { project } : {}), authUrl, createdAt: now() };
    },

    async complete(pending, params) {
      if (!pending || !params.state || pending.state !== params.state) throw stateMismatch();
      if (now() - pending.createdAt > ttl) throw expired();
      if (params.error) throw googleError(params.error, params.errorDescription);
      if (!params.code) throw missingCode();

      const tokens = await exchangeCode(options, params.code, pending.codeVerifier);
      log.addSecret(tokens.accessToken);
      log.addSecret(tokens.refreshToken);
      log.addSecret(tokens.idToken);
      const email = await fetchEmail(options.userinfoUrl, tokens.accessToken, options.requestTimeoutMs);
      const project = await findProject({
        accessToken: tokens.accessToken,
        email,
        requestedProject: pending.project,
        codeAssistEndpoint: options.codeAssistEndpoint,
        pollIntervalMs: options.onboardPollIntervalMs,
        timeoutMs: options.onboardTimeoutMs,
        requestTimeoutMs: options.requestTimeoutMs,
      });
      let saved;
      try {
        saved = await store.save({
          email,
          projectId: project.projectId,
          ...tokens,
          // The token URL is configuration (GOOGLE_OAUTH_TOKEN_URL), not a property of the credential.
          clientId: options.clientId,
          clientSecret: options.clientSecret,
        });
      } catch (err) {
        log.error(`login: could not write the credential file for ${email}: ${(err as Error).message}`);
        throw new LoginError('SAVE_FAILED', {
          title: 'Could not save the account',
          message: `Signing in as ${email} worked, but the credential file could not be written to the storage folder.`,
          hint: 'Check that PERSISTENT_STORAGE_PATH exists and is writable by Rotor, then log in again.',
          status: 500,
        });
      }
      log.info(
        `login: ${email} added (project ${project.projectId}, tier ${project.tierId}) as ${saved.file}` +
          (saved.replaced.length ? `, replacing ${saved.replaced.join(', ')}` : ''),
      );
      return { email, projectId: project.projectId, tierId: project.tierId, requestedProject: pending.project, ...saved };
    },
  };
}

function stateMismatch(): LoginError {
  return new LoginError('STATE_MISMATCH', {
    title: 'This sign-in does not match a login started here',
    message:
      "The answer from Google carries a missing or unknown state value, so it may not come from a login started in this browser. Nothing was saved.",
    hint: 'Start again from the login page, in the same browser. Each sign-in link works once.',
  });
}

function expired(): LoginError {
  return new LoginError('STATE_MISMATCH', {
    title: 'This sign-in has expired',
    message: 'The login was started too long ago. Nothing was saved.',
    hint: 'Start again from the login page and finish signing in within 10 minutes.',
  });
}

function googleError(error: string, description: string | undefined): LoginError {
  if (error === 'access_denied') {
    return new LoginError('ACCESS_DENIED', {
      title: 'Access was not granted',
      message: 'The Google sign-in was cancelled or access was denied (access_denied). No account was added.',
      hint: 'Click "Login with Google" again and allow access when Google asks; Rotor needs it to call Gemini for you.',
    });
  }
  const code = error.replace(/[^a-z0-9_]/gi, '').slice(0, 64);
  const said = description ? `: ${clip(description)}` : '';
  return new LoginError('OAUTH_ERROR', {
    title: 'Google reported an error',
    message: `Google ended the sign-in with "${code}"${said}. No account was added.`,
    hint: 'Start the login again. If it keeps failing, check CLIENT_ID, CLIENT_SECRET and DOMAIN_NAME (the redirect URI must be allowed for the OAuth client).',
  });
}

function missingCode(): LoginError {
  return new LoginError('MISSING_CODE', {
    title: 'No authorization code',
    message: 'The address has no authorization code in it. Nothing was saved.',
    hint: 'Paste the address your browser shows after you allowed access (it contains "code="), not the sign-in link itself.',
  });
}

/**
 * Reads a pasted redirect URL (or just its query string) into callback parameters. Throws LoginError
 * when the text is not a URL at all.
 */
export function parseRedirectUrl(text: unknown): CallbackParams {
  const s = typeof text === 'string' ? text.trim() : '';
  let query: URLSearchParams;
  try {
    query = s.startsWith('?') || !/^[a-z][a-z0-9+.-]*:/i.test(s) ? new URLSearchParams(s.replace(/^\?/, '')) : new URL(s).searchParams;
  } catch {
    query = new URLSearchParams();
  }
  if (!s || (!query.has('code') && !query.has('error') && !query.has('state'))) {
    throw new LoginError('BAD_INPUT', {
      title: 'That is not the redirect address',
      message: 'The pasted text is not an address with "code=" and "state=" in it. Nothing was saved.',
      hint: 'After you allow access, copy the whole address from the browser\'s address bar (even if the page failed to load) and paste it.',
    });
  }
  return callbackParams(query);
}

export function callbackParams(query: URLSearchParams | Record<string, unknown>): CallbackParams {
  const get = (k: string): string | undefined => {
    const v = query instanceof URLSearchParams ? query.get(k) : query[k];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  return { state: get('state'), code: get('code'), error: get('error'), errorDescription: get('error_description') };
}
