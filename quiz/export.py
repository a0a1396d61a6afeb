"""The user's own data as JSON: settings, progress and the full review log.

Format version 1 is documented field by field in README ("Your data").
Cards are referenced by deck slug, import key and question, so the file
restores into another install that has the same decks.
"""

import datetime as dt
import json
from collections.abc import Iterator

from django.utils import timezone

from quiz.models import CardProgress, ReviewLog

FORMAT = "flashcards-export"
VERSION = 1
USER_FIELDS = ("username", "email", "time_zone", "day_starts_at", "new_cards_per_day", "max_reviews_per_day", "grade_buttons")
PROGRESS_FIELDS = (
    "easiness", "repetitions", "interval", "due", "lapses", "suspended",
    "buried_until", "drill_on", "last_reviewed_at", "version",
)
LOG_FIELDS = (
    "grade", "kind", "review_day", "reviewed_at", "answer_ms",
    "easiness_before", "repetitions_before", "interval_before", "due_before",
    "easiness_after", "repetitions_after", "interval_after", "due_after",
    "lapses_before", "drill_on_before", "last_reviewed_at_before", "progress_created", "made_leech",
)
CARD_FIELDS = ("card__deck__slug", "card__source_key", "card__question")


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is not None and not isinstance(value, (bool, int, str)):
        return str(value)  # Decimal: exact, as text
    return value


def _row(values: dict, fields: tuple[str, ...]) -> dict:
    row = {"card": {"deck": values["card__deck__slug"], "source_key": values["card__source_key"], "question": values["card__question"]}}
    row.update({name: _plain(values[name]) for name in fields})
    return row


def export_chunks(user) -> Iterator[str]:
    """The export as JSON text, streamed: the log may be long."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "user": {name: getattr(user, name) for name in USER_FIELDS},
    }
    yield json.dumps(header)[:-1] + ', "progress": ['
    progress = CardProgress.objects.filter(user=user).order_by("id").values(*CARD_FIELDS, *PROGRESS_FIELDS)
    for index, values in enumerate(progress.iterator(chunk_size=2000)):
        yield ("," if index else "") + "\n" + json.dumps(_row(values, PROGRESS_FIELDS))
    yield '\n], "review_log": ['
    logs = ReviewLog.objects.filter(user=user).order_by("reviewed_at", "id").values(*CARD_FIELDS, *LOG_FIELDS)
    for index, values in enumerate(logs.iterator(chunk_size=2000)):
        yield ("," if index else "") + "\n" + json.dumps(_row(values, LOG_FIELDS))
    yield "\n]}\n"
