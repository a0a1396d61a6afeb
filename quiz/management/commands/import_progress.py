import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from quiz.services import ImportProblem, import_progress


class Command(BaseCommand):
    help = "Restore a user's progress and review log from their 'Download my data' export."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="Username to restore into.")
        parser.add_argument("--replace", action="store_true", help="Overwrite the user's existing progress.")

    def handle(self, *args, file: Path, user: str, replace: bool, **options) -> None:
        try:
            account = User.objects.get(username=user)
        except User.DoesNotExist:
            raise CommandError(f"no user named {user!r}") from None
        try:
            # utf-8-sig: an editor that saves the file again may put a byte-order mark first.
            data = json.loads(file.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as error:
            raise CommandError(f"{file}: cannot read the export: {error}") from None
        except RecursionError:
            # Python's JSON reader recurses per level of nesting; an export has four.
            raise CommandError(f"{file}: cannot read the export: nested too deeply to be an export") from None
        try:
            progress, logs = import_progress(user=account, data=data, replace=replace)
        except ImportProblem as error:
            # One line per problem, each naming the file: FILE: progress[3].easiness: ...
            raise CommandError("\n".join(f"{file}: {line}" for line in str(error).splitlines())) from None
        self.stdout.write(f"Restored {progress} cards of progress and {logs} review log entries for {account}.")
