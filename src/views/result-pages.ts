/** The pages a finished login lands on: success, or an error that says what to do next. */
import { html, safeHref, type SafeHtml } from '../http/pages/html.js';
import { layout } from './layout.js';
import type { LoginSuccess } from '../login/login-flow.js';

export interface SuccessPageModel extends LoginSuccess {
  storagePath: string;
}

export function renderSuccessPage(m: SuccessPageModel): SafeHtml {
  const otherProject = m.requestedProject !== undefined && m.requestedProject !== m.projectId;
  return layout(
    'Account added',
    html`<h1 id="result" data-result="success">Account added</h1>
<div class="callout ok" role="status"><p><strong>${m.email}</strong> is ready to use with project <code>${m.projectId}</code>
(Code Assist tier <code>${m.tierId}</code>).</p>
<p>Saved as <code>${m.file}</code> in <code>${m.storagePath}</code>${m.replaced.length ? html`, replacing the earlier file <code>${m.replaced.join(', ')}</code>` : ''}.</p></div>
${otherProject && html`<p class="hint">Google assigned project <code>${m.projectId}</code> instead of <code>${m.requestedProject}</code>: this account's tier uses a Google-managed project.</p>`}
<p>A running Rotor server starts using this account within a few seconds. To start one: <code>npm start</code> (or <code>rotor</code>).</p>
<div class="actions"><a class="button primary" href="/" id="again">Add another account</a></div>`,
  );
}

export interface ErrorPageModel {
  title: string;
  message: string;
  hint: string;
  link?: { url: string; text: string } | undefined;
}

export function renderErrorPage(m: ErrorPageModel): SafeHtml {
  return layout(
    m.title,
    html`<h1 id="result" data-result="error">${m.title}</h1>
<div class="callout bad" role="alert"><p id="error-message">${m.message}</p></div>
<p><strong>What to do:</strong> <span id="error-hint">${m.hint}</span></p>
${m.link && html`<p><a href="${safeHref(m.link.url)}" target="_blank" rel="noopener noreferrer" id="error-link">${m.link.text}</a></p>`}
<div class="actions"><a class="button primary" href="/">Back to the login page</a></div>`,
  );
}
