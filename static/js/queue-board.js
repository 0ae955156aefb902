// Waiting-room board: optional spoken announcements through the browser's speechSynthesis, switched on by a
// button (browsers only speak after a person has interacted with the page). Each call is announced once, by
// its key (ticket and recall count), so a recall is announced again and a re-read is not.
(function () {
  "use strict";
  var toggle = document.querySelector("[data-speech-toggle]");
  var root = document.querySelector("[data-live]");
  if (!toggle || !root) { return; }
  var speaking = false;
  var announced = {};

  function keys() {
    return Array.prototype.map.call(root.querySelectorAll("[data-call-key]"), function (li) {
      return { key: li.dataset.callKey, say: li.dataset.say };
    });
  }
  keys().forEach(function (c) { announced[c.key] = true; });  // what is on screen at load is not news

  if (!("speechSynthesis" in window)) { toggle.hidden = true; }
  toggle.addEventListener("click", function () {
    speaking = !speaking;
    toggle.setAttribute("aria-pressed", speaking ? "true" : "false");
    toggle.textContent = speaking ? toggle.dataset.on : toggle.dataset.off;
  });

  document.addEventListener("queue:refreshed", function () {
    keys().reverse().forEach(function (c) {
      if (announced[c.key]) { return; }
      announced[c.key] = true;
      if (speaking && window.speechSynthesis) {
        var utterance = new SpeechSynthesisUtterance(c.say);
        var lang = document.documentElement.lang || "zh-CN";
        utterance.lang = /^zh/i.test(lang) ? "zh-CN" : lang;  // voices are listed as zh-CN, not the page's zh-hans
        window.speechSynthesis.speak(utterance);
      }
    });
  });
})();
