// Rollcall admin UI: progressive enhancements only; every page works without this file.
// Kept in a file (no inline script) for a Content-Security-Policy of default-src 'self'.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP fallback (e.g. a first run on localhost behind no TLS).
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.appendChild(area);
      area.select();
      try {
        document.execCommand("copy") ? resolve() : reject(new Error("copy refused"));
      } catch (error) {
        reject(error);
      } finally {
        document.body.removeChild(area);
      }
    });
  }

  function announce(button, text) {
    var original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = text;
    button.setAttribute("aria-live", "polite");
    window.setTimeout(function () { button.textContent = original; }, 2000);
  }

  function setUpCopyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.dataset.copy);
      if (!source) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(source.textContent.trim()).then(
          function () { announce(button, "Copied"); },
          function () {
            announce(button, "Select and copy");
            var range = document.createRange();
            range.selectNodeContents(source);
            var selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
          }
        );
      });
    });
  }

  // Forms with data-confirm ask before they submit (the server asks again where it matters).
  function setUpConfirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }

  // Filter forms sit in a <details>, closed on a phone; wider screens open it.
  function openFiltersOnWideScreens() {
    if (!window.matchMedia("(min-width: 641px)").matches) { return; }
    document.querySelectorAll("details.filters").forEach(function (details) { details.open = true; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    openFiltersOnWideScreens();
    setUpCopyButtons();
    setUpConfirmations();
  });
}());
