import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import User
from quiz.models import Card, Deck

PASSWORD = "correct horse battery staple"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
_counter = itertools.count(1)


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(**fields) -> User:
        number = next(_counter)
        fields.setdefault("username", f"learner{number}")
        fields.setdefault("email", f"learner{number}@example.com")
        user = User(**fields)
        user.set_password(PASSWORD)
        user.save()
        return user

    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user()


@pytest.fixture
def other_user(make_user) -> User:
    return make_user()


@pytest.fixture
def staff_user(make_user) -> User:
    return make_user(is_staff=True, is_superuser=True)


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def make_deck(db) -> Callable[..., Deck]:
    def make(**fields) -> Deck:
        number = next(_counter)
        fields.setdefault("name", f"Deck {number}")
        fields.setdefault("slug", f"deck-{number}")
        return Deck.objects.create(**fields)

    return make


@pytest.fixture
def make_card(make_deck) -> Callable[..., Card]:
    def make(deck: Deck | None = None, **fields) -> Card:
        number = next(_counter)
        fields.setdefault("question", f"Question {number}?")
        fields.setdefault("answer", f"Answer {number}.")
        fields.setdefault("position", number)
        return Card.objects.create(deck=deck or make_deck(), **fields)

    return make


@pytest.fixture
def deck_with_cards(make_deck, make_card) -> Callable[[int], Deck]:
    def make(count: int, **deck_fields) -> Deck:
        deck = make_deck(**deck_fields)
        Card.objects.bulk_create(
            Card(deck=deck, position=n, question=f"Q{n}?", answer=f"A{n}", question_html=f"<p>Q{n}?</p>", answer_html=f"<p>A{n}</p>")
            for n in range(1, count + 1)
        )
        return deck

    return make


@pytest.fixture
def seed_deck(db) -> Deck:
    call_command("load_seed", verbosity=0, stdout=open(os.devnull, "w"))
    return Deck.objects.get(slug=settings.QUIZ_SEED_SLUG)


# Browser tests ---------------------------------------------------------------


def chromium_path() -> str | None:
    candidate = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return candidate if Path(candidate).exists() else shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    if path is None:
        reason = "no Chromium at /usr/bin/chromium (install Debian's chromium or set CHROMIUM_PATH)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    # Playwright's sync API keeps an event loop in this thread; the test's own
    # ORM calls are synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server, request) -> Iterator:
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    external: list[str] = []
    console_errors: list[str] = []

    def watch(req) -> None:
        if not req.url.startswith(live_server.url) and not req.url.startswith("data:"):
            external.append(req.url)

    page.on("request", watch)
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
    page.external_requests = external
    page.console_errors = console_errors
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()
    assert not external, f"requests to other hosts: {external}"
    assert not console_errors, f"browser console errors (CSP?): {console_errors}"


@pytest.fixture(autouse=True)
def plain_static_storage(settings) -> None:
    # The manifest needs collectstatic; its build is tested on its own.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
