// Keyboard-first review and small page helpers. No inline handlers and no
// eval: the Content-Security-Policy forbids both.
(function () {
  "use strict";

  function fillBrowserTimeZone() {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* keep UTC */ }
    document.querySelectorAll("input[data-browser-time-zone]").forEach(function (input) {
      if (zone) input.value = zone;
    });
  }

  function isTyping(target) {
    if (!target) return false;
    var tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  var pendingGradeKey = null;

  function click(selector) {
    var el = document.querySelector("#review-card " + selector);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }

  function onKeyDown(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return;
    if (!document.getElementById("review-card")) return;
    var key = event.key;
    if (document.documentElement.classList.contains("htmx-request-pending")) {
      // One action at a time: a key pressed mid-request would act on the card
      // about to be replaced. A grade typed while the answer is on its way is
      // kept and applied once it arrives; it is harmless on a question side.
      if (/^[0-9]$/.test(key)) pendingGradeKey = key;
      if (key === " " || key === "Enter" || key === "u" || /^[0-9]$/.test(key)) event.preventDefault();
      return;
    }
    var onControl = event.target && (event.target.tagName === "BUTTON" || event.target.tagName === "A");
    if (key === " " || key === "Enter") {
      // A focused button or link answers Space and Enter natively.
      if (onControl) return;
      if (click('[data-action="flip"]') || click("[data-main-action]")) event.preventDefault();
    } else if (/^[0-9]$/.test(key)) {
      if (click('button[data-hotkey="' + key + '"]')) event.preventDefault();
    } else if (key === "u" || key === "U") {
      if (click('[data-action="undo"]')) event.preventDefault();
    }
  }

  function afterSwap(event) {
    var target = event.detail.target;
    if (!target || target.id !== "review-card") return;
    var card = document.getElementById("review-card");
    if (!card) return;
    var announcer = document.getElementById("review-announcer");
    if (announcer) announcer.textContent = card.getAttribute("data-announce") || "";
    var main = card.querySelector("[data-main-action]");
    if (main) main.focus({ preventScroll: false });
  }

  // Keys wait from the request until the new card is settled and wired up.
  function idle() {
    document.documentElement.classList.remove("htmx-request-pending");
    var key = pendingGradeKey;
    pendingGradeKey = null;
    if (key) click('button[data-hotkey="' + key + '"]');
  }
  document.addEventListener("htmx:beforeRequest", function () {
    document.documentElement.classList.add("htmx-request-pending");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.successful) idle();
  });
  document.addEventListener("htmx:afterSettle", idle);
  document.addEventListener("htmx:afterSettle", afterSwap);
  document.addEventListener("keydown", onKeyDown);
  document.addEventListener("DOMContentLoaded", fillBrowserTimeZone);
})();
