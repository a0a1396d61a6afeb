"""GitHub-style lists (quiz/markdown_lists.py) and what must keep working beside them."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    assert re.search(r'<li><span class="math math-inline"><math[^>]*>.*?<annotation encoding="application/x-tex"> X_t </annotation></semantics></math></span> is the series</li>', html)
    assert re.search(r'<li><span class="math math-inline"><math[^>]*>.*?<annotation encoding="application/x-tex"> c </annotation></semantics></math></span> is a constant</li>', html)


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
    assert re.search(r'Where:</p>\n<ul>\n<li><span class="math math-inline"><math[^>]*>.*? X_t </annotation></semantics></math></span> is the time series', autoregressive)
    broadcast = cards[5].answer_html
    assert "<p>Here’s how broadcasting works:</p>\n<ul>\n<li><strong>Compatible Shapes</strong>" in broadcast
    assert "broadcasting if:<ul>\n<li>they are equal, or</li>\n<li>one of them is 1.</li>\n</ul>" in broadcast
    top_p = cards[7].answer_html
    assert "<p><strong>Selection Based on Cumulative Probability</strong>:</p>\n<ul>\n<li>When generating" in top_p
    questions = cards[1].answer_html
    assert '<ol start="9">' in questions and '<ol start="26">' in questions


def test_a_list_indented_to_its_parents_text_nests_as_on_github():
    ordered = render_markdown("1. **Selection**:\n   - first\n   - second\n2. Next")
    assert ordered == (
        "<ol>\n<li><strong>Selection</strong>:<ul>\n<li>first</li>\n<li>second</li>\n</ul>\n</li>\n<li>Next</li>\n</ol>"
    )
    bulleted = render_markdown("- if:\n  - equal, or\n  - one of them is 1.\n- else")
    assert bulleted == "<ul>\n<li>if:<ul>\n<li>equal, or</li>\n<li>one of them is 1.</li>\n</ul>\n</li>\n<li>else</li>\n</ul>"


def test_three_levels_of_two_space_nesting():
    html = render_markdown("- a\n  - b\n    - c\n- d")
    assert html == "<ul>\n<li>a<ul>\n<li>b<ul>\n<li>c</li>\n</ul>\n</li>\n</ul>\n</li>\n<li>d</li>\n</ul>"


def test_an_items_second_paragraph_indented_to_its_text_stays_in_the_item():
    html = render_markdown("1. First\n\n   more about first\n\n2. Second")
    assert "<li>\n<p>First</p>\n<p>more about first</p>\n</li>" in html


def test_an_unindented_paragraph_after_a_blank_line_ends_the_list():
    html = render_markdown("- a\n  - b\n\nAfter the list.\n  - not nested under a")
    assert html.endswith("<p>After the list.</p>\n<ul>\n<li>not nested under a</li>\n</ul>")


def test_code_indented_inside_an_item_stays_code():
    html = render_markdown("1. Run:\n\n       make test\n\n2. Done")
    assert "<li>\n<p>Run:</p>\n<div class=\"highlight\"><pre><span></span><code>make test\n</code></pre></div>" in html


def test_rules_and_emphasis_are_not_list_items():
    assert render_markdown("- a\n\n* * *\n\n  text") == render_markdown("- a\n\n* * *\n\n  text".replace("  text", "text"))
    assert "<em>stress</em>" in render_markdown("Line:\n*stress* here")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["text", "  text", "   text", "    code", "", "1. one", "- dash", "  - two", "   - three", "    - four", "* * *", "Q?"]), max_size=12))
def test_reindenting_keeps_every_lines_text_and_leaves_list_free_text_alone(lines):
    from quiz.markdown_lists import nest_as_github_does

    out = nest_as_github_does(lines)
    assert [line.strip() for line in out] == [line.strip() for line in lines]
    if not any(line.lstrip().startswith(("1.", "-")) for line in lines if line.strip() != "* * *"):
        assert out == lines
