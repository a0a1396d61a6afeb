// The card editor's live preview (quiz/widgets.py): htmx swaps in the
// server's rendering and math.js typesets it; this makes a formula KaTeX
// could not parse say why, next to it, instead of only in a tooltip.
(function () {
  "use strict";

  function explainMathErrors(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll(".markdown-preview .katex-error").forEach(function (el) {
      var next = el.nextElementSibling;
      if (next && next.classList.contains("math-problem")) return;
      var note = document.createElement("span");
      note.className = "math-problem";
      note.setAttribute("role", "alert");
      note.textContent = el.getAttribute("title") || "This formula could not be typeset.";
      el.insertAdjacentElement("afterend", note);
    });
  }

  // afterSettle runs after math.js's afterSwap handler has typeset the fragment.
  document.addEventListener("htmx:afterSettle", function (event) { explainMathErrors(event.detail.elt); });
  window.addEventListener("load", function () { explainMathErrors(document.body); });
})();
