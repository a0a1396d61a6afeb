from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from accounts.forms import ConfirmPasswordForm, SettingsForm, SignupForm, ThrottledPasswordResetForm
from accounts.models import time_zone_names
from quiz.export import export_chunks


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Your account is ready.")
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your settings are saved.")
        return redirect("settings")
    return render(
        request,
        "accounts/settings.html",
        {"form": form, "time_zones": sorted(time_zone_names())},
    )


@require_safe
def export_data(request: HttpRequest) -> StreamingHttpResponse:
    filename = f"flashcards-{request.user.username}-{timezone.localdate():%Y-%m-%d}.json"
    response = StreamingHttpResponse(export_chunks(request.user), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    form = ConfirmPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = request.user.username
        request.user.delete()  # cascades to progress and the review log
        logout(request)
        messages.success(request, f"The account {username} and all its data are deleted.")
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form, "nav": "settings"})


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ThrottledPasswordResetForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

