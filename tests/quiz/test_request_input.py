"""Numbers and deck slugs from requests: ASCII digits and real slugs only,
anything else a 400 that writes nothing (the cases the issue reported as 500s)."""

import pytest
from django.urls import reverse

from quiz import services
from quiz.models import CardProgress, ReviewLog

pytestmark = pytest.mark.django_db

NOT_ASCII_INTEGERS = ["５", "1.0", "4.0", "²", "⁵", "①", "١", "+4", "-0", "4e0", "0x4", "4_0", "9" * 33]


@pytest.fixture
def answered(user, make_card):
    card = make_card()
    services.record_review(user=user, card_id=card.pk, grade=2, shown_version=0)
    return card


@pytest.mark.parametrize("field", ["grade", "card", "version", "flipped_at"])
@pytest.mark.parametrize("value", NOT_ASCII_INTEGERS)
def test_grade_refuses_numbers_not_written_in_ascii_digits(user_client, user, make_card, field, value):
    card = make_card()
    fields = {"card": str(card.pk), "version": "0", "grade": "4", "flipped_at": "1", field: value}
    response = user_client.post(reverse("review_grade"), fields)
    assert response.status_code == 400
    assert "Enter a whole number in the digits 0 to 9" in response.content.decode() or "at most 32 digits" in response.content.decode()
    assert not ReviewLog.objects.exists() and not CardProgress.objects.exists()


def test_grade_takes_ascii_digits_with_surrounding_spaces(user_client, user, make_card):
    card = make_card()
    response = user_client.post(reverse("review_grade"), {"card": f" {card.pk} ", "version": "0", "grade": " 4", "flipped_at": "0"})
    assert response.status_code == 302 and response["X-Review-Recorded"] == "1"
    assert ReviewLog.objects.get().grade == 4


@pytest.mark.parametrize("value", [str(2**31), str(2**63)])
def test_grade_refuses_a_version_past_its_32_bit_column(user_client, make_card, value):
    response = user_client.post(reverse("review_grade"), {"card": str(make_card().pk), "version": value, "grade": "4"})
    assert response.status_code == 400 and not ReviewLog.objects.exists()


@pytest.mark.parametrize("value", NOT_ASCII_INTEGERS)
def test_hide_refuses_a_card_not_written_in_ascii_digits(user_client, make_card, value):
    make_card()
    response = user_client.post(reverse("review_hide"), {"card": value, "action": "bury"})
    assert response.status_code == 400 and not CardProgress.objects.exists()


@pytest.mark.parametrize("next_url", ["/\\evil.example/", "//evil.example/", "https://evil.example/", "\x01/x"])
def test_hide_never_redirects_off_site(user_client, make_card, next_url):
    card = make_card()
    response = user_client.post(reverse("review_hide"), {"card": card.pk, "action": "bury", "next": next_url})
    assert response.status_code == 302 and response["Location"] == reverse("review")


def test_hide_follows_a_path_on_this_site(user_client, make_card):
    card = make_card()
    response = user_client.post(reverse("review_hide"), {"card": card.pk, "action": "bury", "next": card.get_absolute_url()})
    assert response["Location"] == card.get_absolute_url()


@pytest.mark.parametrize("value", ["%C2%B2", "%E2%81%B5", "%E2%91%A0", "1.0", "%EF%BC%95", "-1"])
def test_review_refuses_a_card_query_that_is_not_an_id(user_client, answered, value):
    assert user_client.get(f"{reverse('review')}?card={value}").status_code == 400


def test_review_shows_the_card_named_in_the_query(user_client, answered):
    response = user_client.get(f"{reverse('review')}?card={answered.pk}")
    assert response.status_code == 200 and response.context["item"].card == answered


@pytest.mark.parametrize("deck", ["%00", "a%00b", "%ED%A0%80", "a" * 201, "caf%C3%A9", "two%20words"])
def test_deck_scope_that_is_not_a_slug_is_a_bad_request(user_client, user, answered, deck):
    assert user_client.get(f"{reverse('stats')}?deck={deck}").status_code == 400
    assert user_client.get(f"{reverse('review_flip', args=[answered.pk])}?deck={deck}").status_code == 400
    response = user_client.post(
        reverse("review_undo"), f"deck={deck}", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert ReviewLog.objects.filter(user=user).count() == 1  # the undo did not happen


def test_deck_scope_naming_no_deck_is_not_found(user_client, answered):
    assert user_client.get(f"{reverse('stats')}?deck=no-such-deck").status_code == 404
    assert user_client.get(f"{reverse('stats')}?deck={answered.deck.slug}").status_code == 200
