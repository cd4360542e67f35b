/**
 * The dashboard's pages: the dashboard itself (a shell the script fills from the live snapshots), the login form
 * (with ADMIN_PASSWORD) and the refusal (through a proxy or tunnel without ADMIN_PASSWORD). The stylesheet and
 * script are served by Rotor (/dashboard/app.css, /dashboard/app.js); every value here is escaped by `html`.
 */
import { html, type SafeHtml } from '../http/pages/html.js';

function shell(title: string, page: string, body: SafeHtml, csrf = ''): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="rotor-csrf" content="${csrf}">
<title>${title} · Rotor</title>
<link rel="icon" href="/dashboard/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body data-page="${page}">
${body}
</body>
</html>
`;
}

export interface DashboardPageModel {
  version: string;
  /** The session's CSRF token (empty without ADMIN_PASSWORD: writes are then checked by origin). */
  csrf: string;
  /** Logged in with ADMIN_PASSWORD: show "Log out". */
  loggedIn: boolean;
}

export function renderDashboardPage(m: DashboardPageModel): SafeHtml {
  return shell(
    'Dashboard',
    'dashboard',
    html`<header class="top">
<h1>Rotor <span class="muted small">${m.version}</span></h1>
<div class="pills" id="summary" aria-live="polite"></div>
<span class="conn" id="conn">connecting…</span>
${m.loggedIn && html`<button type="button" id="logout">Log out</button>`}
</header>
<noscript><p class="refused">The dashboard needs JavaScript (served by Rotor itself; nothing is loaded from elsewhere).</p></noscript>
<main>
<section id="traffic" aria-labelledby="traffic-h">
<h2 id="traffic-h">Requests per minute <span class="muted small">last hour</span><span class="spacer"></span>
<span class="toggle" role="group" aria-label="Group requests by">
<button type="button" id="by-model" data-by="model" aria-pressed="true">By model</button><button type="button" id="by-token" data-by="token" aria-pressed="false">By token</button>
</span></h2>
<div class="panel"><div id="chart"></div><div class="legend" id="legend"></div></div>
</section>
<section id="credentials" aria-labelledby="credentials-h">
<h2 id="credentials-h">Credentials</h2>
<div class="creds" id="creds"><p class="empty">Loading…</p></div>
</section>
<section id="quota" aria-labelledby="quota-h">
<h2 id="quota-h">Quota today <span class="muted small">per bucket and model</span></h2>
<div class="panel scroll" id="quotas"><p class="empty">Loading…</p></div>
</section>
<section id="tokens" aria-labelledby="tokens-h">
<h2 id="tokens-h">Access tokens <span class="muted small">usage today</span></h2>
<div class="panel scroll" id="token-list"><p class="empty">Loading…</p></div>
</section>
<section id="recent" aria-labelledby="recent-h">
<h2 id="recent-h">Recent errors</h2>
<div class="panel" id="errors"><p class="empty">Loading…</p></div>
</section>
</main>
<footer class="foot" id="foot"></footer>
<div id="notice" role="status" hidden></div>`,
    m.csrf,
  );
}

export function renderDashboardLogin(): SafeHtml {
  return shell(
    'Log in',
    'login',
    html`<form class="login" id="login-form" method="post" action="/admin/login">
<h1>Rotor dashboard</h1>
<p class="muted small">Enter the admin password (<code>ADMIN_PASSWORD</code>).</p>
<div class="alert" id="login-error" role="alert" hidden></div>
<label for="password" class="small">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required autofocus>
<button type="submit" class="primary" id="login">Log in</button>
<noscript><p class="small">Logging in needs JavaScript (served by Rotor itself).</p></noscript>
</form>`,
  );
}

export function renderDashboardRefused(message: string): SafeHtml {
  return shell(
    'Not available here',
    'refused',
    html`<div class="refused">
<h1>The dashboard is not available here</h1>
<p class="alert" id="refused">${message}</p>
<p class="muted">Open it on the machine Rotor runs on (http://127.0.0.1:PORT/), or set <code>ADMIN_PASSWORD</code> to open it, behind a login, to others.</p>
</div>`,
  );
}
