// The bill's return page while a payment is being confirmed: ask the server (the ledger, not the provider's
// redirect) every few seconds and reload the page once the state changes. Without scripts the page's
// "Check again" link does the same by hand.
(function () {
  "use strict";
  var box = document.querySelector("[data-payment-poll]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-payment-poll");
  var shown = box.getAttribute("data-state");
  var tries = 0;
  function poll() {
    tries += 1;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.state && data.state !== shown) {
          window.location.reload();
          return;
        }
        if (tries < 90) { window.setTimeout(poll, tries < 10 ? 1000 : 3000); }
      })
      .catch(function () { if (tries < 90) { window.setTimeout(poll, 3000); } });
  }
  window.setTimeout(poll, 1000);
})();
