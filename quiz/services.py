"""Writes that touch several rows, each one transaction."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from quiz import scheduling
from quiz.models import LEECH_LAPSES, Card, CardProgress, ReviewLog
from quiz.queue import kind_of

MAX_ANSWER_MS = 60_000


@dataclass(frozen=True)
class ReviewOutcome:
    recorded: bool
    review_log: ReviewLog | None = None

    @property
    def made_leech(self) -> bool:
        return bool(self.review_log and self.review_log.made_leech)


def record_review(
    *,
    user,
    card: Card,
    grade: int,
    shown_version: int,
    answer_ms: int = 0,
    now: dt.datetime | None = None,
) -> ReviewOutcome:
    """Grade `card` for `user`, once.

    `shown_version` is the progress version the card was shown with (0 for a
    card never answered). A repeat of the same answer (double click, second
    tab, retry after a timeout) no longer matches it and records nothing.
    """
    if grade not in scheduling.GRADES:
        raise ValueError(f"grade must be 0 to 5, not {grade!r}")
    now = now or timezone.now()
    day = user.review_day(now)
    answer_ms = max(0, min(int(answer_ms), MAX_ANSWER_MS))
    with transaction.atomic():
        progress = CardProgress.objects.select_for_update().filter(user=user, card=card).first()
        created = progress is None
        if created:
            if shown_version != 0:
                return ReviewOutcome(recorded=False)
            progress = CardProgress(user=user, card=card, version=0)
        elif progress.suspended or (progress.version if not progress.is_new else 0) != shown_version:
            return ReviewOutcome(recorded=False)

        kind = kind_of(progress, day)
        before = progress.state if not progress.is_new else scheduling.initial_state()
        review_log = ReviewLog(
            user=user,
            card=card,
            grade=grade,
            kind=kind,
            review_day=day,
            reviewed_at=now,
            answer_ms=answer_ms,
            easiness_before=before.easiness,
            repetitions_before=before.repetitions,
            interval_before=before.interval,
            due_before=before.due,
            lapses_before=progress.lapses,
            drill_on_before=progress.drill_on,
            last_reviewed_at_before=progress.last_reviewed_at,
            progress_created=created,
        )
        if kind == ReviewLog.Kind.DRILL:
            after = before  # SM-2's same-day repetitions leave the schedule alone
        else:
            after = scheduling.review(before, grade, day)
            if kind == ReviewLog.Kind.REVIEW and grade < scheduling.PASSING_GRADE:
                progress.lapses += 1
                if progress.lapses >= LEECH_LAPSES and not progress.suspended:
                    progress.suspended = True
                    review_log.made_leech = True
        progress.drill_on = day if grade < scheduling.DRILL_DONE_GRADE else None
        progress.easiness = after.easiness
        progress.repetitions = after.repetitions
        progress.interval = after.interval
        progress.due = after.due
        progress.last_reviewed_at = now
        progress.version += 1
        review_log.easiness_after = after.easiness
        review_log.repetitions_after = after.repetitions
        review_log.interval_after = after.interval
        review_log.due_after = after.due
        if created:
            try:
                # A concurrent first answer to the same card wins the unique
                # (user, card) race; this one is then the duplicate.
                with transaction.atomic():
                    progress.save(force_insert=True)
            except IntegrityError:
                return ReviewOutcome(recorded=False)
        else:
            progress.save()
        review_log.save(force_insert=True)
    return ReviewOutcome(recorded=True, review_log=review_log)


def undo_last_review(*, user, now: dt.datetime | None = None) -> Card | None:
    """Take back the user's latest answer of the current review day.

    Restores the card's exact previous state and removes the log entry.
    Returns the card, to be shown again, or None when there is nothing to undo.
    """
    day = user.review_day(now or timezone.now())
    with transaction.atomic():
        review_log = (
            ReviewLog.objects.select_for_update()
            .filter(user=user, review_day=day)
            .select_related("card", "card__deck")
            .order_by("-reviewed_at", "-id")
            .first()
        )
        if review_log is None:
            return None
        progress = CardProgress.objects.select_for_update().get(user=user, card=review_log.card)
        if review_log.progress_created:
            progress.delete()
        else:
            progress.easiness = review_log.easiness_before
            progress.repetitions = review_log.repetitions_before
            progress.interval = review_log.interval_before
            progress.due = review_log.due_before
            progress.lapses = review_log.lapses_before
            progress.drill_on = review_log.drill_on_before
            progress.last_reviewed_at = review_log.last_reviewed_at_before
            if review_log.made_leech:
                progress.suspended = False
            progress.version += 1
            progress.save()
        review_log.delete()
    return review_log.card


def hide_card(*, user, card: Card, action: str, now: dt.datetime | None = None) -> CardProgress:
    """Bury until the next review day, suspend, or unsuspend a card for one user."""
    day = user.review_day(now or timezone.now())
    with transaction.atomic():
        progress, _ = CardProgress.objects.select_for_update().get_or_create(user=user, card=card)
        if action == "bury":
            progress.buried_until = day + dt.timedelta(days=1)
        elif action == "suspend":
            progress.suspended = True
        elif action == "unsuspend":
            progress.suspended = False
        else:
            raise ValueError(f"unknown action {action!r}")
        progress.version += 1
        progress.save()
    return progress
