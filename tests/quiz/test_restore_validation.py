"""`manage.py import_progress` restores only values grading could have
produced and can go on from; anything else is listed, FILE: place: problem,
and nothing is written."""

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from quiz import export, export_validation, scheduling, services
from quiz.export import export_chunks
from quiz.models import CardProgress, ReviewLog

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)  # for the pure checks only


@pytest.fixture
def exported(make_user, seed_deck) -> dict:
    """A real export: answers, a drill, a bury."""
    author = make_user()
    cards = list(seed_deck.cards.order_by("position")[:3])
    services.record_review(user=author, card_id=cards[0].pk, grade=5, shown_version=0)
    services.record_review(user=author, card_id=cards[1].pk, grade=2, shown_version=0)
    services.hide_card(user=author, card=cards[2], action="bury")
    return json.loads("".join(export_chunks(author)))


@pytest.fixture
def restorer(make_user):
    return make_user()


def restore(tmp_path, data, user, *extra) -> str:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    call_command("import_progress", str(path), "--user", user.username, *extra, stdout=open("/dev/null", "w"))
    return str(path)


def refused(tmp_path, data, user) -> list[str]:
    path = tmp_path / "export.json"
    with pytest.raises(CommandError) as error:
        restore(tmp_path, data, user)
    assert not CardProgress.objects.filter(user=user).exists()
    assert not ReviewLog.objects.filter(user=user).exists()
    lines = str(error.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return [line.removeprefix(f"{path}: ") for line in lines]


def setting(section: str, field: str, value, index: int = 0):
    def change(data):
        data[section][index][field] = value

    return change


def card_setting(field: str, value):
    def change(data):
        data["progress"][0]["card"][field] = value

    return change


def _rewrite_day(section: str, field: str, spell):
    def change(data):
        row = data[section][0]
        row[field] = spell(dt.date.fromisoformat(row[field]))

    return change


def _same_card(row: dict, **card) -> dict:
    assert row["card"]["source_key"], "the seed's cards have import keys"
    again = copy.deepcopy(row)
    again["card"].update(card)
    return again


BAD = {
    # The values the issue found accepted, which then made grading fail.
    "easiness -5.00": (setting("progress", "easiness", "-5.00"), "progress[0].easiness: must be a decimal with two places"),
    "easiness 1.29": (setting("progress", "easiness", "1.29"), "progress[0].easiness: must be from 1.30 to 99.89, not 1.29"),
    "easiness 99.99": (setting("progress", "easiness", "99.99"), "progress[0].easiness: must be from 1.30 to 99.89"),
    "easiness abc": (setting("progress", "easiness", "abc"), "progress[0].easiness: must be a decimal with two places"),
    "easiness a number": (setting("progress", "easiness", 2.5), "progress[0].easiness: must be a string, not a number"),
    "kind bogus": (setting("review_log", "kind", "bogus"), "review_log[0].kind: must be one of new, review, drill, ahead, cram, mistakes, not 'bogus'"),
    "due 0001-01-01": (setting("progress", "due", "0001-01-01"), "progress[0].due: must be from 2000-01-01 to"),
    "due 9999-12-31": (setting("progress", "due", "9999-12-31"), "progress[0].due: must be from 2000-01-01 to"),
    "due not a date": (setting("progress", "due", "tomorrow"), "progress[0].due: must be a date written YYYY-MM-DD"),
    # Other ISO 8601 spellings of a real, in-range day, which Python reads.
    "due without dashes": (
        _rewrite_day("progress", "due", lambda day: day.strftime("%Y%m%d")),
        "progress[0].due: must be a date written YYYY-MM-DD, not '20",
    ),
    "due as a week day": (
        _rewrite_day("progress", "due", lambda day: "{}-W{:02}-{}".format(*day.isocalendar())),
        "progress[0].due: must be a date written YYYY-MM-DD, not '20",
    ),
    "review_day without dashes": (
        _rewrite_day("review_log", "review_day", lambda day: day.strftime("%Y%m%d")),
        "review_log[0].review_day: must be a date written YYYY-MM-DD, not '20",
    ),
    "version 2147483647": (setting("progress", "version", 2**31 - 1), "progress[0].version: must be from 1 to 1000000000, not 2147483647"),
    "repetitions 2147483647": (setting("progress", "repetitions", 2**31 - 1), "progress[0].repetitions: must be from 0 to 1000000000"),
    "lapses 2147483647": (setting("progress", "lapses", 2**31 - 1), "progress[0].lapses: must be from 0 to 1000000000"),
    # One past the largest counter accepted, in each of its six fields.
    "version 1000000001": (setting("progress", "version", 10**9 + 1), "progress[0].version: must be from 1 to 1000000000, not 1000000001"),
    "repetitions 1000000001": (setting("progress", "repetitions", 10**9 + 1), "progress[0].repetitions: must be from 0 to 1000000000, not 1000000001"),
    "lapses 1000000001": (setting("progress", "lapses", 10**9 + 1), "progress[0].lapses: must be from 0 to 1000000000, not 1000000001"),
    "repetitions_before 1000000001": (
        setting("review_log", "repetitions_before", 10**9 + 1),
        "review_log[0].repetitions_before: must be from 0 to 1000000000, not 1000000001",
    ),
    "repetitions_after 1000000001": (
        setting("review_log", "repetitions_after", 10**9 + 1),
        "review_log[0].repetitions_after: must be from 0 to 1000000000, not 1000000001",
    ),
    "lapses_before 1000000001": (
        setting("review_log", "lapses_before", 10**9 + 1),
        "review_log[0].lapses_before: must be from 0 to 1000000000, not 1000000001",
    ),
    "interval 2147483647": (setting("progress", "interval", 2**31 - 1), "progress[0].interval: must be from 0 to 36500, not 2147483647"),
    "interval 2**40": (setting("progress", "interval", 2**40), "progress[0].interval: must be from 0 to 36500"),
    "interval as text": (setting("progress", "interval", "6"), "progress[0].interval: must be a whole number, not a string"),
    "interval a boolean": (setting("progress", "interval", True), "progress[0].interval: must be a whole number, not a boolean"),
    "grade 9": (setting("review_log", "grade", 9), "review_log[0].grade: must be from 0 to 5, not 9"),
    "answer_ms -5": (setting("review_log", "answer_ms", -5), "review_log[0].answer_ms: must be from 0 to 60000, not -5"),
    "answer_ms past the cap": (setting("review_log", "answer_ms", 60_001), "review_log[0].answer_ms: must be from 0 to 60000"),
    "suspended as text": (setting("progress", "suspended", "false"), "progress[0].suspended: must be true or false, not a string"),
    "made_leech as 0": (setting("review_log", "made_leech", 0), "review_log[0].made_leech: must be true or false, not a number"),
    "reviewed_at naive": (setting("review_log", "reviewed_at", "2026-11-30T10:00:00"), "review_log[0].reviewed_at: must give its time zone offset"),
    # PostgreSQL refuses a time zone offset of 16 hours or more, or with
    # seconds; none in use is past 14 hours or has seconds.
    "reviewed_at offset +16:00": (
        setting("review_log", "reviewed_at", "2026-11-30T10:00:00+16:00"),
        "review_log[0].reviewed_at: must give its time zone offset in whole minutes from -14:00 to +14:00, not '2026-11-30T10:00:00+16:00'",
    ),
    "reviewed_at offset +14:01": (
        setting("review_log", "reviewed_at", "2026-11-30T10:00:00+14:01"),
        "review_log[0].reviewed_at: must give its time zone offset in whole minutes from -14:00 to +14:00",
    ),
    "last_reviewed_at offset -14:01": (
        setting("progress", "last_reviewed_at", "2026-11-30T10:00:00-14:01"),
        "progress[0].last_reviewed_at: must give its time zone offset in whole minutes from -14:00 to +14:00",
    ),
    "last_reviewed_at_before offset with seconds": (
        setting("review_log", "last_reviewed_at_before", "2026-11-30T10:00:00+05:30:15.123456", index=1),
        "review_log[1].last_reviewed_at_before: must give its time zone offset in whole minutes from -14:00 to +14:00",
    ),
    "reviewed_at offset with whole seconds": (
        setting("review_log", "reviewed_at", "2026-11-30T10:00:00+05:30:15"),
        "review_log[0].reviewed_at: must give its time zone offset in whole minutes from -14:00 to +14:00",
    ),
    "reviewed_at in the future": (
        setting("review_log", "reviewed_at", (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()),
        "review_log[0].reviewed_at: must be from 2000-01-01",
    ),
    "review_day in the future": (
        setting("review_log", "review_day", (dt.date.today() + dt.timedelta(days=3)).isoformat()),
        f"review_log[0].review_day: must be from 2000-01-01 to {dt.date.today() + dt.timedelta(days=1)}",
    ),
    "due_after null": (setting("review_log", "due_after", None), "review_log[0].due_after: must be a string, not null"),
    "missing field": (lambda data: data["progress"][0].pop("lapses"), "progress[0].lapses: missing"),
    "card as a string": (setting("progress", "card", "What is a tensor?"), "progress[0].card: must be an object with deck, source_key and question, not a string"),
    "card deck a number": (card_setting("deck", 5), "progress[0].card: deck: must be a string, not a number"),
    "card deck not a slug": (card_setting("deck", "a b"), "progress[0].card: deck: must be a deck slug"),
    "card question with NUL": (card_setting("question", "What\x00?"), "progress[0].card: question: must not contain a NUL character"),
    "card question a lone surrogate": (card_setting("question", "\ud800"), "progress[0].card: question: must be valid Unicode"),
    "card without question": (lambda data: data["progress"][0]["card"].pop("question"), "progress[0].card: question: missing"),
    "duplicate progress": (lambda data: data["progress"].append(copy.deepcopy(data["progress"][0])), "progress[3].card: the same card as progress[0]"),
    # Written differently, resolved to one card: the restore would break the
    # one-progress-row-per-card rule halfway through writing.
    "the same card by import key and by question": (
        lambda data: data["progress"].append(_same_card(data["progress"][0], source_key=None)),
        "progress[3].card: the same card as progress[0]",
    ),
    "the same import key with another question": (
        lambda data: data["progress"].append(_same_card(data["progress"][0], question="Another question?")),
        "progress[3].card: the same card as progress[0]",
    ),
    "progress entry a list": (lambda data: data["progress"].append([1, 2]), "progress[3]: must be an object, not a list"),
    "progress null": (lambda data: data.update(progress=None), "progress: must be a list, not null"),
    "review_log missing": (lambda data: data.pop("review_log"), "review_log: missing"),
    "never answered with an interval": (
        lambda data: data["progress"][2].update(interval=6),
        "progress[2]: a card never answered (due null) has interval 0 and repetitions 0",
    ),
    "answered with interval 0": (setting("progress", "interval", 0), "progress[0]: an answered card (due set) has an interval of at least 1 day"),
    "unknown card": (card_setting("source_key", "gone"), None),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_export_is_refused_with_its_place_and_writes_nothing(tmp_path, exported, restorer, case):
    change, expected = BAD[case]
    data = copy.deepcopy(exported)
    change(data)
    if case == "unknown card":
        data["progress"][0]["card"]["deck"] = "gone"
        expected = "cards not found in this install: gone: "
    problems = refused(tmp_path, data, restorer)
    assert any(problem.startswith(expected) for problem in problems), problems


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, expected",
    [
        ("[]", "not a flashcards-export version 1 file"),
        ("null", "not a flashcards-export version 1 file"),
        ('{"format": "flashcards-export", "version": true, "progress": [], "review_log": []}', "not a flashcards-export version 1 file"),
        ("{", "cannot read the export"),
        # Python's JSON reader recurses once per level and gives up past a
        # thousand or so; an export is four levels deep.
        ("[" * 100_000, "cannot read the export: nested too deeply to be an export"),
        ("[" * 100_000 + "]" * 100_000, "cannot read the export: nested too deeply to be an export"),
        ('{"progress": ' * 100_000 + "[]" + "}" * 100_000, "cannot read the export: nested too deeply to be an export"),
    ],
    ids=["list", "null", "version true", "not JSON", "unclosed nesting", "closed nesting", "nested objects"],
)
def test_a_file_that_is_not_an_export_is_refused(tmp_path, restorer, text, expected):
    path = tmp_path / "export.json"
    path.write_text(text)
    with pytest.raises(CommandError, match=f"^{path}: {expected}"):
        call_command("import_progress", str(path), "--user", restorer.username)


@pytest.mark.django_db
def test_an_export_saved_with_a_byte_order_mark_restores(tmp_path, exported, restorer):
    """Some Windows editors add one when the file is saved again."""
    path = tmp_path / "export.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(exported).encode())
    call_command("import_progress", str(path), "--user", restorer.username, stdout=open("/dev/null", "w"))
    again = json.loads("".join(export_chunks(restorer)))
    assert again["progress"] == exported["progress"] and again["review_log"] == exported["review_log"]


@pytest.mark.django_db
def test_every_problem_is_listed_up_to_twenty(tmp_path, exported, restorer):
    data = copy.deepcopy(exported)
    data["progress"][0].update(easiness="9", interval=-1, version=0)
    assert refused(tmp_path, data, restorer) == [
        'progress[0].easiness: must be a decimal with two places such as "2.50", not \'9\'',
        "progress[0].interval: must be from 0 to 36500, not -1",
        "progress[0].version: must be from 1 to 1000000000, not 0",
    ]
    data["review_log"] = [{"card": "?"}] * 30
    problems = refused(tmp_path, data, restorer)
    assert len(problems) == services.MAX_IMPORT_PROBLEMS_SHOWN + 1
    assert problems[-1] == f"... and {3 + 30 * 19 - services.MAX_IMPORT_PROBLEMS_SHOWN} more problems"


@pytest.mark.django_db
def test_one_card_named_three_times_is_reported_once_per_extra_entry(tmp_path, exported, restorer):
    data = copy.deepcopy(exported)
    by_question = _same_card(data["progress"][1], source_key=None)
    data["progress"] += [by_question, copy.deepcopy(by_question)]
    assert refused(tmp_path, data, restorer) == [
        "progress[4].card: the same card as progress[3]",
        "progress[3].card: the same card as progress[1]",
    ]


@pytest.mark.django_db
def test_a_valid_export_still_round_trips_exactly(tmp_path, exported, restorer):
    restore(tmp_path, exported, restorer)
    again = json.loads("".join(export_chunks(restorer)))
    assert again["progress"] == exported["progress"] and again["review_log"] == exported["review_log"]


@pytest.mark.django_db
def test_the_edges_of_every_range_restore_and_grade_on(tmp_path, client, exported, restorer):
    """The largest values accepted still leave room for a grade: no counter,
    version or easiness overflows its column (PostgreSQL checks)."""
    data = copy.deepcopy(exported)
    latest_due = dt.date.today() + dt.timedelta(days=scheduling.MAX_INTERVAL)
    data["progress"][0].update(
        easiness=str(export_validation.MAX_EASINESS), repetitions=export_validation.MAX_COUNTER,
        interval=scheduling.MAX_INTERVAL, lapses=export_validation.MAX_COUNTER,
        version=export_validation.MAX_COUNTER, due=dt.date.today().isoformat(), drill_on=None,
    )
    data["progress"][1].update(easiness="1.30", due=latest_due.isoformat())
    restore(tmp_path, data, restorer)
    progress = CardProgress.objects.get(user=restorer, version=export_validation.MAX_COUNTER)
    client.force_login(restorer)
    response = client.post(reverse("review_grade"), {"card": progress.card_id, "version": progress.version, "grade": 5})
    assert response.status_code == 302 and response["X-Review-Recorded"] == "1"
    progress.refresh_from_db()
    assert progress.version == export_validation.MAX_COUNTER + 1 and progress.repetitions == export_validation.MAX_COUNTER + 1
    assert progress.easiness == Decimal("99.99") and progress.interval == scheduling.MAX_INTERVAL


@pytest.mark.django_db
def test_times_with_any_real_time_zone_offset_restore_as_the_same_moment(tmp_path, exported, restorer):
    data = copy.deepcopy(exported)
    furthest_east, furthest_west, nepal = "2025-06-01T23:59:00+14:00", "2025-06-01T00:00:00-14:00", "2025-06-01T12:00:00+05:45"
    data["progress"][0]["last_reviewed_at"] = furthest_east
    data["review_log"][0]["reviewed_at"] = furthest_west
    data["review_log"][1]["last_reviewed_at_before"] = nepal
    restore(tmp_path, data, restorer)
    again = json.loads("".join(export_chunks(restorer)))
    moment = dt.datetime.fromisoformat
    assert moment(again["progress"][0]["last_reviewed_at"]) == moment(furthest_east)
    assert moment(again["review_log"][0]["reviewed_at"]) == moment(furthest_west)
    assert moment(again["review_log"][1]["last_reviewed_at_before"]) == moment(nepal)


# PostgreSQL's integer, the column of every counter and version; SQLite
# would store more, so the tests compare with it instead.
INTEGER_COLUMN_MAX = 2**31 - 1


@pytest.mark.django_db
def test_a_card_restored_at_the_largest_counters_goes_on_taking_actions(tmp_path, exported, restorer):
    """Every suspend, unsuspend and grade adds 1 to the version, a grade to
    repetitions or lapses: a card restored at the top of the range has room
    for far more of them than one person makes, not one step."""
    top = export_validation.MAX_COUNTER
    data = copy.deepcopy(exported)
    data["progress"][0].update(version=top, repetitions=top, lapses=top)
    data["review_log"][0].update(repetitions_before=top, repetitions_after=top, lapses_before=top)
    restore(tmp_path, data, restorer)
    progress = CardProgress.objects.get(user=restorer, version=top)
    card = progress.card
    for _ in range(50):
        services.hide_card(user=restorer, card=card, action="suspend")
        services.hide_card(user=restorer, card=card, action="unsuspend")
    assert services.record_review(user=restorer, card_id=card.pk, grade=5, shown_version=top + 100).recorded
    progress.refresh_from_db()
    assert progress.repetitions == top + 1
    assert services.record_review(user=restorer, card_id=card.pk, grade=1, shown_version=top + 101).recorded
    progress.refresh_from_db()
    assert progress.lapses == top + 1 and progress.suspended  # a leech, as any card past 8 lapses
    services.hide_card(user=restorer, card=card, action="unsuspend")
    progress.refresh_from_db()
    assert progress.version == top + 103
    assert max(progress.version, progress.lapses, progress.repetitions) <= INTEGER_COLUMN_MAX
    assert INTEGER_COLUMN_MAX - top > 10**9  # the headroom: a billion more actions


def test_the_rules_mirror_the_models_and_the_export():
    from quiz.models import ReviewLog as Log

    assert export_validation.KINDS == tuple(Log.Kind.values)
    assert export_validation.MAX_ANSWER_MS == services.MAX_ANSWER_MS
    assert export_validation.PROGRESS_FIELDS == export.PROGRESS_FIELDS
    assert export_validation.LOG_FIELDS == export.LOG_FIELDS


def _row(state: scheduling.State, version: int) -> dict:
    return {
        "card": {"deck": "d", "source_key": None, "question": "Q?"},
        "easiness": str(state.easiness), "repetitions": state.repetitions, "interval": state.interval,
        "due": state.due.isoformat() if state.due else None, "lapses": 0, "suspended": False,
        "buried_until": None, "drill_on": None, "last_reviewed_at": None, "version": version,
    }


@given(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=200))
def test_every_state_grading_reaches_passes_the_check(grades):
    state, day = scheduling.initial_state(), NOW.date() - dt.timedelta(days=1)
    for grade in grades:
        state = scheduling.review(state, grade, day)
    problems, _ = export_validation.problems_in({"progress": [_row(state, len(grades))], "review_log": []}, now=NOW)
    assert problems == []
