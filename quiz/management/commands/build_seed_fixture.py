from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from quiz.importing import import_deck
from quiz.models import Card, Deck
from quiz.qa_format import decode, parse


class Command(BaseCommand):
    help = (
        "Regenerate fixtures/seed-deck.json from the seed Q&A document, "
        "with rendered HTML and natural keys so that loaddata never duplicates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", type=Path, default=settings.QUIZ_SEED_FILE)
        parser.add_argument("--output", type=Path, default=settings.QUIZ_SEED_FIXTURE)

    def handle(self, *args, source: Path, output: Path, **options) -> None:
        parsed = parse(decode(source.read_bytes()))
        # Built inside a rolled-back transaction: the database is left untouched.
        with transaction.atomic():
            report = import_deck(parsed)
            deck = Deck.objects.get(pk=report.deck.pk)
            cards = Card.objects.filter(deck=deck).order_by("position")
            text = serializers.serialize(
                "json",
                [deck, *cards],
                indent=2,
                use_natural_foreign_keys=True,
                use_natural_primary_keys=True,
                fields=None,
            )
            transaction.set_rollback(True)
        output.write_text(text + "\n", encoding="utf-8")
        self.stdout.write(f"Wrote {output} with {len(parsed.cards)} cards.")
