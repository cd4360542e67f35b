/** Asks for GEMINI_AUTH_PASSWORD before any login-mode page is shown. */
import { html, type SafeHtml } from '../http/pages/html.js';
import { layout } from './layout.js';

export interface PasswordPageModel {
  wrong: boolean;
  next: string;
  /** Too many wrong passwords from this client: seconds until it may try again (no form is shown). */
  retryAfterSec?: number | undefined;
}

const minutes = (sec: number): string => {
  const m = Math.ceil(sec / 60);
  return m <= 1 ? 'a minute' : `${m} minutes`;
};

export function renderPasswordPage(m: PasswordPageModel): SafeHtml {
  if (m.retryAfterSec !== undefined) {
    return layout(
      'Too many attempts',
      html`<h1>Too many wrong passwords</h1>
<div class="callout bad" role="alert" id="password-locked">Too many wrong passwords were entered from your address.
Try again in ${minutes(m.retryAfterSec)}.</div>
<p class="hint">The password is the value of <code>GEMINI_AUTH_PASSWORD</code> in Rotor's environment; check it before trying again.</p>
<div class="actions"><a class="button" href="${m.next}">Back</a></div>`,
    );
  }
  return layout(
    'Password required',
    html`<h1>Password required</h1>
<p>This login page is protected. Enter Rotor's password (<code>GEMINI_AUTH_PASSWORD</code>).</p>
${m.wrong && html`<div class="callout bad" role="alert" id="password-error">Wrong password.</div>`}
<form method="post" action="/password">
<input type="hidden" name="next" value="${m.next}">
<label for="password">Password</label>
<input type="password" id="password" name="password" required autocomplete="current-password" autofocus>
<div class="actions"><button type="submit" class="primary">Continue</button></div>
</form>`,
  );
}
