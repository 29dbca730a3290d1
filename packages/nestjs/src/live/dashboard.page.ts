import { createHash } from 'node:crypto';
import { EVENT_SENTENCE_SCRIPT } from './dashboard-event-sentence.js';

/*
 * The dashboard: one self-contained page (no CDN, no build step). It reads
 * `<health.path>/dashboard/data` and refreshes it on every event of `<health.path>/events`.
 * Breaker names are user data: the script only ever sets `textContent` and attributes, never
 * markup, and the page's Content-Security-Policy admits only these exact inline blocks (by hash),
 * so even a mistake could not run injected script.
 */

const STYLE = `
:root { color-scheme: light dark; --bg: #f6f8fa; --card: #fff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --closed: #1a7f37; --open: #cf222e; --half-open: #9a6700; --forced-open: #8250df; --disabled: #6e7781; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --card: #161b22; --fg: #e6edf3; --muted: #9198a1; --line: #30363d;
  --closed: #3fb950; --open: #f85149; --half-open: #d29922; --forced-open: #a371f7; --disabled: #8b949e; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; padding: 16px 24px; border-bottom: 1px solid var(--line); background: var(--card); }
header.top h1 { font-size: 18px; margin: 0 auto 0 0; }
.pill { display: inline-block; white-space: nowrap; padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 12px; border: 1px solid currentColor; }
.status[data-status="up"] { color: var(--closed); }
.status[data-status="degraded"] { color: var(--half-open); }
.status[data-status="down"] { color: var(--open); }
.connection { color: var(--muted); font-size: 12px; }
.connection[data-connection="live"] { color: var(--closed); }
main { padding: 24px; display: grid; gap: 24px; }
.grid { display: grid; gap: 16px; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-left: 6px solid var(--state-colour, var(--disabled)); border-radius: 8px; padding: 14px 16px; }
.card[data-state="closed"] { --state-colour: var(--closed); }
.card[data-state="open"] { --state-colour: var(--open); }
.card[data-state="half-open"] { --state-colour: var(--half-open); }
.card[data-state="forced-open"] { --state-colour: var(--forced-open); }
.card[data-state="disabled"] { --state-colour: var(--disabled); }
.card h2 { font-size: 15px; margin: 0; overflow-wrap: anywhere; }
.card .head { display: flex; align-items: center; gap: 8px; justify-content: space-between; }
.card .state { color: var(--state-colour); text-transform: uppercase; letter-spacing: .04em; }
.card .critical { color: var(--open); font-size: 11px; font-weight: 600; }
.card dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; margin: 12px 0 0; }
.card dt { color: var(--muted); }
.card dd { margin: 0; font-variant-numeric: tabular-nums; text-align: right; }
.events { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.events h2 { font-size: 15px; margin: 0 0 8px; }
.events ol { list-style: none; margin: 0; padding: 0; font: 12px/1.6 ui-monospace, SFMono-Regular, Menlo, monospace; max-height: 320px; overflow: auto; }
.events li { border-top: 1px solid var(--line); padding: 2px 0; overflow-wrap: anywhere; }
.card.limit { border-left-color: var(--line); }
section h2.section { font-size: 15px; margin: 0 0 8px; }
.muted { color: var(--muted); }
`;

const SCRIPT = `
(function () {
  'use strict';
  var base = location.pathname.replace(/\\/+$/, '').replace(/\\/dashboard$/, '');
  var grid = document.getElementById('breakers');
  var empty = document.getElementById('empty');
  var statusEl = document.getElementById('status');
  var connectionEl = document.getElementById('connection');
  var eventsEl = document.getElementById('events');
  var bulkheadSection = document.getElementById('bulkhead-section');
  var bulkheadGrid = document.getElementById('bulkheads');
  var sheddingSection = document.getElementById('shedding-section');
  var bulkheadCards = new Map();
  var sheddingCard = null;
  var cards = new Map();
  var deadlines = new Map();
  var inFlight = false, again = false, pending = 0;

  function text(el, value) { if (el.textContent !== value) el.textContent = value; }
  function make(tag, className, content) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (content !== undefined) el.textContent = content;
    return el;
  }
  function percent(value) { return (typeof value === 'number' ? value : 0).toFixed(1).replace(/\\.0$/, '') + ' %'; }
  function clock(iso) { return iso ? new Date(iso).toLocaleTimeString() : '\\u2014'; }
  function duration(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60), h = Math.floor(m / 60);
    return h > 0 ? h + ' h ' + (m % 60) + ' min' : m + ' min ' + (s % 60) + ' s';
  }
  function setConnection(state) { connectionEl.setAttribute('data-connection', state); text(connectionEl, state); }

  function card(name) {
    var existing = cards.get(name);
    if (existing) return existing;
    var root = make('article', 'card');
    root.setAttribute('data-breaker', name);
    var head = make('div', 'head');
    head.appendChild(make('h2', 'name', name));
    var state = make('span', 'pill state');
    state.setAttribute('data-field', 'state');
    head.appendChild(state);
    root.appendChild(head);
    var critical = make('div', 'critical', 'critical');
    critical.hidden = true;
    root.appendChild(critical);
    var dl = make('dl');
    var fields = { root: root, state: state, critical: critical };
    // Rates and the failure count are over the recent calls the breaker judges; call counts since start.
    [['failureRate', 'Failure rate (recent calls)'], ['slowCallRate', 'Slow-call rate (recent calls)'], ['failureCount', 'Failures (recent calls)'],
     ['calls', 'Calls since start'], ['rejected', 'Rejected since start'], ['openedAt', 'Opened at'], ['countdown', 'Half-open in']].forEach(function (row) {
      dl.appendChild(make('dt', '', row[1]));
      var dd = make('dd');
      dd.setAttribute('data-field', row[0]);
      dl.appendChild(dd);
      fields[row[0]] = dd;
    });
    // A family of per-key breakers: how many keys, and which are not closed.
    var keysLabel = make('dt', '', 'Keys'), keys = make('dd');
    keys.setAttribute('data-field', 'keys');
    keysLabel.hidden = keys.hidden = true;
    dl.appendChild(keysLabel);
    dl.appendChild(keys);
    fields.keysLabel = keysLabel;
    fields.keys = keys;
    root.appendChild(dl);
    grid.appendChild(root);
    cards.set(name, fields);
    return fields;
  }

  function render(data) {
    statusEl.setAttribute('data-status', data.status);
    text(statusEl, data.status);
    var seen = new Set();
    var receivedAt = performance.now();
    data.circuitBreakers.forEach(function (b) {
      seen.add(b.name);
      var f = card(b.name);
      f.root.setAttribute('data-state', b.state);
      text(f.state, b.state);
      f.critical.hidden = !b.critical;
      text(f.failureRate, percent(b.failureRate));
      text(f.slowCallRate, percent(b.slowCallRate));
      text(f.failureCount, String(b.failureCount));
      text(f.calls, b.calls.success + ' ok \\u00b7 ' + b.calls.failure + ' failed' + (b.calls.ignored ? ' \\u00b7 ' + b.calls.ignored + ' ignored' : ''));
      text(f.rejected, String(b.calls.notPermitted));
      text(f.openedAt, clock(b.openedAt));
      if (b.state === 'open' && typeof b.nextAttemptInMs === 'number') deadlines.set(b.name, { at: receivedAt + b.nextAttemptInMs });
      else deadlines.delete(b.name);
      text(f.countdown, b.state === 'forced-open' ? 'until reset' : b.state === 'half-open' ? 'now (trial calls)' : '\\u2014');
      var keyed = typeof b.keyCount === 'number';
      f.keysLabel.hidden = f.keys.hidden = !keyed;
      if (keyed) text(f.keys, keysSummary(b));
    });
    cards.forEach(function (f, name) {
      if (!seen.has(name)) { f.root.remove(); cards.delete(name); deadlines.delete(name); }
    });
    empty.hidden = cards.size > 0;
    renderBulkheads(data.bulkheads);
    renderShedding(data.loadShedding);
    tick();
    document.body.setAttribute('data-updated', String(Date.now()));
  }

  function keysSummary(b) {
    var summary = b.keyCount + (b.keyCount === 1 ? ' key' : ' keys');
    if (Array.isArray(b.keys)) {
      var tripped = b.keys.filter(function (k) { return k.state !== 'closed' && k.state !== 'disabled'; });
      if (tripped.length === 0) return summary;
      var named = tripped.slice(0, 5).map(function (k) { return k.key + ' ' + k.state; });
      return summary + ' \\u00b7 ' + named.join(', ') + (tripped.length > 5 ? ' +' + (tripped.length - 5) + ' more' : '');
    }
    // Keys are not shown (exposeKeys is off): how many are in each state that is not closed.
    var states = b.keyStates || {};
    var parts = ['open', 'half-open', 'forced-open', 'disabled'].filter(function (s) { return states[s] > 0; }).map(function (s) { return states[s] + ' ' + s; });
    return parts.length === 0 ? summary : summary + ' \\u00b7 ' + parts.join(', ');
  }

  // A limit card (a bulkhead, load shedding): a name and rows of figures, set as text only.
  function limitCard(parent, attribute, name, rows) {
    var root = make('article', 'card limit');
    root.setAttribute(attribute, name);
    var head = make('div', 'head');
    head.appendChild(make('h2', 'name', name));
    var kind = make('span', 'pill muted');
    kind.setAttribute('data-field', 'kind');
    head.appendChild(kind);
    root.appendChild(head);
    var dl = make('dl');
    var fields = { root: root, kind: kind };
    rows.forEach(function (row) {
      dl.appendChild(make('dt', '', row[1]));
      var dd = make('dd');
      dd.setAttribute('data-field', row[0]);
      dl.appendChild(dd);
      fields[row[0]] = dd;
    });
    root.appendChild(dl);
    parent.appendChild(root);
    return fields;
  }

  var BULKHEAD_ROWS = [['limit', 'Limit'], ['running', 'Running'], ['queued', 'Queued'], ['rejected', 'Rejected since start']];

  function renderBulkheads(bulkheads) {
    var names = bulkheads ? Object.keys(bulkheads) : [];
    bulkheadSection.hidden = names.length === 0;
    names.forEach(function (name) {
      var b = bulkheads[name];
      var f = bulkheadCards.get(name);
      if (!f) { f = limitCard(bulkheadGrid, 'data-bulkhead', name, BULKHEAD_ROWS); bulkheadCards.set(name, f); }
      // An adaptive bulkhead's limit is learnt from latency: show it with the bounds it moves within.
      text(f.kind, b.adaptive ? 'adaptive \u00b7 ' + b.algorithm : 'static');
      text(f.limit, b.adaptive ? b.limit + ' (' + b.minLimit + '\u2013' + b.maxLimit + ')' : String(b.maxConcurrent));
      text(f.running, String(b.running));
      text(f.queued, b.queued + ' of ' + b.maxQueue);
      text(f.rejected, String(b.rejected));
    });
    bulkheadCards.forEach(function (f, name) {
      if (names.indexOf(name) < 0) { f.root.remove(); bulkheadCards.delete(name); }
    });
  }

  function renderShedding(shedding) {
    sheddingSection.hidden = !shedding;
    if (!shedding) return;
    if (!sheddingCard) {
      sheddingCard = limitCard(document.getElementById('shedding'), 'data-load-shedding', 'Incoming requests',
        [['limit', 'Limit'], ['inFlight', 'In flight'], ['queued', 'Queued'], ['shed', 'Shed since start']]);
      text(sheddingCard.kind, 'adaptive');
    }
    text(sheddingCard.limit, String(shedding.limit));
    text(sheddingCard.inFlight, String(shedding.inFlight));
    text(sheddingCard.queued, String(shedding.queued));
    text(sheddingCard.shed, String(shedding.shed));
  }

  function tick() {
    var now = performance.now();
    deadlines.forEach(function (d, name) {
      var f = cards.get(name);
      if (!f) return;
      var left = d.at - now;
      // Once due, the next call starts the trial; its state change arrives as an event.
      text(f.countdown, left > 0 ? duration(left) : 'now (next call)');
    });
  }

  function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    fetch(base + '/dashboard/data', { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(render)
      .catch(function () { setConnection('data unavailable'); })
      .then(function () { inFlight = false; if (again) { again = false; refresh(); } });
  }

  // Events can come in bursts (every rejected call is one): one refresh per burst.
  function schedule() {
    if (pending) return;
    pending = setTimeout(function () { pending = 0; refresh(); }, 100);
  }

${EVENT_SENTENCE_SCRIPT}
  function logEvent(event) {
    var li = make('li', '', clock(event.at) + '  ' + eventSentence(event));
    li.setAttribute('data-event-type', event.type);
    eventsEl.insertBefore(li, eventsEl.firstChild);
    while (eventsEl.childNodes.length > 50) eventsEl.removeChild(eventsEl.lastChild);
  }

  function connect() {
    if (typeof EventSource !== 'function') { setConnection('polling'); return; }
    var source = new EventSource(base + '/events');
    source.onopen = function () { setConnection('live'); schedule(); };
    source.onmessage = function (message) {
      try { logEvent(JSON.parse(message.data)); } catch (e) { /* not ours */ }
      schedule();
    };
    source.onerror = function () { setConnection(source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting'); };
  }

  refresh();
  connect();
  setInterval(tick, 250);
  // Call counts and running calls change without events: a slow poll keeps them fresh.
  setInterval(function () { if (document.visibilityState === 'visible') refresh(); }, 10000);
})();
`;

const BODY = `
<header class="top">
  <h1>Resilience</h1>
  <span id="status" class="pill status" data-status="">&hellip;</span>
  <span id="connection" class="connection" data-connection="connecting">connecting</span>
</header>
<main>
  <p id="empty" class="muted" hidden>No circuit breakers yet.</p>
  <section id="breakers" class="grid" aria-live="polite"></section>
  <section id="bulkhead-section" hidden>
    <h2 class="section">Bulkheads</h2>
    <div id="bulkheads" class="grid"></div>
  </section>
  <section id="shedding-section" hidden>
    <h2 class="section">Load shedding</h2>
    <div id="shedding" class="grid"></div>
  </section>
  <section class="events">
    <h2>Recent events</h2>
    <ol id="events"></ol>
  </section>
</main>
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The page, identical for every request (nothing user-provided is ever interpolated into it). */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>Bulwark &middot; resilience</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;

/**
 * Only this page's own inline style and script run (by hash), and it talks only to its own origin.
 * Sent with the page, it also replaces a stricter application-wide policy (helmet's) that would
 * block the inline script.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  // Never framed: a page showing a service's health is no one's to embed (clickjacking).
  "frame-ancestors 'none'",
].join('; ');
