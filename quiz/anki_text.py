"""Anki's "Notes in Plain Text" export, parsed in pure Python (no Django).

    #separator:tab
    #html:true
    #tags column:3
    Front<TAB>Back<TAB>tag1 tag2

Header lines come first and are all optional; without `#tags column` a third
column is the tags. Fields are quoted CSV-style when they hold the separator,
a quote or a line break. Only two-field notes (front and back) make cards;
`#notetype`, `#deck` and `#guid` columns are read past.
"""

import csv
import html
import re
from dataclasses import dataclass

from quiz.qa_format import FormatProblem, QAFormatError, check_tags, title_problems

SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
HEADER_RE = re.compile(r"^#(?P<key>[a-z ]+):(?P<value>.*)$")
SKIPPED_COLUMNS = ("notetype column", "deck column", "guid column")
MAX_COLUMN = 999
COLUMN_RE = re.compile(r"[0-9]{1,3}")
LINE_RE = re.compile(r"[^\n]*\n|[^\n]+\Z")


@dataclass(frozen=True)
class Note:
    front: str
    back: str
    tags: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Header:
    separator: str = "\t"
    html: bool = True
    tags_column: int | None = None  # 1-based
    skipped: frozenset[int] = frozenset()
    deck: str | None = None


def parse_notes(text: str) -> list[Note]:
    """The notes of an export, or QAFormatError naming the line of every problem."""
    lines = _lines(text)
    header, first_note_line, problems = _read_header(lines)
    notes: list[Note] = []
    seen: dict[str, int] = {}
    reader = csv.reader(lines[first_note_line - 1 :], delimiter=header.separator, quotechar='"', strict=True)
    line = first_note_line
    while True:
        start = line
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(FormatProblem(start, f"cannot read this note: {error}"))
            break
        line = first_note_line + reader.line_num
        if not any(field.strip() for field in row):
            continue
        note = _note(row, header, start, problems)
        if note is None:
            continue
        if note.front in seen:
            problems.append(FormatProblem(start, f"duplicate front, first on line {seen[note.front]}"))
            continue
        seen[note.front] = start
        notes.append(note)
    if not notes and not problems:
        problems.append(FormatProblem(max(first_note_line, 1), "no notes: expected front<TAB>back lines"))
    if problems:
        raise QAFormatError(problems)
    return notes


def deck_name(text: str) -> str | None:
    """The `#deck:` header's deck name, if the export has one."""
    header, _, _ = _read_header(_lines(text))
    return header.deck


def _lines(text: str) -> list[str]:
    # Only "\n" ends a line, as for every other FILE:LINE here; str.splitlines
    # would also break at form feeds and U+2028 inside a field.
    return LINE_RE.findall(text)


def _read_header(lines: list[str]) -> tuple[Header, int, list[FormatProblem]]:
    values: dict = {}
    problems: list[FormatProblem] = []
    number = 0
    for number, raw in enumerate(lines, start=1):
        match = HEADER_RE.match(raw.rstrip("\r\n"))
        if not raw.startswith("#"):
            return Header(**values), number, problems
        if match is None:
            problems.append(FormatProblem(number, f"unknown header line {raw.strip()!r}"))
            continue
        key, value = match.group("key"), match.group("value").strip()
        if key == "separator":
            separator = SEPARATORS.get(value.lower(), value if len(value) == 1 else None)
            if separator is None:
                problems.append(FormatProblem(number, f"unknown separator {value!r}"))
            else:
                values["separator"] = separator
        elif key == "html":
            values["html"] = value.lower() == "true"
        elif key == "tags column" or key in SKIPPED_COLUMNS:
            # Not str.isdigit: it takes '²' (which int() refuses) and '١' (which
            # int() reads as 1), and any number of digits.
            if not COLUMN_RE.fullmatch(value) or int(value) < 1:
                shown = repr(value[:20]) + ("…" if len(value) > 20 else "")
                problems.append(FormatProblem(number, f"#{key} needs a column number from 1 to {MAX_COLUMN}, not {shown}"))
            elif key == "tags column":
                values["tags_column"] = int(value)
            else:
                values["skipped"] = values.get("skipped", frozenset()) | {int(value)}
        elif key == "deck":
            problems += title_problems(value, number, "the #deck: name")
            values["deck"] = value or None
        # Other headers (#notetype:, #columns:, #if matches:) change nothing here.
    return Header(**values), number + 1, problems


def _note(row: list[str], header: Header, line: int, problems: list[FormatProblem]) -> Note | None:
    tags_column = header.tags_column
    if tags_column is None and len(row) == 3 and not header.skipped:
        tags_column = 3  # an export without headers: front, back, tags
    tags_text = row[tags_column - 1] if tags_column and tags_column <= len(row) else ""
    fields = [
        value for index, value in enumerate(row, start=1) if index != tags_column and index not in header.skipped
    ]
    if len(fields) != 2:
        problems.append(
            FormatProblem(line, f"a note needs a front and a back; this one has {len(fields)} field(s)")
        )
        return None
    front, back = (value.strip() if header.html else html.escape(value.strip(), quote=False) for value in fields)
    if not front:
        problems.append(FormatProblem(line, "empty front"))
        return None
    tags = check_tags(line, tags_text.split(), (), problems)
    return Note(front=front, back=back, tags=tags, line=line)
