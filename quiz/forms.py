import re
import time

from django import forms
from django.utils.http import url_has_allowed_host_and_scheme

from quiz.models import CARD_SORTS, CARD_STATES, Deck, StudySession, Tag
from quiz.search import MAX_QUERY_LENGTH, MAX_SEARCH_WORDS, search_words
from quiz.services import DEFAULT_STUDY_SIZE, MAX_ANSWER_MS

# Card ids are 64-bit: a bigger number is refused here, not by the database.
CARD_ID = {"min_value": 1, "max_value": 2**63 - 1}
# Progress versions live in a 32-bit column.
VERSION = {"min_value": 0, "max_value": 2**31 - 1}
ASCII_DIGITS = re.compile(r"[0-9]+")
# Past any limit below, and short enough that int() never does real work.
MAX_DIGITS = 32


class WholeNumberField(forms.IntegerField):
    """An integer written in ASCII digits and nothing else.

    Django's IntegerField passes the text to int(), which also reads "５",
    "١٢" and (after Django drops a ".0") "1.0"; a client that sends those is
    not one of our forms, and its number is not what a person typed."""

    default_error_messages = {
        "invalid": "Enter a whole number in the digits 0 to 9.",
        "too_long": "Enter a number of at most %(digits)s digits.",
    }

    def to_python(self, value) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not ASCII_DIGITS.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if len(text) > MAX_DIGITS:
            raise forms.ValidationError(self.error_messages["too_long"], code="too_long", params={"digits": MAX_DIGITS})
        return int(text)


class ScopeForm(forms.Form):
    """The deck a page or an action is limited to (?deck= or a POST field)."""

    deck = forms.SlugField(required=False, max_length=200)
    tag = forms.CharField(required=False, max_length=64, strip=False)


class UndoForm(ScopeForm):
    """Undo on the review page, or inside a custom study session."""

    session = WholeNumberField(required=False, **CARD_ID)


class ShowCardForm(forms.Form):
    """/review/?card=ID: the card an undo without JavaScript brought back.
    No upper bound: a well-formed id of no card is "not found", not a bad request."""

    card = WholeNumberField(required=False, min_value=1)


class GradeForm(ScopeForm):
    card = WholeNumberField(**CARD_ID)
    version = WholeNumberField(**VERSION)
    grade = WholeNumberField(min_value=0, max_value=5)
    flipped_at = WholeNumberField(required=False, min_value=0, max_value=2**63 - 1)

    def answer_ms(self) -> int:
        """Time from flip to grade, from the flip time the server stamped."""
        flipped_at = self.cleaned_data.get("flipped_at")
        if not flipped_at:
            return 0
        return max(0, min(int(time.time() * 1000) - flipped_at, MAX_ANSWER_MS))


class HideForm(ScopeForm):
    card = WholeNumberField(**CARD_ID)
    action = forms.ChoiceField(choices=[("bury", "Bury"), ("suspend", "Suspend"), ("unsuspend", "Unsuspend")])
    next = forms.CharField(required=False, max_length=500)

    def clean_next(self) -> str:
        return safe_next(self.cleaned_data["next"])


def safe_next(value: str) -> str:
    """Only our own paths: never an open redirect ("/\\evil.example" is one in
    browsers, which read the backslash as a slash)."""
    is_path = value.startswith("/") and url_has_allowed_host_and_scheme(value, allowed_hosts=set())
    return value if is_path else ""


class StudyForm(forms.Form):
    """Start a custom study session: review ahead, cram or today's mistakes."""

    kind = forms.ChoiceField(choices=StudySession.KINDS)
    deck = forms.ModelChoiceField(queryset=Deck.objects.order_by("name"), to_field_name="slug", required=False, empty_label="All decks")
    tag = forms.CharField(required=False, max_length=64, strip=False)
    days = WholeNumberField(required=False, min_value=1, max_value=StudySession.MAX_DAYS, initial=7)
    size = WholeNumberField(min_value=1, max_value=StudySession.MAX_SIZE, initial=DEFAULT_STUDY_SIZE)

    def clean_tag(self) -> Tag | None:
        name = self.cleaned_data["tag"]
        if not name:
            return None
        if not name.isprintable():
            raise forms.ValidationError("Not a tag name.")
        tag = Tag.objects.filter(name=name).first()
        if tag is None:
            raise forms.ValidationError("No such tag.")
        return tag

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == "cram" and not data.get("deck") and not data.get("tag") and not self.errors:
            raise forms.ValidationError("Cram needs a deck or a tag.")
        if data.get("kind") == "ahead" and not data.get("days") and "days" not in self.errors:
            self.add_error("days", "Review ahead needs a number of days.")
        return data


class StudyGradeForm(forms.Form):
    position = WholeNumberField(min_value=0, max_value=StudySession.MAX_SIZE)
    grade = WholeNumberField(min_value=0, max_value=5)
    flipped_at = WholeNumberField(required=False, min_value=0, max_value=2**63 - 1)

    answer_ms = GradeForm.answer_ms


# The card browser and the deck page show this many cards a page, up to
# MAX_PAGE pages: past that, a narrower search finds a card faster, and
# OFFSET paging stays cheap.
PAGE_SIZE = 50
MAX_PAGE = 200
# Cards one bulk action may name: more than a page, and a bounded transaction.
MAX_BULK_CARDS = 200


class PageForm(forms.Form):
    page = WholeNumberField(required=False, min_value=1, max_value=MAX_PAGE)

    @property
    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1


class BrowseForm(PageForm):
    q = forms.CharField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        label="Search questions and answers",
        widget=forms.TextInput(attrs={"type": "search", "maxlength": MAX_QUERY_LENGTH, "autocomplete": "off", "spellcheck": "false"}),
    )
    deck = forms.ModelChoiceField(Deck.objects.order_by("name").only("id", "name", "slug"), to_field_name="slug", required=False, empty_label="All decks")
    tag = forms.ModelChoiceField(Tag.objects.order_by("name"), to_field_name="name", required=False, empty_label="Any tag")
    state = forms.ChoiceField(choices=[("", "Any state"), *CARD_STATES.items()], required=False, label="Your state")
    sort = forms.ChoiceField(choices=[("", "Best match, else deck order"), *CARD_SORTS.items()], required=False, label="Sort by")

    def clean(self) -> dict:
        data = super().clean()
        data["words"] = search_words(data.get("q") or "")
        if len(data["words"]) > MAX_SEARCH_WORDS:
            self.add_error("q", f"Search for at most {MAX_SEARCH_WORDS} different words at a time.")
        # Best match needs a search to rank by; without one, deck order.
        sort = data.get("sort") or "relevance"
        data["sort"] = "deck" if sort == "relevance" and not data["words"] else sort
        return data


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[("suspend", "Suspend"), ("unsuspend", "Unsuspend"), ("bury", "Bury"), ("forget", "Forget")])
    confirm = forms.BooleanField(required=False)
    next = forms.CharField(required=False, max_length=2000)

    def clean_next(self) -> str:
        return safe_next(self.cleaned_data["next"])

    def clean(self) -> dict:
        data = super().clean()
        raw = self.data.getlist("card") if hasattr(self.data, "getlist") else []
        if not raw:
            raise forms.ValidationError("Select at least one card.", code="nothing_selected")
        if len(raw) > MAX_BULK_CARDS:
            raise forms.ValidationError(f"Select at most {MAX_BULK_CARDS} cards at a time.")
        if not all(ASCII_DIGITS.fullmatch(value) and len(value) <= MAX_DIGITS for value in raw):
            raise forms.ValidationError("Card ids must be numbers.")
        ids = [int(value) for value in raw]
        if any(not CARD_ID["min_value"] <= card_id <= CARD_ID["max_value"] for card_id in ids):
            raise forms.ValidationError("No such card.")
        data["cards"] = sorted(set(ids))
        return data
