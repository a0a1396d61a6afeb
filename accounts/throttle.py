"""Login throttling in the shared cache (the database cache, so every app
process sees the same counts).

Failures are counted per (account, client address) and per client address,
like django-axes' [["username", "ip_address"]] lockout: someone elsewhere who
guesses at an account cannot lock its owner out, and one address cannot try
many accounts. A window starts at its first failure and lasts WINDOW_SECONDS
whatever happens after, so the time left can be shown."""

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

ACCOUNT_ADDRESS_LIMIT = 5  # failures for one account from one address
ADDRESS_LIMIT = 20  # failures from one address, all accounts together
WINDOW_SECONDS = 15 * 60
WINDOW_MINUTES = WINDOW_SECONDS // 60


@dataclass(frozen=True)
class Lockout:
    # "account": this account from this address; "address": every account from it.
    scope: str
    seconds_left: int

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil(self.seconds_left / 60))


def client_address(request: HttpRequest) -> str:
    """The client's network. REMOTE_ADDR, unless it is one of
    settings.TRUSTED_PROXIES: then X-Forwarded-For is read from the right
    (each proxy appends the address it was reached from) and the first
    address that is not a trusted proxy is the client. Nothing else of that
    header is believed: clients write it too, and could pick a fresh address
    per attempt. An IPv6 client counts by its /64, the block one subscriber
    gets, or it could rotate through billions."""
    parsed = _address(request.META.get("REMOTE_ADDR", ""))
    if parsed is None:
        return request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    while _is_trusted_proxy(parsed) and forwarded:
        hop = _address(forwarded.pop().strip())
        if hop is None:
            break  # unreadable: the trusted proxy that passed it on is the client
        parsed = hop
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted_proxy(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == network.version and address in network for network in settings.TRUSTED_PROXIES)


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _keys(request: HttpRequest, username: str) -> dict[str, str]:
    address = client_address(request)
    # The wider scope first: when both are paused, it explains more.
    return {
        "address": "login-failures:address:" + _hash(address),
        "account": "login-failures:account-address:" + _hash(username.strip().casefold(), address),
    }


LIMITS = {"account": ACCOUNT_ADDRESS_LIMIT, "address": ADDRESS_LIMIT}

# Password-reset mails: each one lands in somebody's inbox, so a script must
# not be able to send them by the thousand, to one person or to many.
RESET_EMAIL_LIMIT = 3  # mails asked for one address, from anywhere
RESET_ADDRESS_LIMIT = 10  # mails asked for from one network, any addresses
RESET_LIMITS = {"email": RESET_EMAIL_LIMIT, "address": RESET_ADDRESS_LIMIT}


def _reset_keys(request: HttpRequest, email: str) -> dict[str, str]:
    return {
        "address": "password-resets:address:" + _hash(client_address(request)),
        "email": "password-resets:email:" + _hash(email.strip().casefold()),
    }


def _paused(keys: dict[str, str], limits: dict[str, int]) -> Lockout | None:
    counts = cache.get_many(keys.values())
    now = time.time()
    for scope, key in keys.items():  # in the keys' order: the wider scope first
        count, ends_at = counts.get(key, (0, now))
        if count >= limits[scope] and ends_at > now:
            return Lockout(scope, math.ceil(ends_at - now))
    return None


def _count(keys: dict[str, str]) -> None:
    now = time.time()
    for key in keys.values():
        if cache.add(key, (1, now + WINDOW_SECONDS), WINDOW_SECONDS):
            continue
        count, ends_at = cache.get(key, (0, now + WINDOW_SECONDS))
        # cache.incr would restart the key's expiry at the cache's default
        # timeout: keep the window's own end instead.
        cache.set(key, (count + 1, ends_at), max(1, math.ceil(ends_at - now)))


def lockout(request: HttpRequest, username: str) -> Lockout | None:
    """Why logging in is paused for this account from this client, if it is."""
    return _paused(_keys(request, username), LIMITS)


def record_failure(request: HttpRequest, username: str) -> None:
    _count(_keys(request, username))


def clear(request: HttpRequest, username: str) -> None:
    """A right password: this account's failures from here are forgiven (the
    address's count stands, or one good login would reset a guesser)."""
    cache.delete(_keys(request, username)["account"])


def reset_paused(request: HttpRequest, email: str) -> Lockout | None:
    """Why no more password-reset mail is sent for this address from this client, if so."""
    return _paused(_reset_keys(request, email), RESET_LIMITS)


def record_reset(request: HttpRequest, email: str) -> None:
    _count(_reset_keys(request, email))
