import re

import pytest
from playwright.sync_api import expect

from tests.quiz.test_review_browser import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_as_you_type_updates_results_and_address_and_back_returns(page, make_deck, make_card):
    sign_up(page)
    deck = make_deck(name="Animals", slug="animals")
    zebras = [make_card(deck=deck, question=f"Why does zebra {n} have stripes?") for n in (1, 2)]
    lion = make_card(deck=deck, question="What is a lion's mane for?", answer="Showing off <script>alert(1)</script>")

    page.goto("/cards/")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(3)
    page.evaluate("window.__sameDocument = true")
    search = page.get_by_label("Search questions and answers")

    search.press_sequentially("zebra", delay=20)
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/cards/\?q=zebra&"))
    expect(page.locator("#results .snippet mark").first).to_have_text("zebra")
    assert {int(n) for n in rows.evaluate_all("rows => rows.map(r => r.dataset.card)")} == {card.pk for card in zebras}

    # One input event from here on, so each step is one history entry even
    # on a slow machine (typed letters may each push one).
    search.fill("showing")  # only in the answer
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"\?q=showing&"))
    expect(page.locator(f'#results tr[data-card="{lion.pk}"] .snippet mark')).to_have_text("Showing")
    expect(page.locator("#results script")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True  # no page load while typing

    page.get_by_label("Sort by").select_option("due")
    expect(page).to_have_url(re.compile(r"sort=due"))

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=showing&.*sort=$"))
    # The restored page, not the one it replaces (both have one row): going
    # back again before it arrives would race two restores.
    expect(page.get_by_label("Sort by")).to_have_value("")
    expect(page.locator(".results-status")).to_contain_text("Order: Best match.")
    expect(rows).to_have_count(1)
    expect(search).to_have_value("showing")
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=zebra&"))
    expect(rows).to_have_count(2)
    expect(search).to_have_value("zebra")


def test_without_javascript_the_search_is_a_plain_form(chromium, live_server, make_user, make_deck, make_card):
    from tests.conftest import PASSWORD

    user = make_user()
    card = make_card(deck=make_deck(), question="Plain form search?")
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/cards/")
    page.get_by_label("Search questions and answers").fill("plain")
    page.get_by_role("button", name="Show cards").click()
    expect(page).to_have_url(re.compile(r"/cards/\?q=plain"))
    expect(page.locator(f'#results tr[data-card="{card.pk}"]')).to_be_visible()
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_browser_and_deck_page_fit_a_320px_screen(page, make_deck, make_card, scheme):
    sign_up(page)
    deck = make_deck(name="A deck with a rather long name for a small screen", slug="long")
    make_card(deck=deck, question="A question with a verylongwordthatdoesnotbreakeasilyanywhereatall in it?", answer="Its answer.")
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 320, "height": 640})
    for url in ("/cards/?q=question", f"/decks/{deck.slug}/"):
        page.goto(url)
        expect(page.locator("#main tbody tr")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, url
