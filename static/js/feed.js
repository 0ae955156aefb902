// Live notification feed: a websocket nudge carries only a sequence number. On connect, on
// reconnect and whenever a number is skipped, the page re-reads the list over HTTP (the database
// is the source of truth), so a lost message never leaves the page wrong.
(function () {
  "use strict";
  var bell = document.getElementById("notification-bell");
  if (!bell || !window.WebSocket) { return; }
  var badge = document.getElementById("notification-badge");
  var status = document.getElementById("live-status");
  var lastSeq = null;
  var retry = 1000;

  function gettext(s) { return window.gettext ? window.gettext(s) : s; }

  function setStatus(text) {
    if (!status) { return; }
    status.hidden = !text;
    status.textContent = text || "";
  }

  function resync() {
    fetch("/api/v1/notifications/?limit=20", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var unread = data.results.filter(function (n) { return !n.read_at; }).length;
        badge.hidden = unread === 0;
        badge.textContent = unread > 9 ? "9+" : String(unread);
        document.dispatchEvent(new CustomEvent("portal:notifications", { detail: data }));
      });
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + bell.dataset.feedUrl);
    socket.onopen = function () { retry = 1000; setStatus(""); };
    socket.onmessage = function (event) {
      var msg = JSON.parse(event.data);
      if (msg.type === "hello") { lastSeq = msg.seq; resync(); return; }
      if (msg.type === "notification") {
        if (lastSeq !== null && msg.seq > lastSeq + 1) { /* a gap: some nudges were lost */ }
        lastSeq = Math.max(lastSeq || 0, msg.seq);
        resync();
      }
    };
    socket.onclose = function () {
      setStatus(gettext("Live updates paused, reconnecting…"));
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();
})();
