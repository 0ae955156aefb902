// Forms marked data-submit-once disable their buttons once sent, so an impatient second tap does not
// send the form again. The server does not rely on this: each such form carries an idempotency key.
(function () {
  "use strict";
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      // Disable after this event, so the button's own name/value is still sent.
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.disabled = true;
          button.setAttribute("aria-busy", "true");
        });
      }, 0);
    });
  });
})();
