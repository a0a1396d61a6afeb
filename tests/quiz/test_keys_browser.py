import pytest
from playwright.sync_api import expect

from accounts.models import User
from quiz.models import CardProgress, HideLog, ReviewLog
from tests.quiz.test_review_browser import expect_question, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_help_dialog_opens_by_key_and_button_traps_focus_and_blocks_keys(page, seed_deck):
    sign_up(page, "help")
    page.goto("/review/")
    first = expect_question(page, 1, seed_deck)
    dialog = page.locator("#keys-dialog")
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    # While the dialog is open, review keys do nothing and focus stays inside.
    for key in ("-", "@", "u", "4"):
        page.keyboard.press(key)
    for key in ("Tab", "Tab", "Shift+Tab"):
        page.keyboard.press(key)
        assert page.evaluate("document.getElementById('keys-dialog').contains(document.activeElement)")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect_question(page, 1, seed_deck)
    assert not CardProgress.objects.filter(card=first).exists()

    keys_button = page.get_by_role("button", name="Keys")
    expect(keys_button).to_be_visible()
    keys_button.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("grade “Good”")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def test_bury_suspend_and_space_grades_good_by_keyboard_and_undo_brings_back_a_suspend(page, seed_deck):
    user = sign_up(page, "keys")
    User.objects.filter(pk=user.pk).update(new_cards_per_day=4)
    page.goto("/review/")
    page.evaluate("window.__sameDocument = true")
    first = expect_question(page, 1, seed_deck)
    page.keyboard.press("-")
    expect(page.locator("#review-card .notice")).to_have_text("Buried until tomorrow.")
    second = expect_question(page, 2, seed_deck)
    page.keyboard.press("@")
    expect(page.locator("#review-card .notice")).to_contain_text("Suspended")
    third = expect_question(page, 3, seed_deck)
    assert CardProgress.objects.get(user=user, card=second).suspended

    page.keyboard.press("u")  # the suspend comes undone
    expect_question(page, 2, seed_deck)
    expect(page.locator("#review-announcer")).to_contain_text("Undone: the suspension")
    assert not CardProgress.objects.filter(user=user, card=second).exists()  # new again, as before
    page.keyboard.press("Space")
    expect(page.locator(".card-answer")).to_be_visible()
    page.keyboard.press("Space")  # on the answer: "Good"
    expect_question(page, 3, seed_deck)
    assert list(ReviewLog.objects.values_list("card", "grade")) == [(second.pk, 4)]
    assert HideLog.objects.get().card == first
    assert third and page.evaluate("window.__sameDocument") is True


def test_staff_edit_key_opens_the_admin_and_saving_returns_to_the_card(page, seed_deck, staff_user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(staff_user.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.goto("/review/")
    card = expect_question(page, 1, seed_deck)
    page.keyboard.press("e")
    expect(page.locator("#id_question")).to_be_visible()
    assert page.url.endswith(f"/admin/quiz/card/{card.pk}/change/?next=%2Freview%2F%3Fcard%3D{card.pk}")
    page.locator("#id_question").fill("What is edited here?")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(f'#review-card article[data-card="{card.pk}"]')).to_contain_text("What is edited here?")
    assert page.url.endswith(f"/review/?card={card.pk}")


def test_without_javascript_the_review_page_shows_no_keys_button(chromium, live_server, seed_deck):
    # The button only opens the dialog from a script; without one it would do nothing.
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_up(page, "nokeys")
        page.goto("/review/")
        expect(page.get_by_role("button", name="Show answer")).to_be_visible()
        expect(page.locator("[data-open-keys]")).to_be_hidden()
        expect(page.locator(".review-footer")).to_contain_text("grades “Good”")
    finally:
        context.close()
