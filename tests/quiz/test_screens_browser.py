"""Every page a user or staff member can reach, in light and dark, on a
desktop and on phones: axe-core finds no serious or critical violation, and
nothing is wider than the screen.

One test per (theme, width) visits every page in a loop, in one browser
context, so the whole sweep costs one login and one context per screen.
"""

import datetime as dt
import zoneinfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django.urls import reverse

from quiz import services
from quiz.models import Card, Deck, Tag
from quiz.queue import build_queue
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()
# The widths the issue names: a desktop, a common phone, the narrowest phone.
AXE_WIDTHS = {1280, 390}
OVERFLOW_WIDTHS = {390, 320}
SCREENS = [(theme, width) for theme in ("light", "dark") for width in (1280, 390, 320)]
# Also shot as the screen shows them, without scrolling: `make screenshots`
# copies the light phone ones into docs/ for the README.
FIRST_SCREEN_SHOTS = {"review-answer", "stats"}


def studied_history(user, deck: Deck) -> None:
    """A month of answers with every grade, so each chart and list has data."""
    zone = zoneinfo.ZoneInfo(user.time_zone)
    grades = [5, 4, 3, 2, 1, 0, 4, 5]
    for days_ago in range(30, 0, -3):
        now = dt.datetime.combine(dt.date.today() - dt.timedelta(days=days_ago), dt.time(12), tzinfo=zone)
        day = user.review_day(now)
        for number in range(4):
            item = build_queue(user, day=day, deck=deck).next
            if item is None:
                break
            grade = grades[(days_ago + number) % len(grades)]
            services.record_review(user=user, card_id=item.card.pk, grade=grade, shown_version=item.shown_version, answer_ms=4000, now=now)


@pytest.fixture
def site(make_user, seed_deck, make_deck, make_card) -> dict:
    """A staff member with a history, and every page's address."""
    user = make_user(username="ada", is_staff=True, is_superuser=True, new_cards_per_day=5)
    studied_history(user, seed_deck)
    finished = make_deck(name="Finished deck", slug="finished")
    done_card = make_card(deck=finished, question="Done today?", answer="Yes.")
    services.record_review(user=user, card_id=done_card.pk, grade=5, shown_version=0)
    next_item = build_queue(user, day=user.review_day(), deck=seed_deck).next
    assert next_item is not None, "the review page needs a card left to show"
    math_card = Card.objects.get(deck=seed_deck, answer__contains="AR(p)")
    Tag.objects.create(name="time series").cards.add(math_card)
    cram = services.start_study_session(user=user, kind="cram", deck=seed_deck, size=5)
    client = Client()
    client.force_login(user)
    return {
        "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "signed_out": {
            "welcome": "/",
            "sign-up": reverse("signup"),
            "login": reverse("login"),
        },
        "signed_in": {
            "home": reverse("home"),
            "review-question": reverse("review_deck", args=[seed_deck.slug]),
            "review-answer": reverse("review_flip", args=[next_item.card.pk]) + f"?deck={seed_deck.slug}",
            "review-summary": reverse("review_deck", args=[finished.slug]),
            "decks": reverse("deck_list"),
            "deck": seed_deck.get_absolute_url(),
            "card": math_card.get_absolute_url(),
            "stats": reverse("stats"),
            "settings": reverse("settings"),
            "reset-confirmation": reverse("reset_deck", args=[seed_deck.slug]),
            "delete-confirmation": reverse("delete_account"),
            "password-change": reverse("password_change"),
            "admin-change-form": reverse("admin:quiz_card_change", args=[math_card.pk]),
            "review-tag": reverse("review") + "?tag=time%20series",
            "study-more": reverse("study"),
            "study-question": cram.get_absolute_url(),
            "study-answer": reverse("study_flip", args=[cram.pk]),
        },
    }


def serious_violations(page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {[node['target'] for node in violation['nodes']][:5]}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def sweep(context, base_url: str, pages: dict[str, str], *, theme: str, width: int) -> list[str]:
    problems: list[str] = []
    page = context.new_page()
    page.set_default_timeout(10_000)
    console_errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    for name, path in pages.items():
        response = page.goto(base_url + path)
        assert response.ok, f"{name}: {path} answered {response.status}"
        page.wait_for_load_state("load")
        if width in OVERFLOW_WIDTHS:
            scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll_width > inner_width:
                problems.append(f"{name} at {width}px is {scroll_width}px wide")
        if width in AXE_WIDTHS:
            problems += [f"{name}: {violation}" for violation in serious_violations(page)]
        page.screenshot(path=ARTIFACTS / f"screen-{theme}-{width}-{name}.png", full_page=True)
        if name in FIRST_SCREEN_SHOTS:
            page.screenshot(path=ARTIFACTS / f"screen-{theme}-{width}-{name}-first-screen.png")
    page.close()
    problems += [f"console: {error}" for error in console_errors]
    return problems


@pytest.mark.parametrize(("theme", "width"), SCREENS, ids=[f"{theme}-{width}" for theme, width in SCREENS])
def test_every_page_is_accessible_and_fits_the_screen(chromium, live_server, site, theme, width):
    ARTIFACTS.mkdir(exist_ok=True)
    screen = {"viewport": {"width": width, "height": 844 if width < 1000 else 900}, "color_scheme": theme}
    # The CSP stays on: axe-core runs through page.evaluate, which the CSP
    # does not govern, and any violation by the pages shows in the console.
    problems: list[str] = []
    signed_out = chromium.new_context(**screen)
    problems += sweep(signed_out, live_server.url, site["signed_out"], theme=theme, width=width)
    signed_out.close()
    signed_in = chromium.new_context(**screen)
    signed_in.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": site["session"], "url": live_server.url}])
    problems += sweep(signed_in, live_server.url, site["signed_in"], theme=theme, width=width)
    signed_in.close()
    assert not problems, "\n".join(problems)
