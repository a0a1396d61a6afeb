import functools
import re

from django.contrib import admin
from django.contrib.admin.options import TO_FIELD_VAR
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from accounts.forms import ThrottledAdminAuthenticationForm


class AdminSite(admin.AdminSite):
    """Django's admin with the site's throttled login form, and one gap in
    its input checks closed."""

    login_form = ThrottledAdminAuthenticationForm

    def admin_view(self, view, cacheable: bool = False):
        checked = super().admin_view(view, cacheable)

        @functools.wraps(checked)
        def refuse_what_django_lets_through(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            problem = _admin_input_problem(request)
            if problem:
                return HttpResponseBadRequest(problem, content_type="text/plain")
            return checked(request, *args, **kwargs)

        return refuse_what_django_lets_through


# A changelist's date drill-down (`reviewed_at__year=2026`): Django turns the
# value into a date, and one of more digits than a year has overflows it.
DATE_PART = re.compile(r".+__(year|month|day)\Z")
DATE_PART_VALUE = re.compile(r"[0-9]{1,4}\Z")


def _admin_input_problem(request: HttpRequest) -> str:
    """Why the admin cannot take this request's parameters, or ""."""
    # Django refuses a `_to_field` naming a field it does not allow, but an
    # empty one reaches get_field("") and answers 500.
    for data in (request.GET, request.POST):
        if TO_FIELD_VAR in data and not data[TO_FIELD_VAR]:
            return f"{TO_FIELD_VAR} must name a field"
    for key, values in request.GET.lists():
        # Changelist filters and autocomplete terms go to the database as
        # they are, and PostgreSQL refuses a NUL in any text. (`next` never
        # does: CardAdmin checks it and ignores a bad one, keeping the save.)
        if key != "next" and ("\x00" in key or any("\x00" in value for value in values)):
            return "Null characters are not allowed."
        if DATE_PART.match(key) and not all(DATE_PART_VALUE.match(value) for value in values):
            return f"{key} must be a whole number of at most 4 digits"
    return ""
