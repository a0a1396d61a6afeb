from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.http import HttpRequest

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
    """Refuses to check a password once this account has failed too often
    from this address, or this address too often for any account, and
    counts failures. Mixed into the site's and the admin's login forms."""

    lockout_messages = {
        "account": (
            "Too many failed log-in attempts for this account from your network. "
            "Logging in to this account from your network is paused for %(window)s minutes "
            "after the first failure: try again in %(left)s. Other networks are not affected."
        ),
        "address": (
            "Too many failed log-in attempts from your network. "
            "Logging in to any account from your network is paused for %(window)s minutes "
            "after the first failure: try again in %(left)s."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if paused := throttle.lockout(self.request, username):
            left = f"{paused.minutes_left} minute{'s' if paused.minutes_left != 1 else ''}"
            raise forms.ValidationError(
                self.lockout_messages[paused.scope],
                code="locked_out",
                params={"window": throttle.WINDOW_MINUTES, "left": left},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(self.request, username)
            raise
        throttle.clear(self.request, username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form, with as many mails as accounts/throttle.py allows:
    every request counts, whether or not the address has an account, so the
    pause tells nobody which addresses do."""

    paused_messages = {
        "email": (
            "A reset link has been asked for this address %(limit)s times in %(window)s minutes. "
            "Look for the mails already sent, or try again in %(left)s."
        ),
        "address": (
            "Too many reset links asked for from your network. "
            "Asking for more is paused for %(window)s minutes after the first: try again in %(left)s."
        ),
    }

    def __init__(self, *args, request: HttpRequest, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if paused := throttle.reset_paused(self.request, email):
            left = f"{paused.minutes_left} minute{'s' if paused.minutes_left != 1 else ''}"
            raise forms.ValidationError(
                self.paused_messages[paused.scope],
                code="paused",
                params={"window": throttle.WINDOW_MINUTES, "left": left, "limit": throttle.RESET_LIMITS[paused.scope]},
            )
        throttle.record_reset(self.request, email)
        return email

