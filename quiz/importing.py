"""Q&A Markdown files in and out of the database: import one into a deck,
atomic and idempotent, and export a deck as one."""

import hashlib
import time
import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from quiz.models import RESERVED_SLUGS, Card, Deck, NewCardFrontier, Tag
from quiz.qa_format import FormatProblem, ParsedCard, ParsedDeck, QAFormatError, dump
from quiz.rendering import RenderError, check_limits, render_markdown


class ImportTooSlow(Exception):
    """Rendering the file ran past the caller's time budget; nothing was written."""


@dataclass
class ImportReport:
    deck: Deck
    created: int = 0
    created_questions: list[str] = field(default_factory=list)
    updated: int = 0
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)  # questions no longer in the file
    pruned: int = 0  # of those, deleted
    kept_with_history: int = 0  # of those, kept because someone reviewed them

    def summary(self) -> str:
        text = (
            f"{self.deck.name}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        if self.removed:
            text += f", {len(self.removed)} removed from the file ({self.pruned} deleted"
            if self.kept_with_history:
                text += f", {self.kept_with_history} kept for their review history; --prune deletes them"
            text += ")"
        return text


SLUG_LENGTH = Deck._meta.get_field("slug").max_length
SLUG_HASH_LENGTH = 8


def deck_slug(name: str) -> str:
    """The slug a deck of this title is found by on every import: ASCII, for
    the URLs' `<slug:>` converter. Letters the ASCII slug drops (Cyrillic,
    CJK; not accents, which it keeps as their base letters) add a hash of
    the Unicode slug, or two such titles would share a deck and the second
    import would replace the first's cards."""
    unicode_slug = slugify(name, allow_unicode=True)
    if any(not char.isascii() for char in _without_marks(unicode_slug)):
        digest = hashlib.sha256(unicode_slug.encode()).hexdigest()[:SLUG_HASH_LENGTH]
        base = slugify(name)[: SLUG_LENGTH - SLUG_HASH_LENGTH - 1].rstrip("-_") or "deck"
        return f"{base}-{digest}"
    return _ascii_slug(name)


def _ascii_slug(name: str) -> str:
    """The slug of the ASCII letters alone: every title's slug before
    non-Latin titles got their own, and still that of every other title."""
    slug = slugify(name)[:SLUG_LENGTH] or "deck"
    return f"{slug}-deck" if slug in RESERVED_SLUGS else slug


def _import_slug(title: str) -> str:
    """deck_slug(title), unless the deck of exactly this name is still at the
    slug it had before non-Latin titles got their own (all were `deck`): its
    re-import finds it there, and its links and exported progress keep
    working."""
    slug = deck_slug(title)
    old = _ascii_slug(title)
    if old != slug and not Deck.objects.filter(slug=slug).exists() and Deck.objects.filter(slug=old, name=title).exists():
        return old
    return slug


def _without_marks(text: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.category(char).startswith("M"))


def _normal(text: str) -> str:
    """Text as the parser gives it back: what an export and re-import keep."""
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def _question_match_key(question: str) -> str:
    return " ".join(question.split()).casefold()


def render_cards(
    parsed: ParsedDeck, *, deadline: float | None = None, stored: frozenset[str] = frozenset()
) -> dict[str, tuple[str, str]]:
    """Each card's (question HTML, answer HTML) by source key.

    Done before anything is written: a card past the renderer's limits is a
    QAFormatError naming its line (every such card, not just the first), and
    a `deadline` (time.monotonic()) passed midway raises ImportTooSlow. The
    cards whose keys are in `stored` already hold this text and its HTML:
    they are only checked against the limits, which is what keeps an
    unchanged re-import fast.
    """
    rendered: dict[str, tuple[str, str]] = {}
    problems: list[FormatProblem] = []
    for card in parsed.cards:
        if deadline is not None and time.monotonic() > deadline:
            raise ImportTooSlow
        sides = []
        for name, text in (("question", card.question), ("answer", card.answer)):
            try:
                if card.source_key in stored:
                    check_limits(text)
                    sides.append("")
                else:
                    sides.append(render_markdown(text))
            except RenderError as error:
                where = f" (line {error.line} of the {name})" if error.line else ""
                problems.append(FormatProblem(card.line, f"this card's {name} cannot be shown{where}: {error.message}"))
        if len(sides) == 2 and card.source_key not in stored:
            rendered[card.source_key] = (sides[0], sides[1])
    if problems:
        raise QAFormatError(problems)
    return rendered


def import_deck(parsed: ParsedDeck, *, prune: bool = False, deadline: float | None = None) -> ImportReport:
    """Create or update the deck named by `parsed` and its cards.

    Cards are matched by `source_key`, then, for cards without a matching
    key (made in the admin, or imported under another deck title), by their
    question. A changed answer, position or tag set is updated in place, so
    users' progress on it survives. Cards missing from the file are reported
    and deleted, except those someone has reviewed, which only `prune`
    deletes. Every card is rendered first (see render_cards): a card that
    cannot be shown writes nothing.
    """
    assert parsed.title
    slug = _import_slug(parsed.title)
    stored = Card.objects.filter(deck__slug=slug, source_key__isnull=False)
    texts = {key: (_normal(question), _normal(answer)) for key, question, answer in stored.values_list("source_key", "question", "answer")}
    rendered = render_cards(
        parsed,
        deadline=deadline,
        stored=frozenset(c.source_key for c in parsed.cards if texts.get(c.source_key) == (c.question, c.answer)),
    )
    with transaction.atomic():
        deck, _ = Deck.objects.get_or_create(slug=slug, defaults={"name": parsed.title})
        if parsed.description and deck.description != parsed.description:
            deck.description = parsed.description
            deck.save(update_fields=["description", "updated_at"])
        report = ImportReport(deck=deck)
        cards = list(deck.cards.all())
        # One read of names, not a prefetch: that built a manager per card and
        # was most of an unchanged re-import's time.
        card_tags: dict[int, set[str]] = {}
        for card_id, name in Card.tags.through.objects.filter(card__deck=deck).values_list("card_id", "tag__name"):
            card_tags.setdefault(card_id, set()).add(name)
        file_keys = {parsed_card.source_key for parsed_card in parsed.cards}
        existing = {card.source_key: card for card in cards if card.source_key}
        by_question: dict[str, Card] = {}
        for card in cards:
            if card.source_key not in file_keys:
                by_question.setdefault(_question_match_key(card.question), card)
        tags = _tags_by_name({name for parsed_card in parsed.cards for name in parsed_card.tags})
        # Keys are unique across decks: one held by another deck's card (its
        # deck was renamed) is left empty here, and the question matches it.
        taken = set(Card.objects.filter(source_key__in=file_keys).exclude(deck=deck).values_list("source_key", flat=True))

        created: list[tuple[Card, ParsedCard]] = []
        matched: set[int] = set()
        for parsed_card in parsed.cards:
            key = None if parsed_card.source_key in taken else parsed_card.source_key
            card = existing.get(parsed_card.source_key)
            if card is None:
                card = by_question.pop(_question_match_key(parsed_card.question), None)
                if card is not None and card.pk in matched:
                    card = None
                if card is not None:
                    if card.source_key != key:
                        # Not a change anyone sees: the card keeps counting as unchanged.
                        card.source_key = key
                        Card.objects.filter(pk=card.pk).update(source_key=key)
            if card is not None:
                matched.add(card.pk)
            else:
                card = Card(
                    deck=deck,
                    position=parsed_card.position,
                    question=parsed_card.question,
                    answer=parsed_card.answer,
                    source_key=key,
                    note_key=parsed_card.note_key,
                    cloze=parsed_card.cloze,
                )
                _set_rendered(card, rendered.get(parsed_card.source_key))
                created.append((card, parsed_card))
                continue
            changed = False
            text_changed = (_normal(card.question), _normal(card.answer)) != (parsed_card.question, parsed_card.answer)
            if text_changed or (card.position, card.note_key, card.cloze) != (
                parsed_card.position,
                parsed_card.note_key,
                parsed_card.cloze,
            ):
                if text_changed:
                    card.question = parsed_card.question
                    card.answer = parsed_card.answer
                    _set_rendered(card, rendered.get(parsed_card.source_key))
                else:
                    card.set_rendered(card.question_html, card.answer_html)  # same text, same HTML
                card.position = parsed_card.position
                card.note_key = parsed_card.note_key
                card.cloze = parsed_card.cloze
                card.save()
                changed = True
            if card_tags.get(card.pk, set()) != set(parsed_card.tags):
                card.tags.set([tags[name] for name in parsed_card.tags])
                changed = True
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1
        Card.objects.bulk_create([card for card, _ in created], batch_size=500)
        Card.tags.through.objects.bulk_create(
            [Card.tags.through(card_id=card.pk, tag_id=tags[name].pk) for card, parsed_card in created for name in parsed_card.tags],
            batch_size=500,
        )
        report.created = len(created)
        report.created_questions = [card.question for card, _ in created]
        if created:
            NewCardFrontier.forget_from(deck.pk, min(card.position for card, _ in created))
        gone = [card for card in cards if card.pk not in matched]
        report.removed = [card.question for card in gone]
        if gone:
            stale = Card.objects.filter(pk__in=[card.pk for card in gone])
            if not prune:
                # Someone's review history outweighs the file: keep those.
                kept = stale.filter(review_logs__isnull=False).distinct()
                report.kept_with_history = kept.count()
                stale = stale.exclude(pk__in=kept.values("pk"))
            report.pruned = len(report.removed) - report.kept_with_history
            stale.delete()
    return report


def _set_rendered(card: Card, html: tuple[str, str] | None) -> None:
    if html is None:
        # Its stored text was edited after render_cards read it: render it now.
        try:
            card.render()
        except RenderError as error:
            raise QAFormatError([FormatProblem(0, f"{card.question[:60]!r} cannot be shown: {error}")]) from None
        return
    card.set_rendered(*html)


def _tags_by_name(names: set[str]) -> dict[str, Tag]:
    if not names:
        return {}
    Tag.objects.bulk_create([Tag(name=name) for name in sorted(names)], ignore_conflicts=True)
    return {tag.name: tag for tag in Tag.objects.filter(name__in=names)}


def export_deck(deck: Deck) -> str:
    """The deck as a Q&A Markdown file that imports back to the same cards."""
    cards = [
        ParsedCard(
            question=_normal(card.question),
            answer=_normal(card.answer),
            position=card.position,
            source_key=card.source_key or "",
            line=0,
            tags=tuple(sorted(tag.name for tag in card.tags.all())),
            cloze=_normal(card.cloze),
            note_key=card.note_key,
        )
        for card in deck.cards.order_by("position", "id").prefetch_related("tags")
    ]
    return dump(deck.name, _normal(deck.description), cards)


@dataclass
class ImportPlan:
    """What an import would do, found by doing it and rolling it back."""

    report: ImportReport
    deck_exists: bool
    new_questions: list[str]


def plan_import(parsed: ParsedDeck, *, prune: bool = False, deadline: float | None = None) -> ImportPlan:
    """The dry run: import_deck's own counts, with nothing left written.

    Running the real import inside a transaction that is rolled back keeps the
    plan from drifting away from what an import does.
    """
    assert parsed.title
    deck_exists = Deck.objects.filter(slug=_import_slug(parsed.title)).exists()
    with transaction.atomic():
        report = import_deck(parsed, prune=prune, deadline=deadline)
        transaction.set_rollback(True)
    return ImportPlan(report=report, deck_exists=deck_exists, new_questions=report.created_questions)
