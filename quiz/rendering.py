"""Card Markdown to safe HTML: the one renderer used everywhere.

LaTeX is lifted out before Markdown sees it (Markdown would eat its
backslashes and turn `_` and `*` into emphasis), then put back, escaped, in
`<span class="math">` elements that static/js/app.js typesets with KaTeX.
Everything is then sanitised with nh3 on an allow-list.
"""

import html
import re
import secrets
import threading

import markdown
import nh3

MARKDOWN_EXTENSIONS = [
    "fenced_code",
    "codehilite",
    "tables",
    "sane_lists",
    "smarty",
]
MARKDOWN_CONFIG = {
    # No guessing: an unlabelled fence is plain preformatted text.
    "codehilite": {"guess_lang": False, "css_class": "highlight", "wrapcode": True},
    "smarty": {"smart_quotes": False, "smart_dashes": True, "smart_ellipses": False},
}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
    "pre", "s", "samp", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"align", "colspan", "rowspan", "style"},
    "th": {"align", "colspan", "rowspan", "style"},
}
URL_SCHEMES = {"http", "https", "mailto"}

FENCE_RE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
# Display math first, so `$$` is never read as two inline delimiters.
MATH_RE = re.compile(
    r"(?P<display>\$\$(?P<d1>.+?)\$\$|\\\[(?P<d2>.+?)\\\])|(?P<inline>\\\((?P<i1>.+?)\\\))",
    re.DOTALL,
)
CODE_SPAN_RE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)


def render_markdown(source: str) -> str:
    if not source.strip():
        return ""
    token = "mathph" + secrets.token_hex(6)
    text, formulas = _lift_math(source, token)
    rendered = _converter().reset().convert(text)
    rendered = re.sub(
        token + r"(\d+)x", lambda m: formulas[int(m.group(1))], rendered
    )
    return sanitize(rendered).strip()


_local = threading.local()


def _converter() -> markdown.Markdown:
    # Building a Markdown object with its extensions costs more than most
    # conversions; one per thread, reset before each use (they are not
    # thread-safe).
    if not hasattr(_local, "converter"):
        _local.converter = markdown.Markdown(
            extensions=MARKDOWN_EXTENSIONS,
            extension_configs=MARKDOWN_CONFIG,
            output_format="html",
            lazy_ol=False,
        )
    return _local.converter


def sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        # Table alignment is the one style Markdown emits; only that survives.
        filter_style_properties={"text-align"},
    )


def _lift_math(source: str, token: str) -> tuple[str, list[str]]:
    """Replace each formula outside code with a placeholder word."""
    formulas: list[str] = []

    def stash(match: re.Match[str]) -> str:
        display = match.group("display") is not None
        tex = match.group(0)
        kind = "math math-display" if display else "math math-inline"
        formulas.append(f'<span class="{kind}">{html.escape(tex, quote=False)}</span>')
        return f"{token}{len(formulas) - 1}x"

    def outside_code_spans(chunk: str) -> str:
        pieces: list[str] = []
        last = 0
        for code in CODE_SPAN_RE.finditer(chunk):
            pieces.append(MATH_RE.sub(stash, chunk[last : code.start()]))
            pieces.append(code.group(0))
            last = code.end()
        pieces.append(MATH_RE.sub(stash, chunk[last:]))
        return "".join(pieces)

    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None
    for line in source.splitlines(keepends=True):
        opener = FENCE_RE.match(line)
        if fence is None and opener:
            out.append(outside_code_spans("".join(prose)))
            prose = []
            fence = opener.group(1)
            out.append(line)
        elif fence is not None:
            out.append(line)
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence) and not line.strip()[len(opener.group(1)):].strip():
                fence = None
        else:
            prose.append(line)
    out.append(outside_code_spans("".join(prose)))
    return "".join(out), formulas
