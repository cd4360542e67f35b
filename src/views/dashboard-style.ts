/** The dashboard's stylesheet, served by Rotor at /dashboard/app.css (no CDN, no inline styles: the CSP forbids them). */

export const DASHBOARD_CSS = `
:root{color-scheme:light dark;--fg:#1f2328;--muted:#57606a;--bg:#fff;--card:#fff;--line:#d0d7de;--soft:#f6f8fa;--accent:#0b57d0;
--ok:#116329;--ok-bg:#dafbe1;--warn:#7d4e00;--warn-bg:#fff8c5;--bad:#b3261e;--bad-bg:#ffebe9;
--s0:#0b57d0;--s1:#d97706;--s2:#16a34a;--s3:#9333ea;--s4:#dc2626;--s5:#0891b2;--s6:#db2777;--s7:#6b7280}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--card:#11161d;--line:#30363d;--soft:#161b22;--accent:#7cacf8;
--ok:#3fb950;--ok-bg:#12261a;--warn:#d29922;--warn-bg:#2a2110;--bad:#ff7b72;--bad-bg:#2d1416;
--s0:#7cacf8;--s1:#f59e0b;--s2:#4ade80;--s3:#c084fc;--s4:#f87171;--s5:#22d3ee;--s6:#f472b6;--s7:#9ca3af}}
*{box-sizing:border-box}
html,body{margin:0;background:var(--bg);color:var(--fg)}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-x:hidden}
a{color:var(--accent)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.86em}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.8rem 1rem;border-bottom:1px solid var(--line);background:var(--soft)}
header.top h1{font-size:1.15rem;margin:0;flex:1 1 auto}
.pills{display:flex;flex-wrap:wrap;gap:.4rem}
.pill{display:inline-block;border-radius:999px;padding:.1rem .6rem;font-size:.82rem;font-weight:600;border:1px solid var(--line);white-space:nowrap}
.pill.ok{background:var(--ok-bg);color:var(--ok);border-color:transparent}
.pill.warn{background:var(--warn-bg);color:var(--warn);border-color:transparent}
.pill.bad{background:var(--bad-bg);color:var(--bad);border-color:transparent}
.conn{font-size:.82rem;color:var(--muted)}
.conn.live::before{content:"\\25CF  ";color:var(--ok)}
.conn.down::before{content:"\\25CF  ";color:var(--bad)}
main{max-width:72rem;margin:0 auto;padding:1rem;display:grid;gap:1.25rem}
section{min-width:0}
section>h2{font-size:1.02rem;margin:0 0 .5rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}
section>h2 .spacer{flex:1 1 auto}
.panel{border:1px solid var(--line);border-radius:8px;background:var(--card);padding:.75rem;min-width:0}
.muted{color:var(--muted)}.small{font-size:.84rem}
button{font:inherit;font-size:.84rem;font-weight:600;padding:.3rem .7rem;border-radius:6px;border:1px solid var(--line);background:var(--soft);color:var(--fg);cursor:pointer}
button:hover{border-color:var(--accent)}
button.danger{color:var(--bad)}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button[disabled]{opacity:.55;cursor:default}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.toggle{display:inline-flex;border:1px solid var(--line);border-radius:6px;overflow:hidden}
.toggle button{border:0;border-radius:0;background:transparent}
.toggle button[aria-pressed=true]{background:var(--accent);color:#fff}
svg.chart{width:100%;height:auto;display:block}
svg.chart .grid{stroke:var(--line);stroke-width:1}
svg.chart .axis{fill:var(--muted);font-size:11px}
svg.chart polyline{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.s0{stroke:var(--s0);background:var(--s0)}.s1{stroke:var(--s1);background:var(--s1)}.s2{stroke:var(--s2);background:var(--s2)}.s3{stroke:var(--s3);background:var(--s3)}
.s4{stroke:var(--s4);background:var(--s4)}.s5{stroke:var(--s5);background:var(--s5)}.s6{stroke:var(--s6);background:var(--s6)}.s7{stroke:var(--s7);background:var(--s7)}
.legend{display:flex;flex-wrap:wrap;gap:.3rem .9rem;margin-top:.4rem;font-size:.84rem}
.legend .sw{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-1px}
.creds{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,20rem),1fr));gap:.75rem;align-items:start}
.cred{border:1px solid var(--line);border-left:4px solid var(--ok);border-radius:8px;background:var(--card);padding:.65rem .75rem;min-width:0;display:flex;flex-direction:column;gap:.35rem}
.cred[data-state=cooling_down],.cred[data-cooling="1"]{border-left-color:var(--warn)}
.cred[data-state=disabled]{border-left-color:var(--bad)}
.cred .name{font-weight:700;overflow-wrap:anywhere}
.cred .meta{font-size:.8rem;color:var(--muted);overflow-wrap:anywhere}
.cred .reason{font-size:.86rem;overflow-wrap:anywhere}
.cred .fix{font-size:.86rem;background:var(--soft);border-radius:6px;padding:.35rem .5rem;overflow-wrap:anywhere}
.cred ul.cooling{margin:0;padding-left:1.1rem;font-size:.84rem;overflow-wrap:anywhere}
.cred .actions{display:flex;flex-wrap:wrap;gap:.4rem;margin-top:auto;padding-top:.2rem}
.scroll{overflow-x:auto;max-width:100%}
.scroll table{min-width:44rem}
table{width:100%;border-collapse:collapse;font-size:.86rem}
th,td{text-align:left;padding:.35rem .45rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.wrap{overflow-wrap:anywhere}
td.nowrap{white-space:nowrap}
.bar{display:block;height:.35rem;border-radius:3px;background:var(--soft);margin-top:.2rem;min-width:4rem;overflow:hidden}
.bar>i{display:block;height:100%;background:var(--accent);width:0}
.bar.hot>i{background:var(--bad)}
.w0>i{width:0}.w1>i{width:10%}.w2>i{width:20%}.w3>i{width:30%}.w4>i{width:40%}.w5>i{width:50%}.w6>i{width:60%}.w7>i{width:70%}.w8>i{width:80%}.w9>i{width:90%}.w10>i{width:100%}
ol.errors{list-style:none;margin:0;padding:0;font-size:.86rem}
ol.errors li{padding:.35rem 0;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
ol.errors li:last-child{border-bottom:0}
ol.errors .when{color:var(--muted);font-variant-numeric:tabular-nums;margin-right:.4rem}
.empty{color:var(--muted);font-size:.88rem;margin:.2rem 0}
#notice{position:fixed;left:50%;bottom:1rem;pointer-events:none;transform:translateX(-50%);max-width:calc(100% - 2rem);background:var(--fg);color:var(--bg);padding:.45rem .9rem;border-radius:8px;font-size:.88rem}
#notice.bad{background:var(--bad);color:#fff}
footer.foot{max-width:72rem;margin:0 auto;padding:0 1rem 2rem;font-size:.82rem;color:var(--muted)}
form.login{max-width:22rem;margin:12vh auto;padding:1.25rem;border:1px solid var(--line);border-radius:10px;background:var(--card);display:grid;gap:.6rem}
form.login h1{font-size:1.2rem;margin:0}
form.login input{font:inherit;padding:.5rem .6rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);width:100%}
.alert{border-left:4px solid var(--bad);background:var(--bad-bg);padding:.4rem .6rem;border-radius:6px;font-size:.9rem}
.refused{max-width:36rem;margin:12vh auto;padding:0 1rem}
[hidden]{display:none!important}
@media (max-width:40rem){main{padding:.6rem}header.top{padding:.6rem}th,td{padding:.3rem}}
`;
