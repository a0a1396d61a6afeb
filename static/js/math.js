// Typesets with KaTeX the formulas that quiz/rendering.py writes as MathML
// in <span class="math"> (their TeX is in the MathML's annotation; a formula
// the server could not convert is its TeX as text), on page load and in
// every fragment htmx swaps in. Without scripts the MathML shows as it is.
(function () {
  "use strict";
  var DELIMITERS = [["\\(", "\\)"], ["\\[", "\\]"], ["$$", "$$"]];

  function stripDelimiters(text) {
    var tex = text.trim();
    for (var i = 0; i < DELIMITERS.length; i++) {
      var open = DELIMITERS[i][0], close = DELIMITERS[i][1];
      if (tex.startsWith(open) && tex.endsWith(close)) {
        return tex.slice(open.length, tex.length - close.length);
      }
    }
    return tex;
  }

  function texOf(el) {
    var annotation = el.querySelector('annotation[encoding="application/x-tex"]');
    return annotation ? annotation.textContent : stripDelimiters(el.textContent);
  }

  function typeset(root) {
    if (!window.katex || !root || !root.querySelectorAll) return;
    root.querySelectorAll("span.math:not([data-typeset])").forEach(function (el) {
      var tex = texOf(el);
      try {
        window.katex.render(tex, el, {
          displayMode: el.classList.contains("math-display"),
          throwOnError: false,
          output: "htmlAndMathml",
        });
        el.setAttribute("data-typeset", "");
      } catch (error) {
        el.setAttribute("data-typeset-error", String(error));
      }
    });
  }

  window.typesetMath = typeset;
  document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  document.addEventListener("htmx:afterSwap", function (event) { typeset(event.detail.elt); });
  document.addEventListener("htmx:oobAfterSwap", function (event) { typeset(event.detail.target); });
})();
