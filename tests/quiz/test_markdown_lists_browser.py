import pytest
from playwright.sync_api import expect

from tests.quiz.test_content_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_seed_where_clause_is_a_list_of_typeset_formulas(page, live_server, seed_deck, user):
    sign_in(page, live_server, user)
    page.goto(seed_deck.cards.get(position=6).get_absolute_url())
    where = page.locator(".card-answer p", has_text="Where:").locator("xpath=following-sibling::ul[1]")
    items = where.locator("li")
    expect(items).to_have_count(4)
    expect(items.first.locator(".math[data-typeset] .katex-html")).to_be_visible()
    assert items.first.evaluate("el => getComputedStyle(el).display") == "list-item"


def test_seed_broadcast_card_shows_its_list(page, live_server, seed_deck, user):
    sign_in(page, live_server, user)
    page.goto(seed_deck.cards.get(position=5).get_absolute_url())
    rules = page.locator(".card-answer p", has_text="Here’s how broadcasting works:").locator("xpath=following-sibling::ul[1]/li")
    expect(rules.first).to_contain_text("Compatible Shapes")
    nested = rules.first.locator("ul > li")
    expect(nested).to_have_count(2)
    expect(nested.first).to_have_text("they are equal, or")
