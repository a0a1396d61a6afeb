from django.core.management.base import BaseCommand
from django.db import transaction

from quiz.models import Card


class Command(BaseCommand):
    help = "Re-render every card's stored HTML, after a change to the renderer."

    def handle(self, *args, **options) -> None:
        changed = 0
        total = 0
        with transaction.atomic():
            for card in Card.objects.only("id", "question", "answer", "question_html", "answer_html").iterator(chunk_size=500):
                total += 1
                before = (card.question_html, card.answer_html)
                card.render()
                if (card.question_html, card.answer_html) != before:
                    Card.objects.filter(pk=card.pk).update(
                        question_html=card.question_html, answer_html=card.answer_html
                    )
                    changed += 1
        self.stdout.write(f"Re-rendered {total} cards, {changed} changed.")
