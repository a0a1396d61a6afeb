"""The Q&A Markdown format, parsed in pure Python (no Django).

    # Deck title
    ```                      <- optional outer bare fence around the body
    Q: First question?
    Answer Markdown, any length, with real ``` code blocks inside.

    A follow-up question on its own paragraph?

    Its answer.
    ```

A card starts at a line beginning with `Q:`, or at a line ending in `?` that
stands alone as a paragraph outside code, lists, headings, tables and quotes.
"""

import hashlib
import re
from dataclasses import dataclass, field

FENCE_RE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
TITLE_RE = re.compile(r"^#[ \t]+(?P<title>.+?)[ \t#]*$")
QUESTION_PREFIX = "Q:"
# Lines that belong to a block structure, so a `?` at their end is answer text.
STRUCTURAL_RE = re.compile(r"^(\s|#|>|\||[-*+][ \t]|\d{1,9}[.)][ \t])")


@dataclass(frozen=True)
class ParsedCard:
    question: str
    answer: str
    position: int
    source_key: str
    line: int


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


def parse(text: str, deck_title: str | None = None) -> ParsedDeck:
    """Parse a Q&A document. `deck_title` overrides the `# Title` heading."""
    lines = list(enumerate(text.splitlines(), start=1))
    title, lines = _take_title(lines)
    title = deck_title or title
    lines = _unwrap_outer_fence(lines)

    problems: list[FormatProblem] = []
    starts = _question_starts(lines, problems)
    if problems:
        raise QAFormatError(problems)
    if not title:
        first = lines[0][0] if lines else 1
        problems.append(FormatProblem(first, "no deck title: start the file with a '# Title' line"))
    if not starts:
        last = lines[-1][0] if lines else 1
        problems.append(FormatProblem(last, "no cards found: a card starts with a line 'Q: your question'"))
    if problems:
        raise QAFormatError(problems)

    description = _join(lines[: starts[0][0]])
    cards: list[ParsedCard] = []
    seen: dict[str, int] = {}
    for number, (index, question) in enumerate(starts, start=1):
        end = starts[number][0] if number < len(starts) else len(lines)
        lineno = lines[index][0]
        if not question:
            problems.append(FormatProblem(lineno, "empty question after 'Q:'"))
            continue
        key = source_key(title, question)
        if key in seen:
            problems.append(
                FormatProblem(lineno, f"duplicate question, first asked on line {seen[key]}")
            )
            continue
        seen[key] = lineno
        cards.append(
            ParsedCard(
                question=question,
                answer=_join(lines[index + 1 : end]),
                position=len(cards) + 1,
                source_key=key,
                line=lineno,
            )
        )
    if problems:
        raise QAFormatError(problems)
    return ParsedDeck(title=title, description=description, cards=cards)


Line = tuple[int, str]


def _take_title(lines: list[Line]) -> tuple[str | None, list[Line]]:
    for position, (_, text) in enumerate(lines):
        if not text.strip():
            continue
        match = TITLE_RE.match(text)
        if match:
            return match.group("title").strip(), lines[position + 1 :]
        return None, lines[position:]
    return None, []


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
        if text.startswith(QUESTION_PREFIX):
            return lines[first + 1 : last]
        if _is_bare_fence(text):
            return lines
    return lines


def _question_starts(lines: list[Line], problems: list[FormatProblem]) -> list[tuple[int, str]]:
    """(index into lines, question text) for every card start."""
    starts: list[tuple[int, str]] = []
    fence: tuple[str, int] | None = None
    for index, (lineno, text) in enumerate(lines):
        match = FENCE_RE.match(text)
        if fence is not None:
            marker = fence[0]
            if match and match.group("fence")[0] == marker[0] and len(match.group("fence")) >= len(marker) and not match.group("info").strip():
                fence = None
            continue
        if match:
            fence = (match.group("fence"), lineno)
            continue
        if text.startswith(QUESTION_PREFIX):
            starts.append((index, text[len(QUESTION_PREFIX) :].strip()))
        elif starts and _is_follow_up(lines, index, starts[-1][0]):
            starts.append((index, text.strip()))
    if fence is not None:
        problems.append(
            FormatProblem(fence[1], f"code fence {fence[0]} opened here is never closed")
        )
    return starts


def _is_follow_up(lines: list[Line], index: int, question_index: int) -> bool:
    text = lines[index][1]
    if not text.rstrip().endswith("?") or STRUCTURAL_RE.match(text):
        return False
    before_blank = index == question_index + 1 or not lines[index - 1][1].strip()
    after_blank = index + 1 == len(lines) or not lines[index + 1][1].strip()
    return before_blank and after_blank


def _join(lines: list[Line]) -> str:
    return "\n".join(text.rstrip() for _, text in lines).strip("\n")
