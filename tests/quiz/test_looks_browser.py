"""What the eye sees: contrast, phone layout and the hints the pages give."""

import json
import re

import pytest
from playwright.sync_api import expect

from quiz import services
from quiz.models import Card
from tests.conftest import ARTIFACTS, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rgb(css_colour: str) -> tuple[float, float, float]:
    red, green, blue = (float(part) for part in re.findall(r"[\d.]+", css_colour)[:3])
    return red, green, blue


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two computed CSS colours."""

    def luminance(colour: str) -> float:
        channels = [value / 255 for value in rgb(colour)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()


def computed(page, selector: str, prop: str) -> str:
    return page.locator(selector).first.evaluate(f"el => getComputedStyle(el).getPropertyValue('{prop}')")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_destructive_buttons_are_readable_and_the_focus_ring_stands_out(page, user, deck_with_cards, theme):
    page.emulate_media(color_scheme=theme)
    deck = deck_with_cards(1)
    log_in(page, user)
    for path in (f"/decks/{deck.slug}/reset/", "/accounts/delete/"):
        page.goto(path)
        button = "button.danger"
        text, fill = computed(page, button, "color"), computed(page, button, "background-color")
        assert contrast(text, fill) >= 4.5, f"{path}: {text} on {fill}"

    page.goto("/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand link, on the white header
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    header = computed(page, ".site-header", "background-color")
    body = computed(page, "body", "background-color")
    assert contrast(ring, header) >= 3 and contrast(ring, body) >= 3, f"ring {ring} on {header} / {body}"


def test_wide_math_on_a_phone_scrolls_by_keyboard_and_shows_it_can(page, user, seed_deck):
    page.set_viewport_size({"width": 390, "height": 844})
    card = Card.objects.get(deck=seed_deck, answer__contains="AR(p)")
    log_in(page, user)
    page.goto(card.get_absolute_url())
    expect(page.locator(".math-display .katex").first).to_be_visible()
    # X_t = c + φ1 X_{t-1} + … + φp X_{t-p} + ε_t, the widest formula on the card.
    formula = page.locator(".math-display", has_text="Xt=c+")
    scroll_width, client_width = formula.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert scroll_width > client_width  # wider than the phone
    # The hint: an edge shadow painted behind the content while more hides there.
    assert formula.evaluate("el => getComputedStyle(el).backgroundImage").count("radial-gradient") == 2
    formula.screenshot(path=ARTIFACTS / "wide-math-390.png")
    expect(formula).to_have_attribute("tabindex", "0")
    formula.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=formula.element_handle())


WIDE_TABLE = """| Function | Signature | Returns |
|---|---|---|
| `tf.broadcast_to` | `tf.broadcast_to(input, shape)` | A tensor of the given shape |
| `tf.tile` | `tf.tile(input, multiples)` | A tensor repeated along each axis |
"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_wide_table_on_a_phone_scrolls_with_its_words_whole(page, user, make_card, theme):
    card = make_card(question="Which functions?", answer=WIDE_TABLE)
    page.emulate_media(color_scheme=theme)
    page.set_viewport_size({"width": 320, "height": 700})
    log_in(page, user)
    page.goto(card.get_absolute_url())
    table = page.locator(".card-answer table")
    expect(table).to_be_visible()
    table.screenshot(path=ARTIFACTS / f"wide-table-{theme}-320.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    # No header is broken inside its one word: its text stands on one line.
    for header in ("Function", "Signature", "Returns"):
        cell = table.locator("th", has_text=header)
        text_height = cell.evaluate("el => { const r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect().height; }")
        line_height = cell.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
        assert text_height < 1.5 * line_height, header
    scroll_width, client_width = table.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert scroll_width > client_width  # it scrolls inside the card instead
    assert table.evaluate("el => getComputedStyle(el).backgroundImage").count("radial-gradient") == 2
    expect(table).to_have_attribute("tabindex", "0")


# For each chart: x-axis labels that overlap each other, and any text that
# reaches outside the drawing. Labels are compared in their own rotated
# frame: a slanted label's box is its unrotated box moved by the rotation
# of its anchor.
CHART_TEXT_PROBLEMS = """() => {
  const problems = [];
  document.querySelectorAll("svg.chart-svg").forEach((svg) => {
    const name = svg.getAttribute("aria-labelledby");
    const frame = svg.getBoundingClientRect();
    svg.querySelectorAll("text").forEach((text) => {
      const box = text.getBoundingClientRect();
      if (box.left < frame.left - 1 || box.right > frame.right + 1 || box.top < frame.top - 1 || box.bottom > frame.bottom + 1) {
        problems.push(`${name}: "${text.textContent}" reaches outside the chart`);
      }
    });
    const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    svg.querySelectorAll("text.axis-label[transform]").forEach((title) => {
      svg.querySelectorAll("text.tick:not(.tick-x)").forEach((tick) => {
        if (overlaps(title.getBoundingClientRect(), tick.getBoundingClientRect())) {
          problems.push(`${name}: the axis title "${title.textContent}" touches "${tick.textContent}"`);
        }
      });
    });
    let previous = null;
    svg.querySelectorAll("text.tick-x").forEach((text) => {
      const local = text.getBBox();
      const match = /rotate\\(([-\\d.]+)/.exec(text.getAttribute("transform") || "");
      const angle = match ? (-Number(match[1]) * Math.PI) / 180 : 0;
      const x = Number(text.getAttribute("x")), y = Number(text.getAttribute("y"));
      const dx = x * Math.cos(angle) - y * Math.sin(angle) - x, dy = x * Math.sin(angle) + y * Math.cos(angle) - y;
      const box = { left: local.x + dx, right: local.x + local.width + dx, top: local.y + dy, bottom: local.y + local.height + dy, text: text.textContent };
      if (previous && box.left < previous.right && previous.left < box.right && box.top < previous.bottom && previous.top < box.bottom) {
        problems.push(`${name}: "${previous.text}" and "${box.text}" overlap`);
      }
      previous = box;
    });
  });
  return problems;
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_chart_labels_neither_overlap_nor_get_clipped(page, user, make_card, width):
    page.set_viewport_size({"width": width, "height": 900})
    card = make_card(question="How does `tf.function` help?")
    services.record_review(user=user, card_id=card.pk, grade=1, shown_version=0)
    log_in(page, user)
    page.goto("/stats/")
    assert page.locator("svg.chart-svg text.tick-x").count() > 30
    assert page.evaluate(CHART_TEXT_PROBLEMS) == []
    # Tick labels are drawn at a readable size even when the phone shrinks the chart.
    heights = page.evaluate(
        "() => [...document.querySelectorAll('svg.chart-svg text.tick:not([transform])')].map((t) => t.getBoundingClientRect().height)"
    )
    assert min(heights) >= 10, min(heights)
    # The y axis counts in whole steps, and the tooltip counts one card as one.
    grid_labels = page.locator("svg[aria-labelledby='intervals-title'] text.tick:not(.tick-x)").all_text_contents()
    assert grid_labels == ["0", "1"]
    expect(page.locator("svg[aria-labelledby='intervals-title'] rect title")).to_have_text("1d: 1 card")
    expect(page.get_by_role("link", name="How does tf.function help?").first).to_be_visible()


@pytest.mark.parametrize("grade_buttons", ["six", "four"])
def test_grade_panel_reads_in_one_line_on_a_desktop_and_stays_small_on_a_phone(page, make_user, seed_deck, grade_buttons):
    user = make_user(grade_buttons=grade_buttons)
    log_in(page, user)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/review/")
    page.get_by_role("button", name="Show answer").click()
    names = page.locator(".grade .grade-name")
    expect(names).to_have_count(6 if grade_buttons == "six" else 4)
    for name in names.all():
        height, line = name.evaluate("el => [el.getBoundingClientRect().height, parseFloat(getComputedStyle(el).lineHeight)]")
        assert height < 1.5 * line, f"{name.text_content()!r} wraps"
    page.set_viewport_size({"width": 390, "height": 844})
    panel = page.locator(".grade-form").bounding_box()
    assert panel["height"] <= 140, f"the sticky grade panel takes {panel['height']} of 844 px"
    for button in page.locator(".grade").all():
        assert button.bounding_box()["height"] >= 44  # still a comfortable target


@pytest.mark.parametrize("width", [1280, 390])
def test_home_figures_fill_their_rows(page, user, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, user)
    tops = [box["y"] for box in (tile.bounding_box() for tile in page.locator(".dashboard-figures > div").all())]
    per_row = {top: tops.count(top) for top in tops}
    assert len(tops) == 6 and len(set(per_row.values())) == 1 and min(per_row.values()) > 1, per_row


def test_chromium_reads_the_manifest_under_the_csp_and_finds_the_app_installable(page, user):
    log_in(page, user)
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest") and manifest["errors"] == []
    assert json.loads(manifest["data"])["start_url"] == "/review/"
    errors = [error["errorId"] for error in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    # Playwright's contexts are incognito, where Chromium installs nothing;
    # every other reason (icons, display, start URL, CSP) would show here.
    assert errors == ["in-incognito"], errors


def test_on_a_phone_the_heatmap_opens_at_today(page, user, make_card):
    page.set_viewport_size({"width": 390, "height": 844})
    services.record_review(user=user, card_id=make_card().pk, grade=4, shown_version=0)
    log_in(page, user)
    page.goto("/stats/")
    scroller = page.locator(".chart-scroll", has=page.locator("svg.heatmap"))
    today = page.locator("rect.heat-today")
    expect(scroller).to_have_attribute("tabindex", "0")  # it scrolls, so the keyboard can scroll it
    page.wait_for_function("el => el.scrollLeft > 0", arg=scroller.element_handle())
    inside = scroller.bounding_box()
    cell = today.bounding_box()
    assert inside["x"] <= cell["x"] and cell["x"] + cell["width"] <= inside["x"] + inside["width"]


@pytest.mark.parametrize("width", [390, 320])
def test_on_a_phone_every_figure_and_link_of_the_deck_table_is_on_screen(page, user, deck_with_cards, width):
    deck_with_cards(3, name="Statistics for machine learning, second edition")
    deck_with_cards(2)
    page.set_viewport_size({"width": width, "height": 844})
    log_in(page, user)
    cells = page.locator(".deck-table tbody td, .deck-table tfoot th, .deck-table tfoot td")
    assert cells.count() == 3 * 6
    for cell in cells.all():
        box = cell.bounding_box()
        if box:  # an empty action cell is not drawn
            assert 0 <= box["x"] and box["x"] + box["width"] <= width, cell.inner_html()
    link = page.get_by_role("link", name=re.compile(r"^Review now\s*: Statistics for machine learning"))
    link.scroll_into_view_if_needed()
    expect(link).to_be_in_viewport()
    # Still a table to a screen reader, each figure named by its column.
    expect(page.get_by_role("row", name=re.compile("^Statistics for machine learning")).get_by_role("cell", name="Suspended 0")).to_be_visible()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_statistics_scope_pickers_are_readable_on_a_320px_screen(page, user, make_card, theme):
    card = make_card()
    card.tags.create(name="interview-basics")
    page.emulate_media(color_scheme=theme)
    page.set_viewport_size({"width": 320, "height": 700})
    log_in(page, user)
    page.goto("/stats/")
    for picker in ("#stats-deck", "#stats-tag"):
        # Wide enough for "All decks" / "All tags", not cut to "Al".
        assert page.locator(picker).bounding_box()["width"] >= 110, picker
    expect(page.get_by_role("button", name="Show")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_the_headers_sign_up_button_has_a_buttons_padding(page):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/accounts/login/")
    sign_up = page.locator(".nav-links a.button")
    expect(sign_up).to_have_text("Sign up")
    padding = sign_up.evaluate("el => parseFloat(getComputedStyle(el).paddingLeft)")
    assert padding >= 10  # as the buttons in the page, not a bare link's
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
