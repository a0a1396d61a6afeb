"""GitHub-style lists (quiz/markdown_lists.py) and what must keep working beside them."""

import pytest

from quiz.rendering import render_markdown


def test_a_list_right_after_a_paragraph_line_is_a_list():
    html = render_markdown("Where:\n- first\n- second")
    assert html == "<p>Where:</p>\n<ul>\n<li>first</li>\n<li>second</li>\n</ul>"


def test_an_ordered_list_after_a_paragraph_keeps_its_start():
    html = render_markdown("Later steps:\n9. nine\n10. ten")
    assert html.startswith("<p>Later steps:</p>\n<ol start=\"9\">\n<li>nine</li>")


def test_a_list_after_a_blank_line_is_unchanged():
    assert render_markdown("Where:\n\n- a\n- b") == render_markdown("Where:\n- a\n- b")


def test_math_inside_a_breakless_list_stays_math():
    html = render_markdown("Where:\n- \\( X_t \\) is the series\n- \\( c \\) is a constant")
    assert '<li><span class="math math-inline">\\( X_t \\)</span> is the series</li>' in html
    assert '<li><span class="math math-inline">\\( c \\)</span> is a constant</li>' in html


def test_list_lines_inside_fenced_code_are_not_split():
    # mdx-breakless-lists at its own priority put a blank line into this code.
    html = render_markdown("```yaml\nkey:\n- a\n- b\n```")
    assert "</span>\n\n" not in html
    assert '<span class="nt">key</span><span class="p">:</span>\n<span class="p">-</span>' in html


@pytest.mark.parametrize(
    "source",
    ["Para\n\n    code\n    - y\n", "Para\n    - lazy continuation"],
    ids=["indented-code", "lazy-continuation"],
)
def test_four_space_indented_markers_are_not_lists(source):
    html = render_markdown(source)
    assert "<li>" not in html
    assert "\n\n- y" not in html  # the indented code block is not split


def test_tables_still_render_after_a_paragraph():
    html = render_markdown("Shapes:\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table>" in html and "<td>1</td>" in html


def test_nested_lists_indented_four_spaces_still_nest():
    html = render_markdown("Steps:\n1. one\n    - sub a\n    - sub b\n2. two")
    assert "<ol>\n<li>one<ul>" in html.replace("\n<ul>", "<ul>") or "<li>one\n<ul>" in html
    assert html.count("<li>") == 4


def test_seed_autoregressive_where_clause_and_broadcast_card_render_as_lists(seed_deck):
    cards = {card.position: card for card in seed_deck.cards.all()}
    autoregressive = cards[6].answer_html
    assert "Where:</p>\n<ul>\n<li><span class=\"math math-inline\">\\( X_t \\)</span> is the time series" in autoregressive
    broadcast = cards[5].answer_html
    assert "<p>Here’s how broadcasting works:</p>\n<ul>\n<li><strong>Compatible Shapes</strong>" in broadcast
    questions = cards[1].answer_html
    assert '<ol start="9">' in questions and '<ol start="26">' in questions
