// The care team's alert queue, live: a websocket nudge carries only a team's sequence number and an alert id. On
// connect, on every nudge, and after any gap the queue is re-read over HTTP (the database is the source of truth),
// so a lost nudge never leaves the page wrong. The enrolled-patients table beside it (NEWS2, alerts, last reading,
// worst first) is re-read with it.
(function () {
  "use strict";
  var section = document.getElementById("alert-queue-section");
  if (!section || !window.WebSocket) { return; }
  var target = document.getElementById("alert-queue");
  var patients = document.getElementById("monitored-patients");
  var status = document.getElementById("telemonitor-live");
  var seqs = {};
  (section.dataset.teams || "").split(",").forEach(function (pair) {
    var parts = pair.split(":");
    if (parts.length === 2) { seqs[parts[0]] = parseInt(parts[1], 10); }
  });
  var retry = 1000;
  var pending = false;
  var again = false;

  function gettext(s) { return window.gettext ? window.gettext(s) : s; }

  function setStatus(text) {
    if (!status) { return; }
    status.hidden = !text;
    status.textContent = text || "";
  }

  function rereadPatients() {
    if (!patients || !section.dataset.patientsUrl) { return; }
    fetch(section.dataset.patientsUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        patients.innerHTML = html;
        patients.dataset.updated = String(Date.now());
      })
      .catch(function () {});
  }

  // Re-reading replaces the queue, and with it a note being typed and the focused control. New alerts must show at
  // once (a doctor may be typing on another one), so the queue is always replaced, and what the doctor was doing is
  // put back: the text typed into each alert's note (by the field's id, one per alert) and the focus, on the same
  // field (caret where it was) or the same button of the same alert's form.
  function keep() {
    var state = { values: {}, focus: null };
    Array.prototype.forEach.call(target.querySelectorAll("input[id], textarea[id]"), function (field) {
      if (field.value) { state.values[field.id] = field.value; }
    });
    var el = document.activeElement;
    if (el && el !== document.body && target.contains(el)) {
      if (el.id) {
        state.focus = { id: el.id, start: el.selectionStart, end: el.selectionEnd };
      } else if (el.form) {
        state.focus = { action: el.form.getAttribute("action"), value: el.value };
      }
    }
    return state;
  }

  function putBack(state) {
    Object.keys(state.values).forEach(function (id) {
      var field = document.getElementById(id);
      if (field && target.contains(field)) { field.value = state.values[id]; }
    });
    var f = state.focus;
    if (!f) { return; }
    var el = null;
    if (f.id) {
      el = document.getElementById(f.id);
    } else {
      Array.prototype.forEach.call(target.querySelectorAll("form"), function (form) {
        if (!el && form.getAttribute("action") === f.action) {
          el = Array.prototype.find.call(form.querySelectorAll("button"), function (b) { return b.value === f.value; });
        }
      });
    }
    if (!el || !target.contains(el)) { return; }
    el.focus();
    if (f.id && typeof f.start === "number" && el.setSelectionRange) { el.setSelectionRange(f.start, f.end); }
  }

  function reread() {
    // A nudge while a read is under way may be news that read missed: read once more when it is done.
    if (pending) { again = true; return; }
    rereadPatients();
    pending = true;
    fetch(section.dataset.queueUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null) {
          var kept = keep();
          target.innerHTML = html;  // our own server-rendered, auto-escaped template fragment
          putBack(kept);
          section.dataset.updated = String(Date.now());
        }
        done();
      })
      .catch(done);
  }

  function done() {
    pending = false;
    if (again) { again = false; reread(); }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + section.dataset.liveUrl);
    socket.onopen = function () { retry = 1000; setStatus(""); section.dataset.live = "connected"; };
    socket.onmessage = function (event) {
      var msg = JSON.parse(event.data);
      if (msg.type === "hello") {
        var behind = Object.keys(msg.teams || {}).some(function (t) { return msg.teams[t] !== seqs[t]; });
        seqs = msg.teams || {};
        if (behind) { reread(); }
        return;
      }
      if (msg.type === "alert") {
        seqs[msg.team] = Math.max(seqs[msg.team] || 0, msg.seq);
        reread();  // gap or not, the queue is read whole
      }
    };
    socket.onclose = function () {
      section.dataset.live = "closed";
      setStatus(gettext("Live updates paused, reconnecting…"));
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();
})();
