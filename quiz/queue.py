"""Today's review queue for one user: what comes next and how much is left.

Order: due reviews (oldest due first), then new cards in deck order within
the new-cards-per-day limit, all capped by the maximum reviews per day; then
the same-day drill of cards graded below 4. A fixed handful of queries,
whatever the deck size.
"""

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection

from quiz.models import Card, CardProgress, Deck, NewCardFrontier, ReviewLog, Tag
from quiz.rows import Columns, instances


@dataclass(frozen=True)
class QueueItem:
    card: Card
    progress: CardProgress | None
    kind: str  # ReviewLog.Kind value
    tags: tuple[str, ...] = ()  # the card's tag names, sorted

    @property
    def kind_label(self) -> str:
        return {"new": "New", "review": "Review", "drill": "Once more today"}[self.kind]

    @property
    def shown_version(self) -> int:
        """The version a grade must name: 0 for a card never answered."""
        return self.progress.shown_version if self.progress else 0


@dataclass(frozen=True)
class Queue:
    day: dt.date
    next: QueueItem | None
    due_left: int
    new_left: int
    drill_left: int
    done_today: int

    @property
    def left(self) -> int:
        return self.due_left + self.new_left + self.drill_left

    @property
    def total(self) -> int:
        return self.done_today + self.left


# One round trip for every count and the candidate due and drill cards. The
# same rules as CardProgress.objects.due_for / drill_for, in SQL written once:
# composing them through the ORM cost more Python time than the database
# spent answering (see `make bench`); a test checks the two agree.
QUEUE_SQL = """
SELECT
  (SELECT COUNT(*) FROM {log} l WHERE l.user_id = %(user)s AND l.review_day = %(day)s AND l.kind = 'new'),
  (SELECT COUNT(*) FROM {log} l WHERE l.user_id = %(user)s AND l.review_day = %(day)s AND l.kind = 'review'),
  (SELECT COUNT(*) FROM {log} l {log_scope} WHERE l.user_id = %(user)s AND l.review_day = %(day)s AND l.kind IN ('new', 'review', 'drill')),
  (SELECT COUNT(*) FROM (SELECT 1 FROM {progress} p {progress_scope} WHERE {due} LIMIT %(cap)s) due_capped),
  (SELECT p.card_id FROM {progress} p {progress_scope} WHERE {due} ORDER BY p.due, p.last_reviewed_at, p.id LIMIT 1),
  (SELECT COUNT(*) FROM {progress} p {progress_scope} WHERE {drill}),
  (SELECT p.card_id FROM {progress} p {progress_scope} WHERE {drill} ORDER BY p.last_reviewed_at, p.id LIMIT 1),
  (SELECT {frontiers} FROM {deck} d LEFT JOIN {frontier} f ON f.deck_id = d.id AND f.user_id = %(user)s {deck_where})
"""
# Custom study answers (review ahead, cram, mistakes) are not today's
# reviews: the third count leaves them out, as the first two do.
# "deck:position:card_id,…": each deck in scope with the user's frontier in
# it, folded into the same statement to save a round trip.
FRONTIER_TEXT = "d.id || ':' || COALESCE(f.position, -1) || ':' || COALESCE(f.card_id, -1)"
CARD_TAGS = Card.tags.through._meta.db_table
# Cards with the tag in scope: the (card, tag) pair is unique, so joining
# the through table never repeats a row.
TAGGED = f"JOIN {CARD_TAGS} ct ON ct.card_id = {{card}} AND ct.tag_id = %(tag)s"
ACTIVE = "NOT p.suspended AND (p.buried_until IS NULL OR p.buried_until <= %(day)s)"
CARD = Card._meta.db_table
PROGRESS = CardProgress._meta.db_table


def first_unseen_from(user, deck_id: int, position: int, card_id: int) -> tuple[int, int] | None:
    """(position, card_id) of the first card at or after the given place in
    the deck that the user has no progress row for."""
    with connection.cursor() as cursor:
        cursor.execute(UNSEEN_FROM_SQL.format(n=0), [deck_id, position, position, card_id, user.pk, 1])
        row = cursor.fetchone()
    return (row[1], row[2]) if row else None


def _queue_sql(deck: Deck | None, tag: Tag | None = None) -> str:
    deck_filter = " AND c.deck_id = %(deck)s" if deck is not None else ""
    log_scope = f"JOIN {CARD} c ON c.id = l.card_id{deck_filter}" if deck else ""
    progress_scope = f"JOIN {CARD} c ON c.id = p.card_id{deck_filter}" if deck else ""
    if tag is not None:
        log_scope += " " + TAGGED.format(card="l.card_id")
        progress_scope += " " + TAGGED.format(card="p.card_id")
    return QUEUE_SQL.format(
        log=ReviewLog._meta.db_table,
        progress=PROGRESS,
        log_scope=log_scope,
        progress_scope=progress_scope,
        due=f"p.user_id = %(user)s AND p.due <= %(day)s AND {ACTIVE}",
        drill=f"p.user_id = %(user)s AND p.drill_on = %(day)s AND {ACTIVE}",
        deck=Deck._meta.db_table,
        frontier=NewCardFrontier._meta.db_table,
        deck_where="WHERE d.id = %(deck)s" if deck is not None else "",
        frontiers=(
            f"string_agg({FRONTIER_TEXT}, ',')" if connection.vendor == "postgresql" else f"group_concat({FRONTIER_TEXT}, ',')"
        ),
    )


def _parse_frontiers(text: str | None) -> list[tuple[int, int, int]]:
    return sorted(tuple(int(part) for part in item.split(":")) for item in (text or "").split(",") if item)


FRONTIERS_SQL = f"""
SELECT d.id, COALESCE(f.position, -1), COALESCE(f.card_id, -1) FROM {Deck._meta.db_table} d
LEFT JOIN {NewCardFrontier._meta.db_table} f ON f.deck_id = d.id AND f.user_id = %s"""
# Cards of one deck, from a frontier on, that the user has no progress row for.
UNSEEN_FROM_SQL = f"""
SELECT * FROM (
  SELECT c.deck_id, c.position, c.id FROM {CARD} c
  WHERE c.deck_id = %s AND c.position >= %s AND (c.position > %s OR c.id >= %s)
    AND NOT EXISTS (SELECT 1 FROM {PROGRESS} p WHERE p.card_id = c.id AND p.user_id = %s)
  ORDER BY c.position, c.id LIMIT %s
) AS unseen_{{n}}"""
TAG_FILTER = f"AND EXISTS (SELECT 1 FROM {CARD_TAGS} ct WHERE ct.card_id = c.id AND ct.tag_id = %s)"
# The same with a tag: its parameter comes right after the user's.
UNSEEN_TAGGED_FROM_SQL = UNSEEN_FROM_SQL.replace("\n  ORDER BY c.position", f" {TAG_FILTER}\n  ORDER BY c.position")
# Cards the user has a row for but never answered (buried or suspended while
# new), now visible again. Few, and found by the (user, due) index.
WAITING_SQL = f"""
SELECT * FROM (
  SELECT c.deck_id, c.position, c.id FROM {PROGRESS} p JOIN {CARD} c ON c.id = p.card_id
  WHERE p.user_id = %s AND p.due IS NULL AND NOT p.suspended
    AND (p.buried_until IS NULL OR p.buried_until <= %s) {{deck_filter}} {{tag_filter}}
  ORDER BY c.deck_id, c.position, c.id LIMIT %s
) AS waiting"""


def unseen_cards(
    user,
    *,
    day: dt.date,
    limit: int,
    deck: Deck | None = None,
    tag: Tag | None = None,
    frontiers: list[tuple[int, int, int]] | None = None,
) -> list[tuple[int, int, int]]:
    """Up to `limit` new cards per deck, as (deck_id, position, card_id), in
    deck order: the same set as Card.objects.new_for, found from each deck's
    NewCardFrontier instead of from the top of the deck. `frontiers`, as
    (deck_id, position, card_id) with -1 for none, saves looking them up.
    With a tag, only its cards: the scan from the frontier skips the others."""
    if limit <= 0:
        return []
    if frontiers is None:
        with connection.cursor() as cursor:
            cursor.execute(FRONTIERS_SQL + (" WHERE d.id = %s" if deck else "") + " ORDER BY d.id", [user.pk, *([deck.pk] if deck else [])])
            frontiers = cursor.fetchall()
    tag_filter, tag_params = (TAG_FILTER, [tag.pk]) if tag is not None else ("", [])
    unseen_sql = UNSEEN_TAGGED_FROM_SQL if tag is not None else UNSEEN_FROM_SQL
    parts, params = [], []
    for n, (deck_id, position, card_id) in enumerate(frontiers):
        parts.append(unseen_sql.format(n=n))
        params += [deck_id, position, position, card_id, user.pk, *tag_params, limit]
    parts.append(WAITING_SQL.format(deck_filter="AND c.deck_id = %s" if deck else "", tag_filter=tag_filter))
    params += [user.pk, day, *([deck.pk] if deck else []), *tag_params, limit]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return sorted(cursor.fetchall())


def build_queue(user, *, day: dt.date, deck: Deck | None = None, tag: Tag | None = None) -> Queue:
    # Counting due cards stops at the daily maximum: more could never be shown.
    params = {
        "user": user.pk, "day": day, "deck": deck.pk if deck else None, "tag": tag.pk if tag else None,
        "cap": user.max_reviews_per_day,
    }
    with connection.cursor() as cursor:
        cursor.execute(_queue_sql(deck, tag), params)
        (done_new, done_review, done_in_scope, due, next_due, drill, next_drill, frontiers) = cursor.fetchone()

    review_cap = max(0, user.max_reviews_per_day - done_new - done_review)
    due_left = min(due, review_cap)
    new_quota = min(max(0, user.new_cards_per_day - done_new), review_cap - due_left)
    unseen = unseen_cards(user, day=day, limit=new_quota, deck=deck, tag=tag, frontiers=_parse_frontiers(frontiers))[:new_quota]
    new_left = len(unseen)

    next_card = next_due if due_left else unseen[0][2] if new_left else next_drill if drill else None
    return Queue(
        day=day,
        next=queue_item_for(user, next_card, day) if next_card is not None else None,
        due_left=due_left,
        new_left=new_left,
        drill_left=drill,
        done_today=done_in_scope,
    )


# The columns of the answer path's hand-written reads, here and in services.
CARD_COLUMNS, DECK_COLUMNS, PROGRESS_COLUMNS = Columns(Card, "c"), Columns(Deck, "d"), Columns(CardProgress, "p")
# The card's tag names as one JSON array, folded in to save a round trip.
TAG_NAMES = (
    f"(SELECT {'json_agg' if connection.vendor == 'postgresql' else 'json_group_array'}(t.name) FROM {Tag._meta.db_table} t"
    f" JOIN {CARD_TAGS} ct ON ct.tag_id = t.id WHERE ct.card_id = c.id)"
)
ITEM_SQL = f"""
SELECT {CARD_COLUMNS.sql}, {DECK_COLUMNS.sql}, {PROGRESS_COLUMNS.sql}, {TAG_NAMES} FROM {CARD} c
JOIN {Deck._meta.db_table} d ON d.id = c.deck_id
LEFT JOIN {PROGRESS} p ON p.card_id = c.id AND p.user_id = %s
WHERE c.id = %s"""


def queue_item_for(user, card_id: int, day: dt.date) -> QueueItem | None:
    """The card as the review page shows it, with its deck, its tags and the
    user's state and kind; None for no such card. One statement: it runs on
    every grade and flip, where composing the same through the ORM cost more
    than the database did (see `make bench`)."""
    if not 0 < card_id < 2**63:  # no such id, and the database would refuse the number
        return None
    with connection.cursor() as cursor:
        cursor.execute(ITEM_SQL, [user.pk, card_id])
        row = cursor.fetchone()
    if row is None:
        return None
    card, deck, progress = instances(row, CARD_COLUMNS, DECK_COLUMNS, PROGRESS_COLUMNS)
    card.deck = deck
    if progress is not None:
        progress.card = card
    return QueueItem(card, progress, kind_of(progress, day), _tag_names(row[-1]))


def _tag_names(value) -> tuple[str, ...]:
    """PostgreSQL hands back the JSON parsed (NULL for none), SQLite as text."""
    if isinstance(value, str):
        value = json.loads(value)
    return tuple(sorted(value or ()))


def kind_of(progress: CardProgress | None, day: dt.date) -> str:
    if progress is None or progress.is_new:
        return ReviewLog.Kind.NEW
    if progress.drill_on == day and progress.due > day:
        return ReviewLog.Kind.DRILL
    return ReviewLog.Kind.REVIEW
