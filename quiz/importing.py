"""Import a Q&A Markdown file into one deck: atomic and idempotent."""

import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from quiz.models import RESERVED_SLUGS, Card, Deck, NewCardFrontier
from quiz.qa_format import FormatProblem, ParsedDeck, QAFormatError
from quiz.rendering import RenderError, render_markdown


class ImportTooSlow(Exception):
    """Rendering the file ran past the caller's time budget; nothing was written."""


@dataclass
class ImportReport:
    deck: Deck
    created: int = 0
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


def deck_slug(name: str) -> str:
    slug = slugify(name)[:200] or "deck"
    return f"{slug}-deck" if slug in RESERVED_SLUGS else slug


def render_cards(parsed: ParsedDeck, *, deadline: float | None = None) -> dict[str, tuple[str, str]]:
    """Each card's (question HTML, answer HTML) by source key.

    Done before anything is written: a card past the renderer's limits is a
    QAFormatError naming its line (every such card, not just the first), and
    a `deadline` (time.monotonic()) passed midway raises ImportTooSlow.
    """
    rendered: dict[str, tuple[str, str]] = {}
    problems: list[FormatProblem] = []
    for card in parsed.cards:
        if deadline is not None and time.monotonic() > deadline:
            raise ImportTooSlow
        sides = []
        for name, text in (("question", card.question), ("answer", card.answer)):
            try:
                sides.append(render_markdown(text))
            except RenderError as error:
                where = f" (line {error.line} of the {name})" if error.line else ""
                problems.append(FormatProblem(card.line, f"this card's {name} cannot be shown{where}: {error.message}"))
        if len(sides) == 2:
            rendered[card.source_key] = (sides[0], sides[1])
    if problems:
        raise QAFormatError(problems)
    return rendered


def import_deck(parsed: ParsedDeck, *, prune: bool = False, deadline: float | None = None) -> ImportReport:
    """Create or update the deck named by `parsed` and its cards.

    Cards are matched by `source_key`; a changed answer or position is updated
    in place, so users' progress on it survives. Cards missing from the file
    are reported and deleted, except those someone has reviewed, which only
    `prune` deletes. Every card is rendered first (see render_cards): a card
    that cannot be shown writes nothing.
    """
    assert parsed.title
    rendered = render_cards(parsed, deadline=deadline)
    with transaction.atomic():
        deck, _ = Deck.objects.get_or_create(
            slug=deck_slug(parsed.title), defaults={"name": parsed.title}
        )
        if parsed.description and deck.description != parsed.description:
            deck.description = parsed.description
            deck.save(update_fields=["description", "updated_at"])
        report = ImportReport(deck=deck)
        existing = {card.source_key: card for card in deck.cards.exclude(source_key=None)}
        created: list[Card] = []
        for parsed_card in parsed.cards:
            card = existing.pop(parsed_card.source_key, None)
            if card is None:
                card = Card(
                    deck=deck,
                    position=parsed_card.position,
                    question=parsed_card.question,
                    answer=parsed_card.answer,
                    source_key=parsed_card.source_key,
                )
                card.set_rendered(*rendered[parsed_card.source_key])
                created.append(card)
            elif (card.question, card.answer, card.position) != (
                parsed_card.question,
                parsed_card.answer,
                parsed_card.position,
            ):
                card.question = parsed_card.question
                card.answer = parsed_card.answer
                card.position = parsed_card.position
                card.set_rendered(*rendered[parsed_card.source_key])
                card.save()
                report.updated += 1
            else:
                report.unchanged += 1
        Card.objects.bulk_create(created, batch_size=500)
        report.created = len(created)
        if created:
            NewCardFrontier.forget_from(deck.pk, min(card.position for card in created))
        report.removed = [card.question for card in existing.values()]
        if existing:
            stale = Card.objects.filter(pk__in=[card.pk for card in existing.values()])
            if not prune:
                # Someone's review history outweighs the file: keep those.
                kept = stale.filter(review_logs__isnull=False).distinct()
                report.kept_with_history = kept.count()
                stale = stale.exclude(pk__in=kept.values("pk"))
            report.pruned = len(existing) - report.kept_with_history
            stale.delete()
    return report
