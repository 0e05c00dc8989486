// kb serve: the cite menu's copy buttons, and search as you type. A file, not inline script:
// the page's Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";

  function fallbackCopy(text) {
    // Outside a secure context (http on a LAN address) navigator.clipboard is absent.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var text = source.textContent.trim();
    copy(text).then(function () {
      button.textContent = "Copied";
      button.setAttribute("data-copied", text);
    }, function () {
      button.textContent = "Select and copy by hand";
    });
  });

  // Search as you type: the word being typed is a prefix ("chi" finds "chips"), and the
  // address the page pushes says so (q=chi*); while a quote is open, nothing is asked.
  // (Enter submits the query as typed.)
  document.addEventListener("htmx:configRequest", function (event) {
    var input = event.detail.elt;
    if (!input || input.type !== "search" || input.name !== "q") { return; }
    var typed = input.value;
    if ((typed.match(/"/g) || []).length % 2 === 1) {
      event.preventDefault();
      return;
    }
    var last = /(?:^|\s)([\p{L}\p{N}]{3,})$/u.exec(typed);
    if (last && !/^(AND|OR|NOT)$/.test(last[1])) {
      event.detail.parameters.q = typed + "*";
    }
  });
})();
