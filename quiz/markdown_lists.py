"""GitHub-style lists: a list may start on the line right after a paragraph.

Python-Markdown wants a blank line before a list; GitHub does not, and Q&A
files written for GitHub ("Where:" then "- X is ...") otherwise render as one
run-on paragraph. mdx-breakless-lists does the work (it inserts that blank
line and keeps `<ol start>`, unlike mdx-truly-sane-lists). Two changes to how
it is registered:

- It runs after fenced_code (priority 24, below fenced_code's 25) instead of
  before it (27): at 27 it inserted blank lines inside fenced code, changing
  the code a learner sees.
- Only list markers indented by at most three spaces count. A line indented
  by four is indented code or a lazy continuation; a blank line put before it
  would turn prose into a code block or split a code block in two.

Before that, lines inside a list are re-indented to Python-Markdown's four
spaces per level: GitHub nests a list under an item when it is indented to
the item's text ("1. Item" then "   - sub", three spaces), where
Python-Markdown would read "- sub" as more of the item's text.
"""

import re

from markdown import Markdown
from markdown.extensions import Extension
from mdx_breakless_lists.mdx_breakless_lists import BreaklessListsProcessor

AFTER_FENCED_CODE = 24


MARKER_RE = re.compile(r"^(?P<indent> *)(?P<marker>\d{1,9}[.)]|[*+-])(?P<gap> +)(?=\S)")
RULE_RE = re.compile(r"^ {0,3}([-*_])( *\1){2,} *$")  # "* * *" is a horizontal rule, not an item
TAB_LENGTH = 4


class TopLevelBreaklessListsProcessor(BreaklessListsProcessor):
    def __init__(self, parser) -> None:
        super().__init__(parser)
        self.LI_RE = re.compile(r"^[ ]{0,3}((\d+\.)|[*+-])[ ]+.*")

    def run(self, lines: list[str]) -> list[str]:
        return super().run(nest_as_github_does(lines))


def nest_as_github_does(lines: list[str]) -> list[str]:
    """Re-indent list lines so each level is four spaces, as Python-Markdown wants.

    `columns` holds, per open list level, the column where that item's text
    starts in the source: a line indented at least that far belongs to it.
    """
    out: list[str] = []
    columns: list[int] = []
    after_blank = False
    for line in lines:
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if not stripped:
            out.append(line)
            after_blank = True
            continue
        marker = None if RULE_RE.match(line) else MARKER_RE.match(line)
        if marker and (columns or indent < TAB_LENGTH):
            while columns and indent < columns[-1]:
                columns.pop()
            out.append(" " * (TAB_LENGTH * len(columns)) + stripped)
            columns.append(indent + len(marker.group("marker")) + len(marker.group("gap")))
        elif columns and indent:
            depth = sum(1 for column in columns if column <= indent)
            if depth:
                out.append(" " * (TAB_LENGTH * depth + indent - columns[depth - 1]) + stripped)
            else:
                out.append(line)
        else:
            if after_blank or not columns:
                columns = []
            out.append(line)
        after_blank = False
    return out


class GitHubLists(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(
            TopLevelBreaklessListsProcessor(md.parser), "breakless_lists", AFTER_FENCED_CODE
        )
        md.registerExtension(self)
