import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.management.commands.build_pygments_css import pygments_css
from quiz.mathml import ELEMENTS as MATHML_ELEMENTS
from quiz.rendering import render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<scr<script>ipt>alert(1)</script>",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    "\\( x \\) <b onmouseover=alert(1)>hover</b>",
    '<form action="https://evil.example"><button>go</button></form>',
]
C0_AND_SPACE = "".join(map(chr, range(0x21)))
ACTIVE_TAGS = {"script", "iframe", "svg", "math", "form", "style", "object", "embed", "base", "link", "meta"}


class ActiveContentFinder(HTMLParser):
    """Collects what a browser could execute: tags, handlers, script URLs.

    The one <math> allowed is the renderer's own, first child of a
    span.math, holding only MathML presentation elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.last_start: tuple[str, dict] = ("", {})
        self.math_depth = 0

    def handle_endtag(self, tag):
        if self.math_depth and tag == "math":
            self.math_depth = 0

    def handle_starttag(self, tag, attrs):
        previous_tag, previous_attrs = self.last_start
        self.last_start = (tag, dict(attrs))
        if tag == "math" and previous_tag == "span" and "math" in (previous_attrs.get("class") or "").split():
            self.math_depth = 1
        elif self.math_depth:
            if tag not in MATHML_ELEMENTS:
                self.found.append(f"<{tag}> in math")
        elif tag in ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name in {"href", "src", "action", "formaction"} and value:
                # As a browser parses a URL: C0 controls and spaces trimmed,
                # tabs and newlines removed anywhere, then the scheme.
                url = re.sub(r"[\t\n\r]", "", value.strip(C0_AND_SPACE)).lower()
                if url.startswith(("javascript:", "vbscript:", "data:")):
                    self.found.append(f"{tag}[{name}={value}]")
            if name == "style" and value and re.search(r"url\(|expression\(|javascript:", value, re.IGNORECASE):
                self.found.append(f"{tag}[style={value}]")


def active_content(html: str) -> list[str]:
    finder = ActiveContentFinder()
    finder.feed(html)
    finder.close()
    return finder.found


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_hostile_markup_never_survives(payload):
    html = render_markdown(f"Question {payload}\n\n{payload}")
    assert active_content(html) == [], html


def test_code_containing_script_shows_as_text():
    html = render_markdown('```html\n<script>alert("hi")</script>\n```\n\nand `<script>`')
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert 'class="highlight"' in html


def test_fenced_code_is_highlighted_by_its_language_only():
    python = render_markdown("```python\ndef f(x):\n    return x\n```")
    assert '<div class="highlight">' in python
    assert '<span class="k">def</span>' in python
    plain = render_markdown("```\ndef f(x):\n    return x\n```")
    assert '<span class="k">' not in plain  # no guessing for an unlabelled fence
    assert "def f(x):" in plain


def test_tables_lists_headings_and_double_backtick_code():
    html = render_markdown(
        "### Heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n9. nine\n10. ten\n\n- x\n- y\n\n``sum(`a`, 0)``"
    )
    assert "<h3>Heading</h3>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert '<ol start="9">' in html and "<ul>" in html
    assert "<code>sum(`a`, 0)</code>" in html


@pytest.mark.parametrize(
    ("source", "kind", "tex"),
    [
        (r"Inline \( X_{t-1} * \phi_1 \) here", "math-inline", r"\( X_{t-1} * \phi_1 \)"),
        ("\\[ \\text{adjusted\\_logits}_i = \\frac{a_i}{T} \\]", "math-display", "\\[ \\text{adjusted\\_logits}_i = \\frac{a_i}{T} \\]"),
        ("$$ a_1 * b_2 * c_3 $$", "math-display", "$$ a_1 * b_2 * c_3 $$"),
        ("2. step\n    \\[\n    x_i = \\frac{y_i}{T}\n    \\]", "math-display", "\\[\n    x_i = \\frac{y_i}{T}\n    \\]"),
    ],
)
def test_math_reaches_the_page_intact(source, kind, tex):
    """As MathML for every browser, with the TeX in its annotation for KaTeX."""
    html = render_markdown(source)
    display = "block" if kind == "math-display" else "inline"
    assert f'<span class="math {kind}"><math display="{display}"><semantics><mrow>' in html
    inner = tex[2:-2]
    assert f'<annotation encoding="application/x-tex">{inner}</annotation></semantics></math></span>' in html
    assert "<em>" not in html


def test_math_like_text_inside_code_is_left_alone():
    html = render_markdown("`\\(x\\)`\n\n```\n\\[ y \\]\n```")
    assert 'class="math' not in html


def test_prices_with_single_dollars_are_not_math():
    assert 'class="math' not in render_markdown("It costs $5 and $10.")


def test_seed_answers_render_with_highlighting_lists_and_no_stray_fences(seed_deck):
    cards = list(seed_deck.cards.order_by("position"))
    first = cards[0].answer_html
    assert first.count("<li>") >= 28 and "<ol" in first
    sums = cards[3].answer_html
    assert '<div class="highlight">' in sums and '<span class="o">&gt;&gt;&gt;</span>' in sums
    assert all("```" not in card.answer_html for card in cards)
    assert '<annotation encoding="application/x-tex"> X_t = c + \\phi_1 X_{t-1}' in cards[5].answer_html
    assert "\\text{adjusted\\_logits}" in cards[7].answer_html


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(XSS_PAYLOADS),
            st.sampled_from(["<", ">", "\"", "'", "`", "```", "\\(", "\\)", "\\[", "\\]", "$$", "[", "](", ")", "\n", "\n\n", "javascript:", "on", "=", "*", "_", "|", "- ", "1. ", "> ", "<a href=", "<img src=x ", "onerror=", "<scr", "ipt>", "&#106;avascript:"]),
            st.text(max_size=20),
        ),
        max_size=30,
    ).map("".join)
)
def test_renderer_fuzz_never_emits_active_content(source):
    html = render_markdown(source)
    assert active_content(html) == [], html


def test_pygments_css_is_generated_not_hand_edited(settings):
    generated = pygments_css()
    on_disk = (settings.BASE_DIR / "static" / "css" / "pygments.css").read_text()
    assert on_disk == generated
    assert "@media (prefers-color-scheme: dark)" in generated and ".highlight .k" in generated


def test_rerender_cards_updates_stored_html(make_card, capsys):
    card = make_card(question="**bold?**", answer="plain")
    type(card).objects.filter(pk=card.pk).update(question_html="stale", answer_html="stale")
    call_command("rerender_cards")
    card.refresh_from_db()
    assert card.question_html == "<p><strong>bold?</strong></p>"
    assert card.answer_html == "<p>plain</p>"
    assert "Re-rendered 1 cards, 1 changed." in capsys.readouterr().out


def test_the_active_content_finder_catches_what_it_looks_for():
    found = active_content('<a href=" java\tscript:x" onclick="y">a</a><script>1</script><img src=x onerror=z>')
    assert found == ["a[href= java\tscript:x]", "a[onclick]", "<script>", "img[onerror]"]
    # A link whose text merely contains "javascript:" is a relative URL, not script.
    assert active_content('<a href="&lt;a href=&quot;javascript:x">a</a>') == []


# Limits, integrity after a failure, bounded work ----------------------------

from quiz import rendering  # noqa: E402
from quiz.rendering import MAX_CHARS, MAX_LINES, MAX_NESTING_DEPTH, RenderError  # noqa: E402


def test_a_failed_render_leaves_the_renderer_exactly_as_fresh(monkeypatch):
    fresh = render_markdown("**bold** and `code`\n\n- a\n- b")
    # Past the depth check, Python-Markdown itself runs out of stack midway.
    monkeypatch.setattr(rendering, "MAX_NESTING_DEPTH", 10_000)
    with pytest.raises(RenderError, match="nested too deeply"):
        render_markdown("- " * 1000 + "x")
    assert render_markdown("**bold** and `code`\n\n- a\n- b") == fresh


def test_any_exception_midway_discards_the_converter(monkeypatch):
    broken = rendering._converter()
    monkeypatch.setattr(broken, "convert", lambda text: (_ for _ in ()).throw(MemoryError()))
    with pytest.raises(MemoryError):
        render_markdown("anything")
    assert rendering._converter() is not broken
    assert render_markdown("**bold**") == "<p><strong>bold</strong></p>"


@pytest.mark.parametrize(
    ("at_limit", "past_limit", "message"),
    [
        ("x" * MAX_CHARS, "x" * (MAX_CHARS + 1), "10,001 characters; the most a card side may have is 10,000"),
        ("x\n" * MAX_LINES, "x\n" * (MAX_LINES + 1), "1,001 lines; the most a card side may have is 1,000"),
        ("- " * MAX_NESTING_DEPTH + "x", "- " * (MAX_NESTING_DEPTH + 1) + "x", "line 1: lists or quotes nested 17 levels deep; the most is 16"),
        ("> " * MAX_NESTING_DEPTH + "x", "> " * (MAX_NESTING_DEPTH + 1) + "x", "nested 17 levels deep"),
        ("a\n" + "    " * MAX_NESTING_DEPTH + "x", "a\n" + "    " * (MAX_NESTING_DEPTH + 1) + "x", "line 2: lists or quotes nested 17"),
    ],
    ids=["characters", "lines", "list depth", "quote depth", "indent depth"],
)
def test_each_limit_renders_at_it_and_refuses_one_past(at_limit, past_limit, message):
    assert render_markdown(at_limit)
    with pytest.raises(RenderError, match=re.escape(message)):
        render_markdown(past_limit)


def test_deep_looking_lines_inside_fenced_code_are_not_nesting():
    html = render_markdown("```\n" + "> " * 40 + "x\n```")
    assert "&gt; &gt;" in html


# Inputs that took Python-Markdown (or the old math pattern) quadratic time.
# Their speed is measured by `make bench`; here, that each still says what
# it said: the characters come back as text.
from quiz.management.commands.benchmark import PATHOLOGICAL_INPUTS as PATHOLOGICAL  # noqa: E402


BLOCK_LEVEL = {"unclosed fences", "setext underlines"}


@pytest.mark.parametrize(
    "source", [v for k, v in PATHOLOGICAL.items() if k not in BLOCK_LEVEL], ids=[k for k in PATHOLOGICAL if k not in BLOCK_LEVEL]
)
def test_pathological_inputs_render_as_their_own_text(source):
    html = render_markdown(source)
    text = re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    # Markdown's backslash escapes (`\(` is a literal `(`) are the one change.
    assert re.sub(r"\s+", "", text) == re.sub(r"\s+", "", re.sub(r"\\(.)", r"\1", source))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[a link](https://example.com/x_(y))", '<a href="https://example.com/x_(y)" rel="noopener noreferrer nofollow">a link</a>'),
        ('[titled](https://example.com "The title")', 'title="The title"'),
        ("[[nested] text](https://example.com)", ">[nested] text</a>"),
        # Images load from this origin only (CSP img-src 'self'), so another host's source is dropped.
        ("![a chart](https://example.com/c.png)", '<img alt="a chart">'),
        ("![a chart](c.png)", '<img alt="a chart" src="/images/c.png">'),
        ("a [ stray bracket and [a](https://example.com)", 'a [ stray bracket and <a href="https://example.com"'),
        ("see [`code` in link](https://example.com)", "<a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\"><code>code</code> in link</a>"),
        ("an ``unclosed double, then `code`", "an ``unclosed double, then <code>code</code>"),
        ("x < y and <b>bold</b>", "x &lt; y and <b>bold</b>"),
        ("<!-- a note -->kept", "kept"),
        ("`a < b` and `[x`", "<code>a &lt; b</code> and <code>[x</code>"),
        ("[x]\n\n[x]: https://example.com", '<a href="https://example.com"'),
    ],
)
def test_the_guards_leave_ordinary_markdown_as_it_was(source, expected):
    assert expected in render_markdown(source)


def test_block_level_pathological_inputs_render_as_markdown_reads_them():
    assert render_markdown(PATHOLOGICAL["unclosed fences"]).count('<div class="highlight">') == 500
    setext = render_markdown(PATHOLOGICAL["setext underlines"])
    assert setext.count("<h1>=</h1>") == 499 and setext.endswith("<p>=</p>")


def test_a_fence_that_never_closes_is_text_as_python_markdown_has_it():
    html = render_markdown("```python\n[a](\nx = 1")
    assert "```python" in html and "[a](" in html


@pytest.mark.parametrize(
    ("source", "kept", "dropped"),
    [
        ('<a class="button button-large" href="https://evil.example">Log in</a>', '<a href="https://evil.example"', "button"),
        ('<p class="notice">x</p>', "<p>x</p>", "notice"),
        ('<span class="k math" title="t">x</span>', '<span class="k math" title="t">', None),
        ('<div class="highlight messages">x</div>', '<div class="highlight">', "messages"),
    ],
)
def test_only_the_renderers_own_classes_survive(source, kept, dropped):
    html = render_markdown(source)
    assert kept in html
    if dropped:
        assert dropped not in html


def test_highlighting_and_math_keep_their_classes():
    html = render_markdown("```python\ndef f(): pass\n```\n\n\\(x\\)")
    assert '<div class="highlight">' in html and '<span class="k">def</span>' in html
    assert '<span class="math math-inline">' in html


# Server-side MathML ------------------------------------------------------------

from quiz.mathml import tex_to_mathml  # noqa: E402


def test_mathml_is_rewritten_through_an_allow_list():
    # latex2mathml passes \text{…} through unescaped and makes \href an attribute.
    mathml = tex_to_mathml(r"\text{<script>alert(1)</script>} \href{javascript:alert(1)}{x} x^2", display=False)
    assert "<script" not in mathml and "javascript" not in mathml.split("<annotation")[0]
    assert "<mtext>alert(1)</mtext>" in mathml and "<msup><mi>x</mi><mn>2</mn></msup>" in mathml
    assert '<annotation encoding="application/x-tex">\\text{&lt;script&gt;' in mathml
    assert active_content(f'<span class="math">{mathml}</span>') == []


def test_tex_the_converter_cannot_read_stays_tex_for_katex():
    html = render_markdown(r"\( \frac{1}{ \)")
    assert html == '<p><span class="math math-inline">\\( \\frac{1}{ \\)</span></p>'


def test_a_formula_inside_an_attribute_is_plain_tex_there():
    html = render_markdown(r'[t](https://example.com "about \(x\)") ![\(y\)](https://example.com/i.png)')
    assert 'title="about \\(x\\)"' in html and 'alt="\\(y\\)"' in html
    assert "<math" not in html


def test_deeply_nested_tex_falls_back_to_text_without_error():
    html = render_markdown("\\(" + "{" * 4000 + "x" + "}" * 4000 + "\\)")
    assert html.startswith('<p><span class="math math-inline">\\(')
