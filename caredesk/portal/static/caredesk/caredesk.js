/* caredesk: the portal's own script. Served from 'self' (the CSP allows no inline script).
 *
 * 1. htmx requests carry the CSRF token (X-CSRFToken, read from <meta name="csrf-token">) and the
 *    name of the field whose change triggered them (_trigger), so inline validation shows the
 *    error of the field just left.
 * 2. Countdowns: every element with data-due (an ISO 8601 instant) shows the time left to it, or
 *    how long ago it passed, updated every second. Its closest .due gets the class risk-ok,
 *    risk-warn (past data-warn, the SLA engine's warning instant) or risk-late (past data-due),
 *    and its .risk-word the same in words, so colour is never the only cue.
 * 3. Inputs get aria-invalid while their error slot (aria-describedby) holds a message.
 */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    detail.headers["X-CSRFToken"] = csrfToken();
    var trigger = detail.triggeringEvent && detail.triggeringEvent.target;
    if (trigger && trigger.name && detail.verb !== "get") {
      detail.parameters["_trigger"] = trigger.name;
    }
  });

  var WORDS = { ok: "on track", warn: "at risk", late: "breached" };

  function span(seconds) {
    var s = Math.floor(Math.abs(seconds));
    var d = Math.floor(s / 86400);
    var h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    if (d > 0) { return d + "d " + h + "h " + pad(m) + "m"; }
    if (h > 0) { return h + "h " + pad(m) + "m " + pad(sec) + "s"; }
    return m + "m " + pad(sec) + "s";
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll("[data-due]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var warnAttr = el.getAttribute("data-warn");
      var warn = warnAttr ? Date.parse(warnAttr) : NaN;
      var left = (due - now) / 1000;
      var text = left > 0 ? span(left) + " left" : "overdue by " + span(left);
      if (el.textContent !== text) { el.textContent = text; }
      var risk = left <= 0 ? "late" : (!isNaN(warn) && now >= warn ? "warn" : "ok");
      var box = el.closest(".due");
      if (box && !box.classList.contains("risk-" + risk)) {
        box.classList.remove("risk-ok", "risk-warn", "risk-late");
        box.classList.add("risk-" + risk);
        var word = box.querySelector(".risk-word");
        if (word) { word.textContent = WORDS[risk]; }
      }
    }
  }

  function markInvalid(root) {
    var inputs = (root || document).querySelectorAll("[aria-describedby]");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (!/^(INPUT|SELECT|TEXTAREA)$/.test(input.tagName)) { continue; }
      var ids = input.getAttribute("aria-describedby").split(/\s+/);
      var bad = false;
      for (var j = 0; j < ids.length; j++) {
        var slot = document.getElementById(ids[j]);
        if (slot && slot.classList.contains("field-error") && slot.textContent.trim() !== "") { bad = true; }
      }
      if (bad) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    markInvalid(document);
    window.setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterSettle", function () { tick(); markInvalid(document); });
  document.addEventListener("htmx:oobAfterSwap", function () { markInvalid(document); });
})();
