// Live queue pages (ticket, board, console). A websocket message is only a nudge with a sequence number;
// the page re-reads its fragment over HTTP (the database is the source of truth) on hello (connect and every
// reconnect), on every nudge, and so also after a gap in the numbers. While the socket is down the page says
// it is reconnecting; when it is back, hello brings the right state. The server closes every socket with 4503 when
// its channel layer lost Redis (core/channel_layers.py): the page reconnects and re-reads like after a network loss.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || !window.WebSocket) { return; }
  var target = root.querySelector("[data-live-target]");
  var state = root.querySelector("[data-live-state]");
  var lastSeq = null;
  var retry = 500;
  var socket = null;
  var loading = null;
  var again = false;
  var focusKey = null;  // the control the page just used (queueRefresh(key)), to keep the keyboard's place

  // Re-reading replaces the fragment, and the focused control with it: a keyboard user would be sent back to the
  // top of the page. Put the focus back on the same control (data-focus-key) when it is still there and usable,
  // else on the next thing to do (the first usable button in [data-live-focus]), else on [data-live-focus-rest].
  function keyOf(el) {
    return el && el !== document.body && target.contains(el) ? el.getAttribute("data-focus-key") : null;
  }
  function restoreFocus(key) {
    var el = target.querySelector('[data-focus-key="' + key + '"]');
    if (!el || el.disabled) { el = target.querySelector("[data-live-focus] button:not([disabled])"); }
    if (!el) { el = target.querySelector("[data-live-focus-rest]"); }
    if (el) { el.focus({ preventScroll: false }); }
  }

  function gettext(s) { return window.gettext ? window.gettext(s) : s; }

  function setState(text) {
    if (!state) { return; }
    state.hidden = !text;
    state.textContent = text || "";
    root.dataset.liveConnected = text ? "false" : "true";
  }

  function fragmentSeq() {
    var fragment = target.querySelector("[data-live-fragment]");
    return fragment ? parseInt(fragment.dataset.seq || "0", 10) : 0;
  }

  // One read at a time; a nudge that arrives during a read asks for one more afterwards.
  function refresh(key) {
    if (typeof key === "string") { focusKey = key; }
    if (loading) { again = true; return loading; }
    loading = fetch(root.dataset.fragmentUrl, { credentials: "same-origin", cache: "no-store",
                                               headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var key = keyOf(document.activeElement) || focusKey;
        var hadFocus = !!key || target.contains(document.activeElement);
        focusKey = null;
        target.innerHTML = html;
        if (hadFocus) { restoreFocus(key); }  // our own server-rendered, auto-escaped template fragment
        lastSeq = Math.max(lastSeq || 0, fragmentSeq());
        document.dispatchEvent(new CustomEvent("queue:refreshed", { detail: { root: root } }));
      })
      .catch(function () { /* next nudge or reconnect tries again */ })
      .then(function () {
        loading = null;
        if (again) { again = false; refresh(); }
      });
    return loading;
  }
  window.queueRefresh = refresh;

  function onMessage(event) {
    var msg;
    try { msg = JSON.parse(event.data); } catch (e) { return; }
    if (msg.type === "hello") { lastSeq = msg.seq; refresh(); return; }
    if (msg.type === "ticket") { refresh(); return; }
    if (typeof msg.seq !== "number") { return; }
    if (lastSeq !== null && msg.seq <= lastSeq) { return; }  // already shown by an earlier read
    // msg.seq > lastSeq + 1 means nudges were lost: the re-read below covers them all the same.
    refresh();
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.ws);
    socket.onopen = function () { retry = 500; setState(""); };
    socket.onmessage = onMessage;
    socket.onclose = function (event) {
      if (event.code === 4403) { setState(gettext("Live updates are not available for this page.")); return; }
      setState(gettext("Reconnecting…"));
      // 4503: the server lost its channel layer (Redis restarted or is down) and nudges may have been lost. Re-read
      // now: the page shows what the database holds, and that live updates are delayed, while it reconnects.
      if (event.code === 4503) { refresh(); }
      // Every page of a server is closed at once when Redis goes: spread their reconnects (half to all of `retry`).
      setTimeout(connect, retry / 2 + Math.random() * retry / 2);
      retry = Math.min(retry * 2, 10000);
    };
  }
  // The browser knows it has lost the network before TCP does: say so at once, and reconnect when it is back.
  window.addEventListener("offline", function () { if (socket) { socket.close(); } });
  window.addEventListener("online", function () { if (socket && socket.readyState > 1) { retry = 500; connect(); } });
  connect();
})();
