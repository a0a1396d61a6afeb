"""Writes that touch several rows, each one transaction."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from quiz import export, scheduling
from quiz.models import LEECH_LAPSES, Card, CardProgress, NewCardFrontier, ReviewLog
from quiz.queue import CARD_COLUMNS, PROGRESS_COLUMNS, first_unseen_from, kind_of
from quiz.rows import fetch_one

MAX_ANSWER_MS = 60_000


@dataclass(frozen=True)
class ReviewOutcome:
    recorded: bool
    review_log: ReviewLog | None = None
    # Not recorded now because this very answer (same card, shown state and
    # grade) was recorded just before: a retry whose first response was lost.
    already_recorded: bool = False

    @property
    def made_leech(self) -> bool:
        return bool(self.review_log and self.review_log.made_leech)


def record_review(
    *,
    user,
    card_id: int,
    grade: int,
    shown_version: int,
    answer_ms: int = 0,
    now: dt.datetime | None = None,
) -> ReviewOutcome:
    """Grade card `card_id` for `user`, once.

    `shown_version` is the progress version the card was shown with (0 for a
    card never answered). A repeat of the same answer (double click, second
    tab, retry after a timeout) no longer matches it and records nothing.
    Raises Card.DoesNotExist for an unknown card.
    """
    if grade not in scheduling.GRADES:
        raise ValueError(f"grade must be 0 to 5, not {grade!r}")
    now = now or timezone.now()
    day = user.review_day(now)
    answer_ms = max(0, min(int(answer_ms), MAX_ANSWER_MS))
    with transaction.atomic():
        progress = _lock_progress(user, card_id)
        created = progress is None
        if created:
            card = Card.objects.get(pk=card_id)
            if shown_version != 0:
                return ReviewOutcome(recorded=False)
            progress = CardProgress(user=user, card=card, version=0)
        elif progress.suspended or progress.shown_version != shown_version:
            return ReviewOutcome(recorded=False, already_recorded=_is_repeat(progress, shown_version, grade))
        card = progress.card

        kind = kind_of(progress, day)
        before = progress.state
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
            advance_frontier(user=user, card=card)
        else:
            progress.save()
        review_log.save(force_insert=True)
    return ReviewOutcome(recorded=True, review_log=review_log)


LOCK_PROGRESS_SQL = f"""
SELECT {PROGRESS_COLUMNS.sql}, {CARD_COLUMNS.sql} FROM {CardProgress._meta.db_table} p
JOIN {Card._meta.db_table} c ON c.id = p.card_id
WHERE p.user_id = %s AND p.card_id = %s"""


def _lock_progress(user, card_id: int) -> CardProgress | None:
    """The user's progress row for the card, locked until the transaction
    ends, with its card: one statement on every answer (see quiz/rows.py).
    Only the progress row is locked, so staff editing the card never wait."""
    sql = LOCK_PROGRESS_SQL + (" FOR UPDATE OF p" if connection.features.has_select_for_update_of else "")
    found = fetch_one(sql, [user.pk, card_id], PROGRESS_COLUMNS, CARD_COLUMNS)
    if found is None:
        return None
    progress, card = found
    progress.card = card
    return progress


def _is_repeat(progress: CardProgress, shown_version: int, grade: int) -> bool:
    """Whether the card's latest answer is this same grade, given to the
    state the client names, with nothing done to the card since."""
    latest = (
        ReviewLog.objects.filter(user_id=progress.user_id, card_id=progress.card_id)
        .order_by("-reviewed_at", "-id")
        .first()
    )
    if latest is None or latest.grade != grade or latest.reviewed_at != progress.last_reviewed_at:
        return False
    if shown_version == 0:
        return latest.kind == ReviewLog.Kind.NEW
    return progress.version == shown_version + 1


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
            rewind_frontier(user=user, card=review_log.card)
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
        progress, created = CardProgress.objects.select_for_update().get_or_create(user=user, card=card)
        if created:
            advance_frontier(user=user, card=card)
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


class ImportProblem(ValueError):
    pass


def reset_deck_progress(*, user, deck) -> int:
    """Forget everything `user` did in `deck`: progress and review log."""
    with transaction.atomic():
        ReviewLog.objects.filter(user=user, card__deck=deck).delete()
        deleted, _ = CardProgress.objects.filter(user=user, card__deck=deck).delete()
        NewCardFrontier.objects.filter(user=user, deck=deck).delete()
    return deleted


def import_progress(*, user, data: dict, replace: bool = False) -> tuple[int, int]:
    """Restore an export (quiz/export.py) for `user`, exactly.

    Atomic: a card that cannot be found, or existing data without `replace`,
    writes nothing. Returns (progress rows, log rows) written.
    """
    if data.get("format") != export.FORMAT or data.get("version") != export.VERSION:
        raise ImportProblem(f"not a {export.FORMAT} version {export.VERSION} file")
    references = [row["card"] for row in (*data["progress"], *data["review_log"])]
    cards = _resolve_cards(references)
    missing = sorted({f"{ref['deck']}: {ref['question']}" for ref in references if _card_key(ref) not in cards})
    if missing:
        raise ImportProblem("cards not found in this install: " + "; ".join(missing[:10]))
    with transaction.atomic():
        existing = CardProgress.objects.filter(user=user).exists() or ReviewLog.objects.filter(user=user).exists()
        if existing and not replace:
            raise ImportProblem(f"{user} already has progress; pass replace to overwrite it")
        ReviewLog.objects.filter(user=user).delete()
        CardProgress.objects.filter(user=user).delete()
        NewCardFrontier.objects.filter(user=user).delete()
        CardProgress.objects.bulk_create(
            CardProgress(user=user, card=cards[_card_key(row["card"])], **_fields(CardProgress, row, export.PROGRESS_FIELDS))
            for row in data["progress"]
        )
        ReviewLog.objects.bulk_create(
            (
                ReviewLog(user=user, card=cards[_card_key(row["card"])], **_fields(ReviewLog, row, export.LOG_FIELDS))
                for row in data["review_log"]
            ),
            batch_size=2000,
        )
        # Place each deck's new-card frontier once, here, rather than leave
        # every later request to scan the restored cards.
        for deck_id in sorted({card.deck_id for card in cards.values()}):
            place_frontier(user=user, deck_id=deck_id)
    return len(data["progress"]), len(data["review_log"])


def _card_key(reference: dict) -> tuple:
    return (reference["deck"], reference["source_key"] or "", reference["question"])


def _resolve_cards(references: list[dict]) -> dict[tuple, Card]:
    keys = {ref["source_key"] for ref in references if ref["source_key"]}
    by_source = {card.source_key: card for card in Card.objects.filter(source_key__in=keys).select_related("deck")}
    slugs = {ref["deck"] for ref in references}
    by_question = {
        (card.deck.slug, card.question): card for card in Card.objects.filter(deck__slug__in=slugs).select_related("deck")
    }
    resolved = {}
    for ref in references:
        card = by_source.get(ref["source_key"]) or by_question.get((ref["deck"], ref["question"]))
        if card is not None:
            resolved[_card_key(ref)] = card
    return resolved


def _fields(model, row: dict, names: tuple[str, ...]) -> dict:
    """Export text back to Python values, parsed by each model field."""
    return {name: model._meta.get_field(name).to_python(row[name]) for name in names}


def advance_frontier(*, user, card: Card) -> None:
    """`card` just got the user's first progress row: move the deck's
    new-card frontier past it and past every following card that already has
    one. Each card is passed at most once per user, so this is O(1) per card
    over time. A deck with no frontier yet (first answer, or after a reset)
    gets one."""
    frontier = NewCardFrontier.objects.select_for_update().filter(user=user, deck_id=card.deck_id).first()
    if frontier is not None and (frontier.position, frontier.card_id) != (card.position, card.pk):
        return  # answered out of order: the frontier still holds
    _place_frontier(user, card.deck_id, frontier)


def place_frontier(*, user, deck_id: int) -> None:
    """Find the frontier from the top of the deck: once, for progress that
    arrived without answers (a restored export)."""
    _place_frontier(user, deck_id, NewCardFrontier.objects.select_for_update().filter(user=user, deck_id=deck_id).first(), from_top=True)


def _place_frontier(user, deck_id: int, frontier: NewCardFrontier | None, from_top: bool = False) -> None:
    start = (frontier.position, frontier.card_id) if frontier and not from_top else (-1, -1)
    position, card_id = first_unseen_from(user, deck_id, *start) or (NewCardFrontier.END, NewCardFrontier.END)
    if frontier is not None:
        frontier.position, frontier.card_id = position, card_id
        frontier.save(update_fields=["position", "card_id"])
        return
    try:
        with transaction.atomic():
            NewCardFrontier.objects.create(user=user, deck_id=deck_id, position=position, card_id=card_id)
    except IntegrityError:
        pass  # a concurrent answer in the same deck placed it; either is right


def rewind_frontier(*, user, card: Card) -> None:
    """The user's progress row for `card` is gone: it is unseen again."""
    NewCardFrontier.objects.filter(user=user, deck_id=card.deck_id).filter(
        Q(position__gt=card.position) | Q(position=card.position, card_id__gt=card.pk)
    ).update(position=card.position, card_id=card.pk)


def hide_cards(*, user, cards: list[Card], action: str, now: dt.datetime | None = None) -> int:
    """Bury, suspend or unsuspend many cards for one user, all or none.

    Each card goes through hide_card, exactly as if hidden one at a time, so
    whatever follows a single hide (undo) follows these too. Unsuspend skips
    cards the user has not suspended rather than create progress for them.
    Returns the number of cards changed.
    """
    with transaction.atomic():
        if action == "unsuspend":
            suspended = set(CardProgress.objects.filter(user=user, card__in=cards).suspended().values_list("card_id", flat=True))
            cards = [card for card in cards if card.pk in suspended]
        for card in cards:
            hide_card(user=user, card=card, action=action, now=now)
    return len(cards)


def forget_cards(*, user, cards: list[Card], now: dt.datetime | None = None) -> int:
    """Reset cards to new for one user: their progress rows go, and each
    deck's new-card frontier moves back so they are found as new again.

    Answers from earlier days stay in the review log, as Anki's Forget keeps
    them: the statistics of what happened stay true. Answers from today to
    these cards go, because undo walks back today's answers and would
    otherwise try to restore progress that no longer exists. Other users'
    progress on the same cards is untouched. Returns the number of cards
    that had progress.
    """
    day = user.review_day(now or timezone.now())
    card_ids = [card.pk for card in cards]
    with transaction.atomic():
        ReviewLog.objects.filter(user=user, card_id__in=card_ids, review_day=day).delete()
        forgotten, _ = CardProgress.objects.filter(user=user, card_id__in=card_ids).delete()
        earliest: dict[int, Card] = {}
        for card in cards:
            first = earliest.get(card.deck_id)
            if first is None or (card.position, card.pk) < (first.position, first.pk):
                earliest[card.deck_id] = card
        for card in earliest.values():
            rewind_frontier(user=user, card=card)
    return forgotten
