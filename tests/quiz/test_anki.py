"""Anki interoperability: .apkg export and the "Notes in Plain Text" import."""

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from quiz import images
from quiz.anki_text import parse_notes
from quiz.models import Card, Deck, Image, Tag
from quiz.qa_format import QAFormatError
from quiz.qa_format import parse as qa_parse
from tests.quiz.test_images import picture

pytestmark = pytest.mark.django_db


def open_apkg(data: bytes, tmp_path: Path) -> tuple[list[dict], dict, zipfile.ZipFile]:
    package = zipfile.ZipFile(io.BytesIO(data))
    collection = tmp_path / "collection.anki2"
    collection.write_bytes(package.read("collection.anki2"))
    db = sqlite3.connect(collection)
    notes = [
        {"guid": guid, "fields": flds.split("\x1f"), "tags": tags.split()}
        for guid, flds, tags in db.execute("SELECT guid, flds, tags FROM notes ORDER BY sfld")
    ]
    decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    db.close()
    return notes, decks, package


# Export ---------------------------------------------------------------------------


def test_the_seed_deck_exports_as_an_anki_package(user_client, seed_deck, tmp_path):
    response = user_client.get(reverse("deck_apkg", args=[seed_deck.slug]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{seed_deck.slug}.apkg"'
    notes, decks, _ = open_apkg(response.content, tmp_path)
    assert seed_deck.name in [deck["name"] for deck in decks.values()]
    assert len(notes) == 13
    cards = list(seed_deck.cards.order_by("position"))
    assert [note["fields"][0] for note in notes] == [card.question_html for card in cards]
    autoregressive = notes[5]["fields"][1]
    # Anki typesets \\(…\\) and \\[…\\] with its own MathJax: the TeX travels, not the MathML.
    assert '<span class="math math-display">\\[ X_t = c + \\phi_1 X_{t-1}' in autoregressive
    assert "<math" not in autoregressive
    assert '<span class="k">' in notes[3]["fields"][1] or '<span class="o">' in notes[3]["fields"][1]


def test_export_is_stable_so_a_second_import_into_anki_updates_notes(user_client, seed_deck, tmp_path):
    url = reverse("deck_apkg", args=[seed_deck.slug])
    first, first_decks, _ = open_apkg(user_client.get(url).content, tmp_path)
    second, second_decks, _ = open_apkg(user_client.get(url).content, tmp_path)
    assert [note["guid"] for note in first] == [note["guid"] for note in second]
    assert first_decks.keys() == second_decks.keys()


def test_display_dollars_become_mathjax_and_tags_and_images_travel(user_client, make_deck, make_card, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    checked = images.check_image(picture("PNG"))
    Image.objects.create(name="plot.png", file=ContentFile(checked.content, name="x.png"), content_type="image/png",
                         width=checked.width, height=checked.height, size=len(checked.content))
    deck = make_deck()
    card = make_card(deck=deck, question="Area?", answer="$$\\pi r^2$$\n\n![the plot](plot.png)")
    card.tags.add(Tag.objects.create(name="geometry basics"))
    notes, _, package = open_apkg(user_client.get(reverse("deck_apkg", args=[deck.slug])).content, tmp_path)
    (note,) = notes
    assert '<span class="math math-display">\\[\\pi r^2\\]</span>' in note["fields"][1]
    assert '<img alt="the plot" src="plot.png">' in note["fields"][1]
    assert note["tags"] == ["geometry_basics"]
    media = json.loads(package.read("media"))
    assert media == {"0": "plot.png"}
    assert package.read("0") == Image.objects.get().file.open("rb").read()


def test_the_deck_page_offers_the_download(user_client, seed_deck):
    html = user_client.get(seed_deck.get_absolute_url()).content.decode()
    assert f'href="{reverse("deck_apkg", args=[seed_deck.slug])}" download>Download for Anki (.apkg)</a>' in html


def test_an_unknown_deck_has_no_package(user_client):
    assert user_client.get(reverse("deck_apkg", args=["nope"])).status_code == 404


# Plain-text import ------------------------------------------------------------------

EXPORT = (
    "#separator:tab\n"
    "#html:true\n"
    "#tags column:3\n"
    "What is SM-2?\tA spaced-repetition <b>scheduler</b>.\talgorithms memory\n"
    '"A question<br>over two lines?"\t"Yes; it has a ""quote"" and a\ttab."\t\n'
    "Euler?\t\\( e^{i\\pi} + 1 = 0 \\)\tmath\n"
)


def import_anki(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_anki", str(path), *args, stdout=out)
    return out.getvalue()


def test_an_anki_export_imports_as_a_deck_with_tags(tmp_path):
    path = tmp_path / "Anki Basics.txt"
    path.write_text(EXPORT)
    assert import_anki(path).startswith("Anki Basics: 3 created, 0 updated, 0 unchanged")
    deck = Deck.objects.get()
    cards = list(deck.cards.order_by("position"))
    assert [card.question for card in cards] == ["What is SM-2?", "A question<br>over two lines?", "Euler?"]
    assert cards[0].answer_html == "<p>A spaced-repetition <b>scheduler</b>.</p>"
    assert cards[1].answer == 'Yes; it has a "quote" and a\ttab.'
    assert '<annotation encoding="application/x-tex"> e^{i\\pi} + 1 = 0 </annotation>' in cards[2].answer_html
    assert sorted(tag.name for tag in cards[0].tags.all()) == ["algorithms", "memory"]
    assert [tag.name for tag in cards[2].tags.all()] == ["math"]


def test_importing_the_same_export_again_changes_nothing(tmp_path):
    path = tmp_path / "deck.txt"
    path.write_text(EXPORT)
    import_anki(path)
    before = list(Card.objects.values_list("pk", "question", "answer", "answer_html", "updated_at"))
    tags_before = list(Card.tags.through.objects.values_list("pk", "card_id", "tag_id"))
    assert import_anki(path).startswith("deck: 0 created, 0 updated, 3 unchanged")
    assert list(Card.objects.values_list("pk", "question", "answer", "answer_html", "updated_at")) == before
    assert list(Card.tags.through.objects.values_list("pk", "card_id", "tag_id")) == tags_before


def test_an_edited_export_updates_answers_and_tags_in_place(tmp_path):
    path = tmp_path / "deck.txt"
    path.write_text(EXPORT)
    import_anki(path)
    first = Card.objects.get(question="What is SM-2?")
    path.write_text(EXPORT.replace("<b>scheduler</b>.\talgorithms memory", "scheduler.\tmemory"))
    assert "1 updated, 2 unchanged" in import_anki(path)
    first.refresh_from_db()
    assert first.answer == "A spaced-repetition scheduler."
    assert [tag.name for tag in first.tags.all()] == ["memory"]


@pytest.mark.parametrize(
    ("content", "problems"),
    [
        ("#separator:tab\nQ?\tA\nQ?\tB\n", ["3: duplicate front, first on line 2"]),
        ("#separator:tab\nQ?\tA\njust one field\n", ["3: a note needs a front and a back; this one has 1 field(s)"]),
        ("#separator:tab\n\tan answer\n", ["2: empty front"]),
        ("#separator:tab\nQ?\tA\n\"never closed\tx\n", ["3: cannot read this note: unexpected end of data"]),
        ("#separator:nonsense\nQ?\tA\n", ["1: unknown separator 'nonsense'"]),
        ("#separator:tab\n", ["2: no notes: expected front<TAB>back lines"]),
        ("#separator:tab\nQ?\t<img src=\"missing.png\">\n", ["2: no uploaded image is named “missing.png” (upload it in the admin under Images)"]),
    ],
    ids=["duplicate", "one-field", "empty-front", "unclosed-quote", "bad-separator", "no-notes", "missing-image"],
)
def test_a_bad_export_writes_nothing_and_names_each_line(tmp_path, content, problems):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(CommandError) as error:
        import_anki(path)
    assert str(error.value).splitlines() == [f"{path}:{problem}" for problem in problems]
    assert not Deck.objects.exists() and not Tag.objects.exists()


def test_only_newlines_end_lines():
    (note,) = parse_notes("Form\x0cfeed?\tline\u2028separator\n")
    assert (note.front, note.back) == ("Form\x0cfeed?", "line\u2028separator")


def test_a_file_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("#separator:tab\nQ?\tA\nCafé?\tB\n".encode("latin-1"))
    with pytest.raises(CommandError, match=f"{path}:3: the file is not UTF-8 text"):
        import_anki(path)


def test_plain_text_fields_are_not_read_as_html():
    (note,) = parse_notes("#html:false\n<b>bold?</b>\tx & y\n")
    assert (note.front, note.back) == ("&lt;b&gt;bold?&lt;/b&gt;", "x &amp; y")


def test_an_export_without_headers_reads_front_back_tags_and_skips_named_columns():
    (plain,) = parse_notes("Front?\tBack\ttag1 tag2\n")
    assert (plain.front, plain.back, plain.tags) == ("Front?", "Back", ("tag1", "tag2"))
    (full,) = parse_notes("#separator:Comma\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\nabc,Basic,Deck,Q?,A,t\n")
    assert (full.front, full.back, full.tags, full.line) == ("Q?", "A", ("t",), 6)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("#tags column:\u00b2", "1: #tags column needs a column number from 1 to 999, not '²'"),
        ("#deck column:\u0661", "1: #deck column needs a column number from 1 to 999, not '١'"),
        ("#guid column:" + "9" * 5000, "1: #guid column needs a column number from 1 to 999, not '99999999999999999999'…"),
        ("#tags column:1000", "1: #tags column needs a column number from 1 to 999, not '1000'"),
        ("#notetype column:0", "1: #notetype column needs a column number from 1 to 999, not '0'"),
    ],
    ids=["superscript", "arabic-indic", "5000-digits", "past-999", "zero"],
)
def test_a_header_column_must_be_ascii_digits_from_1_to_999(tmp_path, header, problem):
    path = tmp_path / "export.txt"
    path.write_text(f"{header}\nQ?\tA\tB\n")
    with pytest.raises(CommandError) as error:
        import_anki(path)
    assert str(error.value) == f"{path}:{problem}"
    assert not Deck.objects.exists()


def test_the_highest_header_column_is_taken():
    (note,) = parse_notes("#tags column:999\n#deck column:003\nQ?\tA\tDeck\n")
    assert (note.front, note.back, note.tags) == ("Q?", "A", ())


def test_the_deck_option_names_the_deck_before_the_header(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("#separator:tab\n#deck:Languages::Spanish\nhola?\thello\n")
    import_anki(path, "--deck", "Spanish")
    assert Deck.objects.get().name == "Spanish"


ALLOWED = "letters, digits and - _ . + / # :"


@pytest.mark.parametrize(
    ("tags", "problem"),
    [
        ("ok <script>", f"tag '<script>' may use only {ALLOWED}"),
        ('a"b', f"tag 'a\"b' may use only {ALLOWED}"),
        ("?x=1&y", f"tag '?x=1&y' may use only {ALLOWED}"),
        ("%00", f"tag '%00' may use only {ALLOWED}"),
        ("bell\x07", f"tag 'bell\\x07' may use only {ALLOWED}"),
        ("\u202eevil", f"tag '\\u202eevil' may use only {ALLOWED}"),
        ("x" * 65, "tag 'xxxxxxxxxxxxxxxxxxxx…' is longer than 64 characters"),
        (" ".join(f"t{n}" for n in range(21)), "21 tags: a card has at most 20"),
        (" ".join(f"t{n}" for n in range(5000)), "5000 tags: a card has at most 20"),
    ],
    ids=["html", "quote", "query", "percent", "control", "bidi-override", "65-characters", "21-tags", "5000-tags"],
)
def test_anki_tags_follow_the_qa_formats_rules(tmp_path, tags, problem):
    path = tmp_path / "export.txt"
    path.write_text(f"#separator:tab\n#tags column:3\nFine?\tYes\tok\nQ?\tA\t{tags}\n")
    with pytest.raises(CommandError) as error:
        import_anki(path)
    assert str(error.value) == f"{path}:4: {problem}"
    assert not Deck.objects.exists() and not Tag.objects.exists()


def test_anki_tags_at_the_limits_import_and_link_to_their_review(tmp_path, user_client):
    tags = ["x" * 64, "Languages::日本語", "c++", *(f"t{n}" for n in range(17))]
    path = tmp_path / "export.txt"
    path.write_text("#separator:tab\n#tags column:3\nQ?\tA\t" + " ".join(tags) + "\n")
    import_anki(path)
    assert sorted(Card.objects.get().tags.values_list("name", flat=True)) == sorted(tags)
    for name in tags[:3]:
        assert user_client.get(reverse("review"), {"tag": name}).status_code == 200


tag_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")) | st.sampled_from("<>\"&?%#:/+._-"), min_size=1, max_size=70)


@settings(max_examples=200, deadline=None)
@given(st.lists(tag_text, min_size=1, max_size=22))
def test_anki_and_the_qa_format_take_the_same_tags(tags):
    line = " ".join(tags)
    # Both split the same way, and csv reads no quoted field.
    assume(line.split() == tags and "," not in line and not line.startswith('"'))
    try:
        qa_tags = qa_parse(f"# D\nQ: q?\nTags: {line}\nA: a\n").cards[0].tags
    except QAFormatError as error:
        qa_tags = [problem.message for problem in error.problems]
    try:
        (note,) = parse_notes(f"#tags column:3\nq?\ta\t{line}\n")
        anki_tags = note.tags
    except QAFormatError as error:
        anki_tags = [problem.message for problem in error.problems]
    assert anki_tags == qa_tags


def test_the_deck_header_names_the_deck(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("#separator:tab\n#deck:Languages::Spanish\nhola?\thello\n")
    import_anki(path)
    assert Deck.objects.get().name == "Languages::Spanish"


def test_anki_decks_with_non_latin_names_keep_their_own_cards(tmp_path):
    russian, japanese = tmp_path / "ru.txt", tmp_path / "ja.txt"
    russian.write_text("#separator:tab\n#deck:Русский\nКак дела?\tХорошо.\nСпасибо?\tThank you.\n")
    japanese.write_text("#separator:tab\n#deck:日本語\nこんにちは?\tHello.\n")
    assert import_anki(russian) == "Русский: 2 created, 0 updated, 0 unchanged\n"
    assert import_anki(japanese) == "日本語: 1 created, 0 updated, 0 unchanged\n"
    assert import_anki(russian) == "Русский: 0 created, 0 updated, 2 unchanged\n"
    decks = {deck.name: sorted(deck.cards.values_list("question", flat=True)) for deck in Deck.objects.all()}
    assert decks == {"Русский": ["Как дела?", "Спасибо?"], "日本語": ["こんにちは?"]}


def test_a_deck_name_past_200_characters_names_its_line_and_writes_nothing(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("#separator:tab\n#deck:" + "A" * 200 + "\nQ?\tA\n")
    assert import_anki(path).startswith("A" * 200 + ": 1 created")
    path.write_text("#separator:tab\n#deck:" + "B" * 201 + "\nQ?\tA\n")
    with pytest.raises(CommandError) as error:
        import_anki(path)
    assert str(error.value) == f"{path}:2: the #deck: name is 201 characters; at most 200"
    named = tmp_path / ("C" * 201 + ".txt")
    named.write_text("Q?\tA\n")
    with pytest.raises(CommandError) as error:
        import_anki(named)
    assert str(error.value) == f"{named}:1: the deck name 'CCCCCCCCCCCCCCCCCCCC'… is 201 characters; at most 200"
    with pytest.raises(CommandError, match="^--deck is 201 characters; a deck name has at most 200$"):
        import_anki(named, "--deck", "D" * 201)
    assert list(Deck.objects.values_list("name", flat=True)) == ["A" * 200]


fields = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(fields, fields, st.lists(st.from_regex(r"[a-z0-9:_-]{1,10}", fullmatch=True), max_size=3)), min_size=1, max_size=8, unique_by=lambda note: note[0].strip()))
def test_notes_written_as_anki_writes_them_read_back(notes):
    def quoted(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    body = "#separator:tab\n#html:true\n#tags column:3\n" + "".join(
        f"{quoted(front)}\t{quoted(back)}\t{' '.join(tags)}\n" for front, back, tags in notes
    )
    keep = [(front.strip(), back.strip(), tuple(dict.fromkeys(tags))) for front, back, tags in notes]
    if any(not front for front, _, _ in keep):
        with pytest.raises(QAFormatError):
            parse_notes(body)
        return
    assert [(note.front, note.back, note.tags) for note in parse_notes(body)] == keep


def test_export_query_count_does_not_grow_with_the_deck(user_client, seed_deck, deck_with_cards, django_assert_num_queries):
    with django_assert_num_queries(5):  # session, user, deck, cards, their tags; no image is shown
        user_client.get(reverse("deck_apkg", args=[seed_deck.slug]))
    big = deck_with_cards(300)
    big.cards.first().tags.add(Tag.objects.create(name="t"))
    with django_assert_num_queries(5):
        user_client.get(reverse("deck_apkg", args=[big.slug]))
