"""The Q&A Markdown format, parsed and written in pure Python (no Django).

    # Deck title
    Tags: deck-wide tags      <- optional, the first line under the title
    ```                      <- optional outer bare fence around the body
    Q: First question?
    Tags: python basics      <- optional, directly after a card's first line
    Answer Markdown, any length, with real ``` code blocks inside.

    A follow-up question on its own paragraph?

    Its answer.

    Q: A question that spans
    several lines, up to the `A:` line.
    A: The answer starts here; with an `A:` line the card runs to the next
    `Q:` or `C:` line, so a standalone `?` paragraph in it is answer text.

    C: [Paris] is the capital of [France].   <- one card per [deletion]
    ```

A card starts at a line beginning with `Q:` or `C:`, or at a line ending in
`?` that stands alone as a paragraph outside code, lists, headings, tables
and quotes (a follow-up, only after a card written without `A:`). A line
inside a card that must begin with `Q:`, `C:`, `A:` or `Tags:` as text is
written with a backslash before it, which parsing removes.
"""

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

FENCE_RE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
TITLE_RE = re.compile(r"^#[ \t]+(?P<title>.+?)[ \t#]*$")
QUESTION_PREFIX = "Q:"
ANSWER_PREFIX = "A:"
CLOZE_PREFIX = "C:"
TAGS_PREFIX = "Tags:"
# Lines that belong to a block structure, so a `?` at their end is answer text.
STRUCTURAL_RE = re.compile(r"^(\s|#|>|\||[-*+][ \t]|\d{1,9}[.)][ \t])")
# A line that would be read as a marker, with any backslashes written before
# it so that it is text: parsing removes one, writing adds one.
ESCAPED_MARKER_RE = re.compile(r"^(\\*)(Q:|A:|C:|Tags:)")

MAX_TITLE_LENGTH = 200  # Deck.name's max_length
TAG_RE = re.compile(r"^[\w\-.+/#:]+$")
TAG_SEPARATOR_RE = re.compile(r"[\s,]+")
MAX_TAG_LENGTH = 64  # Tag.name's max_length
MAX_TAGS_PER_CARD = 20
# Each deletion is a card holding the whole note, so a note's cost grows with
# the square of its deletions (900 in one 9 KB line took two minutes and
# 1.5 GB to import).
MAX_CLOZE_DELETIONS = 30

CLOZE_PLACEHOLDER = "[…]"
# The deletion a cloze card asks for, highlighted on its answer side: raw
# HTML in the Markdown, and a tag the sanitiser allows (it strips classes).
CLOZE_ANSWER_HTML = "<ins>{}</ins>"
# Spans a cloze line never reads deletions in: the renderer's code spans and
# math (quiz/rendering.py), matched the same way, line by line.
CODE_SPAN_RE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
MATH_RE = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)")


@dataclass(frozen=True)
class ParsedCard:
    question: str
    answer: str
    position: int
    source_key: str
    line: int
    tags: tuple[str, ...] = ()
    # A cloze card: its note's source, with every [deletion], and the key the
    # note's cards share (siblings).
    cloze: str = ""
    note_key: str | None = None


@dataclass(frozen=True)
class ParsedDeck:
    title: str | None
    description: str
    cards: list[ParsedCard] = field(default_factory=list)


@dataclass(frozen=True)
class FormatProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


class QAFormatError(ValueError):
    def __init__(self, problems: list[FormatProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("; ".join(str(p) for p in self.problems))


def source_key(deck_title: str, question: str) -> str:
    """Stable across re-imports: whitespace and case changes keep the key."""
    normal = " ".join(deck_title.split()).casefold() + "\n" + " ".join(question.split()).casefold()
    return hashlib.sha256(normal.encode()).hexdigest()[:32]


def cloze_key(deck_title: str, question: str, deletion: str) -> str:
    """A deletion's key: the sentence around it and its own text, so adding or
    changing another deletion of the same note keeps this card's progress."""
    return source_key(deck_title, f"cloze:{question}\n{deletion}")


def decode(data: bytes) -> str:
    """UTF-8 text or a QAFormatError naming the line of the first bad byte."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise QAFormatError([FormatProblem(line, "the file is not UTF-8 text")]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise QAFormatError([FormatProblem(line, "the file is binary, not Markdown text")])
    return text


Line = tuple[int, str]


@dataclass(frozen=True)
class _Start:
    index: int  # into lines
    kind: str  # "Q", "C" or "?" (a follow-up)
    text: str  # the rest of the start line


def parse(text: str, deck_title: str | None = None, *, default_title: str | None = None) -> ParsedDeck:
    """Parse a Q&A document. `deck_title` overrides the `# Title` heading;
    `default_title` (the file's name) stands in for a missing one, as in
    hashcards files, which have none."""
    lines = list(enumerate(text.splitlines(), start=1))
    heading, heading_line, lines = _take_title(lines)
    title = deck_title or heading or default_title
    lines = _unwrap_outer_fence(lines)

    problems: list[FormatProblem] = []
    top = _top_level(lines, problems)
    if problems:
        raise QAFormatError(problems)
    starts = _card_starts(lines, top)
    first_line = lines[0][0] if lines else 1
    if not title:
        problems.append(FormatProblem(first_line, "no deck title: start the file with a '# Title' line"))
    elif deck_title:
        problems += title_problems(deck_title, 1, "the deck name given for this file")
    elif heading:
        problems += title_problems(heading, heading_line, "the deck title")
    else:
        problems += title_problems(title, first_line, "the file name, standing in for a '# Title' line,")
    if not starts:
        last = lines[-1][0] if lines else 1
        problems.append(FormatProblem(last, "no cards found: a card starts with a line 'Q: your question'"))
    if problems:
        raise QAFormatError(problems)

    described = 0
    deck_tags: tuple[str, ...] = ()
    first = next((i for i in range(starts[0].index) if lines[i][1].strip()), None)
    if first is not None and top[first] and lines[first][1].startswith(TAGS_PREFIX):
        deck_tags = _tags(lines[first][0], lines[first][1], (), problems)
        described = first + 1
    description = _join(_unescape(lines[described : starts[0].index], top[described : starts[0].index]))

    cards: list[ParsedCard] = []
    seen: dict[str, int] = {}

    def add(lineno: int, question: str, answer: str, key: str, tags: tuple[str, ...], duplicate: str, **extra) -> None:
        if key in seen:
            problems.append(FormatProblem(lineno, f"{duplicate} {seen[key]}"))
            return
        seen[key] = lineno
        cards.append(
            ParsedCard(question=question, answer=answer, position=len(cards) + 1, source_key=key, line=lineno, tags=tags, **extra)
        )

    for number, start in enumerate(starts):
        end = starts[number + 1].index if number + 1 < len(starts) else len(lines)
        lineno = lines[start.index][0]
        body = start.index + 1
        tags = deck_tags
        if start.kind != "?" and body < end and top[body] and lines[body][1].startswith(TAGS_PREFIX):
            tags = _tags(lines[body][0], lines[body][1], deck_tags, problems)
            body += 1
        if start.kind == "C":
            cloze = _join([(lineno, start.text), *_unescape(lines[body:end], top[body:end])])
            for question, answer, deletion in _cloze_cards(cloze, lineno, problems):
                key = cloze_key(title, question, deletion)
                note = source_key(title, f"cloze-note:{cloze}")
                add(lineno, question, answer, key, tags, "duplicate cloze deletion, first on line", cloze=cloze, note_key=note)
            continue
        answer_at = next((i for i in range(body, end) if top[i] and lines[i][1].startswith(ANSWER_PREFIX)), None)
        if start.kind == "Q" and answer_at is not None:
            question = _join([(lineno, start.text), *_unescape(lines[body:answer_at], top[body:answer_at])])
            answer_text = lines[answer_at][1][len(ANSWER_PREFIX) :].strip()
            answer = _join([(0, answer_text), *_unescape(lines[answer_at + 1 : end], top[answer_at + 1 : end])])
        else:
            question = start.text
            answer = _join(_unescape(lines[body:end], top[body:end]))
        if not question:
            problems.append(FormatProblem(lineno, "empty question after 'Q:'"))
            continue
        add(lineno, question, answer, source_key(title, question), tags, "duplicate question, first asked on line")
    if problems:
        raise QAFormatError(problems)
    return ParsedDeck(title=title, description=description, cards=cards)


def title_problems(title: str, line: int, what: str) -> list[FormatProblem]:
    """A deck name longer than the database column takes, as a problem
    rather than the database's error (a 500 on the admin import page)."""
    if len(title) <= MAX_TITLE_LENGTH:
        return []
    return [FormatProblem(line, f"{what} is {len(title):,} characters; at most {MAX_TITLE_LENGTH}")]


def _take_title(lines: list[Line]) -> tuple[str | None, int, list[Line]]:
    for position, (lineno, text) in enumerate(lines):
        if not text.strip():
            continue
        match = TITLE_RE.match(text)
        if match:
            return match.group("title").strip(), lineno, lines[position + 1 :]
        return None, 0, lines[position:]
    return None, 0, []


def _is_bare_fence(text: str) -> bool:
    return text.strip() == "```"


def _unwrap_outer_fence(lines: list[Line]) -> list[Line]:
    """Drop one bare fence pair around the whole body.

    It is a wrapper, not a code block, only if a question appears before any
    other bare fence line: questions are never inside code.
    """
    body = [line for line in lines if line[1].strip()]
    if len(body) < 2 or not (_is_bare_fence(body[0][1]) and _is_bare_fence(body[-1][1])):
        return lines
    first = lines.index(body[0])
    last = lines.index(body[-1])
    for _, text in lines[first + 1 : last]:
        if text.startswith((QUESTION_PREFIX, CLOZE_PREFIX)):
            return lines[first + 1 : last]
        if _is_bare_fence(text):
            return lines
    return lines


def _top_level(lines: list[Line], problems: list[FormatProblem]) -> list[bool]:
    """For each line, whether it is outside code fences (and not a fence line)."""
    top: list[bool] = []
    fence: tuple[str, int] | None = None
    for lineno, text in lines:
        match = FENCE_RE.match(text)
        if fence is not None:
            marker = fence[0]
            if match and match.group("fence")[0] == marker[0] and len(match.group("fence")) >= len(marker) and not match.group("info").strip():
                fence = None
            top.append(False)
            continue
        if match:
            fence = (match.group("fence"), lineno)
        top.append(match is None)
    if fence is not None:
        problems.append(FormatProblem(fence[1], f"code fence {fence[0]} opened here is never closed"))
    return top


def _card_starts(lines: list[Line], top: list[bool]) -> list[_Start]:
    # Whether the next Q:, C: or A: line after each line is an A: line: a Q:
    # card followed by one runs to the next Q: or C: line, without follow-ups.
    answer_next = [False] * len(lines)
    following = False
    for index in range(len(lines) - 1, -1, -1):
        answer_next[index] = following
        if top[index] and lines[index][1].startswith((QUESTION_PREFIX, CLOZE_PREFIX, ANSWER_PREFIX)):
            following = lines[index][1].startswith(ANSWER_PREFIX)

    starts: list[_Start] = []
    follow_ups = False
    for index, (_, text) in enumerate(lines):
        if not top[index]:
            continue
        if text.startswith(QUESTION_PREFIX):
            starts.append(_Start(index, "Q", text[len(QUESTION_PREFIX) :].strip()))
            follow_ups = not answer_next[index]
        elif text.startswith(CLOZE_PREFIX):
            starts.append(_Start(index, "C", text[len(CLOZE_PREFIX) :].strip()))
            follow_ups = False
        elif follow_ups and _is_follow_up(lines, index, starts[-1].index):
            starts.append(_Start(index, "?", text.strip()))
    return starts


def _is_follow_up(lines: list[Line], index: int, question_index: int) -> bool:
    text = lines[index][1]
    if not text.rstrip().endswith("?") or STRUCTURAL_RE.match(text):
        return False
    before_blank = index == question_index + 1 or not lines[index - 1][1].strip()
    after_blank = index + 1 == len(lines) or not lines[index + 1][1].strip()
    return before_blank and after_blank


def _unescape(lines: list[Line], top: list[bool]) -> list[Line]:
    return [
        (lineno, text[1:] if is_top and ESCAPED_MARKER_RE.match(text) and text.startswith("\\") else text)
        for (lineno, text), is_top in zip(lines, top, strict=True)
    ]


def _tags(lineno: int, text: str, inherited: tuple[str, ...], problems: list[FormatProblem]) -> tuple[str, ...]:
    return check_tags(lineno, TAG_SEPARATOR_RE.split(text[len(TAGS_PREFIX) :].strip()), inherited, problems)


def check_tags(
    lineno: int, names: Iterable[str], inherited: tuple[str, ...], problems: list[FormatProblem]
) -> tuple[str, ...]:
    """One card's tags, inherited ones first, each once. The rules hold for
    every import (the Anki one too): a tag must fit Tag.name and make a
    working `/review/?tag=` link, and a card's tags stay few enough to show."""
    tags = dict.fromkeys(inherited)  # a dict, not a list: thousands of tags stay linear
    for name in names:
        if not name:
            continue
        if len(name) > MAX_TAG_LENGTH:
            problems.append(
                FormatProblem(lineno, f"tag '{_shown(name[:20])}…' is longer than {MAX_TAG_LENGTH} characters")
            )
        elif not TAG_RE.fullmatch(name):
            problems.append(
                FormatProblem(lineno, f"tag '{_shown(name)}' may use only letters, digits and - _ . + / # :")
            )
        else:
            tags[name] = None
    if len(tags) > MAX_TAGS_PER_CARD:
        problems.append(FormatProblem(lineno, f"{len(tags)} tags: a card has at most {MAX_TAGS_PER_CARD}"))
    return tuple(tags)


def _shown(text: str) -> str:
    # A problem is printed to a terminal and shown on a page: control
    # characters and bidi overrides in it would garble both, so they are
    # written as escapes.
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def _join(lines: list[Line]) -> str:
    return "\n".join(text.rstrip() for _, text in lines).strip("\n")


# Cloze -----------------------------------------------------------------------


def cloze_deletions(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, str]]]:
    """The [deletions] of a cloze text as (start, end) offsets of the bracketed
    span, and problems as (line offset within the text, message).

    Read line by line: `\\[` and `\\]` are literal brackets, a `]` outside a
    deletion is literal, and code spans and math (`\\( \\)`, `\\[ \\]`, `$$ $$`)
    are never read for deletions. Lines inside code fences are skipped.
    """
    deletions: list[tuple[int, int]] = []
    problems: list[tuple[int, str]] = []
    offset = 0
    fenced = [not is_top for is_top in _top_level(list(enumerate(text.split("\n"))), [])]
    for number, line in enumerate(text.split("\n")):
        if not fenced[number]:
            _line_deletions(line, offset, number, deletions, problems)
        offset += len(line) + 1
    return deletions, problems


def _protected(line: str) -> list[tuple[int, int]]:
    spans = [match.span() for match in CODE_SPAN_RE.finditer(line)]
    last, gaps = 0, []
    for start, end in spans:
        gaps.append((last, start))
        last = end
    gaps.append((last, len(line)))
    for start, end in gaps:
        spans += [(start + m.start(), start + m.end()) for m in MATH_RE.finditer(line[start:end])]
    return sorted(spans)


def _line_deletions(line: str, offset: int, number: int, deletions: list, problems: list) -> None:
    skip = {start: end for start, end in _protected(line)}
    opened: int | None = None
    index = 0
    while index < len(line):
        if index in skip:
            index = skip[index]
            continue
        char = line[index]
        if char == "\\" and line[index + 1 : index + 2] in ("[", "]"):
            index += 2
            continue
        if char == "[":
            if opened is not None:
                problems.append((number, "a [deletion] cannot contain '['; write \\[ for a literal bracket"))
                return
            opened = index
        elif char == "]" and opened is not None:
            if not line[opened + 1 : index].strip():
                problems.append((number, "empty cloze deletion []"))
                return
            deletions.append((offset + opened, offset + index + 1))
            opened = None
        index += 1
    if opened is not None:
        problems.append((number, "'[' opens a cloze deletion that is never closed on its line; write \\[ for a literal bracket"))


def _cloze_cards(cloze: str, lineno: int, problems: list[FormatProblem]) -> list[tuple[str, str, str]]:
    """(question, answer, deletion) for each deletion of a cloze note."""
    deletions, found = cloze_deletions(cloze)
    problems += [FormatProblem(lineno + line, message) for line, message in found]
    if found:
        return []
    if not deletions:
        problems.append(FormatProblem(lineno, "a cloze card needs a [deletion]: C: [Paris] is the capital of France."))
        return []
    if len(deletions) > MAX_CLOZE_DELETIONS:
        problems.append(
            FormatProblem(lineno, f"{len(deletions)} cloze deletions in one note; at most {MAX_CLOZE_DELETIONS} (split it into several C: lines)")
        )
        return []
    cards = []
    for hidden in range(len(deletions)):
        question, answer, last = [], [], 0
        for number, (start, end) in enumerate(deletions):
            question.append(cloze[last:start])
            answer.append(cloze[last:start])
            content = cloze[start + 1 : end - 1]
            if number == hidden:
                # `[…](`, or `[…]:` starting a line, would be Markdown link syntax.
                after = cloze[end : end + 1]
                starts_line = not cloze[cloze.rfind("\n", 0, start) + 1 : start].strip()
                if after == "(" or (after == ":" and starts_line):
                    after = f"&#{ord(after)};"
                question.append(CLOZE_PLACEHOLDER + after)
                answer.append(CLOZE_ANSWER_HTML.format(content) + cloze[end : end + 1])
                last = end + 1
            else:
                question.append(content)
                answer.append(content)
                last = end
        question.append(cloze[last:])
        answer.append(cloze[last:])
        cards.append(("".join(question), "".join(answer), cloze[deletions[hidden][0] + 1 : deletions[hidden][1] - 1]))
    return cards


# Writing ---------------------------------------------------------------------


def dump(title: str, description: str, cards: Iterable[ParsedCard]) -> str:
    """A Q&A document that parses back to these cards (same questions,
    answers, tags and cloze notes), in order. Every question is written with
    an `A:` line, so questions may span lines and answers may hold anything;
    a cloze note is written once, where its first card is."""
    out = [f"# {title}", ""]
    if description:
        out += [*_escape(description.split("\n")), ""]
    written_notes: set[str] = set()
    for card in cards:
        if card.cloze and card.note_key:
            if card.note_key in written_notes:
                continue
            written_notes.add(card.note_key)
            out += _marker_lines(CLOZE_PREFIX, card.cloze.split("\n"), card.tags)
        else:
            out += _marker_lines(QUESTION_PREFIX, card.question.split("\n"), card.tags)
            out += _marker_lines(ANSWER_PREFIX, card.answer.split("\n") if card.answer else [], ())
        out.append("")
    return "\n".join(out)


def _marker_lines(prefix: str, lines: list[str], tags: tuple[str, ...]) -> list[str]:
    first = lines[0] if lines else ""
    # The rest of a marker line is stripped and never opens a code fence, so
    # such a first line goes on a line of its own.
    same_line = first == first.strip() and not FENCE_RE.match(first) and (first or len(lines) <= 1)
    head = f"{prefix} {first}".rstrip() if same_line else prefix
    rest = lines[1:] if same_line else lines
    out = [head]
    if prefix != ANSWER_PREFIX and (tags or (rest and rest[0].startswith(TAGS_PREFIX))):
        out.append(f"{TAGS_PREFIX} {' '.join(tags)}".rstrip())
    return out + _escape(rest)


def _escape(lines: list[str]) -> list[str]:
    top = _top_level(list(enumerate(lines)), [])
    return [
        "\\" + text if is_top and ESCAPED_MARKER_RE.match(text) else text for text, is_top in zip(lines, top, strict=True)
    ]
