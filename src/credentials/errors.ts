/** Why a credential could not produce an access token. */
export type CredentialErrorKind = 'revoked' | 'transient' | 'invalid';

/**
 * A credential failed to produce an access token. The message never contains a token: it names the
 * credential and what the token endpoint said (status and OAuth error code), nothing more.
 * - `revoked`: the refresh token is dead (invalid_grant); the credential is disabled until its file changes.
 * - `transient`: network trouble or a 5xx/429 from the token endpoint; try again later.
 * - `invalid`: the request itself was refused (bad client id/secret, malformed credential).
 */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
  readonly kind: CredentialErrorKind;
  readonly credentialId: string;
  /** HTTP status of the token endpoint, when it answered. */
  readonly status: number | undefined;

  constructor(kind: CredentialErrorKind, credentialId: string, message: string, status?: number) {
    super(message);
    this.kind = kind;
    this.credentialId = credentialId;
    this.status = status;
  }
}

export type ProjectDiscoveryErrorCode =
  | 'VALIDATION_REQUIRED'
  | 'INELIGIBLE'
  | 'PROJECT_REQUIRED'
  | 'ONBOARD_FAILED'
  | 'ONBOARD_TIMEOUT'
  | 'UNSUPPORTED_CLIENT'
  | 'HTTP';

/** Project discovery or onboarding failed; the message says what the user should do. */
export class ProjectDiscoveryError extends Error {
  override readonly name = 'ProjectDiscoveryError';
  readonly code: ProjectDiscoveryErrorCode;
  readonly validationUrl: string | undefined;
  readonly status: number | undefined;

  constructor(code: ProjectDiscoveryErrorCode, message: string, extra: { validationUrl?: string; status?: number } = {}) {
    super(message);
    this.code = code;
    this.validationUrl = extra.validationUrl;
    this.status = extra.status;
  }
}
