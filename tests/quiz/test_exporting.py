"""A deck out as a Q&A Markdown file and back in: every card unchanged."""

import io
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quiz import services
from quiz.importing import export_deck, import_deck
from quiz.models import Card, CardProgress, Deck, Tag
from quiz.qa_format import QAFormatError, parse

pytestmark = pytest.mark.django_db


def snapshot(deck: Deck) -> list[tuple]:
    return [
        (card.pk, card.position, card.question, card.answer, card.cloze, card.note_key, tuple(sorted(t.name for t in card.tags.all())))
        for card in deck.cards.order_by("position", "id").prefetch_related("tags")
    ]


def reimport(deck: Deck) -> str:
    return import_deck(parse(export_deck(deck))).summary()


def test_the_seed_exports_and_reimports_unchanged(seed_deck, tmp_path):
    out = tmp_path / "seed.md"
    stdout = StringIO()
    call_command("export_qa", seed_deck.slug, "--output", str(out), stdout=stdout)
    assert "Wrote 13 cards" in stdout.getvalue()
    before = snapshot(seed_deck)
    stdout = StringIO()
    call_command("import_qa", str(out), stdout=stdout)
    assert "0 created, 0 updated, 13 unchanged" in stdout.getvalue()
    assert snapshot(seed_deck) == before
    seed = parse(Path(settings.QUIZ_SEED_FILE).read_text())
    assert [c.source_key for c in parse(out.read_text()).cards] == [c.source_key for c in seed.cards]


def test_export_qa_writes_to_standard_output_and_refuses_an_unknown_deck(seed_deck):
    stdout = StringIO()
    call_command("export_qa", seed_deck.slug, stdout=stdout)
    assert stdout.getvalue().startswith("# Tensorflow Quiz - interview-oriented\n")
    with pytest.raises(CommandError, match="no deck with the slug 'nope'"):
        call_command("export_qa", "nope")


def test_admin_made_cards_with_awkward_text_come_back_as_the_same_cards(make_deck, user):
    deck = make_deck(name="Made by hand", slug="made-by-hand", description="About.\nQ: not a card")
    texts = [
        ("A question\nover two lines?", "Intro.\n\nWhy?\n\nBecause.\nQ: not a question\nA: nor this"),
        ("```python\nprint(1)\n```\nWhat does it print?", "```\n1\n```"),
        ("Tags: looks like tags?", ""),
        ("  Indented?  ", "  Trailing spaces   \r\nand CRLF\r\n"),
    ]
    cards = [Card.objects.create(deck=deck, position=n, question=q, answer=a) for n, (q, a) in enumerate(texts, start=1)]
    cards[0].tags.add(Tag.objects.create(name="hand-made"))
    services.record_review(user=user, card_id=cards[1].pk, grade=4, shown_version=0)
    before = [(pk, position, tags) for pk, position, *_, tags in snapshot(deck)]

    assert "0 created, 0 updated, 4 unchanged" in reimport(deck)
    assert [(pk, position, tags) for pk, position, *_, tags in snapshot(deck)] == before
    assert Card.objects.get(pk=cards[0].pk).answer == texts[0][1]
    assert Card.objects.get(pk=cards[3].pk).question == "  Indented?  "  # unchanged text is never rewritten
    assert Card.objects.exclude(source_key=None).count() == 4  # matched by question, now keyed
    assert CardProgress.objects.get(user=user).card_id == cards[1].pk
    assert "0 created, 0 updated, 4 unchanged" in reimport(deck)
    assert Deck.objects.get(pk=deck.pk).description == "About.\nQ: not a card"


words = st.text(alphabet=st.sampled_from("abcdefgh ?"), min_size=1, max_size=12).map(str.strip).filter(lambda w: w.strip("?"))
lines = st.one_of(words, st.sampled_from(["Q: q?", "A: a", "C: [c] d", "Tags: t", "", "- item?", "```py\nx = [1]\n```", "`a[0]`", "\\(x\\)"]))
texts = st.lists(lines, min_size=1, max_size=5).map(lambda ls: "\n".join(ls).strip())
clozes = st.lists(st.one_of(words, words.map(lambda w: f"[{w}]")), max_size=5).map(lambda ps: "[first] " + " ".join(ps))
tags = st.lists(st.sampled_from(["python", "c++", "ml/nlp", "lang:en"]), max_size=3, unique=True)


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), texts, texts, clozes, tags), min_size=1, max_size=6))
def test_generated_decks_export_and_reimport_unchanged(items):
    Deck.objects.all().delete()
    deck = Deck.objects.create(name="Generated", slug="generated")
    questions = set()
    for position, (is_cloze, question, answer, cloze, tag_names) in enumerate(items, start=1):
        if is_cloze:
            # Cloze cards only ever come from a file, so they carry their keys.
            notes = {card.note_key for card in deck.cards.all()}
            for parsed in parse(f"# Generated\nC: {cloze}\n").cards:
                if parsed.note_key in notes or Card.objects.filter(source_key=parsed.source_key).exists():
                    break
                questions.add(parsed.question)
                card = Card.objects.create(
                    deck=deck, position=deck.cards.count() + 1, question=parsed.question, answer=parsed.answer,
                    cloze=parsed.cloze, note_key=parsed.note_key, source_key=parsed.source_key,
                )
                card.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tag_names])
        elif question and " ".join(question.split()).casefold() not in {" ".join(q.split()).casefold() for q in questions}:
            questions.add(question)
            card = Card.objects.create(deck=deck, position=deck.cards.count() + 1, question=question, answer=answer)
            card.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tag_names])
    count = deck.cards.count()
    assume(count > 0)  # an empty deck is its own test below
    before = snapshot(deck)
    assert reimport(deck).endswith(f"0 created, 0 updated, {count} unchanged")
    assert snapshot(deck) == before


def test_deck_page_links_the_download_and_it_is_the_file(user_client, seed_deck):
    url = reverse("deck_export", args=[seed_deck.slug])
    assert f'href="{url}"' in user_client.get(reverse("deck_detail", args=[seed_deck.slug])).content.decode()
    response = user_client.get(url)
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{seed_deck.slug}.md"'
    assert response.content.decode() == export_deck(seed_deck)
    assert user_client.get(reverse("deck_export", args=["no-such-deck"])).status_code == 404
    assert user_client.post(url).status_code == 405


def test_the_download_needs_a_login(client, seed_deck):
    response = client.get(reverse("deck_export", args=[seed_deck.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_admin_action_exports_one_deck_as_markdown_and_several_as_a_zip(staff_client, seed_deck, make_deck, make_card):
    other = make_deck(name="Other", slug="other")
    make_card(deck=other, question="Other?", answer="Yes.")
    changelist = reverse("admin:quiz_deck_changelist")
    response = staff_client.post(changelist, {"action": "export_qa", "_selected_action": [seed_deck.pk]})
    assert response["Content-Disposition"] == f'attachment; filename="{seed_deck.slug}.md"'
    assert response.content.decode() == export_deck(seed_deck)
    response = staff_client.post(changelist, {"action": "export_qa", "_selected_action": [seed_deck.pk, other.pk]})
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as files:
        assert sorted(files.namelist()) == ["other.md", f"{seed_deck.slug}.md"]
        assert files.read("other.md").decode() == "# Other\n\nQ: Other?\nA: Yes.\n"


def test_export_reads_the_deck_in_two_queries(seed_deck, django_assert_num_queries):
    with django_assert_num_queries(2):  # cards, then their tags
        export_deck(seed_deck)


def test_the_admin_import_of_a_hashcards_file_without_a_title_names_the_deck_after_the_file(staff_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("Capitals.md", b"Q: Capital of France?\nA: Paris\n\nC: [Rome] is in [Italy].\n")
    html = staff_client.post(reverse("admin:quiz_deck_import"), {"file": upload}).content.decode()
    assert '<strong data-count="created">3</strong>' in html
    deck = Deck.objects.get()
    assert deck.name == "Capitals"
    tags_before = snapshot(deck)
    assert reimport(deck).endswith("0 created, 0 updated, 3 unchanged")
    assert snapshot(deck) == tags_before


def test_an_empty_deck_exports_its_title_which_the_import_refuses(make_deck):
    deck = make_deck(name="Empty", slug="empty")
    assert export_deck(deck) == "# Empty\n"
    with pytest.raises(QAFormatError, match="no cards found"):
        parse(export_deck(deck))
