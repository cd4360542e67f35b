/**
 * What the operator can do about a disabled or failing credential, read from the pool's reason (Google's words,
 * or Rotor's advice, already redacted): a sentence, and a link when one helps (only https links to Google's own
 * pages, or the one the reason itself names for verification).
 */

export interface Fix {
  text: string;
  /** An https URL to open, when the fix happens on a web page. */
  link?: string;
}

export const AI_STUDIO_KEYS = 'https://aistudio.google.com/apikey';

/** The first https URL in the text (trailing punctuation trimmed), when it parses. */
export function firstHttpsUrl(text: string): string | undefined {
  const m = /https:\/\/[^\s"'<>()]+/.exec(text);
  if (!m) return undefined;
  const candidate = m[0].replace(/[.,;:!?\]}]+$/, '');
  try {
    const u = new URL(candidate);
    return u.protocol === 'https:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a link is on a Google domain (Rotor links to no one else from a reason). */
function googleLink(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const host = new URL(url).hostname.toLowerCase();
  return /(^|\.)(google\.com|googleapis\.com|cloud\.google\.com|gstatic\.com)$/.test(host) ? url : undefined;
}

export function fixFor(reason: string | null | undefined, byOperator: boolean): Fix | undefined {
  if (!reason) return undefined;
  if (byOperator) return { text: 'Disabled from the dashboard: press Enable to put it back in service.' };
  const r = reason;
  if (/verif|VALIDATION_REQUIRED/i.test(r)) {
    const link = googleLink(firstHttpsUrl(r));
    return link
      ? { text: 'Open the verification link in a browser signed in to this account, complete the check, then press Enable (or wait for the re-check).', link }
      : { text: 'Sign in to this account in a browser and complete Google\'s verification, then press Enable (or wait for the re-check).' };
  }
  if (/ACCESS_TOKEN_TYPE_UNSUPPORTED|API_KEY_INVALID|API key not valid|key (?:is )?(?:invalid|expired)/i.test(r)) {
    return { text: 'Create a new key in Google AI Studio and put it in place of this one (GEMINI_API_KEYS or api_keys.json).', link: AI_STUDIO_KEYS };
  }
  if (/UNSUPPORTED_CLIENT|no longer supported for Gemini Code Assist|Code Assist for individuals/i.test(r)) {
    return { text: 'Google no longer serves this account through Code Assist: use a Gemini API key from Google AI Studio (GEMINI_API_KEYS) or Vertex AI instead, and remove this credential.', link: AI_STUDIO_KEYS };
  }
  if (/SERVICE_DISABLED|has not been used in project|API_KEY_SERVICE_BLOCKED|is disabled/i.test(r)) {
    const link = googleLink(firstHttpsUrl(r));
    return { text: 'Enable the API for this project in the Google Cloud console, wait a few minutes, then press Enable.', ...(link ? { link } : {}) };
  }
  if (/BILLING_DISABLED|billing/i.test(r)) {
    return { text: 'Turn billing on for this project in the Google Cloud console, then press Enable.', link: 'https://console.cloud.google.com/billing' };
  }
  if (/valid license/i.test(r)) return { text: 'Give this account a Gemini Code Assist license (or use another account), then press Enable.' };
  if (/Terms of Service|suspended/i.test(r)) return { text: 'Google suspended this account for Gemini: it cannot be used; remove its credential file.' };
  if (/invalid_grant|revoked|expired or revoked|refresh token/i.test(r)) {
    return { text: 'The sign-in is no longer valid: sign in again with `rotor --gen-creds` (the new file replaces this one without a restart).' };
  }
  if (/IAM_PERMISSION_DENIED|SCOPE_INSUFFICIENT|permission denied/i.test(r)) {
    return { text: 'The account or key lacks permission for this project: check its roles and scopes in the Google Cloud console.' };
  }
  return undefined;
}
