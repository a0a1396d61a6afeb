from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quiz.anki import import_notes
from quiz.anki_text import deck_name
from quiz.qa_format import MAX_TITLE_LENGTH, QAFormatError, decode


class Command(BaseCommand):
    help = (
        "Import Anki's \"Notes in Plain Text\" export (front<TAB>back<TAB>tags) as one deck "
        "(atomic, idempotent, FILE:LINE errors, as import_qa)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--deck", help="Deck name; default: the file's #deck: header, else its file name.")
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
            name = deck or deck_name(text) or file.stem
            report = import_notes(text, deck_name=name, prune=prune)
        except QAFormatError as error:
            raise CommandError("\n".join(f"{file}:{problem}" for problem in error.problems)) from None
        self.stdout.write(report.summary())
        for question in report.removed:
            self.stdout.write(f"  removed from the file: {question}")
