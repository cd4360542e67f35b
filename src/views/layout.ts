/**
 * The shell of every login-mode page: one small inline stylesheet, no scripts, no external assets.
 * Pages are TypeScript modules built with the escape-by-default `html` template (src/http/html.ts), so
 * they compile into dist/ with the rest and need no files read at runtime.
 */
import { html, raw, type SafeHtml } from '../http/pages/html.js';

const CSS = raw(`
:root{color-scheme:light dark;--fg:#1f2328;--muted:#57606a;--bg:#fff;--line:#d0d7de;--accent:#0b57d0;--ok:#116329;--bad:#b3261e;--soft:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--line:#30363d;--accent:#7cacf8;--ok:#3fb950;--bad:#ff7b72;--soft:#161b22}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:46rem;margin:0 auto;padding:2rem 1.25rem 3rem}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
p,li{color:var(--fg)}.muted,.hint{color:var(--muted);font-size:.92rem}
a{color:var(--accent)}
code,textarea,input{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9rem}
label{display:block;font-weight:600;margin:1rem 0 .3rem}
input[type=text],input[type=password],input[type=url],textarea{width:100%;padding:.55rem .65rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
textarea{min-height:5.5rem;resize:vertical;word-break:break-all}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;margin-top:1rem}
button,.button{display:inline-block;padding:.6rem 1.1rem;border-radius:6px;border:1px solid var(--line);background:var(--soft);color:var(--fg);font:inherit;font-weight:600;cursor:pointer;text-decoration:none}
button.primary,.button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
@media (prefers-color-scheme:dark){button.primary,.button.primary{color:#0d1117}}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
table{width:100%;border-collapse:collapse;font-size:.92rem}caption{text-align:left;color:var(--muted);padding-bottom:.4rem}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
td.nowrap{white-space:nowrap}td.file code{word-break:break-all;font-size:.82rem}
.state-ready{color:var(--ok);font-weight:600}.state-unreadable{color:var(--bad);font-weight:600}
.callout{border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:6px;padding:.8rem 1rem;margin:1rem 0;background:var(--soft)}
.callout.ok{border-left-color:var(--ok)}.callout.bad{border-left-color:var(--bad)}
footer{margin-top:2.5rem;border-top:1px solid var(--line);padding-top:.8rem}
`);

export function layout(title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Rotor</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
<footer class="muted">Rotor keeps credentials in files readable only by its own user (mode 0600). Google's terms say that using
Gemini CLI's sign-in from other software may breach them and can get an account suspended; see the README.</footer>
</main>
</body>
</html>
`;
}
