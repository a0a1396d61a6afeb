import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VISIBLE_TEXT = """(root) => {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement.closest('.katex-mathml')) parts.push(node.textContent);
  }
  return parts.join('');
}"""


def sign_in(page, live_server, user):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}]
    )


@pytest.mark.parametrize(
    ("position", "formula_count"),
    [(6, 5), (8, 2)],  # the AR(p) card and the temperature card
)
def test_seed_card_shows_typeset_math_and_highlighted_code(page, live_server, seed_deck, user, position, formula_count):
    sign_in(page, live_server, user)
    card = seed_deck.cards.get(position=position)
    page.goto(card.get_absolute_url())
    answer = page.locator(".card-answer")
    expect(answer.locator(".math .katex-html").first).to_be_visible()
    assert answer.locator(".math-display .katex-display").count() >= 1
    assert answer.locator(".math[data-typeset]").count() >= formula_count
    assert answer.locator("[data-typeset-error]").count() == 0
    visible = answer.evaluate(VISIBLE_TEXT)
    for raw in ("\\[", "\\(", "\\frac", "\\text", "\\phi"):
        assert raw not in visible
    if position == 8:
        assert "adjusted_logits" in visible.replace("\u200b", "")
        code = answer.locator(".highlight").first
        keyword = code.locator(".kn").first  # "from ... import"
        expect(keyword).to_be_visible()
        plain = code.evaluate("el => getComputedStyle(el.querySelector('.n')).color")
        highlighted = keyword.evaluate("el => getComputedStyle(el).color")
        assert highlighted != plain


def test_python_code_is_highlighted_in_the_sum_card(page, live_server, seed_deck, user):
    sign_in(page, live_server, user)
    page.goto(seed_deck.cards.get(position=4).get_absolute_url())
    expect(page.locator(".card-answer .highlight pre")).to_be_visible()
    assert page.locator(".card-answer .highlight span").count() > 20
    assert "```" not in page.locator(".card-answer").inner_text()


def test_without_javascript_math_shows_as_mathml_not_raw_tex(chromium, live_server, seed_deck, user):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server, user)
    page.goto(seed_deck.cards.get(position=6).get_absolute_url())  # the AR(p) card
    page.screenshot(path="test-artifacts/math-without-javascript.png", full_page=True)
    answer = page.locator(".card-answer")
    formulas = answer.locator(".math > math")
    assert formulas.count() >= 5
    expect(formulas.first).to_be_visible()
    box = answer.locator(".math-display > math").first.bounding_box()
    assert box["height"] > 10  # laid out as math, not a line of TeX
    visible = answer.inner_text()
    for raw in ("\\[", "\\(", "\\phi", "X_{t-1}"):
        assert raw not in visible
    assert "\u03d5" in answer.locator(".math-display > math").first.text_content()  # φ, as MathML text
    context.close()
