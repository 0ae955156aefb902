// The doctor's note page, enhanced. Everything here also works without it: the diagnosis field is a plain
// code field checked by the server, and each form posts on its own.
// 1. ICD-10 search as you type: the code field becomes a combobox with a listbox of matches (WAI-ARIA
//    combobox pattern: arrows to move, Enter to choose, Escape to close).
// 2. Nothing typed is lost: adding a diagnosis, a medicine or an order first saves the note's unsaved text,
//    and leaving the page with unsaved text asks first.
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };

  function icd10Combobox(field) {
    var input = field.querySelector("[data-icd10-search]");
    var url = field.getAttribute("data-icd10-url");
    if (!input || !url) { return; }
    var list = document.createElement("ul");
    var chosen = document.createElement("p");
    var timer = null, active = -1, items = [], lastQuery = "", request = 0;
    list.id = input.id + "-listbox";
    list.className = "icd10-results";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", gettext("Matching diagnoses"));
    list.hidden = true;
    chosen.className = "help";
    chosen.setAttribute("aria-live", "polite");
    chosen.setAttribute("data-testid", "icd10-chosen");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", chosen);

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      active = index;
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
      if (options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      }
    }
    function choose(index) {
      var item = items[index];
      if (!item) { return; }
      input.value = item.code;
      lastQuery = item.code;
      chosen.textContent = item.code + " · " + item.title;
      close();
    }
    function render(results) {
      items = results;
      list.textContent = "";
      results.forEach(function (item, i) {
        var li = document.createElement("li");
        var code = document.createElement("span");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-code", item.code);
        code.className = "code";
        code.textContent = item.code;
        li.appendChild(code);
        li.appendChild(document.createTextNode(" " + item.title));
        // mousedown, not click: it comes before the input's blur closes the list.
        li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }
    function search() {
      var query = input.value.trim();
      if (query === lastQuery) { return; }
      lastQuery = query;
      chosen.textContent = "";
      if (!query) { render([]); return; }
      var mine = ++request;
      fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (mine === request) { render(data.results || []); } })
        .catch(function () { /* offline: the field still takes a typed code */ });
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) {
        if (event.key === "ArrowDown" && items.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); highlight(0); event.preventDefault(); }
        return;
      }
      if (event.key === "ArrowDown") { highlight(Math.min(active + 1, items.length - 1)); event.preventDefault(); }
      else if (event.key === "ArrowUp") { highlight(Math.max(active - 1, 0)); event.preventDefault(); }
      else if (event.key === "Enter" && active >= 0) { choose(active); event.preventDefault(); }
      else if (event.key === "Escape") { close(); event.preventDefault(); }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
  }

  document.querySelectorAll("[data-icd10-field]").forEach(icd10Combobox);

  // After a refused write the page comes back from the top: bring the problem into view and focus its field.
  var problem = document.querySelector("form .form-errors, form .allergy-conflict, form .field-invalid, section .form-errors");
  if (problem && document.querySelector("[data-testid=note-not-saved]")) {
    problem.scrollIntoView({ block: "center" });
    var field = problem.closest("form") && problem.closest("form").querySelector(".field-invalid input, .field-invalid select, .field-invalid textarea");
    if (field) { field.focus({ preventScroll: true }); }
  }

  var note = document.querySelector("form[data-note-form]");
  if (!note) { return; }
  var dirty = false, leaving = false;
  note.addEventListener("input", function () { dirty = true; });
  note.addEventListener("submit", function () { leaving = true; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) { event.preventDefault(); event.returnValue = ""; }
  });
  document.querySelectorAll("form[data-note-subform]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!dirty) { leaving = true; return; }
      event.preventDefault();
      var data = new FormData(note);
      data.set("action", "save");
      fetch(note.action, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { if (response.ok) { dirty = false; } })
        .catch(function () { /* the sub-form still goes; the text stays in the browser's history */ })
        .then(function () { leaving = true; form.submit(); });
    });
  });
})();
