"""SM-2, as in the original SuperMemo text (Woźniak, 1990), in pure Python.

Where the text is ambiguous we follow SuperMemo's reference implementation:
the next interval is computed with the easiness factor from *before* the
grade, a failed card keeps its (updated) easiness, and easiness is updated
after every grade, failures included.
"""

import datetime as dt
import math
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

MIN_EASINESS = Decimal("1.30")
START_EASINESS = Decimal("2.50")
TWO_PLACES = Decimal("0.01")
GRADES = range(0, 6)
# Not in SM-2: without a ceiling a long run of good grades overflows the
# calendar (year 9999). A century is beyond any learner's horizon anyway.
MAX_INTERVAL = 36_500
PASSING_GRADE = 3
# The same-day drill repeats a card until it is graded at least this.
DRILL_DONE_GRADE = 4

GRADE_MEANINGS = {
    5: "Perfect",
    4: "Good",
    3: "Hard",
    2: "Almost",
    1: "Wrong",
    0: "Blackout",
}
GRADE_DESCRIPTIONS = {
    5: "perfect response",
    4: "correct after a hesitation",
    3: "correct, recalled with serious difficulty",
    2: "incorrect, but the correct answer seemed easy to recall",
    1: "incorrect, the correct answer was remembered",
    0: "complete blackout",
}
# The four-button layout, for people who find six too many.
FOUR_BUTTONS = {1: "Again", 3: "Hard", 4: "Good", 5: "Easy"}


def grade_name(grade: int, *, four_buttons: bool = False) -> str:
    """What the person's own buttons call a grade. In the four-button layout
    a grade it has no button for (given before a switch of layout) keeps its
    six-button name."""
    if four_buttons and grade in FOUR_BUTTONS:
        return FOUR_BUTTONS[grade]
    return GRADE_MEANINGS[grade]


@dataclass(frozen=True, slots=True)
class State:
    easiness: Decimal
    repetitions: int
    interval: int
    due: dt.date | None


def initial_state() -> State:
    return State(easiness=START_EASINESS, repetitions=0, interval=0, due=None)


def next_easiness(easiness: Decimal, quality: int) -> Decimal:
    miss = 5 - quality
    updated = easiness + (Decimal("0.1") - miss * (Decimal("0.08") + miss * Decimal("0.02")))
    return max(MIN_EASINESS, updated.quantize(TWO_PLACES, rounding=ROUND_HALF_UP))


def next_interval(state: State, quality: int) -> int:
    if quality < PASSING_GRADE:
        return 1
    if state.repetitions == 0:
        return 1
    if state.repetitions == 1:
        return 6
    return min(MAX_INTERVAL, math.ceil(state.interval * state.easiness))


def review(state: State, quality: int, today: dt.date) -> State:
    """The state after grading `quality` on review day `today`."""
    if isinstance(quality, bool) or not isinstance(quality, int) or quality not in GRADES:
        raise ValueError(f"quality must be an integer from 0 to 5, not {quality!r}")
    interval = next_interval(state, quality)
    repetitions = state.repetitions + 1 if quality >= PASSING_GRADE else 0
    return replace(
        state,
        easiness=next_easiness(state.easiness, quality),
        repetitions=repetitions,
        interval=interval,
        due=today + dt.timedelta(days=interval),
    )


def format_interval(days: int) -> str:
    """'1d', '6d', '3mo', '1.2y': short enough for a grade button."""
    if days < 31:
        return f"{days}d"
    if days < 365:
        return f"{round(days / 30.4)}mo"
    return f"{days / 365:.1f}y".replace(".0y", "y")
