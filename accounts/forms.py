from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from accounts import throttle
from accounts.models import User, validate_time_zone


class SignupForm(UserCreationForm):
    # Filled in by static/js/app.js from the browser's Intl API; UTC without JS.
    time_zone = forms.CharField(
        initial="UTC", required=False, widget=forms.HiddenInput(attrs={"data-browser-time-zone": ""})
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_time_zone(self) -> str:
        value = self.cleaned_data.get("time_zone") or "UTC"
        try:
            validate_time_zone(value)
        except forms.ValidationError:
            return "UTC"  # an odd browser value must not block signing up
        return value

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.time_zone = self.cleaned_data["time_zone"]
        if commit:
            user.save()
        return user


class SettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = (
            "email",
            "time_zone",
            "day_starts_at",
            "new_cards_per_day",
            "max_reviews_per_day",
            "grade_buttons",
        )
        help_texts = {
            "time_zone": "An IANA name such as Europe/Paris, America/New_York or UTC.",
            "new_cards_per_day": "How many unseen cards to introduce each day.",
            "max_reviews_per_day": "The most answers per day, new cards included.",
        }
        widgets = {
            "time_zone": forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
            "day_starts_at": forms.NumberInput(attrs={"min": 0, "max": 23}),
            "new_cards_per_day": forms.NumberInput(attrs={"min": 0}),
            "max_reviews_per_day": forms.NumberInput(attrs={"min": 0}),
            "grade_buttons": forms.RadioSelect,
        }


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, user: User, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class ThrottledLoginMixin:
    """Refuses to check a password once the account or address has failed
    too often, and counts failures. Mixed into the site's and the admin's
    login forms."""

    lockout_message = (
        "Too many failed log-in attempts for this account or from your network. "
        "For your security, logging in is paused for 15 minutes."
    )

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if throttle.is_locked_out(self.request, username):
            raise forms.ValidationError(self.lockout_message, code="locked_out")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(self.request, username)
            raise
        throttle.clear(username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
