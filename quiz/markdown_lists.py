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
"""

import re

from markdown import Markdown
from markdown.extensions import Extension
from mdx_breakless_lists.mdx_breakless_lists import BreaklessListsProcessor

AFTER_FENCED_CODE = 24


class TopLevelBreaklessListsProcessor(BreaklessListsProcessor):
    def __init__(self, parser) -> None:
        super().__init__(parser)
        self.LI_RE = re.compile(r"^[ ]{0,3}((\d+\.)|[*+-])[ ]+.*")


class GitHubLists(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(
            TopLevelBreaklessListsProcessor(md.parser), "breakless_lists", AFTER_FENCED_CODE
        )
        md.registerExtension(self)
