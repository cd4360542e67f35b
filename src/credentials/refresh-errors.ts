/**
 * Classifies a failed token refresh. The library's error object carries the request config, whose body
 * holds the refresh token, so only the status, the OAuth error code and Google's description are read
 * from it, and it is never attached as a cause.
 */
import type { CredentialErrorKind } from './errors.js';

export interface RefreshFailure {
  kind: CredentialErrorKind;
  /** Text safe to show and log. */
  detail: string;
  status: number | undefined;
  /** When set, the credential must stop trying until its file changes. */
  disable: string | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const readString = (o: unknown, key: string): string | undefined =>
  isRecord(o) && typeof o[key] === 'string' ? (o[key] as string) : undefined;

/** Node's fetch hides the socket error code in `cause`. */
function networkCode(err: Record<string, unknown>): string | undefined {
  for (let e: unknown = err, depth = 0; isRecord(e) && depth < 4; e = e['cause'], depth++) {
    const code = e['code'];
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
  }
  return undefined;
}

export function classifyRefreshFailure(err: unknown): RefreshFailure {
  if (!isRecord(err)) return { kind: 'transient', detail: 'token refresh failed', status: undefined, disable: undefined };
  const response = isRecord(err['response']) ? err['response'] : undefined;
  const status = typeof response?.['status'] === 'number' ? response['status'] : undefined;
  const data = response?.['data'];
  const oauthError = readString(data, 'error');
  const description = readString(data, 'error_description')?.slice(0, 200);
  const said = [oauthError, description].filter(Boolean).join(': ');

  if (oauthError === 'invalid_grant') {
    const reason = 'refresh token revoked or expired (invalid_grant)';
    return {
      kind: 'revoked',
      detail: `${reason}${description ? `: ${description}` : ''}; log in again with this account`,
      status,
      disable: reason,
    };
  }
  if (oauthError === 'invalid_client' || oauthError === 'unauthorized_client') {
    const reason = `OAuth client rejected (${oauthError}): the client id/secret do not match this refresh token`;
    return { kind: 'invalid', detail: reason, status, disable: reason };
  }
  if (status === undefined) {
    const code = networkCode(err);
    return { kind: 'transient', detail: `token endpoint unreachable${code ? ` (${code})` : ''}`, status, disable: undefined };
  }
  const retryable = status === 408 || status === 429 || status >= 500;
  return {
    kind: retryable ? 'transient' : 'invalid',
    detail: `token endpoint answered HTTP ${status}${said ? ` (${said})` : ''}`,
    status,
    disable: undefined,
  };
}
