"""Decks to and from Anki: an .apkg package for AnkiDroid and desktop Anki
(genanki), and Anki's "Notes in Plain Text" export imported as a deck.

The package carries each card's rendered HTML, not its Markdown, so it shows
in Anki as it does here: Pygments' classes with the app's pygments.css as the
note type's styling, formulas in `\\(...\\)` / `\\[...\\]` which Anki typesets
with its own MathJax, and uploaded images as package media.
"""

import hashlib
import io
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import genanki
from django.conf import settings
from django.db import transaction

from quiz import anki_text
from quiz.importing import ImportReport, import_deck
from quiz.models import Card, Deck, Image, Tag
from quiz.qa_format import ParsedCard, ParsedDeck, QAFormatError, source_key, title_problems
from quiz.rendering import IMAGE_URL_PREFIX
from quiz.uploads import check_images

IMAGE_SRC_RE = re.compile(r'(<img\b[^>]*\bsrc=")' + re.escape(IMAGE_URL_PREFIX) + r'([^"/]+)(")')
MATH_SPAN_RE = re.compile(r'<span class="math (?P<kind>math-inline|math-display)">(?P<inner>.*?)</span>', re.DOTALL)
TEX_ANNOTATION_RE = re.compile(r'<annotation encoding="application/x-tex">(?P<tex>.*?)</annotation>', re.DOTALL)
DELIMITED_RE = re.compile(r"^\s*(\$\$|\\\[|\\\()(?P<tex>.*?)(\$\$|\\\]|\\\))\s*$", re.DOTALL)
CARD_CSS = """
.card { font-family: system-ui, sans-serif; font-size: 18px; line-height: 1.5; text-align: left; color: #1d232b; background: #fff; }
.card.nightMode, .nightMode .card { color: #e6e9ee; background: #1b2129; }
.question { font-weight: 600; font-size: 1.15em; }
.highlight { background: #f6f8fa; border-radius: 6px; padding: .6em .8em; overflow-x: auto; }
.nightMode .highlight { background: #0d1117; }
pre { margin: 0; } code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .92em; }
table { border-collapse: collapse; } th, td { border: 1px solid #d5dae1; padding: .3em .6em; }
img { max-width: 100%; height: auto; }
"""


def stable_id(*parts: str) -> int:
    """Anki wants fixed 31-bit ids for a note type and a deck; the same deck
    exported twice gets the same ids, so a second import updates the first."""
    digest = hashlib.sha256("\n".join(parts).encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def note_type() -> genanki.Model:
    pygments_css = (Path(settings.BASE_DIR) / "static" / "css" / "pygments.css").read_text(encoding="utf-8")
    return genanki.Model(
        stable_id("flashcards", "note type", "question-answer", "1"),
        "Flashcards (question and answer)",
        fields=[{"name": "Question"}, {"name": "Answer"}],
        templates=[
            {
                "name": "Card",
                "qfmt": '<div class="question">{{Question}}</div>',
                "afmt": '<div class="question">{{Question}}</div><hr id="answer">{{Answer}}',
            }
        ],
        css=CARD_CSS + pygments_css,
    )


def for_anki(fragment: str) -> str:
    """Rendered HTML as Anki wants it: bare media names, and each formula as
    TeX between the delimiters Anki's MathJax reads (it does not read the
    MathML the app stores, and AnkiDroid's WebView may not lay it out)."""
    return MATH_SPAN_RE.sub(_formula_for_anki, IMAGE_SRC_RE.sub(r"\1\2\3", fragment))


def _formula_for_anki(match: re.Match[str]) -> str:
    inner = match.group("inner")
    annotation = TEX_ANNOTATION_RE.search(inner)
    if annotation is not None:
        tex = annotation.group("tex")
    else:  # TeX the converter could not read is stored as the escaped source
        delimited = DELIMITED_RE.match(inner)
        tex = delimited.group("tex") if delimited else inner
    opener, closer = ("\\[", "\\]") if match.group("kind") == "math-display" else ("\\(", "\\)")
    return f'<span class="math {match.group("kind")}">{opener}{tex}{closer}</span>'



def image_names(fragments: Iterable[str]) -> set[str]:
    return {match.group(2) for fragment in fragments for match in IMAGE_SRC_RE.finditer(fragment)}


def build_apkg(deck: Deck) -> bytes:
    """The deck as an Anki package, its images included."""
    cards = list(deck.cards.order_by("position", "id").prefetch_related("tags"))
    model = note_type()
    package_deck = genanki.Deck(stable_id("flashcards", "deck", deck.slug), deck.name, description=deck.description)
    for card in cards:
        package_deck.add_note(
            genanki.Note(
                model=model,
                fields=[for_anki(card.question_html), for_anki(card.answer_html)],
                tags=[tag.name.replace(" ", "_") for tag in card.tags.all()],
                guid=genanki.guid_for("flashcards", card.source_key or f"card-{card.pk}"),
                sort_field=f"{card.position:09d}",
            )
        )
    wanted = image_names(side for card in cards for side in (card.question_html, card.answer_html))
    with tempfile.TemporaryDirectory() as media_dir:
        media_files = []
        for image in Image.objects.filter(name__in=wanted).order_by("name"):
            path = Path(media_dir) / image.name
            with image.file.open("rb") as source:
                path.write_bytes(source.read())
            media_files.append(str(path))
        out = io.BytesIO()
        genanki.Package(package_deck, media_files=media_files).write_to_file(out)
    return out.getvalue()


def import_notes(text: str, *, deck_name: str, prune: bool = False) -> ImportReport:
    """Import Anki's "Notes in Plain Text" export as the deck `deck_name`.

    As import_qa: nothing is written unless the whole file is good (else
    QAFormatError with each problem's line), and importing the same file
    again changes nothing. Each card's tags become the file's.
    """
    notes = anki_text.parse_notes(text)
    # A `#deck:` header was checked on its line; a name from elsewhere (the
    # file's) is checked here, where the database would refuse it.
    problems = title_problems(deck_name, 1, f"the deck name {deck_name[:20]!r}…")
    if problems:
        raise QAFormatError(problems)
    parsed = ParsedDeck(
        title=deck_name,
        description="",
        cards=[
            ParsedCard(
                question=note.front,
                answer=note.back,
                position=position,
                source_key=source_key(deck_name, note.front),
                line=note.line,
                # Where the Q&A parser carries tags (branch qa-format), import_deck
                # sets them itself and counts a tag change as an update.
                **({"tags": note.tags} if "tags" in ParsedCard.__dataclass_fields__ else {}),
            )
            for position, note in enumerate(notes, start=1)
        ],
    )
    check_images(text, parsed)
    with transaction.atomic():
        report = import_deck(parsed, prune=prune)
        _set_tags(report.deck, {card.source_key: note.tags for card, note in zip(parsed.cards, notes, strict=True)})
    return report


def _set_tags(deck: Deck, tags_by_key: dict[str, tuple[str, ...]]) -> None:
    """Each card's tags become exactly the file's, in a fixed number of statements."""
    names = {name for tags in tags_by_key.values() for name in tags}
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
    card_ids = dict(deck.cards.filter(source_key__in=tags_by_key).values_list("source_key", "pk"))
    through = Card.tags.through
    current: dict[int, dict[int, int]] = defaultdict(dict)  # card -> tag -> through row
    for row_id, card_id, tag_id in through.objects.filter(card_id__in=card_ids.values()).values_list(
        "pk", "card_id", "tag_id"
    ):
        current[card_id][tag_id] = row_id
    stale: list[int] = []
    fresh = []
    for key, card_id in card_ids.items():
        wanted = {tag_ids[name] for name in tags_by_key[key]}
        stale += [row_id for tag_id, row_id in current[card_id].items() if tag_id not in wanted]
        fresh += [through(card_id=card_id, tag_id=tag_id) for tag_id in wanted - current[card_id].keys()]
    through.objects.filter(pk__in=stale).delete()
    through.objects.bulk_create(fresh)
