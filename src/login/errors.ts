/** Why a browser login or an import did not add an account; every message is safe to show (no tokens). */
export type LoginErrorCode =
  | 'STATE_MISMATCH'
  | 'ACCESS_DENIED'
  | 'OAUTH_ERROR'
  | 'MISSING_CODE'
  | 'BAD_INPUT'
  | 'EXCHANGE_FAILED'
  | 'NO_REFRESH_TOKEN'
  | 'USERINFO_FAILED'
  | 'VALIDATION_REQUIRED'
  | 'INELIGIBLE'
  | 'PROJECT_REQUIRED'
  | 'ONBOARDING_FAILED'
  | 'SAVE_FAILED';

/** A link the user should follow to fix the problem (e.g. Google's account verification page). */
export interface LoginErrorLink {
  url: string;
  text: string;
}

/**
 * A login failed. `message` says what happened, `hint` what to do next; neither ever contains a token,
 * an authorization code, a client secret or the password.
 */
export class LoginError extends Error {
  override readonly name = 'LoginError';
  readonly code: LoginErrorCode;
  readonly title: string;
  readonly hint: string;
  readonly link: LoginErrorLink | undefined;
  /** HTTP status for the error page. */
  readonly status: number;

  constructor(
    code: LoginErrorCode,
    init: { title: string; message: string; hint: string; link?: LoginErrorLink | undefined; status?: number },
  ) {
    super(init.message);
    this.code = code;
    this.title = init.title;
    this.hint = init.hint;
    this.link = init.link;
    this.status = init.status ?? 400;
  }
}

/**
 * At most `max` characters of Google's text for a message. A word cut by the limit is dropped whole: a
 * token cut in half would no longer look like one, and masking would let its first half through.
 */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max).replace(/\S*$/, '')}…`;
}
