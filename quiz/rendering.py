"""Card Markdown to safe HTML: the one renderer used everywhere.

LaTeX is lifted out before Markdown sees it (Markdown would eat its
backslashes and turn `_` and `*` into emphasis). Everything else is then
sanitised with nh3 on an allow-list, and each formula put back as
`<span class="math">` holding MathML written by quiz/mathml.py, so it reads
without JavaScript; static/js/math.js typesets it with KaTeX when it can.

Python-Markdown takes quadratic time on some inputs (a run of unmatched `[`,
unclosed backtick runs, unclosed raw HTML). Before it runs, one linear pass
finds the characters that would start such a scan and will never close, and
stands them in for placeholders that are put back as plain text afterwards,
so every input within the limits below renders in linear time. The limits
themselves keep a card's render well under a second and Python-Markdown's
recursion well inside the interpreter's.
"""

import bisect
import html
import re
import secrets
import threading
from dataclasses import dataclass

import markdown
import nh3
from pygments.token import STANDARD_TYPES

from quiz.mathml import tex_to_mathml

# Per side of a card (question, answer). README "Limits" documents them.
MAX_CHARS = 10_000
MAX_LINES = 1_000
MAX_NESTING_DEPTH = 16
# Longer link text is never a link: a `[` whose `]` is further away stays text.
MAX_LINK_TEXT = 500
MAX_LINK_DESTINATION = 2_000

from quiz.markdown_lists import GitHubLists

MARKDOWN_EXTENSIONS = [
    "fenced_code",
    "codehilite",
    "tables",
    "sane_lists",
    "smarty",
    GitHubLists(),
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
    "*": {"title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"align", "colspan", "rowspan", "style"},
    "th": {"align", "colspan", "rowspan", "style"},
}
# Only the classes this renderer itself writes: Pygments' token spans inside
# the highlight block, and the math markers. Staff content cannot borrow the
# app's own classes (a link dressed as a button).
ALLOWED_CLASSES = {
    "div": {"highlight"},
    "span": {"math", "math-inline", "math-display"} | {name for name in STANDARD_TYPES.values() if name},
}
URL_SCHEMES = {"http", "https", "mailto"}
# `![alt](name.png)` names an uploaded image (quiz/images.py); served here.
IMAGE_URL_PREFIX = "/images/"
IMAGE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class RenderError(ValueError):
    """Markdown the renderer refuses, with a message for the person who wrote it.

    `line` is the 1-based line of the text where the problem is, when there is one.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


# Block containers that Python-Markdown nests by recursion: quotes and list
# items, one after another at the start of a line.
CONTAINER_RE = re.compile(r"[ ]{0,3}(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))[ \t]?")
MATH_TOKEN_RE = re.compile(r"\$\$|\\[\[\]()]")
MATH_CLOSER = {"$$": "$$", "\\[": "\\]", "\\(": "\\)"}
LINK_TITLE_RE = re.compile(r"""\(\s*<?[^\s"'<>]*>?\s+(?:"[^"\n]*"|'[^'\n]*')\s*\)""")


def check_limits(source: str) -> None:
    """Raise RenderError if `source` is past a limit; costs one linear pass."""
    if len(source) > MAX_CHARS:
        raise RenderError(f"{len(source):,} characters; the most a card side may have is {MAX_CHARS:,}")
    lines = source.splitlines()
    if len(lines) > MAX_LINES:
        raise RenderError(f"{len(lines):,} lines; the most a card side may have is {MAX_LINES:,}")
    fenced = _fenced_blocks(source.splitlines(keepends=True))
    number = 0
    while number < len(lines):
        if number in fenced:
            number = fenced[number] + 1
            continue
        depth = _nesting_depth(lines[number])
        if depth > MAX_NESTING_DEPTH:
            raise RenderError(
                f"lists or quotes nested {depth} levels deep; the most is {MAX_NESTING_DEPTH}", line=number + 1
            )
        number += 1


def _nesting_depth(line: str) -> int:
    expanded = line.expandtabs(4)
    indent = len(expanded) - len(expanded.lstrip(" "))
    depth, rest = indent // 4, expanded[indent - indent % 4 :]
    while match := CONTAINER_RE.match(rest):
        depth += 1
        rest = rest[match.end() :]
    return depth


def render_markdown(source: str) -> str:
    """Sanitised HTML for a card side. Raises RenderError past a limit."""
    if not source.strip():
        return ""
    check_limits(source)
    # Short, so that thousands of placeholders stay cheap; never in the
    # source; and starting with a digit, so a placeholder right after a `<`
    # does not read as a tag name.
    token = "0" + secrets.token_hex(3)
    while token in source:
        token = "0" + secrets.token_hex(3)
    stash = _Stash(token)
    text = _prepare(source, stash)
    converter = _converter()
    try:
        rendered = converter.reset().convert(text)
    except RecursionError:
        _discard_converter()
        raise RenderError("nested too deeply to render") from None
    except BaseException:
        # Python-Markdown keeps parser state (its block parser's state stack,
        # the inline stash) that reset() does not clear after a failure: a
        # converter that raised is never used again.
        _discard_converter()
        raise
    return stash.restore_formulas(sanitize(stash.restore_texts(rendered))).strip()


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


def _discard_converter() -> None:
    _local.__dict__.pop("converter", None)


def sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        # Table alignment is the one style Markdown emits; only that survives.
        filter_style_properties={"text-align"},
        attribute_filter=_image_source,
    )


def _image_source(element: str, attribute: str, value: str) -> str | None:
    """A bare image name becomes its URL here; any other image source is
    dropped, since the CSP lets images load from this origin only."""
    if element != "img" or attribute != "src":
        return value
    if IMAGE_NAME_RE.fullmatch(value):
        return IMAGE_URL_PREFIX + value
    if value.startswith(IMAGE_URL_PREFIX) and IMAGE_NAME_RE.fullmatch(value[len(IMAGE_URL_PREFIX):]):
        return value
    return None


class _Stash:
    """What each placeholder stands for. Text comes back before sanitising;
    formulas after, as MathML that quiz/mathml.py has written itself."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.texts: list[str] = []
        self.formulas: list[tuple[str, bool]] = []

    def text(self, replacement: str) -> str:
        self.texts.append(replacement)
        return f"{self.token}{len(self.texts) - 1}x"

    def formula(self, tex: str, display: bool) -> str:
        self.formulas.append((tex, display))
        return f"{self.token}{len(self.formulas) - 1}m"

    def restore_texts(self, rendered: str) -> str:
        return re.sub(self.token + r"(\d+)x", lambda m: self.texts[int(m.group(1))], rendered)

    def restore_formulas(self, sanitized: str) -> str:
        """Each formula as its span, or as plain TeX where the placeholder
        landed inside an attribute (a link title, an image's alt text)."""
        out: list[str] = []
        last = 0
        in_tag = in_quotes = False
        for match in re.finditer(r'[<>"]|' + self.token + r"(\d+)m", sanitized):
            char = match.group()
            if char == "<" and not in_tag:
                in_tag = True
            elif char == ">" and in_tag and not in_quotes:
                in_tag = False
            elif char == '"' and in_tag:
                in_quotes = not in_quotes
            elif match.group(1) is not None:
                tex, display = self.formulas[int(match.group(1))]
                out.append(sanitized[last : match.start()])
                out.append(html.escape(tex) if in_tag else _formula_html(tex, display))
                last = match.end()
        out.append(sanitized[last:])
        return "".join(out)


def _formula_html(tex: str, display: bool) -> str:
    kind = "math math-display" if display else "math math-inline"
    inner = tex_to_mathml(_strip_delimiters(tex), display=display)
    return f'<span class="{kind}">{inner if inner is not None else html.escape(tex, quote=False)}</span>'


def _strip_delimiters(tex: str) -> str:
    for opener, closer in (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)")):
        if tex.startswith(opener) and tex.endswith(closer):
            return tex[len(opener) : len(tex) - len(closer)]
    return tex


@dataclass
class _Piece:
    kind: str  # "prose", "code" (a code span) or "math"
    text: str


def _prepare(source: str, stash: "_Stash") -> str:
    """The text Markdown will see, and what each placeholder stands for.

    Formulas outside code become placeholders for their escaped HTML; in
    prose, characters that would open a scan that never closes become
    placeholders for themselves as plain text. Fenced code is left alone.
    """
    lines = source.splitlines(keepends=True)
    fenced = _fenced_blocks(lines)
    out: list[str] = []
    prose: list[str] = []
    number = 0
    while number < len(lines):
        end = fenced.get(number)
        if end is None:
            line = lines[number]
            if FENCE_OPENER_RE.match(line):
                # Never closed, so prose to Markdown too; with its first
                # character stood in, fenced_code's pattern does not rescan
                # the rest of the text for a closing fence.
                line = stash.text(line[0]) + line[1:]
            prose.append(line)
            number += 1
            continue
        out.append(_prepare_prose("".join(prose), stash))
        prose = []
        out.extend(lines[number : end + 1])
        number = end + 1
    out.append(_prepare_prose("".join(prose), stash))
    return "".join(out)


# Python-Markdown's fenced_code extension: an opening fence at the start of a
# line, with an optional language or {attributes}, closed by a line holding
# exactly the same fence.
FENCE_OPENER_RE = re.compile(
    r"""(?P<fence>~{3,}|`{3,})[ ]*(?:\{[^\n]*\}|(?:\.?[\w#.+-]*[ ]*)?(?:hl_lines=(?P<quot>"|')(?:.*?)(?P=quot)[ ]*)?)\r?\n"""
)
FENCE_CLOSER_RE = re.compile(r"(?P<fence>~{3,}|`{3,})[ ]*\r?\n?$")


def _fenced_blocks(lines: list[str]) -> dict[int, int]:
    """{opening line: closing line} of each fenced block, as fenced_code finds
    them (the leftmost opener that has a closer, then on after its closer),
    in one pass."""
    closers: dict[str, list[int]] = {}
    for number, line in enumerate(lines):
        if match := FENCE_CLOSER_RE.match(line):
            closers.setdefault(match.group("fence"), []).append(number)
    blocks: dict[int, int] = {}
    number = 0
    while number < len(lines):
        opener = FENCE_OPENER_RE.match(lines[number])
        if opener:
            candidates = closers.get(opener.group("fence"), [])
            after = bisect.bisect_right(candidates, number)
            if after < len(candidates):
                blocks[number] = candidates[after]
                number = candidates[after] + 1
                continue
        number += 1
    return blocks


def _prepare_prose(chunk: str, stash: _Stash) -> str:
    # Python-Markdown matches inline syntax within a block, so each block
    # (paragraphs are separated by blank lines) is prepared on its own.
    blocks = re.split(r"(\n[ \t]*\n)", chunk)
    return "".join(
        block if index % 2 else _prepare_block(block, stash) for index, block in enumerate(blocks)
    )


def _prepare_block(block: str, stash: _Stash) -> str:
    pieces: list[_Piece] = []
    for piece in _split_code_spans(block, stash):
        if piece.kind == "code":
            pieces.append(piece)
        else:
            pieces.extend(_lift_math(piece.text, stash))
    _guard_brackets(pieces, stash)
    _guard_raw_html(pieces, stash)
    return "".join(piece.text for piece in pieces)


def _backtick_runs(text: str) -> list[tuple[int, int]]:
    """(start, length) of each backtick run that is not backslash-escaped."""
    runs = []
    for match in re.finditer(r"`+", text):
        start, length = match.start(), len(match.group())
        if _escaped(text, start):
            start, length = start + 1, length - 1  # its first backtick is escaped
        if length:
            runs.append((start, length))
    return runs


def _split_code_spans(text: str, stash: _Stash) -> list[_Piece]:
    """Prose and code-span pieces. A backtick run closes at the next run of
    the same length (as Python-Markdown pairs them); a run that has none is
    plain text, and stands in a placeholder so Markdown never scans for it."""
    runs = _backtick_runs(text)
    next_same: list[int | None] = [None] * len(runs)
    last_seen: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        next_same[index] = last_seen.get(runs[index][1])
        last_seen[runs[index][1]] = index
    pieces: list[_Piece] = []
    position = 0
    index = 0
    while index < len(runs):
        start, length = runs[index]
        if start < position:
            index += 1
            continue
        partner = next_same[index]
        pieces.append(_Piece("prose", text[position:start]))
        if partner is None:
            pieces.append(_Piece("prose", stash.text("`" * length)))
            position = start + length
            index += 1
        else:
            end = runs[partner][0] + length
            pieces.append(_Piece("code", text[start:end]))
            position = end
            index = partner + 1
    pieces.append(_Piece("prose", text[position:]))
    return pieces


def _lift_math(text: str, stash: _Stash) -> list[_Piece]:
    """Split prose into prose and formula placeholders, in one pass: each
    opener (`$$`, `\\[`, `\\(`) closes at the next closer of its kind with at
    least one character between; display math is `$$` or `\\[ \\]`."""
    tokens = list(MATH_TOKEN_RE.finditer(text))
    next_of: dict[str, list[int | None]] = {closer: [None] * len(tokens) for closer in ("$$", "\\]", "\\)")}
    upcoming: dict[str, int | None] = dict.fromkeys(next_of)
    for index in range(len(tokens) - 1, -1, -1):
        for closer in next_of:
            next_of[closer][index] = upcoming[closer]
        if tokens[index].group() in next_of:
            upcoming[tokens[index].group()] = index
    pieces: list[_Piece] = []
    position = 0
    index = 0
    while index < len(tokens):
        opener = tokens[index]
        closer_kind = MATH_CLOSER.get(opener.group())
        if opener.start() < position or closer_kind is None:
            index += 1
            continue
        partner = next_of[closer_kind][index]
        # `.+?` in the old pattern: a formula has at least one character.
        while partner is not None and tokens[partner].start() < opener.end() + 1:
            partner = next_of[closer_kind][partner]
        if partner is None:
            index += 1
            continue
        closing = tokens[partner]
        tex = text[opener.start() : closing.end()]
        pieces.append(_Piece("prose", text[position : opener.start()]))
        pieces.append(_Piece("math", stash.formula(tex, display=opener.group() != "\\(")))
        position = closing.end()
        index = partner + 1
    pieces.append(_Piece("prose", text[position:]))
    return pieces


def _escaped(text: str, position: int) -> bool:
    """Whether an odd number of backslashes stands right before `position`."""
    count = 0
    while position - count > 0 and text[position - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _guard_brackets(pieces: list[_Piece], stash: _Stash) -> None:
    """Make plain text of every `[` that Python-Markdown would scan from
    without a near match: unmatched, too far from its `]`, nested more than
    three deep, or a `[text](` whose destination never closes cleanly."""
    spots = [
        (number, position, char)
        for number, piece in enumerate(pieces)
        if piece.kind == "prose"
        for position, char in enumerate(piece.text)
        if char in "[]()" and not _escaped(piece.text, position)
    ]
    flat = [(number, position) for number, position, _ in spots]
    offsets = _offsets(pieces)
    whole = "".join(piece.text for piece in pieces)

    def at(spot: int) -> int:
        number, position = flat[spot]
        return offsets[number] + position

    brackets: dict[int, int] = {}  # index into spots of `[` -> its `]`
    parens: dict[int, int] = {}
    stacks: dict[str, list[int]] = {"[": [], "(": []}
    for spot, (_, _, char) in enumerate(spots):
        if char in "[(":
            stacks[char].append(spot)
        else:
            stack = stacks["[" if char == "]" else "("]
            if stack:
                (brackets if char == "]" else parens)[stack.pop()] = spot

    plain: set[int] = set()
    depth_stack: list[int] = []
    for spot, (_, _, char) in enumerate(spots):
        if char != "[":
            if char == "]" and depth_stack and brackets.get(depth_stack[-1]) == spot:
                depth_stack.pop()
            continue
        closing = brackets.get(spot)
        if closing is None or at(closing) - at(spot) > MAX_LINK_TEXT:
            plain.add(spot)
            continue
        depth_stack.append(spot)
        if len(depth_stack) > 3:
            plain.add(spot)
            plain.add(closing)
            continue
        opening_paren = closing + 1
        if opening_paren < len(spots) and spots[opening_paren][2] == "(" and at(opening_paren) == at(closing) + 1:
            paren_close = parens.get(opening_paren)
            if paren_close is None or at(paren_close) - at(opening_paren) > MAX_LINK_DESTINATION:
                plain.add(spot)
            else:
                destination = whole[at(opening_paren) : at(paren_close) + 1]
                if ("'" in destination or '"' in destination) and not LINK_TITLE_RE.fullmatch(destination):
                    plain.add(spot)
    by_piece: dict[int, list[int]] = {}
    for spot in sorted(plain):
        number, position, _ = spots[spot]
        by_piece.setdefault(number, []).append(position)
    for number, positions in by_piece.items():
        text = pieces[number].text
        parts: list[str] = []
        last = 0
        index = 0
        while index < len(positions):
            start = end = positions[index]
            while index + 1 < len(positions) and positions[index + 1] == end + 1:
                index += 1
                end += 1
            parts.append(text[last:start] + stash.text(text[start : end + 1]))
            last = end + 1
            index += 1
        pieces[number].text = "".join(parts) + text[last:]


def _offsets(pieces: list[_Piece]) -> list[int]:
    offsets, total = [], 0
    for piece in pieces:
        offsets.append(total)
        total += len(piece.text)
    return offsets


# Raw HTML that html.parser scans to the end of the text for when it is never
# closed (quadratic in CPython before 3.12.11): each opener with the text that
# must follow it somewhere.
RAW_HTML_OPENERS = (
    (re.compile(r"<!\[CDATA\["), "]]>"),
    (re.compile(r"<!--"), "-->"),
    (re.compile(r"<"), ">"),
)


def _guard_raw_html(pieces: list[_Piece], stash: _Stash) -> None:
    whole = "".join(piece.text for piece in pieces)
    offsets = _offsets(pieces)
    last_closer = {closer: whole.rfind(closer) for _, closer in RAW_HTML_OPENERS}
    for number, piece in enumerate(pieces):
        if piece.kind != "prose" or "<" not in piece.text:
            continue
        result: list[str] = []
        last = 0
        for position in (match.start() for match in re.finditer("<", piece.text)):
            rest = piece.text[position:]
            for opener, closer in RAW_HTML_OPENERS:
                if opener.match(rest):
                    if last_closer[closer] <= offsets[number] + position:
                        result.append(piece.text[last:position] + stash.text("&lt;"))
                        last = position + 1
                    break
        piece.text = "".join(result) + piece.text[last:]
