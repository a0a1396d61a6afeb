import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from quiz import services, stats
from quiz.models import CardProgress, ReviewLog
from quiz.queue import build_queue
from quiz.services import ImportProblem, import_progress

pytestmark = pytest.mark.django_db


def review(user, card, grade, at=None):
    progress = CardProgress.objects.filter(user=user, card=card).first()
    version = progress.shown_version if progress else 0
    return services.record_review(user=user, card_id=card.pk, grade=grade, shown_version=version, answer_ms=4000, now=at)


def make_logs(user, cards, days, start):
    """One review a day per card, backdated through SM-2 states."""
    for offset in range(days):
        moment = start + dt.timedelta(days=offset)
        for card in cards:
            review(user, card, 4 if offset % 5 else 2, at=moment)


# Dashboard ---------------------------------------------------------------------


def test_dashboard_numbers_per_deck_and_today(user, user_client, deck_with_cards):
    deck_a = deck_with_cards(3, name="Alpha", slug="alpha")
    deck_b = deck_with_cards(2, name="Beta", slug="beta")
    a1, a2, a3 = deck_a.cards.order_by("position")
    review(user, a1, 5)
    review(user, a2, 2)  # drilled today
    services.hide_card(user=user, card=a3, action="suspend")
    day = user.review_day()
    rows = {row.deck.slug: row for row in stats.deck_rows(user, day=day, new_quota=18)}
    assert (rows["alpha"].due, rows["alpha"].new, rows["alpha"].learning, rows["alpha"].suspended) == (0, 0, 1, 1)
    assert (rows["beta"].due, rows["beta"].new) == (0, 2)
    today = stats.today_numbers(user, day=day)
    assert (today.reviewed, today.correct_percent, today.new_seen, today.time_ms) == (2, 50, 2, 8000)
    html = user_client.get(reverse("home")).content.decode()
    assert '<dd data-testid="reviewed-today">2</dd>' in html
    assert '<td class="num" data-label="New today">2</td>' in html and reverse("review_deck", args=[deck_b.slug]) in html
    totals = html.split("<tfoot>")[1].split("</tfoot>")[0]
    assert (
        'All decks</th><td class="num" data-label="Due">0</td><td class="num" data-label="New today">2</td>'
        '<td class="num" data-label="Learning">1</td><td class="num" data-label="Suspended">1</td>'
    ) in totals


def test_home_says_when_decks_share_the_new_card_limit(make_user, client, deck_with_cards):
    user = make_user(new_cards_per_day=3)
    client.force_login(user)
    deck_with_cards(2)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="new-limit-note"' not in page  # one deck's 2 fit in the 3
    deck_with_cards(2)
    page = client.get(reverse("home")).content.decode()
    assert "your 3 new cards a day are shared by all decks" in page
    totals = page.split("<tfoot>")[1].split("</tfoot>")[0]
    assert '<td class="num" data-label="New today">3</td>' in totals


def test_dashboard_counts_what_the_review_queue_will_show(user, deck_with_cards):
    """A buried card waits until tomorrow: neither due nor in today's drill."""
    deck = deck_with_cards(2)
    first, second = deck.cards.order_by("position")
    review(user, first, 2)  # owed again today
    services.hide_card(user=user, card=first, action="bury")
    day = user.review_day()
    (row,) = stats.deck_rows(user, day=day, new_quota=20)
    queue = build_queue(user, day=day, deck=deck)
    assert (row.due, row.learning) == (queue.due_left, queue.drill_left) == (0, 0)
    assert queue.next.card == second


def test_streak_counts_consecutive_review_days(user, other_user, make_card):
    card = make_card()
    day = dt.date(2026, 5, 20)

    def log(who, offset):
        ReviewLog.objects.create(
            user=who, card=card, grade=4, kind="review", review_day=day + dt.timedelta(days=offset),
            reviewed_at=dt.datetime(2026, 5, 20, tzinfo=dt.UTC), easiness_before=Decimal("2.5"), repetitions_before=1,
            interval_before=1, easiness_after=Decimal("2.5"), repetitions_after=2, interval_after=6, due_after=day,
        )

    for offset in (0, 1, 2, 5, 5, 5, 6, 7, 8, 9):  # runs of 3 and 5 days, one day with three answers
        log(user, offset)
    for offset in (3, 4, 12):  # someone else's days bridge nothing
        log(other_user, offset)
    last = day + dt.timedelta(days=9)
    assert stats.review_days(user) == [day + dt.timedelta(days=n) for n in (0, 1, 2, 5, 6, 7, 8, 9)]
    assert stats.streak(user, day=last) == stats.Streak(current=5, longest=5)
    assert stats.streak(user, day=last + dt.timedelta(days=1)).current == 5  # today still open
    assert stats.streak(user, day=last + dt.timedelta(days=2)).current == 0
    assert stats.streak(user, day=last + dt.timedelta(days=2)).longest == 5


def test_days_and_streak_follow_the_users_zone_across_a_dst_change(make_user, make_card):
    # New York leaves summer time at 02:00 on 1 November 2026; the day starts at 04:00.
    user = make_user(time_zone="America/New_York", day_starts_at=4)
    card = make_card()
    zone = zoneinfo.ZoneInfo("America/New_York")
    moments = [
        dt.datetime(2026, 10, 31, 23, 0, tzinfo=zone),  # 31 Oct
        dt.datetime(2026, 11, 1, 1, 30, fold=0, tzinfo=zone),  # EDT, before rollover: 31 Oct
        dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=zone),  # EST, the repeated hour: 31 Oct
        dt.datetime(2026, 11, 1, 3, 59, tzinfo=zone),  # still 31 Oct
        dt.datetime(2026, 11, 1, 4, 0, tzinfo=zone),  # 1 Nov
        dt.datetime(2026, 11, 2, 3, 0, tzinfo=zone),  # 1 Nov
    ]
    days = []
    for moment in moments:
        with time_machine.travel(moment, tick=False):
            days.append(user.review_day())
            review(user, card, 5)
    assert days == [dt.date(2026, 10, 31)] * 4 + [dt.date(2026, 11, 1)] * 2
    assert list(ReviewLog.objects.order_by("id").values_list("review_day", flat=True)) == days
    with time_machine.travel(dt.datetime(2026, 11, 2, 12, 0, tzinfo=zone), tick=False):
        assert stats.streak(user, day=user.review_day()) == stats.Streak(current=2, longest=2)


# Statistics page -----------------------------------------------------------------


def test_stats_page_shows_every_chart_from_the_users_own_reviews(user, user_client, other_user, deck_with_cards):
    deck = deck_with_cards(4)
    cards = list(deck.cards.order_by("position"))
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    make_logs(user, cards[:2], 40, start)
    review(other_user, cards[3], 0)
    day = user.review_day()
    response = user_client.get(reverse("stats"))
    html = response.content.decode()
    today_count = ReviewLog.objects.filter(user=user, review_day=day).count()
    assert f'data-day="{day:%Y-%m-%d}" data-count="{today_count}"' in html
    assert "heat-today" in html
    assert html.count("<svg") == 7  # heatmap, forecast, reviews, retention, intervals, EF, buttons
    for title in ("Retention: answers graded 3 or better", "Forecast: cards due in the next 30 days", "Reviews per day, last 30 days", "Intervals of your cards", "Easiness factors of your cards", "Answer buttons"):
        assert f">{title}</title>" in html
    assert "<title>" in html and "Days from today" in html  # tooltips and axis labels
    buttons = dict(stats.answer_buttons(user))
    assert buttons[0] == 0 and buttons[4] + buttons[2] == ReviewLog.objects.filter(user=user).count()
    rows = stats.retention(user, day=day)
    assert [row.period_days for row in rows] == [7, 30, 365]
    assert rows[2].young_total + rows[2].mature_total == ReviewLog.objects.filter(user=user, kind="review").count()
    # The other user's blackout is nowhere in these numbers.
    assert ReviewLog.objects.filter(user=other_user).count() == 1
    assert stats.hardest_cards(user)[0][0].card in cards[:2]


def test_forecast_puts_overdue_on_day_zero(user, deck_with_cards):
    deck = deck_with_cards(3)
    a, b, c = deck.cards.order_by("position")
    day = user.review_day()
    CardProgress.objects.create(user=user, card=a, due=day - dt.timedelta(days=3), interval=1, repetitions=1)
    CardProgress.objects.create(user=user, card=b, due=day + dt.timedelta(days=1), interval=1, repetitions=1)
    CardProgress.objects.create(user=user, card=c, due=day + dt.timedelta(days=40), interval=40, repetitions=3)
    counts = stats.forecast(user, day=day)
    assert counts[:3] == [1, 1, 0] and sum(counts) == 2 and len(counts) == 30


def test_distributions(user, deck_with_cards):
    deck = deck_with_cards(3)
    a, b, c = deck.cards.order_by("position")
    day = user.review_day()
    CardProgress.objects.create(user=user, card=a, due=day, interval=1, easiness=Decimal("1.30"), repetitions=1)
    CardProgress.objects.create(user=user, card=b, due=day, interval=45, easiness=Decimal("2.50"), repetitions=4)
    CardProgress.objects.create(user=user, card=c, due=None)  # buried before its first answer: not counted
    assert dict(stats.interval_distribution(user)) == {"1d": 1, "2–3d": 0, "4–7d": 0, "8–14d": 0, "15–30d": 0, "31–90d": 1, "91–180d": 0, "181–365d": 0, "366d+": 0}
    easiness = dict(stats.easiness_distribution(user))
    assert easiness["1.30–1.50"] == 1 and easiness["2.50–2.70"] == 1 and sum(easiness.values()) == 2


@pytest.mark.parametrize("days", [3, 60])
def test_stats_page_query_count_is_fixed(user, user_client, deck_with_cards, django_assert_num_queries, days):
    deck = deck_with_cards(5)
    make_logs(user, list(deck.cards.all()), days, dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
    # Session, user, decks and tags for the pickers, then one aggregate per chart.
    with django_assert_num_queries(13):
        assert user_client.get(reverse("stats")).status_code == 200
    with django_assert_num_queries(14):  # and the deck
        assert user_client.get(reverse("stats"), {"deck": deck.slug}).status_code == 200


def test_card_page_shows_only_the_viewers_history(user, user_client, other_user, make_card):
    card = make_card()
    review(user, card, 4)
    review(other_user, card, 1)
    html = user_client.get(card.get_absolute_url()).content.decode()
    progress = CardProgress.objects.get(user=user, card=card)
    assert f'<time datetime="{progress.due:%Y-%m-%d}">' in html
    assert html.count('<td class="num">4 · Good</td>') == 1
    assert '<td class="num">1 · Wrong</td>' not in html


# Export, re-import, reset, delete ------------------------------------------------------


def export_json(client) -> dict:
    response = client.get(reverse("export_data"))
    assert response["Content-Disposition"].startswith('attachment; filename="flashcards-')
    return json.loads(b"".join(response.streaming_content))


def test_export_round_trips_exactly(user, user_client, other_user, seed_deck, tmp_path):
    cards = list(seed_deck.cards.order_by("position")[:4])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=20)
    make_logs(user, cards, 20, start)
    services.hide_card(user=user, card=cards[3], action="bury")
    review(other_user, cards[0], 3)
    data = export_json(user_client)
    assert data["format"] == "flashcards-export" and data["version"] == 1
    assert data["user"]["username"] == user.username
    assert len(data["review_log"]) == ReviewLog.objects.filter(user=user).count() == 80

    def snapshot(owner):
        progress = list(CardProgress.objects.filter(user=owner).order_by("card__position").values(
            "card_id", "easiness", "repetitions", "interval", "due", "lapses", "suspended", "buried_until", "drill_on", "last_reviewed_at", "version"))
        logs = list(ReviewLog.objects.filter(user=owner).order_by("reviewed_at", "id").values(
            "card_id", "grade", "kind", "review_day", "reviewed_at", "answer_ms", "easiness_before", "easiness_after",
            "interval_before", "interval_after", "due_before", "due_after", "repetitions_after", "lapses_before"))
        return progress, logs

    before = snapshot(user)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data))
    # A fresh install: the same seed deck, the user's data gone.
    CardProgress.objects.filter(user=user).delete()
    ReviewLog.objects.filter(user=user).delete()
    call_command("import_progress", str(path), "--user", user.username, stdout=open("/dev/null", "w"))
    assert snapshot(user) == before
    assert ReviewLog.objects.filter(user=other_user).count() == 1

    with pytest.raises(CommandError, match="already has progress"):
        call_command("import_progress", str(path), "--user", user.username)
    call_command("import_progress", str(path), "--user", user.username, "--replace", stdout=open("/dev/null", "w"))
    assert snapshot(user) == before


def test_import_refuses_unknown_cards_and_writes_nothing(user, make_card):
    card = make_card()
    data = {"format": "flashcards-export", "version": 1, "progress": [], "review_log": [
        {"card": {"deck": "gone", "source_key": "nope", "question": "Who?"}, "grade": 4},
    ]}
    with pytest.raises(ImportProblem, match="cards not found in this install: gone: Who?"):
        import_progress(user=user, data=data)
    with pytest.raises(ImportProblem, match="not a flashcards-export version 1 file"):
        import_progress(user=user, data={"format": "other"})
    assert not ReviewLog.objects.exists() and card.pk


def test_reset_deck_forgets_only_that_deck(user, user_client, other_user, deck_with_cards):
    deck_a = deck_with_cards(2)
    deck_b = deck_with_cards(2)
    for card in [*deck_a.cards.all(), *deck_b.cards.all()]:
        review(user, card, 4)
    review(other_user, deck_a.cards.first(), 4)
    page = user_client.get(reverse("reset_deck", args=[deck_a.slug])).content.decode()
    assert "You have answered 2 cards in this deck." in page
    user_client.post(reverse("reset_deck", args=[deck_a.slug]))
    assert not CardProgress.objects.filter(user=user, card__deck=deck_a).exists()
    assert not ReviewLog.objects.filter(user=user, card__deck=deck_a).exists()
    assert CardProgress.objects.filter(user=user, card__deck=deck_b).count() == 2
    assert CardProgress.objects.filter(user=other_user).count() == 1


def test_delete_account_needs_the_password_and_removes_everything(user, user_client, make_card):
    review(user, make_card(), 4)
    response = user_client.post(reverse("delete_account"), {"password": "wrong"})
    assert "That is not your password." in response.content.decode()
    assert type(user).objects.filter(pk=user.pk).exists()
    response = user_client.post(reverse("delete_account"), {"password": "correct horse battery staple"}, follow=True)
    assert "and all its data are deleted" in response.content.decode()
    assert not type(user).objects.filter(pk=user.pk).exists()
    assert not CardProgress.objects.exists() and not ReviewLog.objects.exists()
    assert user_client.get(reverse("settings")).status_code == 302  # signed out


def test_export_and_stats_are_private(client, user):
    for name in ("export_data", "stats", "delete_account"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_bar_chart_geometry_stacks_and_groups():
    from quiz.charts import bar_chart

    stacked = bar_chart(title="t", x_label="x", y_label="y", labels=["a", "b"], series=[("s1", "one", [2, 0]), ("s2", "two", [2, 4])])
    a_one, a_two, b_two = stacked.bars
    assert a_one.x == a_two.x and a_two.y + a_two.height == a_one.y  # stacked on top
    assert b_two.height == a_one.height + a_two.height  # 4 = 2 + 2
    assert a_two.tooltip == "a: 2 two"
    grouped = bar_chart(title="t", x_label="x", y_label="y", labels=["a"], series=[("s1", "young", [50]), ("s2", "mature", [100])], grouped=True, y_max=100, unit="%")
    young, mature = grouped.bars
    assert young.x + young.width == mature.x and mature.height == 2 * young.height
    assert grouped.y_ticks[-1].text == "100%" and mature.tooltip == "a: 100% mature"


@pytest.mark.parametrize("peak", [1, 3, 4, 5, 7, 9, 10, 13, 22, 37, 99, 101, 450, 2501])
def test_every_gridline_is_labelled_with_the_whole_number_it_sits_at(peak):
    from quiz.charts import PLOT_TOP, bar_chart

    chart = bar_chart(title="t", x_label="x", y_label="y", labels=["a", "b"], series=[("bar", "cards", [peak, 1], "card")])
    plot_height = chart.plot_bottom - PLOT_TOP
    top = int(chart.y_ticks[-1].text)
    assert top >= peak and len(chart.y_ticks) <= 6
    for tick in chart.y_ticks:
        assert tick.text.isdigit()  # never 2.5 shown as "2"
        assert tick.position == round(chart.plot_bottom - plot_height * int(tick.text) / top, 1)
    # A bar of a gridline's value ends on that gridline: 7 below the line for 8, not under "7".
    bar = chart.bars[0]
    for tick in chart.y_ticks:
        if int(tick.text) == peak:
            assert bar.y == tick.position
    assert chart.bars[1].tooltip == "b: 1 card" and bar.tooltip == f"a: {peak} {'card' if peak == 1 else 'cards'}"


def test_long_axis_labels_are_slanted_and_given_room_short_ones_stay_level():
    from quiz.charts import bar_chart

    interval_labels = ["1d", "2–3d", "4–7d", "8–14d", "15–30d", "31–90d", "91–180d", "181–365d", "366d+"]
    slanted = bar_chart(title="t", x_label="Interval", y_label="Cards", labels=interval_labels, series=[("bar", "cards", [1] * 9)], width=420)
    assert slanted.slanted and slanted.bottom_margin > 40 and slanted.height > 220
    level = bar_chart(title="t", x_label="Grade", y_label="Answers", labels=list("012345"), series=[("bar", "answers", [1] * 6)], width=420)
    assert not level.slanted and level.height == 220


def test_the_heatmaps_last_month_label_fits_inside_it():
    from quiz.charts import heatmap, text_width

    chart = heatmap({}, today=dt.date(2026, 12, 2))  # December begins in the last column
    last = chart.month_labels[-1]
    assert last.text == "Dec" and last.position + text_width(last.text) <= chart.width


def test_hardest_cards_show_questions_as_text_not_markdown(user, user_client, make_card):
    card = make_card(question="How does `tf.function` speed up *eager* code?")
    now = dt.datetime.now(dt.UTC)
    review(user, card, 5, at=now - dt.timedelta(days=2))
    review(user, card, 0, at=now - dt.timedelta(days=1))  # a lapse, and EF below 2.5: on both lists
    html = user_client.get(reverse("stats")).content.decode()
    assert "How does tf.function speed up eager code?" in html
    assert "`tf.function`" not in html and "*eager*" not in html


@pytest.mark.parametrize("layout", ["four", "six"])
def test_grades_are_named_as_the_learners_own_buttons(make_user, client, make_card, layout):
    user = make_user(grade_buttons=layout)
    client.force_login(user)
    card = make_card()
    services.record_review(user=user, card_id=card.pk, grade=5, shown_version=0)
    services.record_review(user=user, card_id=card.pk, grade=2, shown_version=1)  # no four-button grade: given before a switch
    buttons_table = client.get(reverse("stats")).content.decode().split('id="buttons-heading"')[1].split("</details>")[0]
    history = client.get(card.get_absolute_url()).content.decode()
    if layout == "four":
        for name in ("1 · Again", "3 · Hard", "4 · Good", "5 · Easy", "2 · Almost"):
            assert name in buttons_table, name
        assert "0 · Blackout" not in buttons_table  # no button, never given
        assert ">5 · Easy<" in history and ">2 · Almost<" in history
    else:
        for name in ("0 · Blackout", "1 · Wrong", "2 · Almost", "3 · Hard", "4 · Good", "5 · Perfect"):
            assert name in buttons_table, name
        assert ">5 · Perfect<" in history
