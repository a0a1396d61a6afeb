"""Custom study: review ahead, cram, today's mistakes. Logged with their own
kinds; the schedule never moves."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from quiz import services, stats
from quiz.models import Card, CardProgress, ReviewLog, StudySession, Tag
from quiz.queue import build_queue

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def shown_card(html: str) -> int | None:
    match = re.search(r'data-card="(\d+)"', html)
    return int(match.group(1)) if match else None


def schedule(user) -> list[tuple]:
    return list(CardProgress.objects.filter(user=user).order_by("card_id").values_list())


def start(client, **data):
    return client.post(reverse("study_start"), data)


def answer(client, session, grade=4, **extra):
    return client.post(reverse("study_grade", args=[session.pk]), {"position": session.position, "grade": grade}, **extra)


@pytest.fixture
def scheduled(user, deck_with_cards):
    """Eight cards: 0 due today, 1–5 due in 1–5 days, 6 due in 9 days, 7 new; 5 is suspended."""
    deck = deck_with_cards(8)
    cards = list(deck.cards.order_by("position"))
    day = user.review_day()
    for offset, card in zip((0, 1, 2, 3, 4, 5, 9), cards):
        CardProgress.objects.create(user=user, card=card, due=day + dt.timedelta(days=offset), interval=offset or 1, repetitions=2)
    CardProgress.objects.filter(user=user, card=cards[5]).update(suspended=True)
    return deck, cards


def test_review_ahead_takes_the_next_days_due_cards_earliest_first_and_leaves_the_schedule(user, user_client, scheduled):
    deck, cards = scheduled
    before = schedule(user)
    response = start(user_client, kind="ahead", days=4, size=50)
    session = StudySession.objects.get()
    assert response["Location"] == session.get_absolute_url()
    assert session.card_ids == [c.pk for c in cards[1:5]]  # not today's, not the suspended, not past 4 days
    page = user_client.get(response["Location"]).content.decode()
    assert "Review ahead: the next 4 days" in page and ">1 of 4<" in page and shown_card(page) == cards[1].pk
    flipped = user_client.get(reverse("study_flip", args=[session.pk]), **HX).content.decode()
    assert "4 · Good</" not in flipped and re.search(r"4 · Good\s*<span", flipped)  # no interval: nothing moves
    for grade in (1, 5, 4):
        session.refresh_from_db()
        assert answer(user_client, session, grade)["X-Review-Recorded"] == "1"
    assert schedule(user) == before
    assert list(ReviewLog.objects.order_by("id").values_list("kind", "grade")) == [("ahead", 1), ("ahead", 5), ("ahead", 4)]
    assert build_queue(user, day=user.review_day()).done_today == 0  # not today's reviews
    page = user_client.get(session.get_absolute_url()).content.decode()
    assert ">4 of 4<" in page and shown_card(page) == cards[4].pk


def test_cram_takes_every_card_of_a_deck_or_tag_new_ones_too_and_creates_no_progress(user, user_client, scheduled, make_card):
    deck, cards = scheduled
    before = schedule(user)
    start(user_client, kind="cram", deck=deck.slug, size=50)
    session = StudySession.objects.get()
    assert session.card_ids == [c.pk for c in cards if c != cards[5]]  # all but the suspended, in deck order
    make_card(deck=deck)  # after the start: the session's list is fixed
    while not session.finished:
        answer(user_client, session, 3)
        session.refresh_from_db()
    assert session.position == 7 and ReviewLog.objects.filter(kind="cram").count() == 7
    assert schedule(user) == before and not CardProgress.objects.filter(user=user, card=cards[7]).exists()
    new_log = ReviewLog.objects.get(card=cards[7])
    assert (new_log.due_before, new_log.due_after, new_log.progress_created) == (None, None, False)
    page = user_client.get(session.get_absolute_url()).content.decode()
    assert "Session done" in page and "You answered 7 cards in this session, 7 of them with 3 or better" in page

    tag = Tag.objects.create(name="picked")
    tag.cards.add(cards[2], cards[6])
    start(user_client, kind="cram", tag="picked", size=50)
    assert StudySession.objects.first().card_ids == [cards[2].pk, cards[6].pk]


def test_todays_mistakes_are_the_cards_graded_below_3_today_in_order(user, user_client, deck_with_cards):
    deck = deck_with_cards(4)
    a, b, c, d = deck.cards.order_by("position")
    for card, grade in ((b, 2), (a, 5), (c, 0), (d, 3)):
        services.record_review(user=user, card_id=card.pk, grade=grade, shown_version=0)
    services.record_review(user=user, card_id=b.pk, grade=1, shown_version=1)  # b again: still one card
    assert "<strong data-testid=\"mistakes-today\">2</strong> cards" in user_client.get(reverse("study")).content.decode()
    start(user_client, kind="mistakes", size=50)
    assert StudySession.objects.get().card_ids == [b.pk, c.pk]


def test_todays_mistakes_can_be_scoped_to_a_deck_from_the_page(user, user_client, deck_with_cards):
    first, second = deck_with_cards(2), deck_with_cards(2)
    for card in (*first.cards.all(), *second.cards.all()):
        services.record_review(user=user, card_id=card.pk, grade=1, shown_version=0)
    page = user_client.get(reverse("study")).content.decode()
    mistakes = page[page.index('id="mistakes-heading"') :]
    assert '<select name="deck">' in mistakes and f'value="{second.slug}"' in mistakes
    start(user_client, kind="mistakes", deck=second.slug, size=50)
    assert sorted(StudySession.objects.get().card_ids) == sorted(second.cards.values_list("pk", flat=True))


def test_a_session_is_capped_at_its_size_and_shows_progress(user, user_client, deck_with_cards):
    deck = deck_with_cards(60)
    start(user_client, kind="cram", deck=deck.slug, size=50)
    session = StudySession.objects.get()
    assert session.size == 50
    for _ in range(11):
        answer(user_client, session)
        session.refresh_from_db()
    page = user_client.get(session.get_absolute_url()).content.decode()
    assert '<p id="review-progress-text" data-testid="study-progress">12 of 50</p>' in page


@pytest.mark.parametrize(
    "data, accepted",
    [
        ({"kind": "cram", "size": 1}, True),
        ({"kind": "cram", "size": StudySession.MAX_SIZE}, True),
        ({"kind": "cram", "size": 0}, False),
        ({"kind": "cram", "size": StudySession.MAX_SIZE + 1}, False),
        ({"kind": "ahead", "size": 5, "days": 1}, True),
        ({"kind": "ahead", "size": 5, "days": StudySession.MAX_DAYS}, True),
        ({"kind": "ahead", "size": 5, "days": 0}, False),
        ({"kind": "ahead", "size": 5, "days": StudySession.MAX_DAYS + 1}, False),
        ({"kind": "ahead", "size": 5}, False),
        ({"kind": "cram", "size": 5, "deck": ""}, False),  # cram needs a deck or tag
        ({"kind": "cram", "size": 5, "tag": "nul\x00"}, False),
        ({"kind": "cram", "size": 5, "tag": "no such tag"}, False),
        ({"kind": "cram", "size": 5, "deck": "no-such-deck"}, False),
        ({"kind": "explode", "size": 5}, False),
        ({"kind": "cram", "size": "many"}, False),
    ],
)
def test_study_limits_are_enforced_on_both_sides(user, user_client, scheduled, data, accepted):
    deck, _ = scheduled
    data = {"deck": deck.slug, **data}
    response = start(user_client, **data)
    assert response.status_code == (302 if accepted else 400)
    assert StudySession.objects.exists() == accepted
    if not accepted:
        assert 'class="message message-error"' in response.content.decode()


def test_nothing_to_study_is_said_plainly(user_client, make_card):
    make_card()
    response = start(user_client, kind="mistakes", size=50)
    assert response.status_code == 400 and "There are no cards to study that way right now." in response.content.decode()


def test_a_repeated_answer_counts_once_and_sessions_are_private(user, other_user, user_client, client, scheduled):
    deck, _ = scheduled
    start(user_client, kind="cram", deck=deck.slug, size=5)
    session = StudySession.objects.get()
    answer(user_client, session)
    repeat = answer(user_client, session)  # still names position 0
    assert repeat["X-Review-Recorded"] == "0" and ReviewLog.objects.count() == 1
    client.force_login(other_user)
    assert client.get(session.get_absolute_url()).status_code == 404
    assert client.get(reverse("study_flip", args=[session.pk])).status_code == 404
    assert answer(client, session).status_code == 404
    assert client.post(reverse("review_undo"), {"session": session.pk}).status_code == 404
    assert client.post(reverse("review_undo"), {"session": "x"}).status_code == 400
    assert ReviewLog.objects.count() == 1


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no JS"])
def test_undo_inside_a_session_steps_it_back_and_leaves_the_schedule(user, user_client, scheduled, htmx):
    deck, cards = scheduled
    before = schedule(user)
    start(user_client, kind="cram", deck=deck.slug, size=5)
    session = StudySession.objects.get()
    for _ in range(2):
        answer(user_client, session)
        session.refresh_from_db()
    response = user_client.post(reverse("review_undo"), {"session": session.pk}, **(HX if htmx else {}), follow=not htmx)
    html = response.content.decode()
    assert "Undone: this card is back as it was." in html
    assert shown_card(html) == cards[1].pk and ">2 of 5<" in html
    session.refresh_from_db()
    assert session.position == 1 and ReviewLog.objects.count() == 1
    assert schedule(user) == before


def test_undo_in_a_session_takes_back_only_that_sessions_answers(user, user_client, scheduled):
    deck, cards = scheduled
    older = services.start_study_session(user=user, kind="cram", deck=deck, size=3)
    services.record_study_answer(user=user, session_id=older.pk, position=0, grade=1)
    fresh = services.start_study_session(user=user, kind="cram", deck=deck, size=3)
    response = user_client.post(reverse("review_undo"), {"session": fresh.pk}, follow=True)
    assert "Nothing to undo in this session today." in response.content.decode()
    older.refresh_from_db()
    assert older.position == 1 and ReviewLog.objects.filter(study_session=older).count() == 1


def test_undo_on_the_review_page_leaves_custom_study_answers_to_their_session(user, user_client, scheduled):
    deck, cards = scheduled
    services.record_review(user=user, card_id=cards[0].pk, grade=5, shown_version=1)
    session = services.start_study_session(user=user, kind="cram", deck=deck, size=3)
    services.record_study_answer(user=user, session_id=session.pk, position=0, grade=1)
    response = user_client.post(reverse("review_undo"), follow=True)
    html = response.content.decode()
    # The scheduled answer is what comes back, not the cram card.
    assert "Undone: this card is back as it was." in html and shown_card(html) == cards[0].pk
    assert list(ReviewLog.objects.values_list("kind", flat=True)) == ["cram"]
    session.refresh_from_db()
    assert session.position == 1
    assert "Nothing to undo today." in user_client.post(reverse("review_undo"), follow=True).content.decode()


def test_a_card_deleted_during_a_session_is_skipped(user, user_client, scheduled):
    deck, cards = scheduled
    start(user_client, kind="cram", deck=deck.slug, size=3)
    session = StudySession.objects.get()
    Card.objects.filter(pk=cards[0].pk).delete()
    page = user_client.get(session.get_absolute_url()).content.decode()
    assert shown_card(page) == cards[1].pk and ">2 of 3<" in page


def test_custom_answers_have_their_own_series_and_stay_out_of_retention(user, user_client, scheduled):
    deck, cards = scheduled
    day = user.review_day()
    services.record_review(user=user, card_id=cards[0].pk, grade=5, shown_version=1)
    session = services.start_study_session(user=user, kind="cram", deck=deck, size=3)
    services.record_study_answer(user=user, session_id=session.pk, position=0, grade=1)
    services.record_study_answer(user=user, session_id=session.pk, position=1, grade=2)
    assert stats.reviews_by_day_and_kind(user, start=day, end=day)[day] == {"review": 1, "cram": 2}
    week = stats.retention(user, day=day)[0]
    assert (week.young_total, week.young_passed) == (1, 1)  # only the scheduled review
    html = user_client.get(reverse("stats")).content.decode()
    assert '<span class="swatch bar-cram" aria-hidden="true"></span>cram' in html
    assert "<th scope=\"col\" class=\"num\">Cram</th>" in html


def test_study_more_is_offered_on_the_summary_and_the_home_page(user_client, make_card):
    card = make_card()
    user_client.post(reverse("review_grade"), {"card": card.pk, "version": 0, "grade": 5})
    summary = user_client.get(reverse("review_deck", args=[card.deck.slug])).content.decode()
    assert f'href="/study/?deck={card.deck.slug}">Study more</a>' in summary
    assert 'href="/study/">Study more</a>' in user_client.get(reverse("home")).content.decode()
