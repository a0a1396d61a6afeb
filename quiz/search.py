"""Full-text search over cards' question and answer text (the Markdown the
author wrote, not the rendered HTML).

PostgreSQL: the stored generated column quiz_card.search_vector with a GIN
index, matched with plainto_tsquery, ranked with ts_rank and highlighted
with ts_headline.
SQLite: the FTS5 table quiz_card_fts, kept in step with quiz_card by
triggers (so bulk_create and queryset.update keep it current too), ranked
with bm25 and highlighted with snippet(). Both made by migration 0005.

User text never reaches either query language as syntax: it is cut into
words, and each word becomes one quoted FTS5 phrase or one plainto_tsquery
word. Every word must match (any order; both stem English words).
"""

import re

from django.db import connection
from django.db.models import BooleanField, FloatField
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_QUERY_LENGTH = 200  # characters; the form refuses longer searches
# Different words in one search. ts_headline's cost grows with the words of
# the query times their occurrences in a card (a word repeated 100 times
# against a card full of it took 30 s), so words are counted once and capped.
MAX_SEARCH_WORDS = 8
# Private-use characters: the databases put them around each match, and
# only they become <mark> after the snippet is escaped.
MARK_START, MARK_END = "\ue000", "\ue001"

FTS_TABLE = "quiz_card_fts"
CARD_TABLE = "quiz_card"
SEARCH_CONFIG = "english"
SEARCH_VECTOR = f"{CARD_TABLE}.search_vector"
SEARCH_QUERY = f"plainto_tsquery('{SEARCH_CONFIG}'::regconfig, %s)"
# The same words for ts_headline, each lexeme once: "x x. X," or "compute
# computes" are one lexeme, and ts_headline pays for every query item at
# every occurrence in the card (a repeated word cost seconds a card). The
# stems are looked up again with 'simple', which only lowercases them.
HEADLINE_QUERY = (
    f"plainto_tsquery('simple'::regconfig, array_to_string("
    f"tsvector_to_array(to_tsvector('{SEARCH_CONFIG}'::regconfig, %s)), ' '))"
)


def search_words(text: str) -> list[str]:
    """The different words of a search, in order: runs of non-space with a
    letter or digit in them (the rest, lone quotes, dashes, stars, brackets,
    cannot match), each once whatever its case."""
    words: dict[str, str] = {}
    for word in text.split():
        if re.search(r"\w", word):
            words.setdefault(word.casefold(), word)
    return list(words.values())


def fts5_query(words: list[str]) -> str:
    """Each word as a quoted FTS5 phrase ("" escapes a quote): NEAR(, AND,
    * and unbalanced quotes are then only text."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def _query_param(words: list[str]) -> str:
    return fts5_query(words) if connection.vendor == "sqlite" else " ".join(words)


def matches(words: list[str]) -> RawSQL:
    """A condition on quiz_card: the card contains every word."""
    if connection.vendor == "postgresql":
        return RawSQL(f"{SEARCH_VECTOR} @@ {SEARCH_QUERY}", [_query_param(words)], output_field=BooleanField())
    return RawSQL(
        f"{CARD_TABLE}.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)",
        [_query_param(words)],
        output_field=BooleanField(),
    )


def ranked_ids(cards, words: list[str], *, offset: int, limit: int) -> list[int]:
    """Ids of the cards in `cards` (a Card queryset) that hold every word,
    best match first, one page of them: one query. The rank is read once
    per match, in the database's own search code (a rank looked up per row
    from SQL cost seconds at 100,000 matches)."""
    if cards.query.where:
        subquery, params = cards.order_by().values("id").query.sql_with_params()
        within = f"AND {{id}} IN ({subquery})"
    else:
        within, params = "", ()
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT id FROM {CARD_TABLE} WHERE {SEARCH_VECTOR} @@ {SEARCH_QUERY} {within.format(id='id')} "
            f"ORDER BY ts_rank({SEARCH_VECTOR}, {SEARCH_QUERY}) DESC, id LIMIT %s OFFSET %s"
        )
        params = [_query_param(words), *params, _query_param(words), limit, offset]
    else:
        # bm25: lower is better.
        sql = (
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s {within.format(id='rowid')} "
            f"ORDER BY rank, rowid LIMIT %s OFFSET %s"
        )
        params = [_query_param(words), *params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def snippets(card_ids: list[int], words: list[str]) -> dict[int, SafeString]:
    """A short excerpt of each card around its matches, as safe HTML: one
    query for a page of cards."""
    if not card_ids or not words:
        return {}
    placeholders = ", ".join(["%s"] * len(card_ids))
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT id, ts_headline('{SEARCH_CONFIG}'::regconfig, question || ' ' || answer, {HEADLINE_QUERY}, "
            f"'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"') "
            f"FROM {CARD_TABLE} WHERE id IN ({placeholders})"
        )
    else:
        sql = (
            f"SELECT rowid, snippet({FTS_TABLE}, -1, '{MARK_START}', '{MARK_END}', '…', 24) "
            f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid IN ({placeholders})"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_query_param(words), *card_ids])
        return {card_id: highlighted(text or "") for card_id, text in cursor.fetchall()}


def highlighted(text: str) -> SafeString:
    """The database's snippet with every character escaped and its match
    marks (only those) turned into <mark>. A mark character in the card text
    itself can at worst add a highlight; the tags always balance."""
    parts, inside = [], False
    for piece in re.split(f"([{MARK_START}{MARK_END}])", text):
        if piece == MARK_START:
            if not inside:
                parts.append("<mark>")
                inside = True
        elif piece == MARK_END:
            if inside:
                parts.append("</mark>")
                inside = False
        else:
            parts.append(escape(piece))
    if inside:
        parts.append("</mark>")
    return mark_safe("".join(parts))
