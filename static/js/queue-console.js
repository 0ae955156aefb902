// Doctor's console: the buttons are plain POST forms (with CSRF) that work without this script. With it, a
// click posts in the background, shows a refusal in place, and re-reads the console (the websocket nudge
// would too, a moment later). The re-read keeps the keyboard's place: see queue-live.js (data-focus-key).
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || !window.fetch) { return; }
  var error = root.querySelector("[data-console-error]");

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-console-form]")) { return; }
    event.preventDefault();
    var buttons = form.querySelectorAll("button");
    var used = (event.submitter || form.querySelector("button")).getAttribute("data-focus-key");
    buttons.forEach(function (b) { b.disabled = true; });
    // getAttribute: the hidden input named "action" shadows the form.action property.
    fetch(form.getAttribute("action"), { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        error.hidden = data.ok;
        error.textContent = data.ok ? "" : data.message;
      })
      .catch(function () { form.submit(); })
      .then(function () { if (window.queueRefresh) { window.queueRefresh(used || ""); } });
  });
})();
