// Progress of a slot-generation job on its admin page: polls the job's JSON once a second until it
// is done or failed. Texts come from data- attributes so they are translated by the template.
(function () {
  "use strict";

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name] === undefined || values[name] === null ? "" : String(values[name]);
    });
  }

  function start() {
    var root = document.getElementById("slot-generation");
    if (!root) {
      return;
    }
    var bar = document.getElementById("slot-generation-bar");
    var status = document.getElementById("slot-generation-status");
    var url = root.dataset.progressUrl;

    function show(progress) {
      bar.value = progress.percent;
      var text = root.dataset["text" + progress.state.charAt(0).toUpperCase() + progress.state.slice(1)];
      if (text) {
        status.textContent = format(text, progress);
      }
      root.dataset.state = progress.state;
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (progress) {
          show(progress);
          if (progress.state !== "done" && progress.state !== "failed") {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () {
          status.textContent = root.dataset.textLost;
          window.setTimeout(poll, 1000);
        });
    }

    poll();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
