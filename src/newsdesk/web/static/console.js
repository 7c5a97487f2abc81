// newsdesk console: small progressive enhancements. Every page and form works without this file.
(function () {
  "use strict";
  // Filters: a changed facet select submits its form (the form has a submit button too).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit(); });
  });
  // Forms that need a second thought (promote, rollback): ask before posting.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // Live fragments: replace an element with a fresh copy of itself from the server every few seconds
  // (enrichment progress, live status). The fragment URL answers with the same element's HTML.
  document.querySelectorAll("[data-refresh]").forEach(function (element) {
    var url = element.getAttribute("data-refresh");
    var every = parseInt(element.getAttribute("data-every") || "5", 10) * 1000;
    var tick = function () {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) { element.innerHTML = html; } })
        .catch(function () { /* the next tick tries again */ });
    };
    window.setInterval(tick, every);
  });
})();
