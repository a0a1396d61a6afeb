"""Tags on cards, review scoped to a tag, statistics scoped to a tag."""

import datetime as dt
import random
import re

import pytest
import time_machine
from django.urls import reverse

from quiz import services, stats
from quiz.models import Card, CardProgress, ReviewLog, Tag
from quiz.queue import build_queue, unseen_cards

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
NOON = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def shown_card(html: str) -> int | None:
    match = re.search(r'data-card="(\d+)"', html)
    return int(match.group(1)) if match else None


@pytest.fixture
def tagged(deck_with_cards):
    """Two decks of four cards; "verbs" on cards 2 and 4 of the first and 1 of the second."""
    first, second = deck_with_cards(4), deck_with_cards(4)
    verbs = Tag.objects.create(name="verbs & more")
    other = Tag.objects.create(name="nouns")
    a = list(first.cards.order_by("position"))
    b = list(second.cards.order_by("position"))
    verbs.cards.add(a[1], a[3], b[0])
    other.cards.add(a[0], a[1])
    return verbs, a, b


def test_review_by_tag_shows_only_its_cards_across_decks_due_new_and_drill(user, tagged):
    verbs, a, b = tagged
    day = user.review_day()
    CardProgress.objects.create(user=user, card=a[0], due=day, interval=1, repetitions=1)  # due, not tagged
    CardProgress.objects.create(user=user, card=b[0], due=day, interval=1, repetitions=1)  # due, tagged
    queue = build_queue(user, day=day, tag=verbs)
    assert (queue.due_left, queue.new_left, queue.next.card) == (1, 2, b[0])
    assert build_queue(user, day=day).left == 8
    services.record_review(user=user, card_id=b[0].pk, grade=5, shown_version=1)
    assert build_queue(user, day=day, tag=verbs).next.card == a[1]
    services.record_review(user=user, card_id=a[1].pk, grade=2, shown_version=0)  # owes a drill today
    queue = build_queue(user, day=day, tag=verbs)
    assert (queue.due_left, queue.new_left, queue.drill_left, queue.done_today) == (0, 1, 1, 2)
    assert queue.next.card == a[3]
    services.record_review(user=user, card_id=a[3].pk, grade=5, shown_version=0)
    assert build_queue(user, day=day, tag=verbs).next.card == a[1]


def test_tagged_new_cards_match_the_queryset_rules_while_answering_at_random(user, tagged):
    verbs, a, b = tagged
    rng = random.Random(3)
    day = user.review_day()
    for step in range(40):
        card = rng.choice(a + b)
        progress = CardProgress.objects.filter(user=user, card=card).first()
        if rng.random() < 0.7:
            services.record_review(user=user, card_id=card.pk, grade=4, shown_version=progress.shown_version if progress else 0)
        elif rng.random() < 0.5:
            services.hide_card(user=user, card=card, action=rng.choice(["bury", "suspend", "unsuspend"]))
        else:
            services.undo_last_action(user=user)
        expected = list(Card.objects.in_scope(None, verbs).new_for(user, day).values_list("id", flat=True))
        assert [card_id for _, _, card_id in unseen_cards(user, day=day, limit=100, tag=verbs)] == expected, step


def test_tags_show_on_the_card_in_review_and_on_the_card_page_and_link_to_review(user_client, tagged):
    verbs, a, _ = tagged
    html = user_client.get(reverse("review") + f"?card={a[1].pk}").content.decode()
    assert '<a class="tag" href="/review/?tag=nouns"' in html
    assert '<a class="tag" href="/review/?tag=verbs%20%26%20more"' in html
    html = user_client.get(reverse("review_flip", args=[a[1].pk]), **HX).content.decode()
    assert html.index(">nouns</a>") < html.index(">verbs &amp; more</a>")  # sorted
    html = user_client.get(a[1].get_absolute_url()).content.decode()
    assert '<a class="tag" href="/review/?tag=verbs%20%26%20more"' in html and '<a class="tag" href="/review/?tag=nouns"' in html


def test_the_tag_link_reviews_that_tag_and_answers_stay_in_it(user_client, user, tagged):
    verbs, a, b = tagged
    page = user_client.get(reverse("review"), {"tag": verbs.name}).content.decode()
    assert "Review: tag “verbs &amp; more”" in page
    assert shown_card(page) == a[1].pk and '<span data-testid="cards-left">3</span> of 3' in page
    flipped = user_client.get(reverse("review_flip", args=[a[1].pk]), {"tag": verbs.name}).content.decode()
    assert '<input type="hidden" name="tag" value="verbs &amp; more">' in flipped
    response = user_client.post(reverse("review_grade"), {"card": a[1].pk, "version": 0, "grade": 5, "tag": verbs.name})
    assert response["Location"] == "/review/?tag=verbs+%26+more"
    html = user_client.post(reverse("review_grade"), {"card": a[3].pk, "version": 0, "grade": 5, "tag": verbs.name}, **HX).content.decode()
    assert shown_card(html) == b[0].pk and '<span data-testid="cards-left">1</span> of 3' in html
    html = user_client.post(reverse("review_hide"), {"card": b[0].pk, "action": "bury", "tag": verbs.name}, **HX).content.decode()
    assert 'data-testid="summary"' in html
    response = user_client.post(reverse("review_undo"), {"tag": verbs.name})
    assert response["Location"] == f"/review/?tag=verbs+%26+more&card={b[0].pk}"


@pytest.mark.parametrize(
    "value, status",
    [("no such tag", 404), ("nul\x00byte", 400), ("x" * 65, 400), ("line\nbreak", 400), ("\u202e", 400)],
)
def test_unknown_or_hostile_tags_get_4xx_and_write_nothing(user_client, tagged, value, status):
    _, a, _ = tagged
    assert user_client.get(reverse("review"), {"tag": value}).status_code == status
    assert user_client.get(reverse("review_deck", args=[a[0].deck.slug]), {"tag": value}).status_code == status
    assert user_client.get(reverse("review_flip", args=[a[0].pk]), {"tag": value}).status_code == status
    assert user_client.get(reverse("stats"), {"tag": value}).status_code == status
    assert user_client.post(reverse("review_undo"), {"tag": value}).status_code == status
    assert user_client.post(reverse("review_grade"), {"card": a[0].pk, "version": 0, "grade": 4, "tag": value}).status_code in (400, status)
    assert user_client.post(reverse("review_hide"), {"card": a[0].pk, "action": "bury", "tag": value}).status_code in (400, status)
    assert not ReviewLog.objects.exists() and not CardProgress.objects.exists()


def test_a_tag_scoped_grade_and_flip_run_a_fixed_number_of_queries(user_client, user, django_assert_num_queries, deck_with_cards):
    deck = deck_with_cards(300)
    tag = Tag.objects.create(name="every-third")
    cards = list(deck.cards.order_by("position"))
    tag.cards.add(*cards[::3])
    scoped = cards[::3]
    with time_machine.travel(NOON - dt.timedelta(days=1)):
        user_client.post(reverse("review_grade"), {"card": scoped[0].pk, "version": 0, "grade": 5, "tag": tag.name}, **HX)
    with time_machine.travel(NOON):
        # As unscoped (16 and 10: see test_review) plus the tag's lookup; the
        # new card is not the deck's next in order, so the frontier is only
        # read, not scanned and moved (16 + 1 - 2).
        with django_assert_num_queries(15):
            response = user_client.post(reverse("review_grade"), {"card": scoped[1].pk, "version": 0, "grade": 5, "tag": tag.name}, **HX)
        assert shown_card(response.content.decode()) == scoped[0].pk
        with django_assert_num_queries(11):
            response = user_client.post(reverse("review_grade"), {"card": scoped[0].pk, "version": 1, "grade": 5, "tag": tag.name}, **HX)
        assert shown_card(response.content.decode()) == scoped[2].pk
        with django_assert_num_queries(4):  # session, user, the tag, the card with its deck, progress and tags
            user_client.get(reverse("review_flip", args=[scoped[2].pk]), {"tag": tag.name}, **HX)


def test_stats_scoped_to_a_tag_count_only_its_cards(user, user_client, tagged, django_assert_num_queries):
    verbs, a, b = tagged
    day = user.review_day()
    for card, grade in ((a[0], 5), (a[1], 1), (b[0], 4), (b[1], 3)):
        services.record_review(user=user, card_id=card.pk, grade=grade, shown_version=0)
    assert stats.today_numbers(user, day=day, tag=verbs).reviewed == 2
    assert stats.today_numbers(user, day=day).reviewed == 4
    assert stats.answer_buttons(user, tag=verbs) == [(0, 0), (1, 1), (2, 0), (3, 0), (4, 1), (5, 0)]
    assert sum(stats.forecast(user, day=day, tag=verbs)) == 2
    assert dict(stats.interval_distribution(user, tag=verbs))["1d"] == 2
    most_lapses, lowest = stats.hardest_cards(user, tag=verbs)
    assert {progress.card for progress in lowest} == {a[1]}
    # Session, user, decks and tags for the pickers, one aggregate per chart; and the tag.
    with django_assert_num_queries(14):
        response = user_client.get(reverse("stats"), {"tag": verbs.name})
    html = response.content.decode()
    assert "Statistics: tag “verbs &amp; more”" in html
    assert '<option value="verbs &amp; more" selected>' in html


def test_the_admin_card_list_answers_with_counts_asked_for_and_thousands_of_tags(staff_client, tagged):
    # Facet counts put one column per tag in a single query: past 1,664 tags
    # PostgreSQL refuses it (SQLite past 2,000), and the list was a 500.
    Tag.objects.bulk_create(Tag(name=f"tag-{n}") for n in range(2500))
    response = staff_client.get(reverse("admin:quiz_card_changelist"), {"_facets": "True"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "8 cards" in html and "tag-2499" in html
