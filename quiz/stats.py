"""One user's numbers, computed by SQL aggregates: never by loading logs.

Each function runs a fixed number of queries whatever the history size.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Min, Q, Sum

from quiz.models import CardProgress, Deck, ReviewLog, Tag, active_on
from quiz.queue import unseen_cards

YOUNG_MATURE_DAYS = 21
INTERVAL_BUCKETS = [(1, 1), (2, 3), (4, 7), (8, 14), (15, 30), (31, 90), (91, 180), (181, 365), (366, None)]
EASINESS_BUCKETS = [
    (Decimal("1.30"), Decimal("1.50")),
    (Decimal("1.50"), Decimal("1.70")),
    (Decimal("1.70"), Decimal("1.90")),
    (Decimal("1.90"), Decimal("2.10")),
    (Decimal("2.10"), Decimal("2.30")),
    (Decimal("2.30"), Decimal("2.50")),
    (Decimal("2.50"), Decimal("2.70")),
    (Decimal("2.70"), None),
]


def _logs(user, deck: Deck | None, tag: Tag | None = None):
    logs = ReviewLog.objects.filter(user=user)
    logs = logs if deck is None else logs.filter(card__deck=deck)
    return logs if tag is None else logs.filter(card__tags=tag)


def _progress(user, deck: Deck | None, tag: Tag | None = None):
    return CardProgress.objects.filter(user=user).in_scope(deck, tag)


# Dashboard --------------------------------------------------------------------


@dataclass(frozen=True)
class DeckRow:
    deck: Deck
    due: int
    new: int
    learning: int
    suspended: int


def deck_rows(user, *, day: dt.date, new_quota: int) -> list[DeckRow]:
    """Per deck: due today, new available today, in the same-day drill, suspended."""
    decks = list(Deck.objects.order_by("name"))
    scheduled = {
        row["card__deck"]: row
        for row in CardProgress.objects.filter(user=user)
        .values("card__deck")
        .annotate(
            # The queue's own rules, so the dashboard never promises a card
            # the review page will not show.
            due=Count("id", filter=Q(due__lte=day) & active_on(day)),
            learning=Count("id", filter=Q(drill_on=day) & active_on(day)),
            suspended=Count("id", filter=Q(suspended=True)),
        )
    }
    unseen = Counter(deck_id for deck_id, _, _ in unseen_cards(user, day=day, limit=new_quota))
    empty = {"due": 0, "learning": 0, "suspended": 0}
    return [
        DeckRow(
            deck=deck,
            due=scheduled.get(deck.pk, empty)["due"],
            new=min(unseen[deck.pk], new_quota),
            learning=scheduled.get(deck.pk, empty)["learning"],
            suspended=scheduled.get(deck.pk, empty)["suspended"],
        )
        for deck in decks
    ]


@dataclass(frozen=True)
class Today:
    reviewed: int
    correct: int
    time_ms: int
    new_seen: int

    @property
    def correct_percent(self) -> int | None:
        return round(100 * self.correct / self.reviewed) if self.reviewed else None

    @property
    def minutes(self) -> float:
        return round(self.time_ms / 60_000, 1)


def today_numbers(user, *, day: dt.date, deck: Deck | None = None, tag: Tag | None = None) -> Today:
    totals = _logs(user, deck, tag).filter(review_day=day).aggregate(
        reviewed=Count("id"),
        correct=Count("id", filter=Q(grade__gte=3)),
        time_ms=Sum("answer_ms", default=0),
        new_seen=Count("id", filter=Q(kind=ReviewLog.Kind.NEW)),
    )
    return Today(**totals)


def next_due(user, *, day: dt.date, deck: Deck | None = None, tag: Tag | None = None) -> dt.date | None:
    """When the next scheduled cards come due after today."""
    return (
        _progress(user, deck, tag).filter(due__gt=day, suspended=False).aggregate(next_due=Min("due"))["next_due"]
    )


@dataclass(frozen=True)
class Streak:
    current: int
    longest: int


def streak(user, *, day: dt.date) -> Streak:
    """Consecutive review days with at least one answer, in the user's days.

    Today without reviews yet does not break the streak: it is still open.
    """
    days = review_days(user)
    longest = run = 0
    previous = None
    for reviewed in days:
        run = run + 1 if previous and reviewed - previous == dt.timedelta(days=1) else 1
        longest = max(longest, run)
        previous = reviewed
    current = 0
    if days and days[-1] >= day - dt.timedelta(days=1):
        current = run
    return Streak(current=current, longest=longest)


# The distinct days, found by jumping from one day to the next along the
# (user, review_day, …) index: one probe per day reviewed, however many
# answers each day holds. SELECT DISTINCT read every log instead, 24 ms at
# 100,000 logs on PostgreSQL, which has no skip scan of its own.
REVIEW_DAYS_SQL = f"""
WITH RECURSIVE days(day) AS (
  SELECT MIN(review_day) FROM {ReviewLog._meta.db_table} WHERE user_id = %(user)s
  UNION ALL
  SELECT (SELECT MIN(l.review_day) FROM {ReviewLog._meta.db_table} l WHERE l.user_id = %(user)s AND l.review_day > days.day)
  FROM days WHERE days.day IS NOT NULL
)
SELECT day FROM days WHERE day IS NOT NULL"""


def review_days(user) -> list[dt.date]:
    """Every review day of the user's with at least one answer, in order."""
    with connection.cursor() as cursor:
        cursor.execute(REVIEW_DAYS_SQL, {"user": user.pk})
        # SQLite hands dates back as text.
        return [day if isinstance(day, dt.date) else dt.date.fromisoformat(day) for (day,) in cursor.fetchall()]


# Statistics page ---------------------------------------------------------------


def reviews_by_day(user, *, start: dt.date, end: dt.date, deck: Deck | None = None, tag: Tag | None = None) -> dict[dt.date, int]:
    return dict(
        _logs(user, deck, tag)
        .filter(review_day__range=(start, end))
        .order_by()
        .values_list("review_day")
        .annotate(count=Count("id"))
    )


def reviews_by_day_and_kind(user, *, start: dt.date, end: dt.date, deck: Deck | None = None, tag: Tag | None = None) -> dict[dt.date, dict[str, int]]:
    result: dict[dt.date, dict[str, int]] = {}
    rows = (
        _logs(user, deck, tag)
        .filter(review_day__range=(start, end))
        .order_by()
        .values_list("review_day", "kind")
        .annotate(count=Count("id"))
    )
    for review_day, kind, count in rows:
        result.setdefault(review_day, {})[kind] = count
    return result


def forecast(user, *, day: dt.date, days: int = 30, deck: Deck | None = None, tag: Tag | None = None) -> list[int]:
    """Cards due on each of the next `days` days; overdue cards count on day 0."""
    counts = [0] * days
    rows = (
        _progress(user, deck, tag)
        .filter(suspended=False, due__lte=day + dt.timedelta(days=days - 1))
        .order_by()
        .values_list("due")
        .annotate(count=Count("id"))
    )
    for due, count in rows:
        counts[max(0, (due - day).days)] += count
    return counts


@dataclass(frozen=True)
class Retention:
    period_days: int
    young_total: int
    young_passed: int
    mature_total: int
    mature_passed: int

    @staticmethod
    def _percent(passed: int, total: int) -> float | None:
        return round(100 * passed / total, 1) if total else None

    @property
    def young_percent(self) -> float | None:
        return self._percent(self.young_passed, self.young_total)

    @property
    def mature_percent(self) -> float | None:
        return self._percent(self.mature_passed, self.mature_total)


def retention(user, *, day: dt.date, periods=(7, 30, 365), deck: Deck | None = None, tag: Tag | None = None) -> list[Retention]:
    """Share of review answers graded ≥ 3, split at a 21-day interval."""
    aggregates = {}
    for period in periods:
        since = Q(review_day__gt=day - dt.timedelta(days=period))
        young = since & Q(interval_before__lt=YOUNG_MATURE_DAYS)
        mature = since & Q(interval_before__gte=YOUNG_MATURE_DAYS)
        passed = Q(grade__gte=3)
        aggregates |= {
            f"young_total_{period}": Count("id", filter=young),
            f"young_passed_{period}": Count("id", filter=young & passed),
            f"mature_total_{period}": Count("id", filter=mature),
            f"mature_passed_{period}": Count("id", filter=mature & passed),
        }
    longest = max(periods)
    totals = (
        _logs(user, deck, tag)
        .filter(kind=ReviewLog.Kind.REVIEW, review_day__gt=day - dt.timedelta(days=longest))
        .aggregate(**aggregates)
    )
    return [
        Retention(
            period_days=period,
            young_total=totals[f"young_total_{period}"],
            young_passed=totals[f"young_passed_{period}"],
            mature_total=totals[f"mature_total_{period}"],
            mature_passed=totals[f"mature_passed_{period}"],
        )
        for period in periods
    ]


def _bucket_label(low, high, unit: str = "") -> str:
    if high is None:
        return f"{low}{unit}+"
    return f"{low}{unit}" if low == high else f"{low}–{high}{unit}"


def _distribution(user, deck: Deck | None, tag: Tag | None, field: str, buckets, label) -> list[tuple[str, int]]:
    """Answered cards counted into [low, high] buckets of `field`, in one query."""
    aggregates = {}
    for index, (low, high) in enumerate(buckets):
        condition = Q(**{f"{field}__gte": low})
        if high is not None:
            condition &= Q(**{f"{field}__lte" if field == "interval" else f"{field}__lt": high})
        aggregates[f"b{index}"] = Count("id", filter=condition)
    totals = _progress(user, deck, tag).filter(due__isnull=False).aggregate(**aggregates)
    return [(label(low, high), totals[f"b{index}"]) for index, (low, high) in enumerate(buckets)]


def interval_distribution(user, *, deck: Deck | None = None, tag: Tag | None = None) -> list[tuple[str, int]]:
    return _distribution(user, deck, tag, "interval", INTERVAL_BUCKETS, lambda low, high: _bucket_label(low, high, "d"))


def easiness_distribution(user, *, deck: Deck | None = None, tag: Tag | None = None) -> list[tuple[str, int]]:
    return _distribution(user, deck, tag, "easiness", EASINESS_BUCKETS, lambda low, high: f"{low}+" if high is None else f"{low}–{high}")


def answer_buttons(user, *, deck: Deck | None = None, tag: Tag | None = None) -> list[tuple[int, int]]:
    counts = dict(_logs(user, deck, tag).order_by().values_list("grade").annotate(count=Count("id")))
    return [(grade, counts.get(grade, 0)) for grade in range(6)]


def hardest_cards(user, *, deck: Deck | None = None, tag: Tag | None = None, limit: int = 10) -> tuple[list[CardProgress], list[CardProgress]]:
    answered = _progress(user, deck, tag).filter(due__isnull=False).select_related("card", "card__deck")
    most_lapses = list(answered.filter(lapses__gt=0).order_by("-lapses", "easiness", "id")[:limit])
    lowest_easiness = list(answered.filter(easiness__lt=Decimal("2.50")).order_by("easiness", "-lapses", "id")[:limit])
    return most_lapses, lowest_easiness
