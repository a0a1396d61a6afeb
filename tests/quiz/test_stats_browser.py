import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.quiz.test_review_browser import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviews_show_up_in_the_heatmap_and_the_forecast(page, seed_deck):
    user = sign_up(page, "noor")
    User.objects.filter(pk=user.pk).update(new_cards_per_day=3)
    page.goto("/review/")
    for _ in range(3):
        page.keyboard.press("Space")
        expect(page.locator(".card-answer")).to_be_visible()
        page.keyboard.press("5")
    expect(page.get_by_test_id("summary")).to_be_visible()

    page.get_by_role("link", name="Statistics").click()
    day = user.review_day()
    today = page.locator(f'rect.heat-today[data-day="{day:%Y-%m-%d}"]')
    expect(today).to_have_attribute("data-count", "3")
    assert "heat-0" not in today.get_attribute("class")
    assert "3 reviews" in today.locator("title").text_content()
    # All three cards were passed today, so tomorrow (day 1) has three due.
    tomorrow_bar = page.locator("svg[aria-labelledby='forecast-title'] rect").first
    expect(tomorrow_bar.locator("title")).to_contain_text(": 3 due")
    page.get_by_text("Forecast as a table").click()
    expect(page.locator("details[open] tbody tr").nth(1).locator("td.num")).to_have_text("3")
    page.screenshot(path="test-artifacts/stats-page.png", full_page=True)
