// Progress of a background job on an admin page (slot generation, the dashboard's long periods): polls the
// job's JSON once a second until it is done or failed, then opens data-result-url if the page gives one.
// The page marks its root with data-job-progress; texts come from data- attributes, translated by the template.
(function () {
  "use strict";

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name] === undefined || values[name] === null ? "" : String(values[name]);
    });
  }

  function start() {
    var root = document.querySelector("[data-job-progress]");
    if (!root) {
      return;
    }
    var bar = root.querySelector("progress");
    var status = root.querySelector("[role=status]");
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
          if (progress.state === "done" && root.dataset.resultUrl) {
            window.location.assign(root.dataset.resultUrl);
          } else if (progress.state !== "done" && progress.state !== "failed") {
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
