"""Cloze cards in review: one card per deletion, siblings buried for the day."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from quiz import services
from quiz.importing import import_deck
from quiz.models import Card, CardProgress, Deck
from quiz.qa_format import parse
from quiz.queue import build_queue

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def geo(db) -> Deck:
    return import_deck(parse("# Geo\nC: [Paris] is the capital of [France].\n\nQ: Plain?\nA: Yes.\n")).deck


def cards(deck: Deck) -> tuple[Card, Card, Card]:
    return tuple(deck.cards.order_by("position"))


def shown(queue) -> Card | None:
    return queue.next.card if queue.next else None


def test_answering_one_deletion_buries_its_new_sibling_until_tomorrow(user, geo):
    paris, france, plain = cards(geo)
    day = user.review_day()
    assert shown(build_queue(user, day=day)) == paris
    services.record_review(user=user, card_id=paris.pk, grade=5, shown_version=0)
    queue = build_queue(user, day=day)
    assert shown(queue) == plain and queue.new_left == 1
    services.record_review(user=user, card_id=plain.pk, grade=5, shown_version=0)
    assert build_queue(user, day=day).next is None
    tomorrow = build_queue(user, day=day + dt.timedelta(days=1))
    assert shown(tomorrow) == paris  # due again after a 1-day interval
    assert tomorrow.new_left == 1  # and France is new again
    assert CardProgress.objects.get(user=user, card=france).due is None


def test_a_due_sibling_is_buried_too_and_a_stale_grade_of_it_is_refused(user, geo):
    paris, france, _ = cards(geo)
    day = user.review_day()
    CardProgress.objects.create(user=user, card=france, due=day, interval=1, repetitions=1, version=3)
    services.record_review(user=user, card_id=paris.pk, grade=4, shown_version=0)
    progress = CardProgress.objects.get(user=user, card=france)
    assert progress.buried_until == day + dt.timedelta(days=1)
    assert progress.version == 4
    assert build_queue(user, day=day).due_left == 0
    assert not services.record_review(user=user, card_id=france.pk, grade=5, shown_version=3).recorded


def test_siblings_are_per_user_and_a_longer_bury_or_a_suspension_is_kept(user, other_user, geo):
    paris, france, _ = cards(geo)
    day = user.review_day()
    CardProgress.objects.create(user=user, card=france, buried_until=day + dt.timedelta(days=5), suspended=True)
    services.record_review(user=user, card_id=paris.pk, grade=5, shown_version=0)
    progress = CardProgress.objects.get(user=user, card=france)
    assert (progress.buried_until, progress.suspended) == (day + dt.timedelta(days=5), True)
    assert not CardProgress.objects.filter(user=other_user).exists()


def test_a_plain_card_buries_nothing(user, geo):
    *_, plain = cards(geo)
    services.record_review(user=user, card_id=plain.pk, grade=5, shown_version=0)
    assert CardProgress.objects.filter(user=user).count() == 1


def test_undo_brings_the_buried_siblings_back(user, geo):
    paris, france, _ = cards(geo)
    day = user.review_day()
    services.record_review(user=user, card_id=paris.pk, grade=5, shown_version=0)
    assert services.undo_last_review(user=user) == paris
    queue = build_queue(user, day=day)
    assert shown(queue) == paris and queue.new_left == 3
    assert CardProgress.objects.get(user=user, card=france).buried_until is None


def test_undoing_a_drill_answer_keeps_the_siblings_buried_while_an_earlier_answer_stands(user, geo):
    paris, france, _ = cards(geo)
    day = user.review_day()
    services.record_review(user=user, card_id=paris.pk, grade=2, shown_version=0)  # drilled today
    version = CardProgress.objects.get(user=user, card=paris).version
    services.record_review(user=user, card_id=paris.pk, grade=5, shown_version=version)
    services.undo_last_review(user=user)
    assert CardProgress.objects.get(user=user, card=france).buried_until == day + dt.timedelta(days=1)
    services.undo_last_review(user=user)
    assert CardProgress.objects.get(user=user, card=france).buried_until is None


def test_a_cloze_grade_costs_one_statement_more(user_client, user, geo, django_assert_num_queries):
    paris, france, _ = cards(geo)
    with time_machine.travel(NOON - dt.timedelta(days=1)):
        user_client.post(reverse("review_grade"), {"card": paris.pk, "version": 0, "grade": 5}, **HX)
    with time_machine.travel(NOON):
        # The 10 of a seen card's grade (tests/quiz/test_review.py) and the
        # siblings' bury.
        with django_assert_num_queries(11):
            user_client.post(reverse("review_grade"), {"card": paris.pk, "version": 1, "grade": 5}, **HX)


def test_the_review_page_shows_the_gap_and_the_flip_the_highlighted_deletion(user_client, geo):
    paris, *_ = cards(geo)
    html = user_client.get(reverse("review")).content.decode()
    assert f'data-card="{paris.pk}"' in html
    assert "<p>[…] is the capital of France.</p>" in html
    html = user_client.get(reverse("review_flip", args=[paris.pk])).content.decode()
    assert '<ins>Paris</ins> is the capital of France.' in html
