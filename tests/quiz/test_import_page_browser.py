import pytest
from django.urls import reverse
from playwright.sync_api import expect

from quiz.models import Card
from tests.quiz.test_content_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dry_run_then_import_without_choosing_the_file_again(page, live_server, staff_user, tmp_path, scheme):
    source = tmp_path / "cards.md"
    source.write_text("# Browser deck\nQ: one?\nfirst\n\nQ: two?\nsecond\n")
    sign_in(page, live_server, staff_user)
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 320, "height": 800})
    style = "(() => { const s = getComputedStyle(document.querySelector('.breadcrumbs')); return [s.backgroundColor, s.paddingLeft]; })()"
    page.goto(reverse("admin:quiz_deck_changelist"))
    admin_breadcrumbs = page.evaluate(style)
    page.goto(reverse("admin:quiz_deck_import"))
    # Breadcrumbs styled as on every other admin page, not bare text at the edge.
    assert page.evaluate(style) == admin_breadcrumbs
    expect(page.locator(".breadcrumbs li[aria-current=page]")).to_have_text("Import a Q&A file")
    page.get_by_label("File:").set_input_files(source)
    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_role("heading", name="Dry run: nothing has been written yet")).to_be_visible()
    expect(page.locator('[data-plan="created"]')).to_have_text("2")
    assert not Card.objects.exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.get_by_role("button", name="Import these changes").click()
    expect(page.locator('[data-count="created"]')).to_have_text("2")
    assert Card.objects.count() == 2
