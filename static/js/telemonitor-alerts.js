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

  function reread() {
    // A nudge while a read is under way may be news that read missed: read once more when it is done.
    if (pending) { again = true; return; }
    rereadPatients();
    pending = true;
    fetch(section.dataset.queueUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null) {
          var focused = document.activeElement && target.contains(document.activeElement) && document.activeElement.tagName === "INPUT";
          if (focused) { again = false; setTimeout(reread, 3000); }  // do not wipe a note being typed; try again shortly
          else { target.innerHTML = html; section.dataset.updated = String(Date.now()); }
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
