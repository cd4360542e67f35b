/** The login-mode home page: "Login with Google", the optional project field, and the accounts on disk. */
import { html, type SafeHtml } from '../http/pages/html.js';
import type { StoredAccount } from '../login/index.js';
import { layout } from './layout.js';

export interface LoginPageModel {
  accounts: StoredAccount[];
  storagePath: string;
  redirectUri: string;
  /** CREDENTIALS_JSON_LIST is set, so `rotor` serves that list and not these files. */
  envListActive: boolean;
  /** The project typed last time, kept after an input error. */
  project?: string | undefined;
  /** A problem with what was submitted (shown above the form). */
  inputError?: string | undefined;
}

function stateCell(a: StoredAccount): SafeHtml {
  if (a.state === 'ready') return html`<span class="state-ready">ready</span>`;
  if (a.state === 'no-project') return html`<span class="state-ready">ready</span> <span class="muted">(${a.detail})</span>`;
  return html`<span class="state-unreadable">unreadable</span> <span class="muted">${a.detail}</span>`;
}

function accountsTable(accounts: StoredAccount[]): SafeHtml {
  if (accounts.length === 0) return html`<p class="muted" id="no-accounts">No accounts yet. Log in with the button above to add the first one.</p>`;
  const rows = accounts.map(
    (a) => html`<tr>
<td>${a.email ?? '—'}</td><td class="nowrap">${a.projectId ?? '—'}</td><td>${stateCell(a)}</td>
<td class="nowrap"><code>${a.maskedRefreshToken || '—'}</code></td><td class="file"><code>${a.file}</code></td>
</tr>`,
  );
  return html`<table id="accounts">
<caption>${accounts.length} credential file${accounts.length === 1 ? '' : 's'}; refresh tokens are masked.</caption>
<thead><tr><th scope="col">Account</th><th scope="col">Project</th><th scope="col">State</th><th scope="col">Refresh token</th><th scope="col">File</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

export function renderLoginPage(m: LoginPageModel): SafeHtml {
  return layout(
    'Add Google accounts',
    html`<h1>Add Google accounts to Rotor</h1>
<p>Sign in with each Google account Rotor should use. Each login saves a credential file to <code>${m.storagePath}</code>;
a running Rotor server picks new files up by itself, no restart needed.</p>
${m.envListActive && html`<div class="callout bad" role="note"><strong>CREDENTIALS_JSON_LIST is set.</strong> Rotor serves that list instead of the files in this folder; unset it to use the accounts added here.</div>`}
${m.inputError && html`<div class="callout bad" role="alert" id="input-error">${m.inputError}</div>`}
<form method="post" action="/start">
<label for="project">Google Cloud project ID <span class="muted">(optional)</span></label>
<input type="text" id="project" name="project" value="${m.project ?? ''}" placeholder="my-project-123" autocomplete="off" spellcheck="false" aria-describedby="project-help">
<p class="hint" id="project-help">Leave empty for personal accounts: Rotor finds or sets up the Code Assist project itself.
Code Assist Standard/Enterprise (Workspace) accounts need their project ID here; it wins over the discovered one.</p>
<div class="actions">
<button type="submit" name="mode" value="redirect" class="primary" id="login">Login with Google</button>
<button type="submit" name="mode" value="paste" id="paste">No browser on the server? Paste the redirect URL</button>
</div>
</form>
<p class="hint">Google sends you back to <code>${m.redirectUri}</code>. If that address does not open in your browser
(Rotor runs on another machine), use the second button: sign in anywhere, then paste the address Google redirected to.</p>
<h2>Accounts on disk</h2>
${accountsTable(m.accounts)}`,
  );
}
