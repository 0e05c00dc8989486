// kb serve: the cite menu's copy buttons. A file, not inline script: the page's
// Content-Security-Policy allows scripts from 'self' only.
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
})();
