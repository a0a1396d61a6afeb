"""SM-2, directly: pure Python, no database."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.scheduling import MAX_INTERVAL, State, format_interval, initial_state, review

DAY = dt.date(2026, 1, 1)


def run(grades, start=None):
    state = start or initial_state()
    states = []
    for offset, grade in enumerate(grades):
        state = review(state, grade, DAY + dt.timedelta(days=offset))
        states.append(state)
    return states


def test_new_card_state():
    state = initial_state()
    assert (state.easiness, state.repetitions, state.interval) == (Decimal("2.50"), 0, 0)
    assert dataclasses.is_dataclass(state) and isinstance(state.easiness, Decimal)
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.interval = 3


def test_good_grades_give_1_6_15_days():
    states = run([4, 4, 4])
    assert [s.interval for s in states] == [1, 6, 15]
    assert [s.repetitions for s in states] == [1, 2, 3]
    assert states[0].due == DAY + dt.timedelta(days=1)
    assert states[2].due == DAY + dt.timedelta(days=2 + 15)


def test_interval_uses_the_easiness_from_before_the_grade():
    # After 5, 5: EF 2.60 then 2.70; the third interval is ceil(6 × 2.70) = 17,
    # computed before the third grade lifts EF to 2.80.
    states = run([5, 5, 5])
    assert [s.easiness for s in states] == [Decimal("2.60"), Decimal("2.70"), Decimal("2.80")]
    assert states[2].interval == 17


@pytest.mark.parametrize(
    ("grade", "easiness"),
    [(5, "2.60"), (4, "2.50"), (3, "2.36"), (2, "2.18"), (1, "1.96"), (0, "1.70")],
)
def test_easiness_update_for_each_grade(grade, easiness):
    assert review(initial_state(), grade, DAY).easiness == Decimal(easiness)


def test_failure_restarts_repetitions_but_keeps_easiness():
    learned = run([5, 5, 5])[-1]
    failed = review(learned, 1, DAY)
    assert (failed.repetitions, failed.interval, failed.due) == (0, 1, DAY + dt.timedelta(days=1))
    assert failed.easiness == Decimal("2.26")  # 2.80 − 0.54, not reset to 2.5
    again = review(failed, 4, DAY + dt.timedelta(days=1))
    assert (again.repetitions, again.interval) == (1, 1)


def test_easiness_never_falls_below_1_3():
    states = run([0] * 10)
    assert states[-1].easiness == Decimal("1.30")
    assert review(State(Decimal("1.30"), 3, 10, DAY), 3, DAY).easiness == Decimal("1.30")


@pytest.mark.parametrize("quality", [-1, 6, 2.5, "4", True, None])
def test_out_of_range_quality_raises(quality):
    with pytest.raises(ValueError):
        review(initial_state(), quality, DAY)


def test_review_does_not_mutate_its_input():
    state = State(Decimal("2.50"), 2, 6, DAY)
    copy = dataclasses.replace(state)
    review(state, 5, DAY)
    assert state == copy


def test_interval_is_capped_at_a_century_instead_of_overflowing_the_calendar():
    state = run([5] * 30)[-1]
    assert state.interval == MAX_INTERVAL
    assert review(state, 5, DAY).due == DAY + dt.timedelta(days=MAX_INTERVAL)


def test_interval_labels():
    assert [format_interval(d) for d in (1, 6, 30, 45, 400, 730)] == ["1d", "6d", "30d", "1mo", "1.1y", "2y"]


grades = st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=40)


@given(grades)
def test_easiness_stays_at_least_1_3_with_two_decimals(sequence):
    for state in run(sequence):
        assert state.easiness >= Decimal("1.30")
        assert state.easiness == state.easiness.quantize(Decimal("0.01"))


@given(grades, st.integers(min_value=0, max_value=2))
def test_a_failure_always_gives_one_day(sequence, failing):
    state = run(sequence)[-1]
    failed = review(state, failing, DAY)
    assert (failed.interval, failed.repetitions, failed.due) == (1, 0, DAY + dt.timedelta(days=1))


@given(st.lists(st.integers(min_value=3, max_value=5), min_size=2, max_size=30))
def test_intervals_never_shrink_while_passing(sequence):
    intervals = [state.interval for state in run(sequence)]
    assert intervals == sorted(intervals)
