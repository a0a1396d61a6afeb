import time

from django import forms

from quiz.models import CARD_SORTS, CARD_STATES, Deck, Tag
from quiz.search import MAX_QUERY_LENGTH, search_words
from quiz.services import MAX_ANSWER_MS

# Card ids are 64-bit: a bigger number is refused here, not by the database.
CARD_ID = {"min_value": 1, "max_value": 2**63 - 1}


class GradeForm(forms.Form):
    card = forms.IntegerField(**CARD_ID)
    version = forms.IntegerField(min_value=0)
    grade = forms.IntegerField(min_value=0, max_value=5)
    deck = forms.SlugField(required=False, max_length=200)
    flipped_at = forms.IntegerField(required=False, min_value=0)

    def answer_ms(self) -> int:
        """Time from flip to grade, from the flip time the server stamped."""
        flipped_at = self.cleaned_data.get("flipped_at")
        if not flipped_at:
            return 0
        return max(0, min(int(time.time() * 1000) - flipped_at, MAX_ANSWER_MS))


class HideForm(forms.Form):
    card = forms.IntegerField(**CARD_ID)
    action = forms.ChoiceField(choices=[("bury", "Bury"), ("suspend", "Suspend"), ("unsuspend", "Unsuspend")])
    deck = forms.SlugField(required=False, max_length=200)
    next = forms.CharField(required=False, max_length=500)

    def clean_next(self) -> str:
        return safe_next(self.cleaned_data["next"])


def safe_next(value: str) -> str:
    """Only our own paths: never an open redirect."""
    return value if value.startswith("/") and not value.startswith("//") else ""


# The card browser and the deck page show this many cards a page, up to
# MAX_PAGE pages: past that, a narrower search finds a card faster, and
# OFFSET paging stays cheap.
PAGE_SIZE = 50
MAX_PAGE = 200
# Cards one bulk action may name: more than a page, and a bounded transaction.
MAX_BULK_CARDS = 200


class PageForm(forms.Form):
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

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
            raise forms.ValidationError("Select at least one card.")
        if len(raw) > MAX_BULK_CARDS:
            raise forms.ValidationError(f"Select at most {MAX_BULK_CARDS} cards at a time.")
        try:
            ids = [int(value) for value in raw]
        except ValueError:
            raise forms.ValidationError("Card ids must be numbers.") from None
        if any(not CARD_ID["min_value"] <= card_id <= CARD_ID["max_value"] for card_id in ids):
            raise forms.ValidationError("No such card.")
        data["cards"] = sorted(set(ids))
        return data
