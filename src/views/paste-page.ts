/** The headless flow: open the sign-in link anywhere, then paste the address Google redirected to. */
import { html, safeHref, type SafeHtml } from '../http/pages/html.js';
import { layout } from './layout.js';

export interface PastePageModel {
  authUrl: string;
  redirectUri: string;
}

export function renderPastePage(m: PastePageModel): SafeHtml {
  return layout(
    'Sign in from another browser',
    html`<h1>Sign in from another browser</h1>
<ol>
<li><p>Open this sign-in link in any browser (your laptop, your phone), choose the account and allow access:</p>
<p><a href="${safeHref(m.authUrl)}" target="_blank" rel="noopener noreferrer" id="auth-link">Open Google sign-in</a></p>
<label for="auth-url">Or copy the link</label>
<textarea id="auth-url" readonly>${m.authUrl}</textarea></li>
<li><p>Google then sends the browser to <code>${m.redirectUri}?state=…&amp;code=…</code>. That page may fail to load;
that is expected. Copy the whole address from the address bar.</p></li>
<li><form method="post" action="/paste">
<label for="redirect-url">Paste the address here</label>
<input type="text" id="redirect-url" name="redirect_url" required autocomplete="off" spellcheck="false" placeholder="${m.redirectUri}?state=…&code=…">
<div class="actions"><button type="submit" class="primary" id="finish">Finish login</button> <a class="button" href="/">Back</a></div>
</form></li>
</ol>
<p class="hint">The link works once and expires after 10 minutes.</p>`,
  );
}
