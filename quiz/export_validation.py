"""Checks a "Download my data" export before it is restored, in pure Python.

Every value must be one that grading can produce and that grading can go on
from: a restored card is graded with `+ 1` on its counters and SM-2 on its
easiness, so a value near the edge of its column (2147483647) or outside
SM-2's range would make later grades of it fail. Problems are reported
with their place in the file (`progress[3].easiness: ...`), all of them, so
a person can fix the file in one go.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from quiz import scheduling

# Mirrors ReviewLog.Kind and services.MAX_ANSWER_MS (a test keeps them equal):
# this module imports nothing from Django.
KINDS = ("new", "review", "drill", "ahead", "cram", "mistakes")
MAX_ANSWER_MS = 60_000
GRADES = scheduling.GRADES

# Counters and versions live in 32-bit columns (at most 2**31 - 1) and every
# grade, suspend, unsuspend or bury adds 1 to them. A billion is more than a
# person ever does, and leaves a billion more actions before the column is
# full; 2**31 - 2 left room for exactly one.
MAX_COUNTER = 1_000_000_000
# EF is a DecimalField(4, 2): at most 99.99, and a perfect grade adds 0.10.
MAX_EASINESS = Decimal("99.89")
EASINESS_TEXT = re.compile(r"[0-9]{1,2}\.[0-9]{2}")
# The export's one spelling: date.fromisoformat also reads 20261204 and
# 2026-W49-5, which the export never writes.
DAY_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# No review of this app predates it; due dates reach at most MAX_INTERVAL
# days past the latest review day, which is at most a day ahead of UTC.
EARLIEST_DAY = dt.date(2000, 1, 1)
# Python reads offsets up to 24 hours, with seconds and fractions of one;
# PostgreSQL refuses 16 hours or more and fractions of a second. Every zone
# in use since 2000 is within 14 hours (Kiribati) and in whole minutes, so
# nothing else can come from a real export.
MAX_OFFSET = dt.timedelta(hours=14)
MAX_SOURCE_KEY = 64
MAX_DECK_SLUG = 200
DECK_SLUG = re.compile(r"[-a-zA-Z0-9_]+")

PROGRESS_FIELDS = (
    "easiness", "repetitions", "interval", "due", "lapses", "suspended",
    "buried_until", "drill_on", "last_reviewed_at", "version",
)
LOG_FIELDS = (
    "grade", "kind", "review_day", "reviewed_at", "answer_ms",
    "easiness_before", "repetitions_before", "interval_before", "due_before",
    "easiness_after", "repetitions_after", "interval_after", "due_after",
    "lapses_before", "drill_on_before", "last_reviewed_at_before", "progress_created", "made_leech",
)


class Problem(ValueError):
    pass


def _text(value, *, limit: int | None = None, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise Problem(f"must be a string, not {_kind(value)}")
    if not value and not allow_empty:
        raise Problem("must not be empty")
    if "\x00" in value:
        raise Problem("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Problem("must be valid Unicode (it holds a lone surrogate)") from None
    if limit is not None and len(value) > limit:
        raise Problem(f"must be at most {limit} characters, not {len(value)}")
    return value


def _kind(value) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def _integer(value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Problem(f"must be a whole number, not {_kind(value)}")
    if not low <= value <= high:
        raise Problem(f"must be from {low} to {high}, not {value}")
    return value


def _boolean(value) -> bool:
    if not isinstance(value, bool):
        raise Problem(f"must be true or false, not {_kind(value)}")
    return value


def _easiness(value) -> Decimal:
    text = _text(value)
    if not EASINESS_TEXT.fullmatch(text):
        raise Problem(f'must be a decimal with two places such as "2.50", not {text[:20]!r}')
    try:
        easiness = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise Problem(f"must be a decimal, not {text!r}") from None
    if not scheduling.MIN_EASINESS <= easiness <= MAX_EASINESS:
        raise Problem(f"must be from {scheduling.MIN_EASINESS} to {MAX_EASINESS}, not {text}")
    return easiness


class _Rules:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.latest_day = now.date() + dt.timedelta(days=1)  # review days run ahead of UTC by under a day
        self.latest_due = self.latest_day + dt.timedelta(days=scheduling.MAX_INTERVAL)

    def day(self, value, *, latest: dt.date, nullable: bool) -> dt.date | None:
        if value is None and nullable:
            return None
        text = _text(value)
        try:
            if not DAY_TEXT.fullmatch(text):
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise Problem(f"must be a date written YYYY-MM-DD, not {text[:40]!r}") from None
        if not EARLIEST_DAY <= day <= latest:
            raise Problem(f"must be from {EARLIEST_DAY} to {latest}, not {day}")
        return day

    def moment(self, value, *, nullable: bool) -> dt.datetime | None:
        if value is None and nullable:
            return None
        text = _text(value)
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise Problem(f"must be a date and time in ISO 8601, not {text[:40]!r}") from None
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise Problem(f"must give its time zone offset (as the export does: +00:00), not {text[:40]!r}")
        offset = moment.utcoffset()
        if offset % dt.timedelta(minutes=1) or abs(offset) > MAX_OFFSET:
            raise Problem(f"must give its time zone offset in whole minutes from -14:00 to +14:00, not {text[:40]!r}")
        earliest = dt.datetime.combine(EARLIEST_DAY, dt.time(), dt.UTC)
        latest = self.now + dt.timedelta(days=1)
        if not earliest <= moment <= latest:
            raise Problem(f"must be from {earliest:%Y-%m-%d} to {latest:%Y-%m-%d %H:%M} UTC, not {text}")
        return moment

    def progress(self) -> dict:
        return {
            "easiness": _easiness,
            "repetitions": lambda v: _integer(v, 0, MAX_COUNTER),
            "interval": lambda v: _integer(v, 0, scheduling.MAX_INTERVAL),
            "due": lambda v: self.day(v, latest=self.latest_due, nullable=True),
            "lapses": lambda v: _integer(v, 0, MAX_COUNTER),
            "suspended": _boolean,
            "buried_until": lambda v: self.day(v, latest=self.latest_day + dt.timedelta(days=1), nullable=True),
            "drill_on": lambda v: self.day(v, latest=self.latest_day, nullable=True),
            "last_reviewed_at": lambda v: self.moment(v, nullable=True),
            "version": lambda v: _integer(v, 1, MAX_COUNTER),
        }

    def log(self) -> dict:
        return {
            "grade": lambda v: _integer(v, GRADES.start, GRADES.stop - 1),
            "kind": _log_kind,
            "review_day": lambda v: self.day(v, latest=self.latest_day, nullable=False),
            "reviewed_at": lambda v: self.moment(v, nullable=False),
            "answer_ms": lambda v: _integer(v, 0, MAX_ANSWER_MS),
            "easiness_before": _easiness,
            "repetitions_before": lambda v: _integer(v, 0, MAX_COUNTER),
            "interval_before": lambda v: _integer(v, 0, scheduling.MAX_INTERVAL),
            "due_before": lambda v: self.day(v, latest=self.latest_due, nullable=True),
            "easiness_after": _easiness,
            "repetitions_after": lambda v: _integer(v, 0, MAX_COUNTER),
            "interval_after": lambda v: _integer(v, 0, scheduling.MAX_INTERVAL),
            "due_after": lambda v: self.day(v, latest=self.latest_due, nullable=False),
            "lapses_before": lambda v: _integer(v, 0, MAX_COUNTER),
            "drill_on_before": lambda v: self.day(v, latest=self.latest_day, nullable=True),
            "last_reviewed_at_before": lambda v: self.moment(v, nullable=True),
            "progress_created": _boolean,
            "made_leech": _boolean,
        }


def _log_kind(value) -> str:
    text = _text(value)
    if text not in KINDS:
        raise Problem(f"must be one of {', '.join(KINDS)}, not {text[:20]!r}")
    return text


def card_reference(value) -> tuple[str, str, str]:
    """(deck slug, import key or "", question): how a card is found again."""
    if not isinstance(value, dict):
        raise Problem(f"must be an object with deck, source_key and question, not {_kind(value)}")
    parts = []
    for name, check in (
        ("deck", lambda v: _text(v, limit=MAX_DECK_SLUG)),
        ("source_key", lambda v: "" if v is None else _text(v, limit=MAX_SOURCE_KEY)),
        ("question", _text),
    ):
        if name not in value:
            raise Problem(f"{name}: missing")
        try:
            parts.append(check(value[name]))
        except Problem as problem:
            raise Problem(f"{name}: {problem}") from None
    if not DECK_SLUG.fullmatch(parts[0]):
        raise Problem(f"deck: must be a deck slug (letters, digits, - and _), not {parts[0][:40]!r}")
    return tuple(parts)


def problems_in(data, *, now: dt.datetime) -> tuple[list[str], list[tuple[str, int, tuple]]]:
    """Every problem in an export's progress and review log, as
    "progress[3].easiness: must be ...", and for the entries whose card
    reference is well formed, (section, index, reference) to look up.

    `now` is the restore time (aware): nothing in the file can come after
    the day it is restored, bar time zones, or a due date further out than
    the longest interval from then."""
    if not isinstance(data, dict):
        return [f"the file must hold a JSON object, not {_kind(data)}"], []
    rules = _Rules(now)
    problems: list[str] = []
    references: list[tuple[str, int, tuple]] = []
    for section, checks in (("progress", rules.progress()), ("review_log", rules.log())):
        if section not in data:
            problems.append(f"{section}: missing (an export always has it, even empty: [])")
            continue
        rows = data[section]
        if not isinstance(rows, list):
            problems.append(f"{section}: must be a list, not {_kind(rows)}")
            continue
        seen: dict[tuple, int] = {}
        for index, row in enumerate(rows):
            place = f"{section}[{index}]"
            if not isinstance(row, dict):
                problems.append(f"{place}: must be an object, not {_kind(row)}")
                continue
            values = {}
            for name in ("card", *checks):
                if name not in row:
                    problems.append(f"{place}.{name}: missing")
                    continue
                try:
                    values[name] = card_reference(row[name]) if name == "card" else checks[name](row[name])
                except Problem as problem:
                    problems.append(f"{place}.{name}: {problem}")
            if "card" in values:
                references.append((section, index, values["card"]))
                if section == "progress":
                    if values["card"] in seen:
                        problems.append(f"{place}.card: the same card as progress[{seen[values['card']]}]")
                    seen.setdefault(values["card"], index)
            problems += [f"{place}: {problem}" for problem in _consistency(section, values)]
    return problems, references


def _consistency(section: str, values: dict) -> list[str]:
    """Rules between fields that grading always keeps."""
    problems = []
    if section == "progress":
        if values.get("due", 0) is None and (values.get("interval") or values.get("repetitions")):
            problems.append("a card never answered (due null) has interval 0 and repetitions 0")
        if values.get("due") and values.get("interval") == 0:
            problems.append("an answered card (due set) has an interval of at least 1 day")
    else:
        if values.get("interval_after") == 0:
            problems.append("interval_after: an answer schedules at least 1 day ahead")
    return problems
