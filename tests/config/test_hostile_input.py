"""Every URL the app serves, sent hostile values by a signed-in owner (and
staff, for the admin): the answer is a 4xx or a normal page, never a 5xx or
an exception.

The URLs come from walking the resolver, so a new URL is covered without
editing this file. The query and form fields tried are the ones each view
actually reads (recorded while it answers an ordinary request) plus a
generous common set.
"""

import contextlib
import logging
import re
import time
import traceback
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver

from quiz import services

pytestmark = pytest.mark.django_db

# Already percent-encoded, so that bytes which are not UTF-8 (a lone
# surrogate encoded as UTF-8, a bare 0xFF) reach the server as they are.
HOSTILE = {
    "nul": "%00",
    "nul-inside": "a%00b",
    "surrogate": quote("\ud800", errors="surrogatepass"),
    "not-utf8": "%FF%FE",
    "rtl-marks": quote("\u202e1\u200f"),
    "long": "a" * 10_000,
    "long-digits": "9" * 10_000,
    "superscript-two": quote("²"),
    "superscript-five": quote("⁵"),
    "circled-one": quote("①"),
    "fullwidth-five": quote("５"),
    "arabic-indic-digits": quote("١٢"),
    "past-64-bits": str(2**64),
    "past-signed-64-bits": str(2**63),
    "past-32-bits": str(2**31),
    "negative": "-1",
    "decimal": "1.0",
    "empty": "",
}
# Sent on every URL in one go, besides the fields each view is seen reading.
COMMON_FIELDS = (
    "deck", "card", "grade", "version", "flipped_at", "action", "next", "q", "tag",
    "page", "p", "o", "sort", "id", "slug", "user", "username", "password", "email",
    "time_zone", "day_starts_at", "new_cards_per_day", "max_reviews_per_day", "grade_buttons", "file",
)


def url_patterns(resolver=None, prefix=()):
    """(pattern parts from the root, URLPattern) for every pattern."""
    for pattern in (resolver or get_resolver()).url_patterns:
        parts = (*prefix, pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, parts)
        elif isinstance(pattern, URLPattern):
            yield parts, pattern


def parameter_names(parts) -> list[str]:
    names = []
    for part in parts:
        names += list(getattr(part, "converters", {})) or list(re.compile(str(part)).groupindex)
    return names


def _replace_groups(regex: str, values: dict[str, str]) -> str:
    """A regex pattern's named groups replaced by values, anchors dropped."""
    out, index = [], 0
    while index < len(regex):
        match = re.compile(r"\(\?P<(\w+)>").match(regex, index)
        if match:
            depth, end = 1, match.end()
            while depth:
                depth += {"(": 1, ")": -1}.get(regex[end], 0) if regex[end - 1] != "\\" else 0
                end += 1
            out.append(values[match.group(1)])
            index = end
            continue
        if regex[index] not in "^$":
            out.append(regex[index])
        index += 1
    return "".join(out)


def build_path(parts, values: dict[str, str]) -> str:
    path = ""
    for part in parts:
        if getattr(part, "converters", None) is not None and hasattr(part, "_route"):
            path += re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], str(part))
        else:
            path += _replace_groups(str(part), values)
    return "/" + path


class Rollback(Exception):
    pass


class FieldsRead:
    """Records which keys views read from request.GET and request.POST."""

    def __init__(self, monkeypatch):
        self.keys: set[str] = set()
        self.recording = False
        for method in ("__getitem__", "get", "getlist", "__contains__"):
            original = getattr(QueryDict, method)
            monkeypatch.setattr(QueryDict, method, self._wrap(original))

    def _wrap(self, original):
        def read(query_dict, key, *args, **kwargs):
            if self.recording and isinstance(key, str):
                self.keys.add(key)
            return original(query_dict, key, *args, **kwargs)

        return read

    @contextlib.contextmanager
    def record(self):
        self.keys, self.recording = set(), True
        try:
            yield self.keys
        finally:
            self.recording = False


def send(client, method: str, path: str, fields: dict[str, str]):
    """One request, its writes rolled back so every request meets the same data.
    Returns the status, or the exception the view raised."""
    encoded = "&".join(f"{quote(key)}={value}" for key, value in fields.items())
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.generic("GET", f"{path}?{encoded}" if encoded else path)
            else:
                response = client.generic(
                    "POST", path, encoded.encode("latin-1"), content_type="application/x-www-form-urlencoded"
                )
            raise Rollback(response.status_code)
    except Rollback as outcome:
        return outcome.args[0]
    except Exception as error:  # noqa: BLE001 - every exception is the finding
        return "".join(traceback.format_exception_only(error)).strip()[:300]


@pytest.fixture
def world(make_user, seed_deck):
    owner = make_user()
    staff = make_user(is_staff=True, is_superuser=True)
    cards = list(seed_deck.cards.order_by("position")[:2])
    for person in (owner, staff):
        services.record_review(user=person, card_id=cards[0].pk, grade=2, shown_version=0)
        services.record_review(user=person, card_id=cards[1].pk, grade=5, shown_version=0)
    # The owner's own custom study session, so its URLs reach their views.
    owner.study_session = services.start_study_session(user=owner, kind="cram", deck=seed_deck)
    return owner, staff, seed_deck, cards[0]


class OrdinaryValues(dict):
    """A parameter this file has no value for (a new URL's) gets "1"."""

    def __missing__(self, name: str) -> str:
        return "1"


def ordinary_path_values(parts, owner, staff, deck, card) -> dict[str, str]:
    values = {"slug": deck.slug, "card_id": str(card.pk), "session_id": str(owner.study_session.pk),
              "uidb64": "MQ", "token": "set-password",
              "app_label": "quiz", "url": "nowhere/", "id": str(staff.pk),
              "content_type_id": str(ContentType.objects.get_for_model(card).pk), "object_id": str(card.pk)}
    route = "".join(str(part) for part in parts)
    if model := re.match(r"admin/(\w+)/(\w+)/", route):
        with contextlib.suppress(LookupError):
            model_class = apps.get_model(model.group(1), model.group(2))
            values["object_id"] = str(model_class._default_manager.order_by("pk").values_list("pk", flat=True).first())
    return OrdinaryValues({name: quote(value) for name, value in values.items()})


def ordinary_fields(user, deck, card) -> dict[str, str]:
    progress = user.progress.get(card=card)
    return {"deck": deck.slug, "card": str(card.pk), "grade": "4", "version": str(progress.version),
            "flipped_at": str(int(time.time() * 1000)), "action": "bury", "next": "/"}


@pytest.mark.parametrize("side", ["site", "admin"])
def test_no_url_answers_a_hostile_value_with_a_server_error(client, world, monkeypatch, side):
    owner, staff, deck, card = world
    for name in ("django.request", "django.security"):  # thousands of expected 4xx warnings
        monkeypatch.setattr(logging.getLogger(name), "disabled", True)
    visitor = staff if side == "admin" else owner
    fields_read = FieldsRead(monkeypatch)
    ordinary = ordinary_fields(visitor, deck, card)
    failures, requests = [], 0
    patterns = [(parts, p) for parts, p in url_patterns() if (str(parts[0]) == "admin/") == (side == "admin")]
    assert len(patterns) > (50 if side == "admin" else 20)
    for parts, pattern in patterns:
        names = parameter_names(parts)
        path_values = ordinary_path_values(parts, owner, staff, deck, card)
        for method in ("GET", "POST"):
            client.force_login(visitor)  # logout and account deletion end the session

            def check(path, fields, what):
                nonlocal requests
                requests += 1
                outcome = send(client, method, path, fields)
                if not isinstance(outcome, int) or outcome >= 500:
                    failures.append(f"{method} {path[:80]} {what}: {outcome}")

            path = build_path(parts, path_values)
            with fields_read.record() as keys:
                send(client, method, path, ordinary)
                send(client, method, path, {})
            for label, value in HOSTILE.items():
                for name in names:
                    check(build_path(parts, OrdinaryValues({**path_values, name: value})), {}, f"path {name}={label}")
                # Every field at once, then (on the site, where each view reads
                # a few) each field it reads on its own among ordinary values.
                check(path, {key: value for key in {*COMMON_FIELDS, *keys}}, f"all fields={label}")
                if side == "site":
                    for key in sorted(keys):
                        check(path, {**ordinary, key: value}, f"{key}={label}")
    assert not failures, f"{len(failures)} of {requests} requests failed:\n" + "\n".join(failures[:40])
