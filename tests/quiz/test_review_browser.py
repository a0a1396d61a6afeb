import pytest
from playwright.sync_api import expect

from accounts.models import User
from quiz.models import CardProgress, ReviewLog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_up(page, username="lin"):
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill("a long and unusual passphrase")
    page.get_by_label("Password confirmation").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    return User.objects.get(username=username)


def expect_question(page, position, seed_deck):
    card = seed_deck.cards.get(position=position)
    expect(page.locator(f'#review-card article[data-card="{card.pk}"][data-side="question"]')).to_be_visible()
    return card


def test_keyboard_review_with_undo_to_the_summary_without_page_loads(page, seed_deck):
    user = sign_up(page)
    User.objects.filter(pk=user.pk).update(new_cards_per_day=3)

    page.goto("/review/")
    left = page.get_by_test_id("cards-left")
    expect(left).to_have_text("3")
    page.evaluate("window.__sameDocument = true")

    first = expect_question(page, 1, seed_deck)
    expect(page.get_by_role("button", name="Show answer")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator(".card-answer")).to_be_visible()
    expect(page.get_by_role("button", name="5 · Perfect · 1d")).to_be_visible()
    page.keyboard.press("5")

    second = expect_question(page, 2, seed_deck)
    expect(left).to_have_text("2")
    page.keyboard.press("Enter")
    expect(page.locator(".card-answer")).to_be_visible()
    page.keyboard.press("3")  # correct with difficulty: drilled again today
    expect_question(page, 3, seed_deck)
    expect(page.locator("#review-progress-text")).to_have_text("2 of 4 left today")

    page.keyboard.press("u")  # undo the 3: the second card is back, as it was
    expect_question(page, 2, seed_deck)
    expect(page.locator("#review-progress-text")).to_have_text("2 of 3 left today")
    expect(page.locator("#review-announcer")).to_contain_text("Undone")
    assert not ReviewLog.objects.filter(card=second).exists()

    page.keyboard.press("Space")
    page.keyboard.press("4")
    expect_question(page, 3, seed_deck)
    expect(left).to_have_text("1")
    page.keyboard.press("Space")
    expect(page.locator(".card-answer")).to_be_visible()
    page.get_by_role("button", name="4 · Good · 1d").click()  # a click grades too

    summary = page.get_by_test_id("summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Reviewed today")
    expect(left).to_have_text("0")
    assert page.evaluate("window.__sameDocument") is True  # no full page load after the first
    assert list(ReviewLog.objects.order_by("id").values_list("card__position", "grade")) == [(1, 5), (2, 4), (3, 4)]
    assert CardProgress.objects.get(user=user, card=first).interval == 1
    assert page.evaluate("document.activeElement.textContent").strip() == "Back to the home page"


def test_review_typesets_math_after_an_htmx_flip(page, seed_deck):
    user = sign_up(page, "ming")
    User.objects.filter(pk=user.pk).update(new_cards_per_day=20)
    page.goto(f"/review/{seed_deck.slug}/?card={seed_deck.cards.get(position=6).pk}")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Show answer").click()
    expect(page.locator(".card-answer .math-display .katex-display").first).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_review_fits_a_phone_in_both_themes(page, seed_deck, color_scheme):
    sign_up(page, f"phone{color_scheme}")
    page.set_viewport_size({"width": 375, "height": 740})
    page.emulate_media(color_scheme=color_scheme)
    page.goto(f"/review/?card={seed_deck.cards.get(position=8).pk}")
    page.get_by_role("button", name="Show answer").click()
    expect(page.locator(".grade-buttons")).to_be_visible()
    # Nothing wider than the screen: long code scrolls inside its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(17, 22, 28)") == (color_scheme == "dark")
    page.screenshot(path=f"test-artifacts/review-phone-{color_scheme}.png")
