"""Today's review queue for one user: what comes next and how much is left.

Order: due reviews (oldest due first), then new cards in deck order within
the new-cards-per-day limit, all capped by the maximum reviews per day; then
the same-day drill of cards graded below 4. A fixed handful of queries,
whatever the deck size.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Min, Q, Sum

from quiz.models import Card, CardProgress, Deck, ReviewLog


@dataclass(frozen=True)
class QueueItem:
    card: Card
    progress: CardProgress | None
    kind: str  # ReviewLog.Kind value

    @property
    def kind_label(self) -> str:
        return {"new": "New", "review": "Review", "drill": "Once more today"}[self.kind]

    @property
    def shown_version(self) -> int:
        """The version a grade must name: 0 for a card never answered."""
        if self.progress is None or self.progress.is_new:
            return 0
        return self.progress.version


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


def build_queue(user, *, day: dt.date, deck: Deck | None = None) -> Queue:
    done = ReviewLog.objects.filter(user=user, review_day=day).aggregate(
        new=Count("id", filter=Q(kind=ReviewLog.Kind.NEW)),
        review=Count("id", filter=Q(kind=ReviewLog.Kind.REVIEW)),
        in_scope=Count("id", filter=Q(card__deck=deck) if deck else Q()),
    )
    scheduled = CardProgress.objects.filter(user=user).active_on(day).in_scope(deck)
    counts = scheduled.aggregate(
        due=Count("id", filter=Q(due__lte=day)),
        drill=Count("id", filter=Q(drill_on=day)),
    )
    review_cap = max(0, user.max_reviews_per_day - done["new"] - done["review"])
    due_left = min(counts["due"], review_cap)
    new_quota = min(max(0, user.new_cards_per_day - done["new"]), review_cap - due_left)
    new_cards = Card.objects.in_scope(deck).new_for(user, day)
    new_left = new_cards[:new_quota].count() if new_quota else 0
    drill_left = counts["drill"]

    item: QueueItem | None = None
    if due_left:
        progress = (
            CardProgress.objects.due_for(user, day).in_scope(deck).select_related("card", "card__deck").first()
        )
        item = QueueItem(progress.card, progress, ReviewLog.Kind.REVIEW)
    elif new_left:
        card = new_cards.select_related("deck").first()
        item = QueueItem(card, None, ReviewLog.Kind.NEW)
    elif drill_left:
        progress = (
            CardProgress.objects.drill_for(user, day).in_scope(deck).select_related("card", "card__deck").first()
        )
        item = QueueItem(progress.card, progress, ReviewLog.Kind.DRILL)
    return Queue(
        day=day,
        next=item,
        due_left=due_left,
        new_left=new_left,
        drill_left=drill_left,
        done_today=done["in_scope"],
    )


def queue_item_for(user, card: Card, day: dt.date) -> QueueItem:
    """The card as the review page shows it: with the user's state and kind."""
    progress = CardProgress.objects.filter(user=user, card=card).first()
    return QueueItem(card, progress, kind_of(progress, day))


def kind_of(progress: CardProgress | None, day: dt.date) -> str:
    if progress is None or progress.is_new:
        return ReviewLog.Kind.NEW
    if progress.drill_on == day and progress.due > day:
        return ReviewLog.Kind.DRILL
    return ReviewLog.Kind.REVIEW


@dataclass(frozen=True)
class DaySummary:
    reviewed: int
    correct: int
    time_ms: int
    next_due: dt.date | None

    @property
    def correct_percent(self) -> int | None:
        return round(100 * self.correct / self.reviewed) if self.reviewed else None

    @property
    def minutes(self) -> float:
        return round(self.time_ms / 60_000, 1)


def day_summary(user, *, day: dt.date, deck: Deck | None = None) -> DaySummary:
    logs = ReviewLog.objects.filter(user=user, review_day=day)
    if deck is not None:
        logs = logs.filter(card__deck=deck)
    totals = logs.aggregate(
        reviewed=Count("id"),
        correct=Count("id", filter=Q(grade__gte=3)),
        time_ms=Sum("answer_ms", default=0),
    )
    next_due = (
        CardProgress.objects.filter(user=user, due__gt=day, suspended=False)
        .in_scope(deck)
        .aggregate(next_due=Min("due"))["next_due"]
    )
    return DaySummary(next_due=next_due, **totals)
