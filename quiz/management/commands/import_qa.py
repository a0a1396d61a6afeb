from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quiz.importing import import_deck
from quiz.qa_format import MAX_TITLE_LENGTH, QAFormatError, decode, parse
from quiz.uploads import check_images


class Command(BaseCommand):
    help = "Import a Q&A Markdown file as one deck (atomic, idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--deck", help="Deck name, instead of the file's '# Title' (or its name, without one).")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Also delete cards gone from the file that have review history.",
        )

    def handle(self, *args, file: Path, deck: str | None, prune: bool, **options) -> None:
        if deck is not None and len(deck) > MAX_TITLE_LENGTH:
            raise CommandError(f"--deck is {len(deck):,} characters; a deck name has at most {MAX_TITLE_LENGTH}")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: cannot read: {error.strerror}") from None
        try:
            text = decode(data)
            parsed = parse(text, deck_title=deck, default_title=file.stem)
            check_images(text, parsed)
            report = import_deck(parsed, prune=prune)
        except QAFormatError as error:
            raise CommandError("\n".join(f"{file}:{problem}" for problem in error.problems)) from None
        self.stdout.write(report.summary())
        for question in report.removed:
            self.stdout.write(f"  removed from the file: {question}")
