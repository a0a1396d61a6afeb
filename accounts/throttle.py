"""Login throttling in the shared cache (the database cache, so every app
process sees the same counts): too many failures for one account or from
one address lock further attempts out for a while."""

import hashlib

from django.core.cache import cache
from django.http import HttpRequest

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW_SECONDS = 15 * 60


def _key(kind: str, value: str) -> str:
    return f"login-failures:{kind}:" + hashlib.sha256(value.strip().casefold().encode()).hexdigest()[:32]


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by clients too and would let
    # anyone pick a fresh address per attempt.
    return request.META.get("REMOTE_ADDR", "")


def is_locked_out(request: HttpRequest, username: str) -> bool:
    return (
        cache.get(_key("account", username), 0) >= ACCOUNT_LIMIT
        or cache.get(_key("address", client_address(request)), 0) >= ADDRESS_LIMIT
    )


def record_failure(request: HttpRequest, username: str) -> None:
    for key in (_key("account", username), _key("address", client_address(request))):
        if not cache.add(key, 1, WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, WINDOW_SECONDS)


def clear(username: str) -> None:
    cache.delete(_key("account", username))
