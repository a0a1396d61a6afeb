"""The Q&A format parser, directly: pure Python, no database."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.qa_format import QAFormatError, decode, parse, source_key

SEED = "fixtures/tensorflow-quiz.md"


def test_seed_parses_to_thirteen_cards_in_source_order():
    with open(SEED, "rb") as handle:
        deck = parse(decode(handle.read()))
    assert deck.title == "Tensorflow Quiz - interview-oriented"
    assert len(deck.cards) == 13
    assert [card.position for card in deck.cards] == list(range(1, 14))
    assert deck.cards[0].question.startswith("what are frequently asked questions")
    assert deck.cards[-1].question == "what does lora stand for in deep learning?"
    # The follow-up without "Q:" is its own card, right after the BMM card.
    assert deck.cards[9].question == "what is BMM about in llm inference?"
    assert deck.cards[10].question == "will BMM lead to different results for the same input, if so, how to improve it?"
    assert deck.cards[10].line == 537
    # The outer wrapper fence is gone; inner code blocks stay whole.
    assert not deck.cards[-1].answer.rstrip().endswith("```")
    assert deck.cards[3].answer.startswith("```py") and deck.cards[3].answer.endswith("```")
    assert all(card.answer.count("```") % 2 == 0 for card in deck.cards)


def test_answer_may_start_on_the_next_line():
    deck = parse("# D\nQ: one?\nAnswer right away.\n\nQ: two?\nSecond.")
    assert [(c.question, c.answer) for c in deck.cards] == [("one?", "Answer right away."), ("two?", "Second.")]


def test_fences_inside_answers_are_never_split_and_hide_questions():
    text = "# D\nQ: code?\n```python\nQ: not a question\n\nwhy?\n\n```\nafter\n"
    deck = parse(text)
    assert len(deck.cards) == 1
    assert "Q: not a question" in deck.cards[0].answer


@pytest.mark.parametrize(
    "answer_line",
    [
        "- is this a list item?",
        "1. numbered item?",
        "### A heading?",
        "> quoted?",
        "| table? |",
        "    indented code or list continuation?",
    ],
)
def test_structural_lines_ending_in_a_question_mark_are_answer_text(answer_line):
    deck = parse(f"# D\nQ: first?\n\nIntro.\n\n{answer_line}\n\nMore.")
    assert len(deck.cards) == 1
    assert answer_line.strip() in deck.cards[0].answer


def test_question_mark_inside_a_longer_paragraph_is_answer_text():
    deck = parse("# D\nQ: first?\n\nSome text\nthat asks why?\nand continues.\n\nWhy not?\nIt continues too.")
    assert len(deck.cards) == 1


def test_standalone_question_paragraph_starts_a_new_card():
    deck = parse("# D\nQ: first?\n\nAnswer one.\n\nAnd a follow-up?\n\nAnswer two.")
    assert [c.question for c in deck.cards] == ["first?", "And a follow-up?"]
    assert deck.cards[1].answer == "Answer two."


def test_body_without_an_outer_fence_and_text_before_the_first_question():
    deck = parse("# Deck\n\nAbout this deck.\n\nQ: a?\nb")
    assert deck.description == "About this deck."
    assert deck.cards[0].answer == "b"


def test_a_leading_code_block_is_not_mistaken_for_an_outer_fence():
    deck = parse("# D\n```\nintro code\n```\nQ: a?\nb\n```\nx\n```")
    assert deck.description == "```\nintro code\n```"
    assert deck.cards[0].answer == "b\n```\nx\n```"


def test_deck_name_option_overrides_the_title():
    assert parse("# D\nQ: a?\nb", deck_title="Other").title == "Other"
    assert parse("Q: a?\nb", deck_title="Other").title == "Other"


def test_source_key_is_stable_and_depends_on_deck_and_question():
    assert source_key("Deck", "What is X?") == source_key("deck ", "what  is x?")
    assert source_key("Deck", "What is X?") != source_key("Other", "What is X?")
    assert parse("# D\nQ: a?\nb").cards[0].source_key == source_key("D", "a?")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("# D\n\nJust prose, no questions.\n", 3, "no cards found"),
        ("# D\nQ: a?\n```python\nx = 1\n", 3, "code fence ``` opened here is never closed"),
        ("# D\nQ: a?\nb\nQ:   \nc\n", 4, "empty question"),
        ("# D\nQ: a?\nb\nQ: a?\nc\n", 4, "duplicate question, first asked on line 2"),
        ("Q: a?\nb\n", 1, "no deck title"),
    ],
)
def test_malformed_documents_name_the_line(text, line, message):
    with pytest.raises(QAFormatError) as caught:
        parse(text)
    problem = caught.value.problems[0]
    assert problem.line == line
    assert message in problem.message


def test_non_utf8_bytes_name_their_line():
    with pytest.raises(QAFormatError) as caught:
        decode("# D\nQ: a?\n".encode() + b"caf\xe9\n")
    assert str(caught.value.problems[0]) == "3: the file is not UTF-8 text"


def test_binary_file_is_refused():
    with pytest.raises(QAFormatError):
        decode(b"# D\n\x00\x01\x02")


# Round trips -----------------------------------------------------------------

words = st.text(alphabet=st.sampled_from("abcdefghij klmnop"), min_size=1, max_size=20).map(str.strip).filter(bool)
questions = st.builds(lambda w, mark: w + ("?" if mark else ""), words, st.booleans())
paragraph = st.lists(words, min_size=1, max_size=3).map(lambda ws: "\n".join(ws))
list_item_question = words.map(lambda w: f"- {w}?")
heading_question = words.map(lambda w: f"### {w}?")
code_block = st.tuples(st.sampled_from(["", "python", "py", "text"]), st.lists(st.one_of(words, words.map(lambda w: f"Q: {w}?"), words.map(lambda w: w + "?")), min_size=1, max_size=3)).map(
    lambda t: "```" + t[0] + "\n" + "\n\n".join(t[1]) + "\n```"
)
answer_block = st.one_of(paragraph, list_item_question, heading_question, code_block)
answers = st.lists(answer_block, min_size=0, max_size=4).map(lambda blocks: "\n\n".join(blocks))


@st.composite
def documents(draw):
    title = draw(words)
    cards = draw(
        st.lists(st.tuples(questions, answers), min_size=1, max_size=6, unique_by=lambda c: " ".join(c[0].split()).casefold())
    )
    wrapped = draw(st.booleans())
    tight = draw(st.booleans())  # answer right after the question line
    body = "\n\n".join(f"Q: {q}\n{'' if tight else chr(10)}{a}".rstrip() for q, a in cards)
    text = f"# {title}\n" + ("```\n" + body + "\n```\n" if wrapped else "\n" + body + "\n")
    return title, cards, text


@settings(max_examples=200, deadline=None)
@given(documents())
def test_generated_documents_parse_back_to_their_cards(document):
    title, cards, text = document
    deck = parse(text)
    assert deck.title == title
    assert [(c.question, c.answer) for c in deck.cards] == [(q, a) for q, a in cards]
    assert [c.position for c in deck.cards] == list(range(1, len(cards) + 1))
