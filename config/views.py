import sys

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import BadRequest
from django.db import connection
from django.db.utils import DatabaseError, InterfaceError, OperationalError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.templatetags.static import static
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe


@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 only while the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # A dead persistent connection must not poison the next request.
        connection.close_if_unusable_or_obsolete()
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@login_not_required
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico on pages without a <link rel="icon">, such as the admin's.
    return HttpResponsePermanentRedirect(static("favicon.svg"))


# The toolbar colours follow the site header in each theme; the manifest
# holds the light one, <meta name="theme-color"> both.
THEME_COLOURS = {"light": "#ffffff", "dark": "#1b2129"}
BACKGROUND_COLOURS = {"light": "#f4f6f9", "dark": "#11161c"}


@login_not_required
@require_safe
@cache_control(max_age=86400, public=True)
def web_manifest(request: HttpRequest) -> JsonResponse:
    """Makes the app installable: added to a phone's home screen it opens
    straight into review, without the browser's address bar."""
    manifest = {
        "name": "Flashcards",
        "short_name": "Flashcards",
        "description": "Spaced-repetition flashcards: review the cards due for you today.",
        "id": "/",
        "start_url": reverse("review"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOURS["light"],
        "background_color": BACKGROUND_COLOURS["light"],
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": static("icons/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json", json_dumps_params={"indent": 2})


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400, without Django's default one's CSRF check: that check reads
    request.POST again, and a body that could not be read the first time
    (a form in latin-1, say) then raised once more, as a 500."""
    # A BadRequest's message is written for the person (ours, or Django's
    # "must be UTF-8 encoded"); a SuspiciousOperation's is for the log only.
    problem = str(exception).rstrip(".") if type(exception) is BadRequest else ""
    return HttpResponseBadRequest(render_to_string("400.html", {"problem": problem}))


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that is down or locked is temporary, so answer
    503 with Retry-After instead of a generic server error.

    It runs for exceptions anywhere in the stack, sessions and middleware
    included, which a view decorator or process_exception would miss.
    """
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "5"
        return response
    return HttpResponseServerError(render_to_string("500.html"))
