// Keyboard-first review and small page helpers. No inline handlers and no
// eval: the Content-Security-Policy forbids both.
(function () {
  "use strict";

  var pending = false; // a review request is in flight
  var queuedKeys = [];

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

  // Anki's keys where it has one: - buries, @ suspends, e edits.
  var ACTION_KEYS = { "u": "undo", "U": "undo", "-": "bury", "@": "suspend", "e": "edit" };

  function isReviewKey(key) {
    return key === " " || key === "Enter" || key in ACTION_KEYS || /^[0-9]$/.test(key);
  }

  function keysDialog() { return document.getElementById("keys-dialog"); }

  function openKeys() {
    var dialog = keysDialog();
    // A modal dialog makes the page behind it inert (focus stays inside)
    // and closes on Escape by itself.
    if (dialog && !dialog.open) dialog.showModal();
    return Boolean(dialog);
  }

  function click(selector) {
    var el = document.querySelector("#review-card " + selector);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }

  // Returns true when the key did something. A replayed Space or Enter only
  // ever flips: typed ahead, it must not land on an answer and grade it.
  function act(key, replayed) {
    if (key === " " || key === "Enter") return click('[data-action="flip"]') || (!replayed && click("[data-main-action]"));
    if (key in ACTION_KEYS) return click('[data-action="' + ACTION_KEYS[key] + '"]');
    return click('button[data-hotkey="' + key + '"]');
  }

  // Tab cycles inside the open dialog instead of leaving for the browser's own UI.
  function trapTab(event, dialog) {
    if (event.key !== "Tab") return;
    var focusable = dialog.querySelectorAll("a[href], button:not([disabled]), input, select, textarea, [tabindex]:not([tabindex='-1'])");
    if (!focusable.length) return;
    var first = focusable[0], last = focusable[focusable.length - 1];
    if (event.shiftKey ? document.activeElement === first : document.activeElement === last) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  }

  function onKeyDown(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return;
    var dialog = keysDialog();
    if (dialog && dialog.open) { trapTab(event, dialog); return; } // Escape: the dialog closes itself
    if (event.key === "?" && openKeys()) { event.preventDefault(); return; }
    if (!document.getElementById("review-card") || !isReviewKey(event.key)) return;
    var key = event.key;
    var flipKey = key === " " || key === "Enter";
    if (pending) {
      // One action at a time: a key pressed mid-request would act on the card
      // about to be replaced, so it waits and is replayed on the new one.
      event.preventDefault();
      if (queuedKeys.length < 8) queuedKeys.push(key);
      return;
    }
    // A focused button or link answers Space and Enter natively.
    var onControl = event.target && (event.target.tagName === "BUTTON" || event.target.tagName === "A");
    if (flipKey && onControl) return;
    if (act(key)) event.preventDefault();
  }

  function announceAndFocus(card) {
    var announcer = document.getElementById("review-announcer");
    if (announcer) announcer.textContent = card.getAttribute("data-announce") || "";
    var main = card.querySelector("[data-main-action]");
    if (main) main.focus();
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.closest && event.detail.elt.closest("#review-card")) pending = true;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.successful) { pending = false; queuedKeys = []; }
  });
  // The card (not the out-of-band progress bar) is settled: wired up by htmx
  // with no settle delay, so it can take the next key.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target.id !== "review-card") return;
    pending = false;
    announceAndFocus(event.target);
    // Replay typed-ahead keys until one starts a request; the rest wait for it.
    while (queuedKeys.length && !pending) act(queuedKeys.shift(), true);
  });
  // A box that scrolls sideways (wide math, code, a table on a phone) must
  // be reachable by keyboard to scroll it; only those that overflow at this
  // width become a tab stop.
  var SCROLLERS = ".chart-scroll, .math-display, .markdown pre, .markdown table";
  function markScrollers(root) {
    (root || document).querySelectorAll(SCROLLERS).forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "0");
      } else if (el.getAttribute("tabindex") === "0") {
        el.removeAttribute("tabindex");
      }
    });
  }
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { markScrollers(document); }, 150);
  });
  document.addEventListener("htmx:afterSettle", function (event) { markScrollers(event.target); });

  document.addEventListener("keydown", onKeyDown);
  document.addEventListener("DOMContentLoaded", function () {
    fillBrowserTimeZone();
    // The help needs JavaScript, as the keys do: the button shows only with it.
    document.querySelectorAll("[data-open-keys]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", openKeys);
    });
  });
  // After math.js (loaded first) has typeset: KaTeX sets the real widths.
  document.addEventListener("DOMContentLoaded", function () {
    markScrollers(document);
    // KaTeX's own fonts can arrive later and widen a formula past its box.
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(function () { markScrollers(document); });
    // A timeline too wide for the screen opens at its latest end: today.
    document.querySelectorAll("[data-scroll-to-end]").forEach(function (el) { el.scrollLeft = el.scrollWidth; });
  });
})();
