import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import resolve, reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quiz import services
from quiz.importing import deck_slug
from quiz.models import Card, CardProgress, Deck, ReviewLog

pytestmark = pytest.mark.django_db
SEED = Path(settings.QUIZ_SEED_FILE)


def import_qa(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_qa", *map(str, args), stdout=out)
    return out.getvalue()


def test_seed_imports_to_one_deck_of_thirteen_cards_in_order():
    output = import_qa(SEED)
    assert "13 created, 0 updated, 0 unchanged" in output
    deck = Deck.objects.get()
    assert deck.name == "Tensorflow Quiz - interview-oriented"
    questions = list(deck.cards.order_by("position").values_list("question", flat=True))
    assert len(questions) == 13
    assert questions[10].startswith("will BMM lead to different results")


def test_reimporting_the_same_file_changes_nothing():
    import_qa(SEED)
    before = list(Card.objects.order_by("pk").values("pk", "question", "answer", "answer_html", "updated_at"))
    output = import_qa(SEED)
    assert "0 created, 0 updated, 13 unchanged" in output
    assert list(Card.objects.order_by("pk").values("pk", "question", "answer", "answer_html", "updated_at")) == before


def test_an_edited_file_updates_in_place_adds_and_reports_removed(tmp_path, user):
    path = tmp_path / "deck.md"
    path.write_text("# Deck\nQ: one?\nfirst\n\nQ: two?\nsecond\n\nQ: three?\nthird\n")
    import_qa(path)
    one = Card.objects.get(question="one?")
    two = Card.objects.get(question="two?")
    services.record_review(user=user, card_id=one.pk, grade=4, shown_version=0)
    services.record_review(user=user, card_id=two.pk, grade=5, shown_version=0)
    progress_before = CardProgress.objects.get(user=user, card=one)

    path.write_text("# Deck\nQ: one?\nfirst, now better\n\nQ: four?\nfourth\n\nQ: three?\nthird\n")
    output = import_qa(path)
    assert "1 created, 1 updated, 1 unchanged, 1 removed from the file (0 deleted, 1 kept for their review history" in output
    assert "removed from the file: two?" in output
    one.refresh_from_db()
    assert one.answer == "first, now better" and one.answer_html == "<p>first, now better</p>"
    assert Card.objects.get(question="four?").position == 2
    progress_after = CardProgress.objects.get(user=user, card=one)
    assert (progress_after.pk, progress_after.due, progress_after.repetitions) == (
        progress_before.pk,
        progress_before.due,
        progress_before.repetitions,
    )
    assert Card.objects.filter(question="two?").exists()  # it has history

    output = import_qa(path, "--prune")
    assert "1 removed from the file (1 deleted)" in output
    assert not Card.objects.filter(question="two?").exists()
    assert ReviewLog.objects.filter(card=one).count() == 1


def test_removed_cards_without_history_are_deleted(tmp_path):
    path = tmp_path / "deck.md"
    path.write_text("# Deck\nQ: one?\na\n\nQ: two?\nb\n")
    import_qa(path)
    path.write_text("# Deck\nQ: one?\na\n")
    assert "1 removed from the file (1 deleted)" in import_qa(path)
    assert list(Card.objects.values_list("question", flat=True)) == ["one?"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"# Deck\n\nNo questions here.\n", ":3: no cards found"),
        (b"# Deck\nQ: a?\n```python\nprint(1)\n", ":3: code fence ``` opened here is never closed"),
        (b"# Deck\nQ: a?\nb\nQ:\nc\n", ":4: empty question"),
        (b"# Deck\nQ: a?\ncaf\xe9\n", ":3: the file is not UTF-8 text"),
    ],
)
def test_a_malformed_file_writes_nothing_and_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(CommandError) as caught:
        import_qa(path)
    assert str(caught.value).startswith(f"{path}{message}")
    assert Deck.objects.count() == 0 and Card.objects.count() == 0


def test_a_malformed_reimport_keeps_the_existing_deck(tmp_path):
    path = tmp_path / "deck.md"
    path.write_text("# Deck\nQ: one?\na\n")
    import_qa(path)
    path.write_text("# Deck\nQ: one?\nchanged\n\nQ:\n")
    with pytest.raises(CommandError):
        import_qa(path)
    assert Card.objects.get().answer == "a"


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        import_qa(tmp_path / "nope.md")


def test_deck_option_names_the_deck(tmp_path):
    path = tmp_path / "deck.md"
    path.write_text("Q: one?\na\n")
    import_qa(path, "--deck", "My Deck")
    assert Deck.objects.get().name == "My Deck"


def test_seed_fixture_loads_with_loaddata_and_twice_never_duplicates():
    call_command("loaddata", settings.QUIZ_SEED_FIXTURE, verbosity=0)
    call_command("loaddata", settings.QUIZ_SEED_FIXTURE, verbosity=0)
    assert Deck.objects.count() == 1
    assert Card.objects.count() == 13
    card = Card.objects.get(position=4)
    assert '<div class="highlight">' in card.answer_html


def test_seed_fixture_is_up_to_date_with_the_source(tmp_path):
    output = tmp_path / "seed.json"
    call_command("build_seed_fixture", "--output", str(output), stdout=open(os.devnull, "w"))
    import json

    def content(text: str) -> list:
        rows = json.loads(text)
        for row in rows:
            row["fields"].pop("created_at", None)
            row["fields"].pop("updated_at", None)
        return rows

    assert content(output.read_text()) == content(Path(settings.QUIZ_SEED_FIXTURE).read_text())
    assert Deck.objects.count() == 0  # building it leaves the database alone


def test_load_seed_loads_once_and_keeps_edits(seed_deck):
    card = seed_deck.cards.get(position=1)
    card.answer = "Edited by staff."
    card.save()
    call_command("load_seed", stdout=open(os.devnull, "w"))
    card.refresh_from_db()
    assert card.answer == "Edited by staff."
    assert Card.objects.count() == 13


def test_importing_the_seed_over_the_fixture_matches_its_cards(seed_deck):
    assert "0 created, 0 updated, 13 unchanged" in import_qa(SEED)


# Cards the renderer refuses --------------------------------------------------


def test_a_card_past_a_rendering_limit_names_file_and_line_and_writes_nothing(tmp_path):
    path = tmp_path / "long.md"
    path.write_text("# Deck\nQ: fine?\nyes\n\nQ: too long?\n" + "x" * 10_001 + "\n\nQ: too deep?\n" + "- " * 17 + "x\n")
    with pytest.raises(CommandError) as caught:
        import_qa(path)
    assert str(caught.value).splitlines() == [
        f"{path}:5: this card's answer cannot be shown: 10,001 characters; the most a card side may have is 10,000",
        f"{path}:8: this card's answer cannot be shown (line 1 of the answer): lists or quotes nested 17 levels deep; the most is 16",
    ]
    assert Deck.objects.count() == 0 and Card.objects.count() == 0


def test_a_card_at_every_rendering_limit_imports(tmp_path):
    path = tmp_path / "limits.md"
    path.write_text("# Deck\nQ: long?\n" + "x" * 10_000 + "\n\nQ: deep?\n" + "- " * 16 + "x\n")
    assert "2 created" in import_qa(path)
    assert Card.objects.get(question="deep?").answer_html.count("<ul>") == 16


def test_a_refused_reimport_keeps_the_deck_as_it_was(tmp_path):
    path = tmp_path / "deck.md"
    path.write_text("# Deck\nQ: one?\na\n")
    import_qa(path)
    path.write_text("# Deck\nQ: one?\nchanged\n\nQ: two?\n" + "> " * 30 + "x\n")
    with pytest.raises(CommandError, match=":5: this card's answer cannot be shown"):
        import_qa(path)
    assert list(Card.objects.values_list("question", "answer")) == [("one?", "a")]


# Tags, A: lines and cloze notes ------------------------------------------------

from quiz.models import Tag  # noqa: E402


def card_tags(question: str) -> set[str]:
    return set(Card.objects.get(question=question).tags.values_list("name", flat=True))


def test_tags_in_the_file_are_the_cards_tags_exactly(tmp_path, make_card):
    path = tmp_path / "deck.md"
    path.write_text("# Deck\nTags: shared\n\nQ: one?\nTags: python ml\nA: first\n\nQ: two?\nA: second\n")
    assert "2 created" in import_qa(path)
    assert card_tags("one?") == {"shared", "python", "ml"}
    assert card_tags("two?") == {"shared"}
    assert "0 created, 0 updated, 2 unchanged" in import_qa(path)

    Tag.objects.create(name="admin-only")
    Card.objects.get(question="two?").tags.add(Tag.objects.get(name="admin-only"))
    path.write_text("# Deck\nTags: shared\n\nQ: one?\nTags: python\nA: first\n\nQ: two?\nA: second\n")
    assert "0 created, 2 updated, 0 unchanged" in import_qa(path)
    assert card_tags("one?") == {"shared", "python"}
    assert card_tags("two?") == {"shared"}
    assert Tag.objects.filter(name="ml").exists()  # tags are shared; an unused one stays


def test_a_tag_change_keeps_progress(tmp_path, user):
    path = tmp_path / "deck.md"
    path.write_text("# Deck\nQ: one?\nA: first\n")
    import_qa(path)
    card = Card.objects.get()
    services.record_review(user=user, card_id=card.pk, grade=5, shown_version=0)
    path.write_text("# Deck\nQ: one?\nTags: new\nA: first\n")
    assert "0 created, 1 updated, 0 unchanged" in import_qa(path)
    assert CardProgress.objects.get(user=user).card_id == card.pk
    assert card_tags("one?") == {"new"}


def test_bad_tags_write_nothing(tmp_path):
    path = tmp_path / "deck.md"
    path.write_bytes(b"# Deck\nQ: one?\nTags: fine not!fine\nA: x\n")
    with pytest.raises(CommandError, match=":3: tag 'not!fine' may use only"):
        import_qa(path)
    assert Card.objects.count() == 0 and Tag.objects.count() == 0


def test_a_hashcards_file_imports_as_it_is(tmp_path):
    path = tmp_path / "hashcards.md"
    path.write_text(
        "# Capitals\n\nQ: What is the capital of France?\nA: Paris\n\n"
        "Q: What is the capital\nof Spain?\nA: Madrid\n\nWhy that one?\n\nC: [Rome] is the capital of [Italy].\n"
    )
    assert "4 created" in import_qa(path)
    assert list(Card.objects.order_by("position").values_list("question", flat=True)) == [
        "What is the capital of France?",
        "What is the capital\nof Spain?",
        "[…] is the capital of Italy.",
        "Rome is the capital of […].",
    ]
    assert Card.objects.get(position=2).answer == "Madrid\n\nWhy that one?"
    assert "0 created, 0 updated, 4 unchanged" in import_qa(path)


def test_cloze_cards_are_siblings_rendered_with_the_gap_and_the_highlight(tmp_path):
    path = tmp_path / "deck.md"
    path.write_text("# Geo\nC: [Paris] is the capital of [France].\n")
    import_qa(path)
    first, second = Card.objects.order_by("position")
    assert first.note_key == second.note_key is not None
    assert first.cloze == "[Paris] is the capital of [France]."
    assert first.question_html == "<p>[…] is the capital of France.</p>"
    assert first.answer_html == '<p><ins>Paris</ins> is the capital of France.</p>'
    assert second.question_html == "<p>Paris is the capital of […].</p>"


def test_adding_a_deletion_keeps_the_progress_of_the_others(tmp_path, user):
    path = tmp_path / "deck.md"
    path.write_text("# Geo\nC: [Paris] is the capital of France.\n")
    import_qa(path)
    paris = Card.objects.get()
    services.record_review(user=user, card_id=paris.pk, grade=4, shown_version=0)
    path.write_text("# Geo\nC: [Paris] is the capital of [France].\n")
    assert "1 created, 1 updated, 0 unchanged" in import_qa(path)
    paris.refresh_from_db()
    assert paris.cloze == "[Paris] is the capital of [France]."
    assert CardProgress.objects.get(user=user).card_id == paris.pk
    assert Card.objects.filter(note_key=paris.note_key).count() == 2
    assert "0 created, 0 updated, 2 unchanged" in import_qa(path)


def test_admin_made_cards_are_matched_by_question_and_keep_progress(tmp_path, make_deck, user):
    deck = make_deck(name="Deck", slug="deck")
    card = Card.objects.create(deck=deck, position=1, question="Made in the admin?", answer="Yes.")
    services.record_review(user=user, card_id=card.pk, grade=4, shown_version=0)
    path = tmp_path / "deck.md"
    path.write_text("# Deck\nQ: Made in the admin?\nA: Yes.\n")
    assert "0 created, 0 updated, 1 unchanged" in import_qa(path)
    card.refresh_from_db()
    assert card.source_key is not None
    assert CardProgress.objects.get(user=user).card_id == card.pk


def test_a_key_held_by_another_deck_is_left_empty_and_the_question_matches_next_time(tmp_path):
    path = tmp_path / "deck.md"
    path.write_text("# Deck\nQ: one?\nA: a\n")
    import_qa(path)
    Deck.objects.filter(slug="deck").update(slug="renamed")
    assert "1 created" in import_qa(path)
    fresh = Card.objects.get(deck__slug="deck")
    assert fresh.source_key is None
    assert "0 created, 0 updated, 1 unchanged" in import_qa(path)


def test_a_file_without_a_title_imports_under_its_file_name(tmp_path):
    path = tmp_path / "French.md"
    path.write_text("Q: What is the capital of France?\nA: Paris\n\nC: [Paris] is the capital of [France].\n")
    assert "French: 3 created" in import_qa(path)
    assert Deck.objects.get().slug == "french"


def test_an_unchanged_reimport_renders_nothing_but_still_checks_the_limits(tmp_path, monkeypatch):
    from quiz import importing

    path = tmp_path / "deck.md"
    path.write_text("# Deck\nQ: one?\nA: first\n\nQ: two?\nA: second\n")
    import_qa(path)
    calls = []
    monkeypatch.setattr(importing, "render_markdown", lambda text: calls.append(text) or f"<p>{text}</p>")
    assert "0 created, 0 updated, 2 unchanged" in import_qa(path)
    assert calls == []
    path.write_text("# Deck\nQ: two?\nA: second\n\nQ: one?\nA: first, edited\n")  # moved and edited
    assert "0 created, 2 updated, 0 unchanged" in import_qa(path)
    assert calls == ["one?", "first, edited"]  # the moved card keeps its HTML
    assert Card.objects.get(question="two?").answer_html == "<p>second</p>"

    # A card stored before a limit existed is reported, not silently kept.
    Card.objects.filter(question="two?").update(answer="x" * 10_001)
    path.write_text("# Deck\nQ: two?\nA: " + "x" * 10_001 + "\n\nQ: one?\nA: first, edited\n")
    with pytest.raises(CommandError, match=":2: this card's answer cannot be shown: 10,001 characters"):
        import_qa(path)


# Deck slugs ------------------------------------------------------------------

RUSSIAN = "# Русский\nQ: Как дела?\nA: Хорошо.\n\nQ: Спасибо?\nA: Thank you.\n"
JAPANESE = "# 日本語\nQ: こんにちは?\nA: Hello.\n"


def test_decks_with_non_latin_titles_keep_their_own_cards(tmp_path, user_client):
    russian, japanese = tmp_path / "ru.md", tmp_path / "ja.md"
    russian.write_text(RUSSIAN)
    japanese.write_text(JAPANESE)
    assert import_qa(russian).startswith("Русский: 2 created, 0 updated, 0 unchanged\n")
    # Under one slug for both, this import replaced the Russian deck's cards.
    assert import_qa(japanese) == "日本語: 1 created, 0 updated, 0 unchanged\n"
    decks = {deck.name: deck for deck in Deck.objects.all()}
    assert sorted(decks["Русский"].cards.values_list("question", flat=True)) == ["Как дела?", "Спасибо?"]
    assert list(decks["日本語"].cards.values_list("question", flat=True)) == ["こんにちは?"]
    for deck in decks.values():
        assert user_client.get(deck.get_absolute_url()).status_code == 200
    assert import_qa(russian) == "Русский: 0 created, 0 updated, 2 unchanged\n"
    assert import_qa(japanese) == "日本語: 0 created, 0 updated, 1 unchanged\n"
    assert Deck.objects.count() == 2


def test_a_deck_slug_is_ascii_and_keeps_what_slugify_would_drop_as_a_hash():
    assert deck_slug("Café au lait") == "cafe-au-lait"  # accents alone need no hash
    assert deck_slug("Tensorflow Quiz - interview-oriented") == "tensorflow-quiz-interview-oriented"
    assert deck_slug("grade") == "grade-deck"
    russian = deck_slug("Русский")
    assert re.fullmatch(r"deck-[0-9a-f]{8}", russian)
    assert deck_slug("  русский ") == russian  # case and spacing, as for Latin titles
    assert deck_slug("日本語") != russian
    assert re.fullmatch(r"spanish-[0-9a-f]{8}", deck_slug("Spanish Испанский"))
    assert deck_slug("Spanish Испанский") != deck_slug("Spanish Итальянский")


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_every_deck_slug_fits_the_url_converter_and_the_field(title):
    slug = deck_slug(title)
    assert re.fullmatch(r"[-a-zA-Z0-9_]{1,200}", slug)
    assert resolve(reverse("deck_detail", args=[slug])).kwargs == {"slug": slug}
    assert deck_slug(title) == slug


def test_the_longest_non_latin_title_has_a_slug_within_the_field():
    for title in ("Я" * 200, "a" * 199 + "Я", "ﬃ" * 200):
        assert len(deck_slug(title)) <= 200
    assert deck_slug("a" * 199 + "Я") != deck_slug("a" * 199 + "Ж")


def test_a_non_latin_deck_imported_under_the_old_slug_is_still_found(tmp_path, user):
    russian, japanese = tmp_path / "ru.md", tmp_path / "ja.md"
    russian.write_text(RUSSIAN)
    japanese.write_text(JAPANESE)
    import_qa(russian)
    Deck.objects.update(slug="deck")  # what every non-Latin title slugified to before
    card = Card.objects.get(question="Как дела?")
    services.record_review(user=user, card_id=card.pk, grade=4, shown_version=0)
    assert import_qa(russian) == "Русский: 0 created, 0 updated, 2 unchanged\n"
    assert import_qa(japanese) == "日本語: 1 created, 0 updated, 0 unchanged\n"
    assert Deck.objects.get(name="Русский").slug == "deck"  # its links and exported progress keep working
    assert CardProgress.objects.get(user=user).card == card


def test_a_deck_title_past_200_characters_names_its_line_and_writes_nothing(tmp_path):
    path = tmp_path / "long.md"
    path.write_text("# " + "A" * 200 + "\nQ: one?\nA: a\n")
    assert import_qa(path).startswith("A" * 200 + ": 1 created")
    path.write_text("# " + "B" * 201 + "\nQ: one?\nA: a\n")
    with pytest.raises(CommandError) as caught:
        import_qa(path)
    assert str(caught.value) == f"{path}:1: the deck title is 201 characters; at most 200"
    named = tmp_path / ("C" * 201 + ".md")
    named.write_text("Q: one?\nA: a\n")
    with pytest.raises(CommandError) as caught:
        import_qa(named)
    assert str(caught.value) == f"{named}:1: the file name, standing in for a '# Title' line, is 201 characters; at most 200"
    assert list(Deck.objects.values_list("name", flat=True)) == ["A" * 200]


def test_a_deck_option_past_200_characters_is_refused_before_the_file_is_read(tmp_path):
    path = tmp_path / "deck.md"
    path.write_text("Q: one?\nA: a\n")
    with pytest.raises(CommandError) as caught:
        import_qa(path, "--deck", "D" * 201)
    assert str(caught.value) == "--deck is 201 characters; a deck name has at most 200"
    assert not Deck.objects.exists()
    import_qa(path, "--deck", "D" * 200)
    assert Deck.objects.get().name == "D" * 200
