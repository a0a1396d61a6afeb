import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Answer 503 instead of a traceback while the database is unreachable.

    OperationalError also covers a lock timeout, which is just as temporary:
    the client is told to retry rather than shown a server error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable: %s", exception)
        return service_unavailable()


def service_unavailable() -> HttpResponse:
    body = render_to_string("503.html")
    response = HttpResponse(body, status=503)
    response["Retry-After"] = "5"
    return response


