import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from quiz.models import Card, Deck, Tag

pytestmark = pytest.mark.django_db


def test_deck_admin_lists_card_counts(staff_client, seed_deck):
    response = staff_client.get(reverse("admin:quiz_deck_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<td class="field-card_count">13</td>' in html
    assert reverse("admin:quiz_deck_import") in html


def test_card_admin_searches_filters_and_orders(staff_client, seed_deck, make_card):
    other = make_card(question="Unrelated?", answer="nothing")
    changelist = reverse("admin:quiz_card_changelist")
    response = staff_client.get(changelist, {"q": "autoregressive"})
    assert [card.position for card in response.context["cl"].result_list] == [6]
    response = staff_client.get(changelist, {"q": "Batch Matrix Multiplication"})  # in answers
    assert len(response.context["cl"].result_list) == 2
    response = staff_client.get(changelist, {"deck__id__exact": seed_deck.pk})
    positions = [card.position for card in response.context["cl"].result_list]
    assert positions == list(range(1, 14))
    assert other not in response.context["cl"].result_list


def test_card_change_page_previews_the_rendered_card(staff_client, seed_deck):
    card = seed_deck.cards.get(position=6)
    response = staff_client.get(reverse("admin:quiz_card_change", args=[card.pk]))
    html = response.content.decode()
    assert '<div class="card-side card-question markdown"' in html
    assert card.answer_html in html  # exactly what the review page shows
    assert "vendor/katex/katex.min.js" in html


def test_bulk_actions_move_to_deck_and_add_tag(staff_client, seed_deck, make_deck):
    target = make_deck(name="Target")
    picked = list(seed_deck.cards.filter(position__in=[1, 2]).values_list("pk", flat=True))
    changelist = reverse("admin:quiz_card_changelist")
    response = staff_client.post(changelist, {"action": "add_tag", "_selected_action": picked})
    assert "Add a tag to cards" in response.content.decode()  # asks for the tag first
    staff_client.post(changelist, {"action": "add_tag", "_selected_action": picked, "apply": "1", "tag": "basics"})
    assert set(Tag.objects.get(name="basics").cards.values_list("pk", flat=True)) == set(picked)
    response = staff_client.get(changelist, {"tags__id__exact": Tag.objects.get(name="basics").pk})
    assert len(response.context["cl"].result_list) == 2

    staff_client.post(changelist, {"action": "move_to_deck", "_selected_action": picked, "apply": "1", "deck": target.pk})
    assert set(target.cards.values_list("pk", flat=True)) == set(picked)
    assert seed_deck.cards.count() == 11


def test_admin_import_form_reports_counts(staff_client):
    upload = SimpleUploadedFile("cards.md", b"# Uploaded\nQ: one?\nfirst\n\nQ: two?\nsecond\n")
    response = staff_client.post(reverse("admin:quiz_deck_import"), {"file": upload})
    html = response.content.decode()
    assert '<strong data-count="created">2</strong>' in html
    assert Deck.objects.get().name == "Uploaded"
    upload = SimpleUploadedFile("cards.md", b"# Uploaded\nQ: one?\nfirst\n\nQ: two?\nsecond, edited\n")
    html = staff_client.post(reverse("admin:quiz_deck_import"), {"file": upload}).content.decode()
    assert '<strong data-count="updated">1</strong>' in html
    assert '<strong data-count="unchanged">1</strong>' in html


def test_admin_import_form_shows_errors_with_lines_and_writes_nothing(staff_client):
    upload = SimpleUploadedFile("broken.md", b"# Broken\nQ: one?\n```python\nx = 1\n")
    response = staff_client.post(reverse("admin:quiz_deck_import"), {"file": upload})
    html = response.content.decode()
    assert "Nothing was imported" in html
    assert "<code>broken.md:3: code fence ``` opened here is never closed</code>" in html
    assert Deck.objects.count() == 0


def test_admin_is_for_staff_only(user_client):
    response = user_client.get(reverse("admin:quiz_deck_import"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_card_page_has_one_main_heading(user_client, make_card):
    card = make_card(question="What is `tf.data`?")
    html = user_client.get(card.get_absolute_url()).content.decode()
    assert html.count("<h1") == 1 and f"Card {card.position} of {card.deck.name}</h1>" in html


def test_deck_list_deck_page_and_card_page(user_client, seed_deck):
    html = user_client.get(reverse("deck_list")).content.decode()
    assert "Tensorflow Quiz - interview-oriented" in html and '<td class="num">13</td>' in html
    html = user_client.get(seed_deck.get_absolute_url()).content.decode()
    assert html.count('class="card-question-link"') == 13
    assert reverse("review_deck", args=[seed_deck.slug]) in html
    card = seed_deck.cards.get(position=4)
    html = user_client.get(card.get_absolute_url()).content.decode()
    assert card.answer_html in html
    assert "Edit in admin" not in html


def test_staff_see_an_edit_link_on_the_card_page(staff_client, seed_deck):
    card = seed_deck.cards.first()
    html = staff_client.get(card.get_absolute_url()).content.decode()
    assert reverse("admin:quiz_card_change", args=[card.pk]) in html


def test_unknown_deck_and_card_are_404(user_client):
    assert user_client.get("/decks/nope/").status_code == 404
    assert user_client.get("/cards/999999/").status_code == 404


def test_saving_a_card_renders_it(make_card):
    card = make_card(question="What is `x`?", answer="<script>x</script>**y**")
    assert card.question_html == "<p>What is <code>x</code>?</p>"
    assert card.answer_html == "<p><strong>y</strong></p>"
    Card.objects.filter(pk=card.pk).update(answer="z")
    card.refresh_from_db()
    card.save(update_fields=["answer"])
    card.refresh_from_db()
    assert card.answer_html == "<p>z</p>"


def test_manifest_static_build_finds_every_referenced_file(tmp_path, settings):
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    call_command("collectstatic", "--noinput", verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("vendor/katex/fonts/KaTeX_Main-Regular.*.woff2"))


# Limits on what staff can save and upload -----------------------------------


def card_form(card: Card, **changes) -> dict:
    data = {"deck": card.deck_id, "position": card.position, "question": card.question, "answer": card.answer}
    return {**data, **changes}


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("x" * 10_001, "This answer cannot be shown: 10,001 characters; the most a card side may have is 10,000."),
        ("- " * 17 + "x", "This answer cannot be shown: line 1: lists or quotes nested 17 levels deep; the most is 16."),
    ],
)
def test_the_card_form_shows_a_rendering_limit_on_the_field_and_saves_nothing(staff_client, make_card, answer, message):
    card = make_card(answer="before")
    url = reverse("admin:quiz_card_change", args=[card.pk])
    response = staff_client.post(url, card_form(card, answer=answer))
    assert response.status_code == 200
    assert message in response.content.decode()
    card.refresh_from_db()
    assert card.answer == "before" and card.answer_html == "<p>before</p>"


def test_the_card_form_saves_a_side_at_the_limit(staff_client, make_card):
    card = make_card()
    response = staff_client.post(reverse("admin:quiz_card_change", args=[card.pk]), card_form(card, answer="- " * 16 + "x"))
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.answer_html.count("<ul>") == 16


def upload_of_size(size: int) -> bytes:
    body = b"# Big\n"
    number = 0
    while len(body) < size - 9_100:
        number += 1
        body += f"Q: q{number}?\n".encode() + b"x" * 9_000 + b"\n\n"
    number += 1
    head = f"Q: q{number}?\n".encode()
    return body + head + b"y" * (size - len(body) - len(head))


def test_the_web_import_takes_a_file_at_its_size_limit(staff_client):
    upload = SimpleUploadedFile("big.md", upload_of_size(512 * 1024))
    html = staff_client.post(reverse("admin:quiz_deck_import"), {"file": upload}).content.decode()
    assert '<strong data-count="created">' in html
    assert Deck.objects.get().name == "Big"


def test_the_web_import_refuses_a_file_past_its_size_limit_and_points_to_the_command(staff_client):
    upload = SimpleUploadedFile("big.md", upload_of_size(512 * 1024 + 1))
    html = staff_client.post(reverse("admin:quiz_deck_import"), {"file": upload}).content.decode()
    assert "big.md is 512 KB; the web import takes files up to 512 KB." in html
    assert "manage.py import_qa FILE" in html
    assert Deck.objects.count() == 0


def many_cards(count: int) -> bytes:
    return b"# Many\n" + b"".join(f"Q: q{n}?\na\n\n".encode() for n in range(count))


def test_the_web_import_takes_its_card_limit_and_refuses_one_more(staff_client):
    html = staff_client.post(reverse("admin:quiz_deck_import"), {"file": SimpleUploadedFile("many.md", many_cards(5_001))}).content.decode()
    assert "many.md has 5,001 cards; the web import takes up to 5,000." in html and "manage.py import_qa FILE" in html
    assert Deck.objects.count() == 0
    html = staff_client.post(reverse("admin:quiz_deck_import"), {"file": SimpleUploadedFile("many.md", many_cards(5_000))}).content.decode()
    assert '<strong data-count="created">5000</strong>' in html


def test_a_web_import_past_its_time_budget_writes_nothing_and_points_to_the_command(staff_client, monkeypatch):
    from quiz import admin as quiz_admin

    monkeypatch.setattr(quiz_admin, "WEB_IMPORT_SECONDS", -1)
    upload = SimpleUploadedFile("slow.md", b"# Slow\nQ: one?\na\n")
    html = staff_client.post(reverse("admin:quiz_deck_import"), {"file": upload}).content.decode()
    assert "too long for a web request" in html and "manage.py import_qa FILE" in html
    assert Deck.objects.count() == 0


def test_the_web_import_names_a_card_it_cannot_render(staff_client):
    upload = SimpleUploadedFile("deep.md", b"# Deep\nQ: ok?\nyes\n\nQ: deep?\n" + b"> " * 20 + b"x\n")
    html = staff_client.post(reverse("admin:quiz_deck_import"), {"file": upload}).content.decode()
    assert "<code>deep.md:5: this card&#x27;s answer cannot be shown (line 1 of the answer): lists or quotes nested 20 levels deep" in html
    assert Deck.objects.count() == 0
