from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from quiz.models import Deck


class Command(BaseCommand):
    help = "Load the seed deck fixture on a new install; a no-op once it is there."

    def handle(self, *args, **options) -> None:
        slug = settings.QUIZ_SEED_SLUG
        if Deck.objects.filter(slug=slug).exists():
            self.stdout.write(f"Seed deck “{slug}” is already loaded; leaving it as it is.")
            return
        call_command("loaddata", settings.QUIZ_SEED_FIXTURE, verbosity=0)
        deck = Deck.objects.get(slug=slug)
        self.stdout.write(f"Loaded the seed deck “{deck.name}” with {deck.cards.count()} cards.")
