from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quiz.importing import export_deck
from quiz.models import Deck


class Command(BaseCommand):
    help = "Write one deck as a Q&A Markdown file that import_qa reads back unchanged."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("deck", help="The deck's slug.")
        parser.add_argument("--output", "-o", type=Path, help="File to write; standard output without it.")

    def handle(self, *args, deck: str, output: Path | None, **options) -> None:
        found = Deck.objects.filter(slug=deck).first()
        if found is None:
            raise CommandError(f"no deck with the slug {deck!r}")
        text = export_deck(found)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{output}: cannot write: {error.strerror}") from None
        self.stdout.write(f"Wrote {found.cards.count()} cards of {found.name} to {output}.")
