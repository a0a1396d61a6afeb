import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.quiz.test_content_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_preview_updates_as_you_type_with_highlighted_code_and_typeset_math(page, live_server, staff_user, make_card):
    card = make_card(answer="Old answer.")
    sign_in(page, live_server, staff_user)
    page.goto(reverse("admin:quiz_card_change", args=[card.pk]))
    preview = page.locator("#id_answer-preview")
    expect(preview).to_contain_text("Old answer.")

    editor = page.locator("#id_answer")
    editor.fill("")
    editor.press_sequentially("Where:\n- \\( \\phi_1 \\) is a parameter\n\n```python\ndef f():\n    return 1\n```\n", delay=5)

    expect(preview.locator("li .math[data-typeset] .katex-html")).to_be_visible()
    keyword = preview.locator(".highlight .k").first
    expect(keyword).to_have_text("def")
    plain = preview.locator(".highlight .p").first.evaluate("el => getComputedStyle(el).color")
    assert keyword.evaluate("el => getComputedStyle(el).color") != plain
    expect(preview).not_to_contain_text("Old answer.")
    card.refresh_from_db()
    assert card.answer == "Old answer."  # previewing writes nothing


def test_bad_math_is_explained_inline(page, live_server, staff_user, make_card):
    card = make_card(answer="x")
    sign_in(page, live_server, staff_user)
    page.goto(reverse("admin:quiz_card_change", args=[card.pk]))
    page.locator("#id_answer").fill("Broken: \\( \\frac{1 \\)")
    problem = page.locator("#id_answer-preview .math-problem")
    expect(problem).to_contain_text("ParseError")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_editor_fits_a_narrow_screen(page, live_server, staff_user, make_card, scheme):
    card = make_card(answer="```python\nprint('a fairly long line of code that must scroll, not widen the page')\n```")
    sign_in(page, live_server, staff_user)
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(reverse("admin:quiz_card_change", args=[card.pk]))
    expect(page.locator("#id_answer-preview .highlight")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320
    background = page.locator("#id_answer-preview").evaluate("el => getComputedStyle(el).backgroundColor")
    assert (background == "rgb(255, 255, 255)") == (scheme == "light")
