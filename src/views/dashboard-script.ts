/**
 * The dashboard's script, served by Rotor at /dashboard/app.js. Plain browser JavaScript (no build step, no
 * library): it renders the snapshots that arrive over SSE (/admin/events) with DOM calls and textContent only —
 * never innerHTML — so nothing Google or a client said can become markup. Links are set only when they are https.
 * Writes carry the session's CSRF token (x-rotor-csrf). Kept free of backticks and "${" (it lives in a template).
 */

export const DASHBOARD_JS = String.raw`'use strict';
(function () {
  var page = document.body.getAttribute('data-page');
  var csrfMeta = document.querySelector('meta[name="rotor-csrf"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') || '' : '';

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (attrs[k] === undefined || attrs[k] === null || attrs[k] === false) continue;
      if (k === 'text') e.textContent = String(attrs[k]);
      else if (k === 'cls') e.className = attrs[k];
      else e.setAttribute(k, String(attrs[k]));
    }
    (children || []).forEach(function (c) { if (c !== null && c !== undefined && c !== false) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function fill(node, children) { clear(node); children.forEach(function (c) { if (c) node.appendChild(c); }); }

  function post(url, method) {
    return fetch(url, { method: method || 'POST', headers: { 'x-rotor-csrf': csrf }, credentials: 'same-origin', cache: 'no-store' });
  }

  var noticeTimer = 0;
  function notice(text, bad) {
    var n = $('notice');
    if (!n) return;
    n.textContent = text;
    n.className = bad ? 'bad' : '';
    n.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { n.hidden = true; }, 4000);
  }

  async function explain(res) {
    try { var body = await res.json(); var e = body && body.error; return (e && (e.message || e)) || ('HTTP ' + res.status); }
    catch (_) { return 'HTTP ' + res.status; }
  }

  // ---- login page ----
  if (page === 'login') {
    var form = $('login-form');
    form.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      var err = $('login-error');
      var button = $('login');
      button.disabled = true;
      try {
        var res = await fetch('/admin/login', { method: 'POST', headers: { 'content-type': 'application/json' }, credentials: 'same-origin', body: JSON.stringify({ password: $('password').value }) });
        await res.arrayBuffer();
        if (res.status === 204) { location.reload(); return; }
        err.textContent = res.status === 401 ? 'Wrong password.' : await explain(res);
        err.hidden = false;
      } catch (e) {
        err.textContent = 'Rotor could not be reached.';
        err.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
    return;
  }
  if (page !== 'dashboard') return;

  // ---- formatting ----
  var skew = 0; // server clock - browser clock
  function serverNow() { return Date.now() + skew; }
  function left(iso) {
    if (!iso) return '';
    var ms = Date.parse(iso) - serverNow();
    if (!(ms > 0)) return 'ending now';
    var s = Math.ceil(ms / 1000);
    if (s < 120) return s + ' s left';
    var m = Math.round(s / 60);
    if (m < 120) return m + ' min left';
    return Math.round(m / 60) + ' h left';
  }
  function ago(iso) {
    if (!iso) return 'never';
    var s = Math.max(0, Math.round((serverNow() - Date.parse(iso)) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 7200) return Math.round(s / 60) + ' min ago';
    if (s < 172800) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }
  function clock(iso) { var d = new Date(iso); return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }); }
  function num(n) { return n === null || n === undefined ? '—' : Number(n).toLocaleString(); }
  function countdown(iso) { return el('span', { cls: 'countdown', 'data-until': iso, text: left(iso) }); }
  function safeLink(url, text) {
    try {
      var u = new URL(url);
      if (u.protocol !== 'https:') return null;
      return el('a', { href: u.href, target: '_blank', rel: 'noopener noreferrer', text: text });
    } catch (_) { return null; }
  }

  // ---- state ----
  var snap = null;
  var by = 'model';
  var armed = null; // token name whose Revoke was pressed once

  // ---- summary ----
  function renderSummary(s) {
    var sum = s.summary;
    fill($('summary'), [
      el('span', { cls: 'pill ok', id: 'sum-available', text: sum.available + ' available' }),
      sum.cooling_down ? el('span', { cls: 'pill warn', text: sum.cooling_down + ' cooling down' }) : null,
      sum.disabled ? el('span', { cls: 'pill bad', text: sum.disabled + ' disabled' }) : null,
      el('span', { cls: 'pill', text: sum.total + ' total' }),
    ]);
  }

  // ---- chart ----
  var SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) { var e = document.createElementNS(SVGNS, tag); for (var k in attrs) e.setAttribute(k, String(attrs[k])); return e; }
  function niceMax(v) { if (v <= 4) return 4; var p = Math.pow(10, Math.floor(Math.log10(v))); var f = v / p; return (f <= 2 ? 2 : f <= 5 ? 5 : 10) * p; }
  function renderChart(s) {
    var all = by === 'model' ? s.series.by_model : s.series.by_token;
    var names = Object.keys(all).map(function (n) { return { name: n, sum: all[n].reduce(function (a, b) { return a + b; }, 0), data: all[n] }; })
      .sort(function (a, b) { return b.sum - a.sum || (a.name < b.name ? -1 : 1); });
    var shown = names.slice(0, 7);
    if (names.length > 7) {
      var rest = new Array(60).fill(0);
      names.slice(7).forEach(function (x) { x.data.forEach(function (v, i) { rest[i] += v; }); });
      shown.push({ name: 'everything else', sum: rest.reduce(function (a, b) { return a + b; }, 0), data: rest });
    }
    var W = 960, H = 220, L = 40, R = 8, T = 10, B = 24;
    var max = niceMax(Math.max.apply(null, [0].concat(s.series.total)));
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'chart', role: 'img', 'aria-label': 'Requests per minute over the last hour, by ' + by });
    var x = function (i) { return L + (i * (W - L - R)) / 59; };
    var y = function (v) { return T + (H - T - B) * (1 - v / max); };
    [0, 0.5, 1].forEach(function (f) {
      var v = Math.round(max * f);
      root.appendChild(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }));
      var t = svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }); t.textContent = String(v); root.appendChild(t);
    });
    [[0, '-60 min'], [30, '-30 min'], [59, 'now']].forEach(function (p) {
      var t = svg('text', { x: x(p[0]), y: H - 6, 'text-anchor': p[0] === 0 ? 'start' : p[0] === 59 ? 'end' : 'middle', class: 'axis' }); t.textContent = p[1]; root.appendChild(t);
    });
    shown.forEach(function (sr, k) {
      var pts = sr.data.map(function (v, i) { return x(i).toFixed(1) + ',' + y(v).toFixed(1); }).join(' ');
      var line = svg('polyline', { points: pts, class: 's' + k, 'data-series': sr.name });
      var title = svg('title', {}); title.textContent = sr.name + ': ' + sr.sum + ' requests in the last hour'; line.appendChild(title);
      root.appendChild(line);
    });
    fill($('chart'), [root]);
    var legend = shown.map(function (sr, k) { return el('span', { 'data-series': sr.name }, [el('span', { cls: 'sw s' + k }), sr.name + ' · ' + sr.sum]); });
    var total = s.series.total;
    legend.push(el('span', { cls: 'muted', id: 'rpm-now', text: 'this minute: ' + total[59] + ' · last hour: ' + total.reduce(function (a, b) { return a + b; }, 0) }));
    if (shown.length === 0) legend.unshift(el('span', { cls: 'muted', text: 'No requests in the last hour.' }));
    fill($('legend'), legend);
  }

  // ---- credentials ----
  function credCard(c) {
    var cooling = Object.keys(c.models).filter(function (m) { return c.models[m].state === 'cooling_down'; });
    var card = el('article', { cls: 'cred', 'data-id': c.id, 'data-state': c.state, 'data-cooling': cooling.length || c.state === 'cooling_down' ? '1' : '0' });
    card.appendChild(el('div', { cls: 'name', text: c.email || c.id }));
    var meta = [c.route === 'gemini-api' ? 'API key' : 'Code Assist', c.project ? 'project ' + c.project : null, c.access_token ? 'token ' + c.access_token : null, c.email && c.email !== c.id ? 'id ' + c.id : null].filter(Boolean).join(' · ');
    card.appendChild(el('div', { cls: 'meta', text: meta }));
    var badge;
    if (c.state === 'disabled') badge = el('span', { cls: 'pill bad state', text: 'Disabled' });
    else if (c.state === 'cooling_down') badge = el('span', { cls: 'pill warn state' }, ['Cooling down · ', countdown(c.until)]);
    else if (cooling.length) badge = el('span', { cls: 'pill warn state', text: 'Available · ' + cooling.length + ' model' + (cooling.length > 1 ? 's' : '') + ' cooling' });
    else badge = el('span', { cls: 'pill ok state', text: 'Available' });
    card.appendChild(el('div', {}, [badge, c.state === 'disabled' && c.until ? el('span', { cls: 'small muted' }, [' re-checked in ', countdown(c.until)]) : null]));
    if (c.reason) card.appendChild(el('div', { cls: 'reason', text: c.reason }));
    if (c.fix) {
      var fix = el('div', { cls: 'fix' }, [el('strong', { text: 'Fix: ' }), c.fix.text]);
      if (c.fix.link) { var a = safeLink(c.fix.link, c.fix.link); if (a) { fix.appendChild(el('br')); fix.appendChild(a); } }
      card.appendChild(fix);
    }
    if (cooling.length) {
      card.appendChild(el('ul', { cls: 'cooling' }, cooling.map(function (m) {
        var s = c.models[m];
        return el('li', { 'data-model': m }, [el('strong', { text: m === '*' ? 'every model' : m }), ': ', s.reason, ' — ', countdown(s.until)]);
      })));
    }
    var actions = el('div', { cls: 'actions' });
    if (c.state === 'disabled') actions.appendChild(el('button', { type: 'button', 'data-action': 'enable', 'data-id': c.id, text: 'Enable' }));
    else actions.appendChild(el('button', { type: 'button', cls: 'danger', 'data-action': 'disable', 'data-id': c.id, text: 'Disable' }));
    if (c.state === 'cooling_down' || cooling.length) actions.appendChild(el('button', { type: 'button', 'data-action': 'clear-cooldown', 'data-id': c.id, text: 'Clear cooldown' }));
    card.appendChild(actions);
    return card;
  }
  function renderCredentials(s) {
    var list = s.credentials.map(credCard);
    if (list.length === 0) list.push(el('p', { cls: 'empty', text: 'No credentials loaded: add accounts with rotor --gen-creds, oauth_creds_*.json files, or GEMINI_API_KEYS.' }));
    s.load_errors.forEach(function (e) { list.push(el('article', { cls: 'cred', 'data-state': 'disabled' }, [el('div', { cls: 'name', text: e.source }), el('div', { cls: 'reason', text: 'Not loaded: ' + e.reason })])); });
    fill($('creds'), list);
  }

  // ---- quota ----
  function windowCell(w) {
    if (!w) return el('td', { cls: 'num muted', text: '—' });
    var pct = w.limit > 0 ? Math.min(10, Math.round((w.used / w.limit) * 10)) : 10;
    return el('td', { cls: 'num', title: (w.source === 'learned' ? 'limit learned from Google' : 'configured limit') }, [
      num(w.used) + ' / ' + num(w.limit),
      el('span', { cls: 'bar w' + pct + (pct >= 9 ? ' hot' : '') }, [el('i')]),
    ]);
  }
  function renderQuotas(s) {
    var rows = [];
    s.quotas.forEach(function (b) {
      b.models.forEach(function (m) {
        rows.push(el('tr', { 'data-bucket': b.bucket, 'data-model': m.model }, [
          el('td', { cls: 'nowrap' }, [el('span', { cls: 'mono', text: b.bucket }), el('div', { cls: 'small muted', text: b.credentials.length + ' credential' + (b.credentials.length > 1 ? 's' : '') })]),
          el('td', { cls: 'nowrap', text: m.model }),
          el('td', { cls: 'num', text: num(m.used_today) }),
          el('td', { cls: 'num', text: m.rpd ? num(m.rpd.left) : 'no known limit' }),
          windowCell(m.rpd), windowCell(m.rpm), windowCell(m.tpm),
        ]));
      });
    });
    if (rows.length === 0) return fill($('quotas'), [el('p', { cls: 'empty', text: 'No requests today yet, and no quota limits configured or learned.' })]);
    var head = el('tr', {}, ['Bucket', 'Model', 'Used today', 'Left today', 'Per day', 'Per minute', 'Tokens / min'].map(function (h, i) { return el('th', { cls: i >= 2 ? 'num' : '', text: h }); }));
    fill($('quotas'), [el('table', {}, [el('thead', {}, [head]), el('tbody', {}, rows)])]);
  }

  // ---- tokens ----
  function limitsText(l) {
    var parts = [];
    if (l.rpm !== null) parts.push(l.rpm + ' rpm');
    if (l.rpd !== null) parts.push(l.rpd + ' rpd');
    if (l.daily_tokens !== null) parts.push(num(l.daily_tokens) + ' tokens/day');
    if (l.models) parts.push('models: ' + l.models.join(', '));
    return parts.length ? parts.join(' · ') : 'no limits';
  }
  function renderTokens() {
    var box = $('token-list');
    if (!snap) return;
    var list = snap.tokens;
    if (!list) return fill(box, [el('p', { cls: 'empty', text: 'Access tokens are not available in this build of Rotor.' })]);
    if (list.length === 0) return fill(box, [el('p', { cls: 'empty', text: 'No access tokens. Create one with: rotor tokens create --name my-tool' })]);
    var head = el('tr', {}, ['Name', 'Requests today', 'Tokens today', 'Last used', 'Limits', 'Expires', ''].map(function (h, i) { return el('th', { cls: i === 1 || i === 2 ? 'num' : '', text: h }); }));
    var rows = list.map(function (t) {
      var revoke = el('button', { type: 'button', cls: 'danger', 'data-revoke': t.name, text: armed === t.name ? 'Confirm revoke' : 'Revoke' });
      return el('tr', { 'data-token': t.name }, [
        el('td', { cls: 'nowrap' }, [el('strong', { text: t.name }), el('div', { cls: 'small muted', text: 'created ' + ago(t.created) })]),
        el('td', { cls: 'num', text: num(t.today.requests) }),
        el('td', { cls: 'num', text: num(t.today.tokens) }),
        el('td', { text: ago(t.last_used) }),
        el('td', { cls: 'wrap small', text: limitsText(t.limits) }),
        el('td', { text: t.expires ? new Date(t.expires).toLocaleDateString() : 'never' }),
        el('td', {}, [revoke]),
      ]);
    });
    fill(box, [el('table', {}, [el('thead', {}, [head]), el('tbody', {}, rows)])]);
  }
  // ---- errors ----
  function renderErrors(s) {
    if (s.errors.length === 0) return fill($('errors'), [el('p', { cls: 'empty', text: 'No failures recently.' })]);
    fill($('errors'), [el('ol', { cls: 'errors' }, s.errors.slice(0, 30).map(function (e) {
      var cred = e.credential && s.credentials.find(function (c) { return c.id === e.credential; });
      var who = e.scope === 'attempt' ? ((cred && cred.email) || e.credential || '?') : 'request failed';
      return el('li', { 'data-scope': e.scope }, [
        el('span', { cls: 'when', text: clock(e.at) }),
        el('strong', { text: who }), ' · ', el('span', { cls: 'mono', text: e.model }), ' · ', e.reason,
        el('span', { cls: 'small muted', text: ' (' + e.request_id + ')' }),
      ]);
    }))]);
  }

  function renderFoot(s) {
    var parts = ['state store: ' + s.store.kind + (s.store.ok ? '' : ' (unreachable: ' + s.store.detail + ')')];
    var waiting = s.queue.reduce(function (a, q) { return a + q.waiting; }, 0);
    parts.push(waiting ? waiting + ' request' + (waiting > 1 ? 's' : '') + ' waiting for quota' : 'no request waiting');
    parts.push('updated ' + clock(new Date(s.now).toISOString()));
    $('foot').textContent = parts.join(' · ');
  }

  function render(s) {
    snap = s;
    skew = s.now - Date.now();
    renderSummary(s);
    renderChart(s);
    renderCredentials(s);
    renderQuotas(s);
    renderErrors(s);
    renderFoot(s);
    renderTokens();
  }

  // ---- live updates ----
  var conn = $('conn');
  function connect() {
    var es = new EventSource('/admin/events');
    es.addEventListener('snapshot', function (ev) {
      conn.textContent = 'live'; conn.className = 'conn live';
      render(JSON.parse(ev.data));
    });
    es.onerror = async function () {
      conn.textContent = 'reconnecting…'; conn.className = 'conn down';
      try {
        var res = await fetch('/admin/status', { credentials: 'same-origin', cache: 'no-store' });
        if (res.status === 401) { es.close(); location.reload(); }
      } catch (_) { /* Rotor is away; EventSource retries */ }
    };
  }
  setInterval(function () {
    document.querySelectorAll('.countdown').forEach(function (n) { n.textContent = left(n.getAttribute('data-until')); });
  }, 1000);

  async function refresh() {
    try { var res = await fetch('/admin/status', { credentials: 'same-origin', cache: 'no-store' }); if (res.ok) render(await res.json()); } catch (_) { /* the stream will bring it */ }
  }

  // ---- buttons ----
  document.addEventListener('click', async function (ev) {
    var target = ev.target instanceof Element ? ev.target.closest('button') : null;
    if (!target) return;
    if (target.dataset.by) {
      by = target.dataset.by;
      document.querySelectorAll('.toggle button').forEach(function (b) { b.setAttribute('aria-pressed', String(b.dataset.by === by)); });
      if (snap) renderChart(snap);
      return;
    }
    if (target.id === 'logout') {
      await (await post('/admin/logout')).arrayBuffer();
      location.reload();
      return;
    }
    if (target.dataset.action) {
      var id = target.dataset.id;
      target.disabled = true;
      var res = await post('/admin/credentials/' + encodeURIComponent(id) + '/' + target.dataset.action);
      if (res.status === 204) notice(({ disable: 'Disabled ', enable: 'Enabled ', 'clear-cooldown': 'Cleared the cooldowns of ' })[target.dataset.action] + id);
      else notice(await explain(res), true);
      await refresh();
      return;
    }
    if (target.dataset.revoke) {
      var name = target.dataset.revoke;
      if (armed !== name) {
        armed = name;
        target.textContent = 'Confirm revoke';
        setTimeout(function () { if (armed === name) { armed = null; renderTokens(); } }, 5000);
        return;
      }
      armed = null;
      target.disabled = true;
      var r = await post('/admin/tokens/' + encodeURIComponent(name), 'DELETE');
      if (r.status === 204) notice('Revoked ' + name);
      else notice(await explain(r), true);
      await refresh();
    }
  });

  connect();
})();
`;
