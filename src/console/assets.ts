/**
 * @module The console's one script, served as a file (CSP: no inline script). Vanilla JS, no build:
 * the Live view's debug session (open, stream over Server-Sent Events, render with textContent only)
 * and small conveniences. The message shapes are the debug stream's (src/debug/types.ts).
 */
export const CONSOLE_JS = `
(function () {
  'use strict';
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function pill(value) { return el('span', 'pill ' + value, value); }
  function codes(list) {
    var span = el('span');
    (list || []).forEach(function (c) { span.appendChild(el('code', null, c)); span.appendChild(document.createTextNode(' ')); });
    return span;
  }
  function row(card, label, content) {
    var line = el('div', 'stage');
    line.appendChild(el('strong', null, label + ' '));
    if (typeof content === 'string') line.appendChild(document.createTextNode(content));
    else if (content) line.appendChild(content);
    card.appendChild(line);
    return line;
  }

  var live = document.getElementById('live');
  if (!live) return;
  var csrf = live.getAttribute('data-csrf');
  var base = live.getAttribute('data-base');
  var log = document.getElementById('live-log');
  var status = document.getElementById('live-status');
  var linkBox = document.getElementById('live-link');
  var startBtn = document.getElementById('live-start');
  var stopBtn = document.getElementById('live-stop');
  var source = null;
  var sessionId = null;
  var cards = {};

  function card(m) {
    var c = cards[m.event_id];
    if (c) return c;
    c = el('article', 'live-event');
    c.setAttribute('data-event-id', m.event_id);
    var head = el('header');
    head.appendChild(el('strong', null, m.name));
    head.appendChild(el('code', 'muted', m.event_id));
    c.appendChild(head);
    cards[m.event_id] = c;
    log.insertBefore(c, log.firstChild);
    return c;
  }

  function render(m) {
    if (m.stage === 'hello') { status.textContent = 'Streaming session ' + m.session.id + ' until ' + m.session.expires_at; status.setAttribute('data-state', 'open'); return; }
    if (m.stage === 'end') { status.textContent = 'Session ended (' + m.reason + ')'; status.setAttribute('data-state', 'ended'); return; }
    var c = card(m);
    c.setAttribute('data-last-stage', m.stage);
    if (m.stage === 'input') {
      row(c, 'received', m.request.method + ' ' + m.request.path + ' (' + m.request.source + ')');
      var pre = el('pre', null, JSON.stringify(m.event, null, 2));
      row(c, 'input', pre);
    } else if (m.stage === 'accept') {
      var s = el('span'); s.appendChild(pill(m.status)); s.appendChild(document.createTextNode(' ')); s.appendChild(codes(m.reasons));
      row(c, 'accept', s).setAttribute('data-accept', m.status);
    } else if (m.stage === 'consent') {
      var t = el('table');
      Object.keys(m.purposes).forEach(function (p) {
        var d = m.purposes[p]; var tr = el('tr');
        tr.appendChild(el('td', null, p)); var v = el('td'); v.appendChild(pill(d.value)); tr.appendChild(v);
        tr.appendChild(el('td', null, d.source)); var r = el('td'); r.appendChild(el('code', null, d.reason)); tr.appendChild(r);
        tr.setAttribute('data-purpose', p); tr.setAttribute('data-value', d.value);
        t.appendChild(tr);
      });
      row(c, 'consent', 'region ' + m.region + ', policy ' + m.policy + ' v' + m.policy_version);
      var wrap = el('div', 'scroll'); wrap.appendChild(t); c.appendChild(wrap);
    } else if (m.stage === 'identity') {
      row(c, 'identity', 'hashed: ' + JSON.stringify(m.hashed) + '; pseudonyms: ' + (m.pseudonyms || []).join(', '));
      if (m.device || m.geo || m.campaign) row(c, 'enrich', JSON.stringify({ device: m.device, geo: m.geo, campaign: m.campaign }));
    } else if (m.stage === 'decision') {
      var d = el('span'); d.appendChild(pill(m.action)); d.appendChild(document.createTextNode(' ')); d.appendChild(codes(m.reasons));
      var line = row(c, '→ ' + m.destination_id, d);
      line.setAttribute('data-decision', m.destination_id); line.setAttribute('data-action', m.action);
      if (m.payload !== undefined) { var details = el('details'); details.appendChild(el('summary', null, 'payload')); details.appendChild(el('pre', null, JSON.stringify(m.payload, null, 2))); c.appendChild(details); }
    } else if (m.stage === 'request') {
      row(c, '  request', m.method + ' ' + m.url + ' (' + m.batch_size + ' event(s))');
    } else if (m.stage === 'answer') {
      var a = el('span'); a.appendChild(pill(m.outcome)); a.appendChild(document.createTextNode(' ' + (m.status !== undefined ? 'HTTP ' + m.status : '') + ' in ' + m.latency_ms + ' ms ' + (m.error || '')));
      var al = row(c, '  answer ' + m.destination_id, a);
      al.setAttribute('data-answer', m.destination_id); al.setAttribute('data-outcome', m.outcome);
      if (m.body_excerpt) c.appendChild(el('pre', null, m.body_excerpt));
    }
  }

  var STAGES = ['hello', 'input', 'accept', 'consent', 'identity', 'decision', 'request', 'answer', 'end'];
  function listen(url) {
    source = new EventSource(url);
    STAGES.forEach(function (stage) {
      source.addEventListener(stage, function (e) { try { render(JSON.parse(e.data)); } catch (err) { status.textContent = 'unreadable message: ' + err; } });
    });
    source.onerror = function () { if (status.getAttribute('data-state') === 'ended') source.close(); };
  }

  startBtn.addEventListener('click', function () {
    startBtn.disabled = true;
    var label = document.getElementById('live-label').value;
    fetch(base + '/live/sessions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ label: label || undefined }), credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error((b.error && b.error.message) || r.status); return b; }); })
      .then(function (info) {
        sessionId = info.id;
        linkBox.textContent = '';
        var a = el('a', null, info.absolute_link); a.href = info.absolute_link; a.setAttribute('data-debug-link', '');
        linkBox.appendChild(document.createTextNode('Open this link on the device to debug (it sets the debug cookie), or send the header X-Tagrelay-Debug: '));
        linkBox.appendChild(el('code', null, '<token in the link>'));
        linkBox.appendChild(el('br'));
        linkBox.appendChild(a);
        stopBtn.disabled = false;
        status.textContent = 'Connecting…';
        listen(base + '/live/sessions/' + encodeURIComponent(info.id) + '/stream');
      })
      .catch(function (err) { status.textContent = 'Could not open a session: ' + err.message; startBtn.disabled = false; });
  });
  stopBtn.addEventListener('click', function () {
    if (!sessionId) return;
    fetch(base + '/live/sessions/' + encodeURIComponent(sessionId) + '/close', { method: 'POST', headers: { 'x-csrf-token': csrf }, credentials: 'same-origin' })
      .then(function () { stopBtn.disabled = true; startBtn.disabled = false; });
  });
})();
`;
