import time

from django import forms

from quiz.models import Deck, StudySession, Tag
from quiz.services import DEFAULT_STUDY_SIZE, MAX_ANSWER_MS

# Card ids are 64-bit: a bigger number is refused here, not by the database.
CARD_ID = {"min_value": 1, "max_value": 2**63 - 1}


class GradeForm(forms.Form):
    card = forms.IntegerField(**CARD_ID)
    version = forms.IntegerField(min_value=0)
    grade = forms.IntegerField(min_value=0, max_value=5)
    deck = forms.SlugField(required=False, max_length=200)
    tag = forms.CharField(required=False, max_length=64, strip=False)
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
    tag = forms.CharField(required=False, max_length=64, strip=False)
    next = forms.CharField(required=False, max_length=500)

    def clean_next(self) -> str:
        # Only our own paths: never an open redirect.
        value = self.cleaned_data["next"]
        return value if value.startswith("/") and not value.startswith("//") else ""


class StudyForm(forms.Form):
    """Start a custom study session: review ahead, cram or today's mistakes."""

    kind = forms.ChoiceField(choices=StudySession.KINDS)
    deck = forms.ModelChoiceField(queryset=Deck.objects.order_by("name"), to_field_name="slug", required=False, empty_label="All decks")
    tag = forms.CharField(required=False, max_length=64, strip=False)
    days = forms.IntegerField(required=False, min_value=1, max_value=StudySession.MAX_DAYS, initial=7)
    size = forms.IntegerField(min_value=1, max_value=StudySession.MAX_SIZE, initial=DEFAULT_STUDY_SIZE)

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
    position = forms.IntegerField(min_value=0, max_value=StudySession.MAX_SIZE)
    grade = forms.IntegerField(min_value=0, max_value=5)
    flipped_at = forms.IntegerField(required=False, min_value=0)

    answer_ms = GradeForm.answer_ms
