"""Writes that touch several rows, each one transaction."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone

from quiz import export, export_validation, scheduling
from quiz.models import LEECH_LAPSES, Card, CardProgress, Deck, HideLog, NewCardFrontier, ReviewLog, StudySession, Tag, active_on
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
        if card.note_key:
            bury_siblings(user=user, card=card, day=day)
    return ReviewOutcome(recorded=True, review_log=review_log)


# The other cards of the answered card's cloze note, buried until the next
# review day: one statement, which also gives never-seen siblings the
# progress row a manual bury would. A sibling already buried longer is left
# alone; each one changed gets a new version, so a grade from a page that
# still shows it counts as stale.
BURY_SIBLINGS_SQL = """
INSERT INTO {progress} ({columns})
SELECT %s, c.id, %s, 0, 0, NULL, 0, %s, %s, NULL, NULL, 1 FROM {card} c WHERE c.note_key = %s AND c.id <> %s
ON CONFLICT ({user_id}, {card_id}) DO UPDATE SET {buried_until} = excluded.{buried_until}, {version} = {progress}.{version} + 1
WHERE {progress}.{buried_until} IS NULL OR {progress}.{buried_until} < excluded.{buried_until}"""


def _bury_siblings_sql() -> str:
    quote = connection.ops.quote_name
    names = [
        "user_id", "card_id", "easiness", "repetitions", "interval", "due", "lapses",
        "suspended", "buried_until", "drill_on", "last_reviewed_at", "version",
    ]
    return BURY_SIBLINGS_SQL.format(
        progress=quote(CardProgress._meta.db_table),
        card=quote(Card._meta.db_table),
        columns=", ".join(quote(CardProgress._meta.get_field(name.removesuffix("_id")).column) for name in names),
        **{name: quote(CardProgress._meta.get_field(name.removesuffix("_id")).column) for name in ("user_id", "card_id", "buried_until", "version")},
    )


def bury_siblings(*, user, card: Card, day: dt.date) -> None:
    """Anki's sibling burying: once one deletion of a cloze note is answered,
    the note's other cards wait until the next review day."""
    with connection.cursor() as cursor:
        cursor.execute(
            _bury_siblings_sql(),
            [user.pk, scheduling.initial_state().easiness, False, day + dt.timedelta(days=1), card.note_key, card.pk],
        )


def unbury_siblings(*, user, card: Card, day: dt.date) -> None:
    """Undo's half of bury_siblings: once no answer of the note is left for
    the day, the siblings it buried come back. (A sibling buried by hand
    until tomorrow comes back too: the rows do not say who buried them.)"""
    note = Card.objects.filter(note_key=card.note_key)
    if ReviewLog.objects.filter(user=user, review_day=day, card__in=note).exists():
        return
    CardProgress.objects.filter(user=user, card__in=note.exclude(pk=card.pk), buried_until=day + dt.timedelta(days=1)).update(
        buried_until=None, version=F("version") + 1
    )


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


@dataclass(frozen=True)
class Undone:
    """What undo took back: the card to show again and what was done to it."""

    card: Card | None
    action: str = ""  # "grade", or a HideLog.Action value
    # Entries of today's history whose progress row is gone (staff deleted it
    # in the admin): there is nothing left to restore, so they are dropped.
    stale_dropped: int = 0
    in_session: bool = False

    @property
    def card_to_show(self) -> Card | None:
        """Back on the review page, unless the undo suspended it again."""
        return None if self.action == HideLog.Action.UNSUSPEND else self.card

    @property
    def notice(self) -> str:
        done = {
            "grade": "Undone: this card is back as it was.",
            "bury": "Undone: the bury; this card is back.",
            "suspend": "Undone: the suspension; this card is back.",
            "unsuspend": "Undone: the unsuspension; this card is suspended again.",
        }.get(self.action, "Nothing to undo in this session today." if self.in_session else "Nothing to undo today.")
        if self.stale_dropped:
            entries = f"{self.stale_dropped} entr{'ies' if self.stale_dropped != 1 else 'y'}"
            done = (
                f"{entries} of today's history could not be undone, because your progress on "
                f"that card was deleted; {'they were' if self.stale_dropped != 1 else 'it was'} "
                f"dropped. {done}"
            )
        return done


def undo_last_action(*, user, session: StudySession | None = None, now: dt.datetime | None = None) -> Undone:
    """Take back the user's latest action of the current review day.

    Outside custom study that is the latest answer to a scheduled review, a
    bury, a suspend or an unsuspend, whichever came last. Inside a study
    session it is that session's latest answer, and nothing else: each
    session's answers belong to it alone, so undo in one never reaches into
    another, nor into the day's reviews.

    Restores the card's exact previous state and removes the history entry;
    repeated, it walks back to the start of the day. History whose progress
    row is gone is dropped and counted, never an error.
    """
    day = user.review_day(now or timezone.now())
    answers = ReviewLog.objects.select_for_update().filter(user=user, review_day=day)
    if session is None:
        answers = answers.exclude(kind__in=ReviewLog.CUSTOM_KINDS)
    else:
        answers = answers.filter(study_session=session)
    stale = 0
    with transaction.atomic():
        while True:
            review_log = answers.select_related("card", "card__deck").order_by("-id").first()
            hide_log = None
            if session is None:
                hide_log = (
                    HideLog.objects.select_for_update()
                    .filter(user=user, review_day=day)
                    .select_related("card", "card__deck")
                    .order_by("-id")
                    .first()
                )
            if hide_log is not None and (review_log is None or review_log.pk <= hide_log.after_review_id):
                if _undo_hide(user, hide_log):
                    return Undone(hide_log.card, hide_log.action, stale)
            elif review_log is not None:
                if _undo_review(user, review_log):
                    return Undone(review_log.card, "grade", stale, in_session=session is not None)
            else:
                return Undone(None, "", stale, in_session=session is not None)
            stale += 1


def undo_last_review(*, user, now: dt.datetime | None = None) -> Card | None:
    """The card undo_last_action brought back, or None."""
    return undo_last_action(user=user, now=now).card


def _undo_review(user, review_log: ReviewLog) -> bool:
    """Put the progress row back as it was before the answer; False (the
    entry dropped) when the row it would restore is gone."""
    if review_log.kind in ReviewLog.CUSTOM_KINDS:
        # Custom study never touched the progress row: only its session moves back.
        StudySession.objects.filter(pk=review_log.study_session_id, position__gt=0).update(position=F("position") - 1)
        review_log.delete()
        return True
    progress = CardProgress.objects.select_for_update().filter(user=user, card=review_log.card).first()
    if review_log.progress_created:
        if progress is not None:
            progress.delete()
        rewind_frontier(user=user, card=review_log.card)
    elif progress is None:
        review_log.delete()
        return False
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
    if review_log.card.note_key:
        unbury_siblings(user=user, card=review_log.card, day=review_log.review_day)
    return True


def _undo_hide(user, hide_log: HideLog) -> bool:
    progress = CardProgress.objects.select_for_update().filter(user=user, card=hide_log.card).first()
    if hide_log.progress_created:
        if progress is not None:
            progress.delete()
        rewind_frontier(user=user, card=hide_log.card)
    elif progress is None:
        hide_log.delete()
        return False
    else:
        progress.suspended = hide_log.suspended_before
        progress.buried_until = hide_log.buried_until_before
        # Not back to version_before: a page still showing the hidden state
        # must not be able to grade as if nothing happened in between.
        progress.version += 1
        progress.save(update_fields=["suspended", "buried_until", "version"])
    hide_log.delete()
    return True


def hide_card(*, user, card: Card, action: str, now: dt.datetime | None = None) -> CardProgress:
    """Bury until the next review day, suspend, or unsuspend a card for one
    user, and log it so that undo can take it back."""
    if action not in HideLog.Action.values:
        raise ValueError(f"unknown action {action!r}")
    now = now or timezone.now()
    day = user.review_day(now)
    with transaction.atomic():
        progress, created = CardProgress.objects.select_for_update().get_or_create(user=user, card=card)
        if created:
            advance_frontier(user=user, card=card)
        hide_log = HideLog(
            user=user,
            card=card,
            action=action,
            review_day=day,
            created_at=now,
            after_review_id=ReviewLog.objects.filter(user=user, review_day=day).aggregate(last=Max("id"))["last"] or 0,
            suspended_before=progress.suspended,
            buried_until_before=progress.buried_until,
            version_before=progress.version,
            progress_created=created,
        )
        if action == HideLog.Action.BURY:
            progress.buried_until = day + dt.timedelta(days=1)
        elif action == HideLog.Action.SUSPEND:
            progress.suspended = True
        else:
            progress.suspended = False
        progress.version += 1
        progress.save()
        hide_log.save(force_insert=True)
    return progress


class NothingToStudy(ValueError):
    pass


DEFAULT_STUDY_SIZE = 50


def study_cards(
    *, user, kind: str, day: dt.date, size: int, deck: Deck | None = None, tag: Tag | None = None, days: int | None = None
) -> list[int]:
    """The card ids a custom session of `kind` would study, in order, at most `size`.

    Suspended cards are left out of every kind, and buried ones (until their
    day) out of review ahead and today's mistakes, as from the daily queue.
    """
    if kind == ReviewLog.Kind.AHEAD:
        ahead = CardProgress.objects.filter(
            active_on(day), user=user, due__gt=day, due__lte=day + dt.timedelta(days=days or 1)
        ).in_scope(deck, tag)
        return list(ahead.order_by("due", "last_reviewed_at", "id").values_list("card_id", flat=True)[:size])
    if kind == ReviewLog.Kind.CRAM:
        if deck is None and tag is None:
            raise ValueError("cram needs a deck or a tag")
        suspended = CardProgress.objects.filter(user=user, suspended=True).values("card_id")
        cards = Card.objects.in_scope(deck, tag).exclude(pk__in=suspended)
        return list(cards.order_by("deck__name", "deck_id", "position", "id").values_list("id", flat=True)[:size])
    if kind == ReviewLog.Kind.MISTAKES:
        hidden = CardProgress.objects.filter(user=user).exclude(active_on(day)).values("card_id")
        mistakes = (
            ReviewLog.objects.filter(user=user, review_day=day, grade__lt=scheduling.PASSING_GRADE)
            .exclude(card_id__in=hidden)
            .order_by()
            .values("card_id")
            .annotate(first=Min("id"))
            .order_by("first")
        )
        if deck is not None:
            mistakes = mistakes.filter(card__deck=deck)
        if tag is not None:
            mistakes = mistakes.filter(card__tags=tag)
        return [row["card_id"] for row in mistakes[:size]]
    raise ValueError(f"unknown study kind {kind!r}")


def start_study_session(
    *,
    user,
    kind: str,
    size: int = DEFAULT_STUDY_SIZE,
    deck: Deck | None = None,
    tag: Tag | None = None,
    days: int | None = None,
    now: dt.datetime | None = None,
) -> StudySession:
    """Fix the session's cards now; raises NothingToStudy when there are none."""
    if not 1 <= size <= StudySession.MAX_SIZE:
        raise ValueError(f"size must be 1 to {StudySession.MAX_SIZE}")
    if kind == ReviewLog.Kind.AHEAD and not (days and 1 <= days <= StudySession.MAX_DAYS):
        raise ValueError(f"days must be 1 to {StudySession.MAX_DAYS}")
    day = user.review_day(now or timezone.now())
    card_ids = study_cards(user=user, kind=kind, day=day, size=size, deck=deck, tag=tag, days=days)
    if not card_ids:
        raise NothingToStudy("There are no cards to study that way right now.")
    return StudySession.objects.create(
        user=user, kind=kind, deck=deck, tag=tag, days=days if kind == ReviewLog.Kind.AHEAD else None, card_ids=card_ids
    )


@dataclass(frozen=True)
class StudyOutcome:
    recorded: bool
    session: StudySession


def record_study_answer(
    *,
    user,
    session_id: int,
    position: int,
    grade: int,
    answer_ms: int = 0,
    now: dt.datetime | None = None,
) -> StudyOutcome:
    """Log the answer to the card at `position` of the user's session and move
    on, once: a repeat (double click, second tab) names a position already
    passed and records nothing. The card's SM-2 state is left alone.
    Raises StudySession.DoesNotExist for a session that is not the user's."""
    if grade not in scheduling.GRADES:
        raise ValueError(f"grade must be 0 to 5, not {grade!r}")
    now = now or timezone.now()
    day = user.review_day(now)
    with transaction.atomic():
        session = StudySession.objects.select_for_update().get(pk=session_id, user=user)
        if session.finished or position != session.position:
            return StudyOutcome(recorded=False, session=session)
        card = Card.objects.filter(pk=session.current_card_id).first()
        session.position += 1
        session.save(update_fields=["position"])
        if card is None:
            return StudyOutcome(recorded=False, session=session)  # deleted since the session began: skipped
        progress = CardProgress.objects.filter(user=user, card=card).first()
        state = progress.state if progress else scheduling.initial_state()
        ReviewLog.objects.create(
            user=user,
            card=card,
            grade=grade,
            kind=session.kind,
            review_day=day,
            reviewed_at=now,
            answer_ms=max(0, min(int(answer_ms), MAX_ANSWER_MS)),
            easiness_before=state.easiness,
            repetitions_before=state.repetitions,
            interval_before=state.interval,
            due_before=state.due,
            easiness_after=state.easiness,
            repetitions_after=state.repetitions,
            interval_after=state.interval,
            due_after=state.due,
            lapses_before=progress.lapses if progress else 0,
            drill_on_before=progress.drill_on if progress else None,
            last_reviewed_at_before=progress.last_reviewed_at if progress else None,
            study_session=session,
        )
    return StudyOutcome(recorded=True, session=session)


def skip_missing_study_card(*, user, session_id: int, position: int) -> StudySession:
    """Move the session past the card at `position` when it no longer exists
    (staff deleted it since the session began); nothing else changes."""
    with transaction.atomic():
        session = StudySession.objects.select_for_update().get(pk=session_id, user=user)
        if session.position == position and not session.finished and not Card.objects.filter(pk=session.current_card_id).exists():
            session.position += 1
            session.save(update_fields=["position"])
    return session


class ImportProblem(ValueError):
    """Why an export cannot be restored: one reason, or a list of problems
    ("progress[3].easiness: ..."), of which the first MAX_IMPORT_PROBLEMS_SHOWN
    are kept in the message."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        shown = self.problems[:MAX_IMPORT_PROBLEMS_SHOWN]
        if len(self.problems) > len(shown):
            shown.append(f"... and {len(self.problems) - len(shown)} more problems")
        super().__init__("\n".join(shown))


def reset_deck_progress(*, user, deck) -> int:
    """Forget everything `user` did in `deck`: progress and review log."""
    with transaction.atomic():
        ReviewLog.objects.filter(user=user, card__deck=deck).delete()
        HideLog.objects.filter(user=user, card__deck=deck).delete()
        deleted, _ = CardProgress.objects.filter(user=user, card__deck=deck).delete()
        NewCardFrontier.objects.filter(user=user, deck=deck).delete()
    return deleted


MAX_IMPORT_PROBLEMS_SHOWN = 20


def import_progress(*, user, data, replace: bool = False, now: dt.datetime | None = None) -> tuple[int, int]:
    """Restore an export (quiz/export.py) for `user`, exactly.

    Atomic: a value grading could not have produced (quiz/export_validation.py),
    a card that cannot be found, or existing data without `replace` writes
    nothing and raises ImportProblem listing the problems. Returns (progress
    rows, log rows) written.
    """
    if not isinstance(data, dict) or data.get("format") != export.FORMAT or type(data.get("version")) is not int or data["version"] != export.VERSION:
        raise ImportProblem(f"not a {export.FORMAT} version {export.VERSION} file")
    problems, references = export_validation.problems_in(data, now=now or timezone.now())
    cards = _resolve_cards([reference for _, _, reference in references])
    problems += _one_card_twice(references, cards)
    missing = sorted({f"{key[0]}: {key[2]}" for _, _, key in references if key not in cards})
    if missing:
        problems.append("cards not found in this install: " + "; ".join(missing[:10]) + (f"; and {len(missing) - 10} more" if len(missing) > 10 else ""))
    if problems:
        raise ImportProblem(problems)
    with transaction.atomic():
        existing = CardProgress.objects.filter(user=user).exists() or ReviewLog.objects.filter(user=user).exists()
        if existing and not replace:
            raise ImportProblem(f"{user} already has progress; pass replace to overwrite it")
        ReviewLog.objects.filter(user=user).delete()
        HideLog.objects.filter(user=user).delete()
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


def _one_card_twice(references: list[tuple[str, int, tuple]], cards: dict[tuple, Card]) -> list[str]:
    """Progress entries that name one card in different words (by import
    key and by question, or one key with another question): only the card
    found tells, and writing both would break one progress row per card.
    Entries written the same way were already reported by the file check."""
    first_by_reference: dict[tuple, int] = {}
    first_by_card: dict[int, int] = {}
    problems = []
    for section, index, reference in references:
        if section != "progress" or reference not in cards or first_by_reference.setdefault(reference, index) != index:
            continue
        first = first_by_card.setdefault(cards[reference].pk, index)
        if first != index:
            problems.append(f"progress[{index}].card: the same card as progress[{first}]")
    return problems


def _card_key(reference: dict) -> tuple[str, str, str]:
    return (reference["deck"], reference["source_key"] or "", reference["question"])


def _resolve_cards(keys: list[tuple[str, str, str]]) -> dict[tuple, Card]:
    """(deck slug, import key or "", question) -> the card here: by import
    key first, else by deck and question."""
    source_keys = {source_key for _, source_key, _ in keys if source_key}
    by_source = {card.source_key: card for card in Card.objects.filter(source_key__in=source_keys).select_related("deck")}
    slugs = {slug for slug, _, _ in keys}
    by_question = {
        (card.deck.slug, card.question): card for card in Card.objects.filter(deck__slug__in=slugs).select_related("deck")
    }
    resolved = {}
    for key in keys:
        slug, source_key, question = key
        card = by_source.get(source_key) or by_question.get((slug, question))
        if card is not None:
            resolved[key] = card
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
