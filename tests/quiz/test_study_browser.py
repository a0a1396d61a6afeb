import pytest
from playwright.sync_api import expect

from quiz.models import CardProgress, ReviewLog, StudySession
from tests.quiz.test_review_browser import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect_card(page, card, side="question"):
    expect(page.locator(f'#review-card article[data-card="{card.pk}"][data-side="{side}"]')).to_be_visible()


def test_a_cram_session_from_start_to_finish_with_an_undo(page, seed_deck):
    user = sign_up(page, "crammer")
    page.get_by_role("link", name="Study more").click()
    cram = page.locator("section", has=page.get_by_role("heading", name="Cram"))
    cram.get_by_label("Deck").select_option(seed_deck.slug)
    cram.get_by_label("Cards at most").fill("3")
    cram.get_by_role("button", name="Cram").click()
    page.wait_for_load_state()  # app.js (deferred) listens for keys from here on

    cards = list(seed_deck.cards.order_by("position")[:3])
    progress = page.get_by_test_id("study-progress")
    expect(progress).to_have_text("1 of 3")
    expect_card(page, cards[0])
    page.evaluate("window.__sameDocument = true")
    expect(page.get_by_role("button", name="Show answer")).to_be_focused()
    page.keyboard.press("Space")
    expect_card(page, cards[0], "answer")
    page.keyboard.press("2")
    expect_card(page, cards[1])
    expect(progress).to_have_text("2 of 3")
    page.get_by_role("button", name="Show answer").click()
    page.get_by_role("button", name="5 · Perfect").click()
    expect_card(page, cards[2])
    expect(progress).to_have_text("3 of 3")

    page.keyboard.press("u")  # the 5 comes back
    expect_card(page, cards[1])
    expect(progress).to_have_text("2 of 3")
    expect(page.locator("#review-announcer")).to_contain_text("Undone")
    page.keyboard.press("Space")
    expect_card(page, cards[1], "answer")
    page.keyboard.press("Enter")  # on the answer: Good
    expect_card(page, cards[2])
    page.keyboard.press("Space")
    expect_card(page, cards[2], "answer")
    page.keyboard.press("3")

    summary = page.get_by_test_id("summary")
    expect(summary).to_contain_text("You answered 3 cards in this session, 2 of them with 3 or better")
    expect(progress).to_have_text("3 of 3: done")
    assert page.evaluate("window.__sameDocument") is True
    assert list(ReviewLog.objects.order_by("id").values_list("card__position", "grade", "kind")) == [
        (1, 2, "cram"), (2, 4, "cram"), (3, 3, "cram"),
    ]
    assert not CardProgress.objects.filter(user=user).exists()  # the schedule never moved
    assert StudySession.objects.get().finished


def test_a_cram_session_works_without_javascript(chromium, live_server, seed_deck):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_up(page, "nojs")
        page.goto("/study/")
        cram = page.locator("section", has=page.get_by_role("heading", name="Cram"))
        cram.get_by_label("Deck").select_option(seed_deck.slug)
        cram.get_by_label("Cards at most").fill("2")
        cram.get_by_role("button", name="Cram").click()
        expect(page.get_by_test_id("study-progress")).to_have_text("1 of 2")
        # The Keys button needs a script to open its dialog: without one it is not shown.
        expect(page.locator("[data-open-keys]")).to_be_hidden()
        page.get_by_role("button", name="Show answer").click()
        page.get_by_role("button", name="4 · Good").click()
        expect(page.get_by_test_id("study-progress")).to_have_text("2 of 2")
        page.get_by_role("button", name="Undo").click()
        expect(page.locator(".messages")).to_contain_text("Undone")
        expect(page.get_by_test_id("study-progress")).to_have_text("1 of 2")
        assert not ReviewLog.objects.exists()
    finally:
        context.close()


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_study_pages_and_the_keys_dialog_fit_a_320px_screen(page, seed_deck, color_scheme):
    sign_up(page, f"narrow{color_scheme}")
    page.set_viewport_size({"width": 320, "height": 640})
    page.emulate_media(color_scheme=color_scheme)
    page.goto("/study/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    cram = page.locator("section", has=page.get_by_role("heading", name="Cram"))
    cram.get_by_label("Deck").select_option(seed_deck.slug)
    cram.get_by_role("button", name="Cram").click()
    page.get_by_role("button", name="Show answer").click()
    expect(page.locator(".grade-buttons")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.keyboard.press("?")
    dialog = page.locator("#keys-dialog")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    page.screenshot(path=f"test-artifacts/study-keys-320-{color_scheme}.png")
