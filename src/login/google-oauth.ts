/**
 * The Google side of a login (docs/google-protocols.md#oauth): the authorization URL, the code exchange
 * through google-auth-library's OAuth2Client with endpoints taken from config, and the userinfo call.
 * The library's errors carry the request (code, verifier, secret), so only status and OAuth error
 * fields are read from them. Every call is bounded in time, like loadCodeAssist: a Google that never
 * answers must end in an error page, not a browser spinning until the server's request timeout.
 */
import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import { z } from 'zod';
import { clip, LoginError } from './errors.js';

export const LOGIN_SCOPES = [
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
];

export interface GoogleOAuthOptions {
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  redirectUri: string;
  /** Abandon a call to Google (the code exchange, userinfo) that has not answered within this; default 30 s. */
  requestTimeoutMs?: number | undefined;
}

/** As loadCodeAssist's (credentials/code-assist-call.ts). */
export const GOOGLE_CALL_TIMEOUT_MS = 30_000;

const within = (ms: number): string => (ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

export interface ExchangedTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: number | undefined;
  scope: string | undefined;
  tokenType: string | undefined;
  idToken: string | undefined;
}

function client(o: GoogleOAuthOptions, signal?: AbortSignal): OAuth2Client {
  return new OAuth2Client({
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    redirectUri: o.redirectUri,
    endpoints: { oauth2AuthBaseUrl: o.authUrl, oauth2TokenUrl: o.tokenUrl },
    ...(signal ? { transporterOptions: { signal } } : {}),
  });
}

/** access_type=offline + prompt=consent so Google issues a refresh token even on a repeat login. */
export function buildAuthUrl(o: GoogleOAuthOptions, state: string, codeChallenge: string): string {
  return client(o).generateAuthUrl({
    access_type: 'offline',
    prompt: 'consent',
    scope: LOGIN_SCOPES,
    state,
    code_challenge: codeChallenge,
    code_challenge_method: CodeChallengeMethod.S256,
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const text = (o: unknown, key: string): string | undefined =>
  isRecord(o) && typeof o[key] === 'string' ? clip(o[key] as string) : undefined;

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; isRecord(e) && depth < 4; e = e['cause'], depth++) {
    if (typeof e['code'] === 'string' && /^[A-Z_]+$/.test(e['code'])) return e['code'];
  }
  return undefined;
}

export async function exchangeCode(o: GoogleOAuthOptions, code: string, codeVerifier: string): Promise<ExchangedTokens> {
  const timeoutMs = o.requestTimeoutMs ?? GOOGLE_CALL_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  let tokens;
  try {
    tokens = (await client(o, timeout).getToken({ code, codeVerifier, redirect_uri: o.redirectUri })).tokens;
  } catch (err) {
    const response = isRecord(err) && isRecord(err['response']) ? err['response'] : undefined;
    const status = typeof response?.['status'] === 'number' ? response['status'] : undefined;
    const said = [text(response?.['data'], 'error'), text(response?.['data'], 'error_description')].filter(Boolean).join(': ');
    if (timeout.aborted) {
      throw new LoginError('EXCHANGE_FAILED', {
        title: 'Sign-in could not be completed',
        message: `Google's token endpoint did not answer the code exchange within ${within(timeoutMs)}. No account was added.`,
        hint: 'This is usually temporary. Start the login again from the login page in a minute.',
        status: 504,
      });
    }
    const what =
      status === undefined
        ? `the token endpoint could not be reached${networkCode(err) ? ` (${networkCode(err)})` : ''}`
        : `Google refused the authorization code (HTTP ${status}${said ? `, ${said}` : ''})`;
    throw new LoginError('EXCHANGE_FAILED', {
      title: 'Sign-in could not be completed',
      message: `${what[0]!.toUpperCase()}${what.slice(1)}. No account was added.`,
      hint: 'Authorization codes work once and expire within minutes. Start the login again from the login page.',
      status: 502,
    });
  }
  if (!tokens.access_token) {
    throw new LoginError('EXCHANGE_FAILED', {
      title: 'Sign-in could not be completed',
      message: 'Google answered the code exchange without an access token. No account was added.',
      hint: 'Start the login again from the login page.',
      status: 502,
    });
  }
  if (!tokens.refresh_token) {
    throw new LoginError('NO_REFRESH_TOKEN', {
      title: 'Google sent no refresh token',
      message: 'Google signed you in but returned no refresh token, so Rotor could not keep access to this account. No account was added.',
      hint: "Remove this app's access to your Google account, then log in again (Rotor asks for consent every time, which normally makes Google send one).",
      link: { url: 'https://myaccount.google.com/permissions', text: 'Google account: third-party access' },
      status: 502,
    });
  }
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: tokens.expiry_date ?? undefined,
    scope: tokens.scope ?? undefined,
    tokenType: tokens.token_type ?? undefined,
    idToken: tokens.id_token ?? undefined,
  };
}

const userinfoSchema = z.looseObject({ email: z.string().min(3).max(320) });

/** GET userinfo with the new access token; gemini-cli reads only `email` from it. */
export async function fetchEmail(userinfoUrl: string, accessToken: string, timeoutMs = GOOGLE_CALL_TIMEOUT_MS): Promise<string> {
  const fail = (why: string, status = 502, hint = 'Log in again and allow access to your e-mail address when asked.') =>
    new LoginError('USERINFO_FAILED', {
      title: 'Could not read the account e-mail',
      message: `Google's userinfo endpoint ${why}. No account was added.`,
      hint,
      status,
    });
  const timeout = AbortSignal.timeout(timeoutMs);
  const timedOut = () => fail(`did not answer within ${within(timeoutMs)}`, 504, 'This is usually temporary. Log in again in a minute.');
  let res: Response;
  try {
    res = await fetch(userinfoUrl, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: timeout,
    });
  } catch (err) {
    if (timeout.aborted) throw timedOut();
    throw fail(`could not be reached${networkCode(err) ? ` (${networkCode(err)})` : ''}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw fail(`answered HTTP ${res.status}`);
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (body === undefined && timeout.aborted) throw timedOut();
  const parsed = userinfoSchema.safeParse(body);
  if (!parsed.success) throw fail('answered without an e-mail address');
  return parsed.data.email;
}
