import pytest
from playwright.sync_api import expect

from accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_change_a_setting_log_out_and_in_again(page):
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password", exact=True).fill("a long and unusual passphrase")
    page.get_by_label("Password confirmation").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_text("Welcome, grace!")).to_be_visible()
    expect(page.get_by_test_id("due-today")).to_have_text("0")
    # The hidden field took the browser's time zone (headless Chromium's is UTC or the host's).
    assert User.objects.get(username="grace").time_zone

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("New cards per day").fill("7")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Your settings are saved.")).to_be_visible()
    expect(page.get_by_label("New cards per day")).to_have_value("7")

    page.get_by_role("button", name="Log out").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()

    nav.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    assert User.objects.get(username="grace").new_cards_per_day == 7
