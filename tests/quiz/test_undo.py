"""Undo takes back the day's last action, whatever it was: an answer, a
bury, a suspend or an unsuspend, repeatedly, in reverse order."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from quiz import services
from quiz.models import CardProgress, HideLog, ReviewLog
from quiz.queue import build_queue

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def state(user, card) -> dict | None:
    """The progress row as undo must restore it; the version only ever grows."""
    row = CardProgress.objects.filter(user=user, card=card).values().first()
    return None if row is None else {k: v for k, v in row.items() if k not in ("version", "id")}


def shown_card(html: str) -> int | None:
    match = re.search(r'data-card="(\d+)"', html)
    return int(match.group(1)) if match else None


@pytest.fixture
def seen_card(user, make_card):
    card = make_card()
    day = user.review_day()
    CardProgress.objects.create(
        user=user, card=card, due=day, interval=6, repetitions=2, easiness=Decimal("2.20"), lapses=1, version=3,
        buried_until=day - dt.timedelta(days=3),
    )
    return card


@pytest.mark.parametrize("action", ["bury", "suspend", "unsuspend"])
def test_each_hide_action_is_undone_exactly(user, seen_card, action):
    if action == "unsuspend":
        CardProgress.objects.filter(user=user, card=seen_card).update(suspended=True)
    before = state(user, seen_card)
    services.hide_card(user=user, card=seen_card, action=action)
    assert state(user, seen_card) != before
    undone = services.undo_last_action(user=user)
    assert (undone.card, undone.action) == (seen_card, action)
    assert undone.notice.startswith("Undone")
    assert state(user, seen_card) == before
    assert not HideLog.objects.exists()
    assert services.undo_last_action(user=user).card is None


def test_a_grade_is_undone_exactly(user, seen_card):
    before = state(user, seen_card)
    services.record_review(user=user, card_id=seen_card.pk, grade=1, shown_version=3)
    undone = services.undo_last_action(user=user)
    assert (undone.card, undone.action) == (seen_card, "grade")
    assert state(user, seen_card) == before and not ReviewLog.objects.exists()


def test_a_mix_of_actions_is_undone_in_reverse_order_back_to_the_start(user, deck_with_cards):
    deck = deck_with_cards(3)
    a, b, c = deck.cards.order_by("position")
    services.record_review(user=user, card_id=a.pk, grade=4, shown_version=0)  # a is seen before today's session
    snapshots = []

    def act(description, do):
        snapshots.append((description, {card.pk: state(user, card) for card in (a, b, c)}))
        do()

    act("grade a", lambda: services.record_review(user=user, card_id=a.pk, grade=2, shown_version=1))
    act("bury b", lambda: services.hide_card(user=user, card=b, action="bury"))  # b was new: its row is created
    act("grade c", lambda: services.record_review(user=user, card_id=c.pk, grade=5, shown_version=0))
    act("suspend a", lambda: services.hide_card(user=user, card=a, action="suspend"))

    expected_actions = {"grade a": "grade", "bury b": "bury", "grade c": "grade", "suspend a": "suspend"}
    for description, snapshot in reversed(snapshots):
        undone = services.undo_last_action(user=user)
        assert undone.action == expected_actions[description], description
        assert {card.pk: state(user, card) for card in (a, b, c)} == snapshot, description
    # The first answer remains: undo stops at nothing older than itself only
    # because it is today's too; one more undo takes it back as well.
    assert services.undo_last_action(user=user).action == "grade"
    assert services.undo_last_action(user=user).card is None
    assert not CardProgress.objects.exists() and not ReviewLog.objects.exists() and not HideLog.objects.exists()
    assert build_queue(user, day=user.review_day()).new_left == 3  # b is a new card again


def test_undo_takes_only_todays_actions(user, seen_card):
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=2)):
        services.hide_card(user=user, card=seen_card, action="suspend")
    assert services.undo_last_action(user=user).card is None
    assert CardProgress.objects.get(user=user, card=seen_card).suspended


def test_undo_after_staff_deleted_the_progress_row_drops_that_history_and_goes_on(user, deck_with_cards):
    """Issue 10: undo answered 500 (CardProgress.DoesNotExist) every time."""
    deck = deck_with_cards(2)
    a, b = deck.cards.order_by("position")
    services.record_review(user=user, card_id=a.pk, grade=4, shown_version=0)
    services.record_review(user=user, card_id=b.pk, grade=4, shown_version=0)
    services.record_review(user=user, card_id=b.pk, grade=5, shown_version=1)
    services.hide_card(user=user, card=b, action="bury")
    CardProgress.objects.filter(user=user, card=b).delete()  # staff, in the admin

    undone = services.undo_last_action(user=user)
    # The bury and the second answer to b needed its row: dropped. The first
    # answer to b created the row, so undoing it leaves b new, as it is.
    assert undone.stale_dropped == 2
    assert undone.card == b and undone.action == "grade"
    assert "could not be undone" in undone.notice and "2 entries" in undone.notice
    assert list(ReviewLog.objects.values_list("card", flat=True)) == [a.pk]
    assert not HideLog.objects.exists()
    assert services.undo_last_action(user=user).card == a


def answered_twice_then_row_deleted(user, card) -> None:
    """Today's history holds only an answer that needs the progress row, and
    staff deleted the row."""
    services.record_review(user=user, card_id=card.pk, grade=4, shown_version=0)
    services.record_review(user=user, card_id=card.pk, grade=4, shown_version=1)
    ReviewLog.objects.filter(kind="new").delete()
    CardProgress.objects.all().delete()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no JS"])
def test_undo_over_http_with_only_stale_history_explains_instead_of_failing(user_client, user, make_card, htmx):
    answered_twice_then_row_deleted(user, make_card())
    response = user_client.post(reverse("review_undo"), **(HX if htmx else {}), follow=not htmx)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 entry of today&#x27;s history could not be undone" in html and "Nothing to undo today." in html
    assert not ReviewLog.objects.exists()


def test_undo_without_javascript_says_what_it_undid(user_client, user, deck_with_cards):
    deck = deck_with_cards(2)
    first, _ = deck.cards.order_by("position")
    user_client.post(reverse("review_hide"), {"card": first.pk, "action": "suspend", "deck": deck.slug})
    response = user_client.post(reverse("review_undo"), {"deck": deck.slug}, follow=True)
    html = response.content.decode()
    assert "Undone: the suspension; this card is back." in html
    assert shown_card(html) == first.pk
    assert not CardProgress.objects.filter(user=user, card=first).exists()  # new again, as before the suspend
    response = user_client.post(reverse("review_undo"), {"deck": deck.slug}, follow=True)
    assert "Nothing to undo today." in response.content.decode()


def test_undoing_an_unsuspend_over_htmx_suspends_again_and_moves_on(user_client, user, deck_with_cards):
    deck = deck_with_cards(2)
    first, second = deck.cards.order_by("position")
    services.hide_card(user=user, card=first, action="suspend")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)):
        user_client.post(reverse("review_hide"), {"card": first.pk, "action": "unsuspend", "next": "/"})
        html = user_client.post(reverse("review_undo"), **HX).content.decode()
    assert "this card is suspended again" in html
    assert shown_card(html) == second.pk
    assert CardProgress.objects.get(user=user, card=first).suspended


def test_another_users_actions_are_not_undone(user, other_user, seen_card):
    services.hide_card(user=user, card=seen_card, action="bury")
    assert services.undo_last_action(user=other_user).card is None
    assert HideLog.objects.filter(user=user).count() == 1
