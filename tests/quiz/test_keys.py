"""Keyboard help, the footer's hint, and staff's Edit-and-come-back."""

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from quiz.models import Card

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_review_page_lists_every_key_and_says_space_grades_good(user_client, make_card):
    make_card()
    html = user_client.get(reverse("review")).content.decode()
    dialog = html[html.index('<dialog id="keys-dialog"') : html.index("</dialog>")]
    for key in ("Space", "Enter", "0</kbd>–<kbd>5", "u", "-", "@", "?", "Esc"):
        assert f"<kbd>{key}</kbd>" in dialog, key
    assert "On the answer: grade “Good” (<kbd>4</kbd>)" in dialog
    assert "<kbd>e</kbd>" not in dialog  # not staff: no edit key
    footer = html[html.index('<div class="review-footer">') : html.index('<dialog id="keys-dialog"')]
    assert "on the answer grades “Good”" in footer and "<kbd>0</kbd>–<kbd>5</kbd> grade" in footer
    assert "data-open-keys" in footer and "Keys <kbd>?</kbd>" in footer


def test_key_hints_are_only_where_the_keys_work(user_client, client, make_card):
    make_card()
    for url in (reverse("home"), reverse("card_browser"), reverse("stats"), reverse("deck_list")):
        assert "<kbd>" not in user_client.get(url).content.decode(), url
    assert "<kbd>" not in client.get(reverse("login")).content.decode()


def test_hints_follow_the_four_button_layout(make_user, client, make_card):
    client.force_login(make_user(grade_buttons="four"))
    make_card()
    html = client.get(reverse("review")).content.decode()
    assert "0</kbd>–" not in html
    assert html.count("<kbd>1</kbd>–<kbd>4</kbd>") == 1  # the review footer
    assert "On the answer: grade “Good” (<kbd>3</kbd>)" in html


def test_bury_and_suspend_buttons_carry_their_keys(user_client, make_card):
    card = make_card()
    html = user_client.get(reverse("review_flip", args=[card.pk]), **HX).content.decode()
    assert re.search(r'data-action="bury"[^>]*>Bury <kbd>-</kbd>', html)
    assert re.search(r'data-action="suspend"[^>]*>Suspend <kbd>@</kbd>', html)


def test_staff_see_an_edit_link_that_comes_back_to_the_card(staff_client, deck_with_cards):
    deck = deck_with_cards(2)
    card = deck.cards.order_by("position").first()
    html = staff_client.get(reverse("review_deck", args=[deck.slug])).content.decode()
    back = f"/review/{deck.slug}/?card={card.pk}"
    edit = f'href="/admin/quiz/card/{card.pk}/change/?next=%2Freview%2F{deck.slug}%2F%3Fcard%3D{card.pk}" data-action="edit"'
    assert edit in html
    assert "<kbd>e</kbd></td><td>Edit the card in the admin" in html

    change = reverse("admin:quiz_card_change", args=[card.pk]) + "?next=" + back.replace("?", "%3F")
    form = {"deck": deck.pk, "position": card.position, "question": "Edited?", "answer": "Yes."}
    response = staff_client.post(change, form)
    assert response.status_code == 302 and response["Location"] == back
    assert Card.objects.get(pk=card.pk).question == "Edited?"
    page = staff_client.get(back).content.decode()
    assert f'data-card="{card.pk}"' in page and "Edited?" in page


def test_plain_users_see_no_edit_link(user_client, make_card):
    make_card()
    assert 'data-action="edit"' not in user_client.get(reverse("review")).content.decode()


def test_the_card_page_edit_link_comes_back_to_the_card_page(staff_client, make_card):
    card = make_card()
    html = staff_client.get(card.get_absolute_url()).content.decode()
    assert f"/admin/quiz/card/{card.pk}/change/?next=%2Fcards%2F{card.pk}%2F" in html


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "/ok\nLocation: x", "/a\x00b", "/" + "x" * 600],
)
def test_the_admin_ignores_a_next_that_is_not_a_path_on_this_site(staff_client, make_card, next_url):
    card = make_card()
    change = reverse("admin:quiz_card_change", args=[card.pk])
    form = {"deck": card.deck.pk, "position": card.position, "question": "Edited?", "answer": "Yes."}
    response = staff_client.post(change + "?" + urlencode({"next": next_url}), form)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:quiz_card_changelist")


def test_save_and_continue_still_stays_in_the_admin(staff_client, make_card):
    card = make_card()
    change = reverse("admin:quiz_card_change", args=[card.pk])
    form = {"deck": card.deck.pk, "position": card.position, "question": "Edited?", "answer": "Yes.", "_continue": "1"}
    response = staff_client.post(change + "?next=/review/", form)
    assert response["Location"].startswith(change)
