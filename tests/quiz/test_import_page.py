"""The admin's import page: dry run, confirmation, size limit."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from quiz.admin import WEB_IMPORT_MAX_BYTES
from quiz.importing import export_deck, import_deck, plan_import
from quiz.models import Card, Deck
from quiz.qa_format import parse

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:quiz_deck_import")
ORIGINAL = "# Uploaded\nQ: one?\nfirst\n\nQ: two?\nsecond\n\nQ: three?\nthird\n"
EDITED = "# Uploaded\nQ: one?\nfirst\n\nQ: two?\nsecond, edited\n\nQ: four?\nfourth\n"


def plan_counts(html: str) -> dict[str, int]:
    return {name: int(count) for name, count in re.findall(r'data-plan="(\w+)">(\d+)<', html)}


def test_dry_run_shows_the_plan_and_writes_nothing(staff_client):
    import_deck(parse(ORIGINAL))
    before = list(Card.objects.values_list("pk", "question", "answer", "position", "updated_at"))
    upload = SimpleUploadedFile("cards.md", EDITED.encode())
    response = staff_client.post(IMPORT, {"file": upload, "dry_run": "Dry run"})
    html = response.content.decode()
    assert "Dry run: nothing has been written yet" in html
    assert plan_counts(html) == {"created": 1, "updated": 1, "unchanged": 1, "deleted": 1}
    assert "<li>four?</li>" in html and "<li>three?</li>" in html
    assert list(Card.objects.values_list("pk", "question", "answer", "position", "updated_at")) == before


def test_dry_run_of_a_new_deck_creates_no_deck(staff_client):
    response = staff_client.post(IMPORT, {"file": SimpleUploadedFile("c.md", ORIGINAL.encode()), "dry_run": "1"})
    assert "would create the new deck “Uploaded”" in response.content.decode()
    assert plan_counts(response.content.decode())["created"] == 3
    assert not Deck.objects.exists() and not Card.objects.exists()


def test_confirming_a_dry_run_imports_the_checked_text(staff_client):
    import_deck(parse(ORIGINAL))
    dry = staff_client.post(IMPORT, {"file": SimpleUploadedFile("cards.md", EDITED.encode()), "dry_run": "1"})
    confirm = dict(re.findall(r'<input type="hidden" name="(source|filename|deck)" value="([^"]*)">', dry.content.decode()))
    assert confirm["filename"] == "cards.md"
    import html as html_lib

    confirm = {key: html_lib.unescape(value) for key, value in confirm.items()}
    response = staff_client.post(IMPORT, confirm)
    assert '<strong data-count="created">1</strong>' in response.content.decode()
    assert sorted(Card.objects.values_list("question", flat=True)) == ["four?", "one?", "two?"]
    assert Card.objects.get(question="two?").answer == "second, edited"


def test_dry_run_reports_cards_kept_for_their_history(staff_client, user):
    report = import_deck(parse(ORIGINAL))
    card = report.deck.cards.get(question="three?")
    card.review_logs.create(
        user=user, grade=4, kind="new", review_day="2026-11-30", reviewed_at="2026-11-30T10:00Z",
        easiness_before="2.5", repetitions_before=0, interval_before=0,
        easiness_after="2.5", repetitions_after=1, interval_after=1, due_after="2026-12-01",
    )
    html = staff_client.post(IMPORT, {"file": SimpleUploadedFile("c.md", EDITED.encode()), "dry_run": "1"}).content.decode()
    assert plan_counts(html) == {"created": 1, "updated": 1, "unchanged": 1, "deleted": 0, "kept": 1}
    html = staff_client.post(IMPORT, {"file": SimpleUploadedFile("c.md", EDITED.encode()), "dry_run": "1", "prune": "on"}).content.decode()
    assert plan_counts(html)["deleted"] == 1
    assert Card.objects.filter(question="three?").exists()


def test_dry_run_of_a_broken_file_shows_its_lines(staff_client):
    upload = SimpleUploadedFile("broken.md", b"# Broken\nQ: one?\n```python\nx = 1\n")
    html = staff_client.post(IMPORT, {"file": upload, "dry_run": "1"}).content.decode()
    assert "<code>broken.md:3: code fence ``` opened here is never closed</code>" in html
    assert "Dry run: nothing" not in html


def test_plan_import_matches_what_the_import_then_does():
    import_deck(parse(ORIGINAL))
    plan = plan_import(parse(EDITED))
    report = import_deck(parse(EDITED))
    assert (plan.report.created, plan.report.updated, plan.report.unchanged, plan.report.pruned) == (
        report.created, report.updated, report.unchanged, report.pruned,
    )
    assert plan.new_questions == ["four?"] and plan.deck_exists


def test_a_card_made_in_the_admin_is_not_listed_as_new_when_its_question_matches():
    report = import_deck(parse(ORIGINAL))
    Card.objects.create(deck=report.deck, position=4, question="Made by hand?", answer="In the admin.")
    exported = export_deck(report.deck)
    plan = plan_import(parse(exported))
    assert plan.report.created == 0 and plan.new_questions == []


def test_a_dry_run_takes_a_file_at_the_size_limit_and_refuses_one_byte_more(staff_client):
    head = "# Big\nQ: one?\n"
    at_limit = head + "x" * (WEB_IMPORT_MAX_BYTES - len(head))
    response = staff_client.post(IMPORT, {"file": SimpleUploadedFile("big.md", at_limit.encode()), "dry_run": "1"})
    html = response.content.decode()
    assert "Dry run: nothing has been written yet" in html or "cannot be shown" in html
    assert "the web import takes files up to" not in html
    over = SimpleUploadedFile("big.md", (at_limit + "x").encode())
    response = staff_client.post(IMPORT, {"file": over, "dry_run": "1"})
    assert response.status_code == 200
    assert "big.md is 512 KB; the web import takes files up to 512 KB." in response.content.decode()
    assert not Deck.objects.exists()


def test_a_confirmed_text_past_the_size_limit_is_refused(staff_client):
    text = "# Big\nQ: one?\n" + "x" * WEB_IMPORT_MAX_BYTES
    response = staff_client.post(IMPORT, {"source": text, "filename": "big.md"})
    assert "larger than the web import&#x27;s 512 KB" in response.content.decode()
    assert not Deck.objects.exists()


def test_the_page_is_an_admin_page_that_states_the_limit(staff_client):
    html = staff_client.get(IMPORT).content.decode()
    assert '<ol class="breadcrumbs">\n<li><a href="/admin/">Home</a></li>' in html
    assert 'class="module aligned' in html and 'class="form-row' in html
    assert "at most 512.0\xa0KB (524288 bytes) and 5000 cards" in html
    assert 'name="dry_run"' in html


def test_no_file_is_a_form_error(staff_client):
    response = staff_client.post(IMPORT, {})
    assert response.status_code == 200
    assert "Choose a Q&amp;A file." in response.content.decode()


def test_a_clear_box_sent_with_no_file_is_the_same_form_error(staff_client):
    # A clearable file input would turn "file-clear" into the value False.
    response = staff_client.post(IMPORT, {"file-clear": "on"})
    assert response.status_code == 200
    assert "Choose a Q&amp;A file." in response.content.decode()
    assert not Deck.objects.exists()


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "import"])
def test_a_deck_title_past_200_characters_is_a_problem_not_an_error_page(staff_client, dry_run):
    extra = {"dry_run": "1"} if dry_run else {}
    long_title = SimpleUploadedFile("long.md", ("# " + "A" * 201 + "\nQ: one?\nA: a\n").encode())
    response = staff_client.post(IMPORT, {"file": long_title, **extra})
    assert response.status_code == 200
    assert "<code>long.md:1: the deck title is 201 characters; at most 200</code>" in response.content.decode()
    long_name = SimpleUploadedFile("N" * 201 + ".md", b"Q: one?\nA: a\n")
    html = staff_client.post(IMPORT, {"file": long_name, **extra}).content.decode()
    assert "is 201 characters; at most 200</code>" in html and "standing in for a &#x27;# Title&#x27; line" in html
    upload = SimpleUploadedFile("c.md", b"Q: one?\nA: a\n")
    html = staff_client.post(IMPORT, {"file": upload, "deck": "D" * 201, **extra}).content.decode()
    assert "Ensure this value has at most 200 characters (it has 201)." in html
    assert not Deck.objects.exists()

    at_limit = SimpleUploadedFile("c.md", ("# " + "A" * 200 + "\nQ: one?\nA: a\n").encode())
    html = staff_client.post(IMPORT, {"file": at_limit, **extra}).content.decode()
    assert ("Dry run: nothing has been written yet" if dry_run else '<strong data-count="created">1</strong>') in html
    upload = SimpleUploadedFile("c.md", b"Q: one?\nA: a\n")
    html = staff_client.post(IMPORT, {"file": upload, "deck": "D" * 200, **extra}).content.decode()
    assert "Ensure this value" not in html
    assert sorted(Deck.objects.values_list("name", flat=True)) == ([] if dry_run else ["A" * 200, "D" * 200])
