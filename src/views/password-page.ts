/** Asks for GEMINI_AUTH_PASSWORD before any login-mode page is shown. */
import { html, type SafeHtml } from '../http/html.js';
import { layout } from './layout.js';

export function renderPasswordPage(m: { wrong: boolean; next: string }): SafeHtml {
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
