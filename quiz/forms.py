import time

from django import forms

from quiz.services import MAX_ANSWER_MS

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
