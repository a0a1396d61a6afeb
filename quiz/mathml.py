"""LaTeX to MathML on the server, so formulas read without JavaScript.

latex2mathml does the conversion; its output is not safe as it stands (the
text of `\\text{…}` comes through unescaped, `\\href` becomes an attribute),
so it is parsed and written out again through an allow-list of MathML Core
elements and presentation attributes, with every text escaped. The TeX
travels in the standard `<annotation encoding="application/x-tex">`, where
static/js/math.js reads it to typeset with KaTeX when scripts run.

Pure Python: no Django.
"""

import html
import re
from html.parser import HTMLParser

from latex2mathml.converter import convert

ELEMENTS = frozenset({
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace",
    "msub", "msup", "msubsup", "munder", "mover", "munderover", "mfrac", "msqrt", "mroot",
    "mstyle", "mpadded", "mphantom", "menclose", "mtable", "mtr", "mtd", "merror",
    "mmultiscripts", "mprescripts", "none",
})
VOID = frozenset({"mspace", "mprescripts", "none"})
ATTRIBUTES = frozenset({
    "display", "mathvariant", "displaystyle", "scriptlevel", "stretchy", "fence", "separator",
    "lspace", "rspace", "minsize", "maxsize", "largeop", "movablelimits", "symmetric", "accent",
    "accentunder", "linethickness", "columnalign", "rowalign", "columnspacing", "rowspacing",
    "columnlines", "rowlines", "frame", "width", "height", "depth", "voffset", "notation",
    "columnspan", "rowspan", "form",
})
# Lengths, keywords and numbers only: no URLs, no `url(`, no script.
ATTRIBUTE_VALUE_RE = re.compile(r"[\w .%+-]{0,64}")


class _Rewriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ELEMENTS or tag in {"math", "semantics", "annotation"}:
            return  # the wrapper elements are written by tex_to_mathml itself
        kept = "".join(
            f' {name}="{value}"'
            for name, value in attrs
            if name in ATTRIBUTES and value is not None and ATTRIBUTE_VALUE_RE.fullmatch(value)
        )
        self.out.append(f"<{tag}{kept}>")
        if tag in VOID:
            self.out.append(f"</{tag}>")
        else:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in self.open and tag not in VOID and self.open[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            # Close whatever the input left open inside it: the output nests.
            while self.open:
                last = self.open.pop()
                self.out.append(f"</{last}>")
                if last == tag:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out)


def tex_to_mathml(tex: str, *, display: bool) -> str | None:
    """MathML for the TeX between the delimiters, or None if latex2mathml
    cannot read it (the TeX is then shown as text until KaTeX typesets it)."""
    try:
        converted = convert(tex, display="block" if display else "inline")
    except Exception:
        # latex2mathml raises many kinds of error on TeX it does not know.
        return None
    rewriter = _Rewriter()
    rewriter.feed(converted)
    rewriter.close()
    body = rewriter.result()
    mode = "block" if display else "inline"
    return (
        f'<math display="{mode}"><semantics><mrow>{body}</mrow>'
        f'<annotation encoding="application/x-tex">{html.escape(tex, quote=False)}</annotation>'
        "</semantics></math>"
    )
