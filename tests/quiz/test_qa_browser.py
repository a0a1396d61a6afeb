import pytest
from playwright.sync_api import expect

from accounts.models import User
from quiz.importing import import_deck
from quiz.qa_format import parse
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_cloze_review_hides_one_deletion_then_shows_it_highlighted(page, scheme):
    deck = import_deck(parse("# Geo\nC: [Paris] is the capital of [France].\n\nQ: Plain?\nA: Yes.\n")).deck
    paris, france, plain = deck.cards.order_by("position")
    page.emulate_media(color_scheme=scheme)
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("cleo")
    page.get_by_label("Password", exact=True).fill("a long and unusual passphrase")
    page.get_by_label("Password confirmation").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    assert User.objects.filter(username="cleo").exists()

    page.goto(f"/review/{deck.slug}/")
    question = page.locator(f'#review-card article[data-card="{paris.pk}"] .card-question')
    expect(question).to_have_text("[…] is the capital of France.")  # the other deletion is shown
    page.keyboard.press("Space")
    highlight = page.locator(".card-answer ins")
    expect(highlight).to_have_text("Paris")
    expect(page.locator(".card-answer")).to_have_text("Paris is the capital of France.")
    background = highlight.evaluate("element => getComputedStyle(element).backgroundColor")
    assert background == ("rgb(255, 229, 138)" if scheme == "light" else "rgb(92, 71, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#review-card .flashcard").screenshot(path=ARTIFACTS / f"cloze-answer-{scheme}.png")
    page.set_viewport_size({"width": 320, "height": 700})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320

    page.keyboard.press("5")
    # France, the sibling, waits until tomorrow: the plain card is next.
    expect(page.locator(f'#review-card article[data-card="{plain.pk}"][data-side="question"]')).to_be_visible()
    expect(page.get_by_test_id("cards-left")).to_have_text("1")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_deck_page_downloads_the_deck_as_markdown_and_fits_320px(page, seed_deck, scheme):
    from quiz.importing import export_deck

    User.objects.create_user("dora", password="a long and unusual passphrase")
    page.emulate_media(color_scheme=scheme)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("dora")
    page.get_by_label("Password").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Log in").click()
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto(f"/decks/{seed_deck.slug}/")
    link = page.get_by_role("link", name="Download as Markdown")
    expect(link).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"{seed_deck.slug}.md"
    assert open(download.value.path(), encoding="utf-8").read() == export_deck(seed_deck)
