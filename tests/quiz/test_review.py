import datetime as dt
import random
import re
import threading
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from quiz import services
from quiz.models import LEECH_LAPSES, CardProgress, ReviewLog
from quiz.queue import build_queue

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
HX = {"HTTP_HX_REQUEST": "true"}


def shown_card(html: str) -> int | None:
    match = re.search(r'data-card="(\d+)"', html)
    return int(match.group(1)) if match else None


def grade_labels(html: str) -> list[str]:
    """Each grade button as it reads: grade and meaning, then the interval (on a line of its own)."""
    pairs = re.findall(r'class="grade-name">([^<]*)</span>.*?class="grade-next">([^<]*)</span>', html, re.S)
    return [f"{name} · {interval}" for name, interval in pairs]


def grade_via_http(client, card_id, grade, version=0, deck="", **extra):
    return client.post(
        reverse("review_grade"), {"card": card_id, "version": version, "grade": grade, "deck": deck}, **extra
    )


def today(user):
    return user.review_day()


# The queue -------------------------------------------------------------------


def test_due_reviews_come_first_oldest_first_then_new_in_deck_order(user, deck_with_cards):
    deck = deck_with_cards(5)
    cards = list(deck.cards.order_by("position"))
    day = today(user)
    for card, days_ago in ((cards[3], 1), (cards[4], 3)):
        CardProgress.objects.create(user=user, card=card, due=day - dt.timedelta(days=days_ago), interval=1, repetitions=1)
    queue = build_queue(user, day=day)
    assert queue.next.card == cards[4] and queue.next.kind == "review"
    assert (queue.due_left, queue.new_left, queue.left) == (2, 3, 5)
    services.record_review(user=user, card_id=cards[4].pk, grade=5, shown_version=1)
    assert build_queue(user, day=day).next.card == cards[3]
    services.record_review(user=user, card_id=cards[3].pk, grade=5, shown_version=1)
    queue = build_queue(user, day=day)
    assert queue.next.card == cards[0] and queue.next.kind == "new"


def test_new_card_limit_counts_what_was_done_today(make_user, deck_with_cards):
    user = make_user(new_cards_per_day=2)
    deck = deck_with_cards(5)
    day = today(user)
    assert build_queue(user, day=day).new_left == 2
    first = build_queue(user, day=day).next.card
    services.record_review(user=user, card_id=first.pk, grade=5, shown_version=0)
    queue = build_queue(user, day=day)
    assert (queue.new_left, queue.done_today) == (1, 1)
    services.record_review(user=user, card_id=queue.next.card.pk, grade=5, shown_version=0)
    assert build_queue(user, day=day).left == 0
    assert deck.cards.count() == 5


def test_maximum_reviews_caps_due_and_new(make_user, deck_with_cards):
    user = make_user(max_reviews_per_day=3, new_cards_per_day=10)
    deck = deck_with_cards(6)
    day = today(user)
    for card in deck.cards.order_by("position")[:2]:
        CardProgress.objects.create(user=user, card=card, due=day, interval=1, repetitions=1)
    queue = build_queue(user, day=day)
    assert (queue.due_left, queue.new_left) == (2, 1)


def test_suspended_never_shows_and_buried_waits_a_day(user, deck_with_cards):
    deck = deck_with_cards(2)
    first, second = deck.cards.order_by("position")
    services.hide_card(user=user, card=first, action="suspend")
    services.hide_card(user=user, card=second, action="bury")
    day = today(user)
    assert build_queue(user, day=day).left == 0
    tomorrow = build_queue(user, day=day + dt.timedelta(days=1))
    assert tomorrow.left == 1 and tomorrow.next.card == second
    services.hide_card(user=user, card=first, action="unsuspend")
    assert build_queue(user, day=day + dt.timedelta(days=1)).left == 2


def test_scope_to_one_deck(user, deck_with_cards):
    deck_a = deck_with_cards(2)
    deck_b = deck_with_cards(3)
    assert build_queue(user, day=today(user), deck=deck_b).left == 3
    assert build_queue(user, day=today(user), deck=deck_b).next.card.deck == deck_b
    assert build_queue(user, day=today(user)).left == 5
    assert deck_a.cards.count() == 2


# Grading and the same-day drill ----------------------------------------------


def test_grades_below_4_come_back_today_without_changing_the_schedule(user, make_card):
    card = make_card()
    day = today(user)
    services.record_review(user=user, card_id=card.pk, grade=3, shown_version=0)
    progress = CardProgress.objects.get(user=user, card=card)
    scheduled = (progress.easiness, progress.repetitions, progress.interval, progress.due)
    assert scheduled == (Decimal("2.36"), 1, 1, day + dt.timedelta(days=1))
    queue = build_queue(user, day=day)
    assert queue.next.card == card and queue.next.kind == "drill" and queue.drill_left == 1

    services.record_review(user=user, card_id=card.pk, grade=2, shown_version=progress.version)
    progress.refresh_from_db()
    assert (progress.easiness, progress.repetitions, progress.interval, progress.due) == scheduled
    assert build_queue(user, day=day).drill_left == 1

    services.record_review(user=user, card_id=card.pk, grade=4, shown_version=progress.version)
    progress.refresh_from_db()
    assert (progress.easiness, progress.repetitions, progress.interval, progress.due) == scheduled
    assert build_queue(user, day=day).left == 0
    assert list(ReviewLog.objects.order_by("id").values_list("kind", "grade")) == [
        ("new", 3),
        ("drill", 2),
        ("drill", 4),
    ]


def test_review_log_records_states_before_and_after(user, make_card):
    card = make_card()
    outcome = services.record_review(user=user, card_id=card.pk, grade=5, shown_version=0, answer_ms=91_000)
    log = outcome.review_log
    assert (log.kind, log.grade, log.answer_ms) == ("new", 5, 60_000)  # capped at 60 s
    assert (log.easiness_before, log.repetitions_before, log.interval_before, log.due_before) == (
        Decimal("2.50"), 0, 0, None,
    )
    assert (log.easiness_after, log.repetitions_after, log.interval_after) == (Decimal("2.60"), 1, 1)
    assert log.review_day == today(user)


def test_eight_lapses_make_a_leech_that_is_suspended(user, make_card, client):
    card = make_card()
    day = today(user)
    CardProgress.objects.create(user=user, card=card, due=day, interval=10, repetitions=3, lapses=LEECH_LAPSES - 1, version=5)
    client.force_login(user)
    response = grade_via_http(client, card.pk, 1, version=5, **HX)
    assert "is a leech" in response.content.decode()
    progress = CardProgress.objects.get(user=user, card=card)
    assert progress.suspended and progress.lapses == LEECH_LAPSES
    assert build_queue(user, day=day).left == 0


def test_review_day_follows_the_rollover_hour(make_user, make_card):
    user = make_user(time_zone="Europe/Berlin", day_starts_at=4)
    card = make_card()
    two_am = dt.datetime(2026, 6, 2, 2, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    log = services.record_review(user=user, card_id=card.pk, grade=4, shown_version=0, now=two_am).review_log
    assert log.review_day == dt.date(2026, 6, 1)
    assert log.due_after == dt.date(2026, 6, 2)  # so it is due again at 04:00 the same night


def test_grades_are_per_user(user, other_user, make_card):
    card = make_card()
    services.record_review(user=user, card_id=card.pk, grade=5, shown_version=0)
    assert not CardProgress.objects.filter(user=other_user).exists()
    assert build_queue(other_user, day=today(other_user)).new_left == 1
    assert services.undo_last_review(user=other_user) is None
    assert ReviewLog.objects.filter(user=user).count() == 1


# Undo ------------------------------------------------------------------------


def test_undo_restores_the_exact_state_repeatedly_back_to_the_start(user, deck_with_cards):
    deck = deck_with_cards(3)
    a, b, _ = deck.cards.order_by("position")
    day = today(user)
    CardProgress.objects.create(user=user, card=a, due=day, interval=6, repetitions=2, easiness=Decimal("2.20"), version=3)
    snapshot = CardProgress.objects.filter(user=user, card=a).values().get()
    services.record_review(user=user, card_id=a.pk, grade=1, shown_version=3)
    services.record_review(user=user, card_id=b.pk, grade=5, shown_version=0)

    assert services.undo_last_review(user=user) == b
    assert not CardProgress.objects.filter(user=user, card=b).exists()
    assert services.undo_last_review(user=user) == a
    restored = CardProgress.objects.filter(user=user, card=a).values().get()
    assert {k: v for k, v in restored.items() if k != "version"} == {k: v for k, v in snapshot.items() if k != "version"}
    assert ReviewLog.objects.count() == 0
    assert services.undo_last_review(user=user) is None


def test_undo_of_a_leech_unsuspends_it(user, make_card):
    card = make_card()
    day = today(user)
    CardProgress.objects.create(user=user, card=card, due=day, interval=3, repetitions=2, lapses=LEECH_LAPSES - 1, version=2)
    services.record_review(user=user, card_id=card.pk, grade=0, shown_version=2)
    services.undo_last_review(user=user)
    progress = CardProgress.objects.get(user=user, card=card)
    assert (progress.suspended, progress.lapses) == (False, LEECH_LAPSES - 1)


# HTTP: one round trip per action ---------------------------------------------


def test_flip_shows_the_answer_and_grade_buttons_with_intervals(user_client, make_card):
    card = make_card(answer="**forty-two**")
    response = user_client.get(reverse("review_flip", args=[card.pk]), **HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="review-card"')
    assert "<strong>forty-two</strong>" in html
    labels = grade_labels(html)
    assert labels == ["0 · Blackout · 1d", "1 · Wrong · 1d", "2 · Almost · 1d", "3 · Hard · 1d", "4 · Good · 1d", "5 · Perfect · 1d"]


def test_second_review_buttons_show_six_days(user, user_client, make_card):
    card = make_card()
    services.record_review(user=user, card_id=card.pk, grade=4, shown_version=0)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)):
        html = user_client.get(reverse("review_flip", args=[card.pk]), **HX).content.decode()
    assert {"4 · Good · 6d", "1 · Wrong · 1d"} <= set(grade_labels(html))


def test_four_button_mode(make_user, client, make_card):
    user = make_user(grade_buttons="four")
    client.force_login(user)
    card = make_card()
    html = client.get(reverse("review_flip", args=[card.pk]), **HX).content.decode()
    buttons = re.findall(r'name="grade" value="(\d)"[^>]*data-hotkey="(\d)"', html)
    assert buttons == [("1", "1"), ("3", "2"), ("4", "3"), ("5", "4")]
    assert "Again" in html and "Easy" in html and "Blackout" not in html


def test_grade_returns_the_next_question_and_the_progress_bar_in_one_response(user_client, deck_with_cards):
    deck = deck_with_cards(3)
    first, second, _ = deck.cards.order_by("position")
    response = grade_via_http(user_client, first.pk, 5, **HX)
    html = response.content.decode()
    assert shown_card(html) == second.pk
    assert 'data-side="question"' in html
    assert 'id="review-progress" class="review-progress" hx-swap-oob="true"' in html
    assert '<span data-testid="cards-left">2</span> of 3 left today' in html


def test_a_repeated_grade_is_recorded_once_and_returns_the_current_card(user_client, user, deck_with_cards):
    deck = deck_with_cards(3)
    first, second, _ = deck.cards.order_by("position")
    grade_via_http(user_client, first.pk, 5, **HX)
    again = grade_via_http(user_client, first.pk, 5, **HX)
    assert again.status_code == 200
    assert shown_card(again.content.decode()) == second.pk
    assert ReviewLog.objects.filter(user=user, card=first).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("answered_before", [0, 1], ids=["new card", "seen card"])
def test_concurrent_grades_of_one_card_record_one_answer(user, make_card, answered_before):
    """A new card's race is settled by the unique (user, card) row; a seen
    card's by the lock on its progress row."""
    card = make_card()
    with time_machine.travel(NOON - dt.timedelta(days=1)):
        if answered_before:
            services.record_review(user=user, card_id=card.pk, grade=4, shown_version=0)
    clients = []
    for _ in range(6):
        client = Client()
        client.force_login(user)
        clients.append(client)
    barrier = threading.Barrier(len(clients), timeout=10)
    statuses = []

    def submit(client):
        try:
            barrier.wait()
            statuses.append(grade_via_http(client, card.pk, 4, version=answered_before).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [302] * len(clients)
    assert ReviewLog.objects.filter(user=user, card=card).count() == 1 + answered_before
    progress = CardProgress.objects.get(user=user, card=card)
    assert (progress.repetitions, progress.version) == (1 + answered_before, 1 + answered_before)


@pytest.mark.parametrize(
    "data",
    [
        {"grade": 6},
        {"grade": -1},
        {"grade": "good"},
        {"grade": ""},
        {"version": "x"},
        {"card": "abc"},
        {"card": str(10**20)},
    ],
)
def test_bad_grade_posts_get_400(user_client, make_card, data):
    card = make_card()
    response = user_client.post(reverse("review_grade"), {"card": card.pk, "version": 0, "grade": 4, **data})
    assert response.status_code == 400
    assert ReviewLog.objects.count() == 0


def test_unknown_card_gets_404(user_client):
    assert grade_via_http(user_client, 999999, 4).status_code == 404
    assert user_client.get(reverse("review_flip", args=[999999])).status_code == 404
    assert user_client.get("/review/no-such-deck/").status_code == 404
    too_big = 10**20  # past any integer column: still "no such card", not an error
    assert user_client.get(reverse("review_flip", args=[too_big])).status_code == 404
    assert user_client.get(reverse("review") + f"?card={too_big}").status_code == 404


def test_grade_without_csrf_token_is_403(user, make_card):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert grade_via_http(client, make_card().pk, 4).status_code == 403
    assert ReviewLog.objects.count() == 0


def test_grade_by_get_is_405(user_client):
    assert user_client.get(reverse("review_grade")).status_code == 405


def test_undo_over_http_brings_the_card_back(user_client, user, deck_with_cards):
    deck = deck_with_cards(2)
    first, second = deck.cards.order_by("position")
    grade_via_http(user_client, first.pk, 5, **HX)
    html = user_client.post(reverse("review_undo"), **HX).content.decode()
    assert shown_card(html) == first.pk
    assert "Undone" in html
    assert ReviewLog.objects.count() == 0
    html = user_client.post(reverse("review_undo"), **HX).content.decode()
    assert "Nothing to undo today." in html


def test_undo_without_javascript_says_undone_on_the_page_it_lands_on(user_client, deck_with_cards):
    deck = deck_with_cards(2)
    first = deck.cards.order_by("position").first()
    grade_via_http(user_client, first.pk, 5)
    response = user_client.post(reverse("review_undo"), follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [(f"{reverse('review')}?card={first.pk}", 302)]
    assert shown_card(html) == first.pk and "Undone: this card is back as it was." in html
    assert ReviewLog.objects.count() == 0
    html = user_client.post(reverse("review_undo"), follow=True).content.decode()
    assert "Nothing to undo today." in html


def test_summary_when_nothing_is_left(user_client, make_card):
    card = make_card()
    grade_via_http(user_client, card.pk, 5, flipped_at="")
    html = user_client.get(reverse("review")).content.decode()
    assert 'data-testid="summary"' in html
    assert "<dt>Reviewed today</dt><dd>1</dd>" in html
    assert "<dt>Correct</dt><dd>100%</dd>" in html
    assert "Next cards due" in html


def test_the_whole_flow_works_without_javascript(user_client, user, deck_with_cards):
    deck = deck_with_cards(2)
    first, second = deck.cards.order_by("position")
    page = user_client.get(reverse("review_deck", args=[deck.slug])).content.decode()
    assert f'action="/review/cards/{first.pk}/answer/"' in page
    flipped = user_client.get(reverse("review_flip", args=[first.pk]), {"deck": deck.slug}).content.decode()
    assert "<!doctype html>" in flipped and 'data-side="answer"' in flipped
    response = grade_via_http(user_client, first.pk, 4, deck=deck.slug)
    assert response.status_code == 302 and response["Location"] == reverse("review_deck", args=[deck.slug])
    page = user_client.get(response["Location"]).content.decode()
    assert shown_card(page) == second.pk
    response = user_client.post(reverse("review_undo"), {"deck": deck.slug})
    assert response["Location"] == f"{reverse('review_deck', args=[deck.slug])}?card={first.pk}"
    assert shown_card(user_client.get(response["Location"]).content.decode()) == first.pk


def test_bury_and_suspend_from_the_review_page(user_client, user, deck_with_cards):
    deck = deck_with_cards(2)
    first, second = deck.cards.order_by("position")
    html = user_client.post(reverse("review_hide"), {"card": first.pk, "action": "bury"}, **HX).content.decode()
    assert "Buried until tomorrow." in html and shown_card(html) == second.pk
    assert user_client.post(reverse("review_hide"), {"card": first.pk, "action": "explode"}).status_code == 400


def test_home_page_counts_cards_due_today(user, user_client, deck_with_cards):
    deck = deck_with_cards(30)
    html = user_client.get(reverse("home")).content.decode()
    assert '<strong data-testid="due-today">20</strong> cards to study today' in html  # new-card limit
    # Nothing is due yet: the headline says so, as the table's Due column does.
    assert "(0 due, 20 new)" in html and '<td class="num" data-label="Due">0</td><td class="num" data-label="New today">20</td>' in html
    services.record_review(user=user, card_id=deck.cards.first().pk, grade=2, shown_version=0)
    html = user_client.get(reverse("home")).content.decode()
    assert '<strong data-testid="due-today">20</strong>' in html  # 19 new + 1 to repeat


@pytest.mark.parametrize("card_count", [100, 5000])
def test_a_grade_runs_a_fixed_number_of_queries(user_client, user, deck_with_cards, django_assert_num_queries, card_count):
    deck = deck_with_cards(card_count)
    cards = list(deck.cards.order_by("position")[:3])
    with time_machine.travel(NOON - dt.timedelta(days=1)):
        grade_via_http(user_client, cards[0].pk, 5, **HX)
    with time_machine.travel(NOON):
        # A new card: session, user; BEGIN, no progress row yet, the card,
        # savepoint, progress insert, release, the deck's frontier (read,
        # scan, move), log insert, COMMIT; the queue's counts, its new cards
        # and the next card with its deck and progress.
        with django_assert_num_queries(16):
            response = grade_via_http(user_client, cards[1].pk, 5, version=0, **HX)
        assert shown_card(response.content.decode()) == cards[0].pk  # yesterday's card is due
        # A card seen before, the everyday case: session, user; BEGIN, the
        # progress row locked with its card, its update, log insert, COMMIT;
        # counts, new cards, next card.
        with django_assert_num_queries(10):
            response = grade_via_http(user_client, cards[0].pk, 5, version=1, **HX)
        assert shown_card(response.content.decode()) == cards[2].pk
        with django_assert_num_queries(3):  # session, user, the card with its deck and progress
            user_client.get(reverse("review_flip", args=[cards[2].pk]), **HX)


def test_time_travel_follows_one_card_over_weeks(user, user_client, make_card):
    card = make_card()
    start = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    # EF: 2.50, 2.50, 2.60 after the 5, 2.46 after the 3: ceil(15 × 2.60) = 39, ceil(39 × 2.46) = 96.
    expected = [(4, 1), (4, 6), (5, 15), (3, 39), (4, 96)]
    moment = start
    version = 0
    for grade, interval in expected:
        with time_machine.travel(moment, tick=False):
            assert shown_card(user_client.get(reverse("review")).content.decode()) == card.pk
            grade_via_http(user_client, card.pk, grade, version=version)
            progress = CardProgress.objects.get(user=user, card=card)
            assert progress.interval == interval
            assert progress.due == moment.date() + dt.timedelta(days=interval)
            if grade == 3:  # drilled the same day until graded 4
                grade_via_http(user_client, card.pk, 4, version=progress.version)
                progress.refresh_from_db()
                assert progress.due == moment.date() + dt.timedelta(days=interval)
            version = progress.version
        with time_machine.travel(moment + dt.timedelta(days=interval - 1), tick=False):
            assert 'data-testid="summary"' in user_client.get(reverse("review")).content.decode()
        moment += dt.timedelta(days=interval)


def test_grade_response_says_whether_it_counted(user_client, make_card):
    card = make_card()
    assert grade_via_http(user_client, card.pk, 4, **HX)["X-Review-Recorded"] == "1"
    assert grade_via_http(user_client, card.pk, 3, **HX)["X-Review-Recorded"] == "0"  # the card moved on


def test_the_queue_sql_agrees_with_the_queryset_rules(make_user, make_deck, make_card):
    """Random answering, hiding, undoing, inserting and resetting: the fast
    queue always shows the cards the plain QuerySet definitions describe."""
    from quiz.models import Card, CardProgress
    from quiz.queue import unseen_cards

    rng = random.Random(5)
    user = make_user(new_cards_per_day=1000, max_reviews_per_day=10_000)
    decks = [make_deck(), make_deck()]
    for deck in decks:
        for position in range(1, 13):
            make_card(deck=deck, position=position)
    day = user.review_day()
    for step in range(120):
        action = rng.random()
        cards = list(Card.objects.all())
        card = rng.choice(cards)
        if action < 0.5:
            progress = CardProgress.objects.filter(user=user, card=card).first()
            version = progress.shown_version if progress else 0
            services.record_review(user=user, card_id=card.pk, grade=rng.choice([1, 4, 5]), shown_version=version)
        elif action < 0.6:
            services.hide_card(user=user, card=card, action=rng.choice(["bury", "suspend", "unsuspend"]))
        elif action < 0.75:
            services.undo_last_review(user=user)
        elif action < 0.85:
            make_card(deck=card.deck, position=rng.randint(0, 14))
        elif action < 0.9:
            services.reset_deck_progress(user=user, deck=card.deck)
        for scope in (None, *decks):
            expected = list(Card.objects.in_scope(scope).new_for(user, day).values_list("id", flat=True)[:1000])
            assert [card_id for _, _, card_id in unseen_cards(user, day=day, limit=1000, deck=scope)] == expected, step
            queue = build_queue(user, day=day, deck=scope)
            due = list(CardProgress.objects.due_for(user, day).in_scope(scope).values_list("id", flat=True))
            drill = list(CardProgress.objects.drill_for(user, day).in_scope(scope).values_list("id", flat=True))
            assert (queue.due_left, queue.new_left, queue.drill_left) == (len(due), len(expected), len(drill))
            if due:
                assert queue.next.progress.pk == due[0]
            elif expected:
                assert queue.next.card.pk == expected[0]


def test_a_retried_grade_whose_response_was_lost_is_reported_as_already_recorded(user, user_client, deck_with_cards):
    deck = deck_with_cards(2)
    first = deck.cards.order_by("position").first()
    grade_via_http(user_client, first.pk, 4, **HX)  # the response "never arrived"
    retry = grade_via_http(user_client, first.pk, 4, **HX)
    assert retry["X-Review-Recorded"] == "already"
    assert grade_via_http(user_client, first.pk, 5, **HX)["X-Review-Recorded"] == "0"  # another answer
    progress = CardProgress.objects.get(user=user, card=first)
    services.record_review(user=user, card_id=first.pk, grade=5, shown_version=progress.version)
    assert services.record_review(user=user, card_id=first.pk, grade=5, shown_version=progress.version).already_recorded
    assert ReviewLog.objects.filter(card=first).count() == 2


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's EXPLAIN QUERY PLAN")
def test_the_queue_reads_indexes_not_whole_tables_once_statistics_exist(user, deck_with_cards):
    """As in a long-used database: every card answered, few due, no drill
    owed, and ANALYZE run. The queue must still go through indexes; a full
    scan of progress rows is what made grading at 100k cards 3x slower."""
    from quiz.queue import UNSEEN_FROM_SQL, _queue_sql

    deck = deck_with_cards(400)
    day = user.review_day()
    CardProgress.objects.bulk_create(
        CardProgress(user=user, card=card, version=2, due=day + dt.timedelta(days=card.position % 40))
        for card in deck.cards.all()
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        plans = []
        for scope in (None, deck):
            cursor.execute("EXPLAIN QUERY PLAN " + _queue_sql(scope), {"user": user.pk, "day": day, "deck": deck.pk, "cap": 200})
            plans += [row[-1] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN QUERY PLAN " + UNSEEN_FROM_SQL.format(n=0), [deck.pk, 1, 1, 0, user.pk, 20])
        plans += [row[-1] for row in cursor.fetchall()]
    full_scans = [step for step in plans if re.match(r"SCAN (p|c|l)\b", step)]
    assert full_scans == [], plans


def test_the_review_page_loads_a_card_and_its_state_exactly_as_the_orm_does(user, other_user, make_card):
    from quiz.queue import queue_item_for

    def fields(instance) -> dict:
        return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}

    seen, unseen = make_card(answer="```python\nx = 1\n```"), make_card()
    with time_machine.travel(NOON):
        services.record_review(user=user, card_id=seen.pk, grade=2, shown_version=0, answer_ms=1234)
        services.hide_card(user=user, card=seen, action="bury")
        services.record_review(user=other_user, card_id=unseen.pk, grade=5, shown_version=0)
        item = queue_item_for(user, seen.pk, user.review_day())
        untouched = queue_item_for(user, unseen.pk, user.review_day())

    expected = CardProgress.objects.select_related("card__deck").get(user=user, card=seen)
    assert fields(item.progress) == fields(expected)
    assert fields(item.card) == fields(expected.card)
    assert fields(item.card.deck) == fields(expected.card.deck)
    assert isinstance(item.progress.easiness, Decimal) and item.progress.last_reviewed_at.tzinfo is not None
    assert item.progress.card is item.card and item.kind == "drill"  # failed today: once more
    # Another user's answer is not this user's state.
    assert untouched.progress is None and untouched.kind == "new" and untouched.shown_version == 0
    assert queue_item_for(user, 10**20, user.review_day()) is None
