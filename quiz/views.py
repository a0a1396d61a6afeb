import datetime as dt
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from quiz import anki, charts, scheduling, services, stats
from quiz.forms import GradeForm, HideForm
from quiz.importing import export_deck
from quiz.models import Card, CardProgress, Deck, Image, ReviewLog
from quiz.queue import Queue, QueueItem, build_queue, queue_item_for


@login_not_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "quiz/welcome.html")
    user = request.user
    day = user.review_day()
    queue = build_queue(user, day=day)
    deck_rows = stats.deck_rows(user, day=day, new_quota=queue.new_left)
    context = {
        "queue": queue,
        "deck_rows": deck_rows,
        "deck_totals": {
            "due": sum(row.due for row in deck_rows),
            "new": queue.new_left,  # the daily limit applies across decks
            "learning": sum(row.learning for row in deck_rows),
            "suspended": sum(row.suspended for row in deck_rows),
        },
        "today": stats.today_numbers(user, day=day),
        "streak": stats.streak(user, day=day),
    }
    return render(request, "quiz/home.html", context)


@require_safe
def deck_list(request: HttpRequest) -> HttpResponse:
    decks = Deck.objects.annotate(card_count=Count("cards")).order_by("name")
    return render(request, "quiz/deck-list.html", {"decks": decks, "nav": "decks"})


@require_safe
def deck_detail(request: HttpRequest, slug: str) -> HttpResponse:
    deck = get_object_or_404(Deck, slug=slug)
    cards = deck.cards.order_by("position", "id").only("id", "position", "question", "question_html")
    return render(request, "quiz/deck-detail.html", {"deck": deck, "cards": cards, "nav": "decks"})


@require_safe
def deck_export(request: HttpRequest, slug: str) -> HttpResponse:
    """The deck as a Q&A Markdown file, the format `import_qa` reads."""
    deck = get_object_or_404(Deck, slug=slug)
    response = HttpResponse(export_deck(deck), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{deck.slug}.md"'
    return response


@require_safe
def card_detail(request: HttpRequest, card_id: int) -> HttpResponse:
    card = get_object_or_404(Card.objects.select_related("deck"), pk=card_id)
    context = {
        "card": card,
        "nav": "decks",
        "progress": CardProgress.objects.filter(user=request.user, card=card).first(),
        # Only ever the viewer's own history.
        "history": ReviewLog.objects.filter(user=request.user, card=card).order_by("reviewed_at", "id"),
    }
    return render(request, "quiz/card-detail.html", context)


# Review ---------------------------------------------------------------------


def _scope(slug: str | None) -> Deck | None:
    return get_object_or_404(Deck, slug=slug) if slug else None


def _review_url(deck: Deck | None) -> str:
    return reverse("review_deck", args=[deck.slug]) if deck else reverse("review")


def _render_review(
    request: HttpRequest,
    *,
    deck: Deck | None,
    queue: Queue | None,
    item: QueueItem | None,
    flipped: bool = False,
    notice: str = "",
) -> HttpResponse:
    """The review page, or for htmx its card fragment plus, when the queue
    moved, the progress bar swapped out-of-band: one round trip per action."""
    context = {
        "nav": "review",
        "deck": deck,
        "deck_slug": deck.slug if deck else "",
        "queue": queue,
        "item": item,
        "flipped": flipped,
        "notice": notice,
        "flipped_at": int(time.time() * 1000),
    }
    if flipped and item is not None:
        context["grade_choices"] = _grade_choices(request.user, item)
    if item is None and queue is not None:
        context["summary"] = stats.today_numbers(request.user, day=queue.day, deck=deck)
        context["next_due"] = stats.next_due(request.user, day=queue.day, deck=deck)
    return render(request, "quiz/_review-swap.html" if request.htmx else "quiz/review.html", context)


def _grade_choices(user, item: QueueItem) -> list[dict]:
    """Each button: grade, hotkey, label and the interval it would give."""
    day = user.review_day()
    state = item.progress.state if item.progress else scheduling.initial_state()
    if user.grade_buttons == user.GradeButtons.FOUR:
        labels = scheduling.FOUR_BUTTONS
        hotkeys = {grade: str(n) for n, grade in enumerate(sorted(labels), start=1)}
    else:
        labels = scheduling.GRADE_MEANINGS
        hotkeys = {grade: str(grade) for grade in labels}
    choices = []
    for grade in sorted(labels):
        if item.kind == "drill":
            next_interval = "again" if grade < scheduling.DRILL_DONE_GRADE else "done"
        else:
            next_interval = scheduling.format_interval(scheduling.review(state, grade, day).interval)
        choices.append(
            {
                "grade": grade,
                "hotkey": hotkeys[grade],
                "label": labels[grade],
                "description": scheduling.GRADE_DESCRIPTIONS[grade],
                "next": next_interval,
            }
        )
    return choices


@require_safe
def review(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    deck = _scope(slug)
    day = request.user.review_day()
    queue = build_queue(request.user, day=day, deck=deck)
    item = queue.next
    if card_id := request.GET.get("card", "").strip():
        # After an undo without JavaScript: show the card that came back.
        if not card_id.isdigit():
            return HttpResponseBadRequest("card must be a card id", content_type="text/plain")
        item = queue_item_for(request.user, int(card_id), day)
        if item is None:
            raise Http404("No such card.")
    return _render_review(request, deck=deck, queue=queue, item=item)


@require_safe
def flip(request: HttpRequest, card_id: int) -> HttpResponse:
    deck = _scope(request.GET.get("deck"))
    day = request.user.review_day()
    item = queue_item_for(request.user, card_id, day)
    if item is None:
        raise Http404("No such card.")
    # An htmx flip only swaps the card: the progress bar has not moved.
    queue = None if request.htmx else build_queue(request.user, day=day, deck=deck)
    return _render_review(request, deck=deck, queue=queue, item=item, flipped=True)


@require_POST
def grade(request: HttpRequest) -> HttpResponse:
    form = GradeForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain")
    deck = _scope(form.cleaned_data["deck"])
    try:
        outcome = services.record_review(
            user=request.user,
            card_id=form.cleaned_data["card"],
            grade=form.cleaned_data["grade"],
            shown_version=form.cleaned_data["version"],
            answer_ms=form.answer_ms(),
        )
    except Card.DoesNotExist:
        raise Http404("No such card.") from None
    notice = ""
    if outcome.made_leech:
        notice = (
            f"“{outcome.review_log.card}” is a leech: you have forgotten it {outcome.review_log.lapses_before + 1} "
            "times, so it is suspended. Rewrite it or unsuspend it from its card page."
        )
    if not request.htmx:
        if notice:
            messages.warning(request, notice)
        response = redirect(_review_url(deck))
    else:
        queue = build_queue(request.user, day=request.user.review_day(), deck=deck)
        response = _render_review(request, deck=deck, queue=queue, item=queue.next, notice=notice)
    # Tells a client (and the load test) whether this POST counted ("1"), was
    # a repeat of an answer already counted ("already": a retry whose first
    # response was lost), or came too late for a card that moved on ("0").
    response["X-Review-Recorded"] = "1" if outcome.recorded else "already" if outcome.already_recorded else "0"
    return response


@require_POST
def undo(request: HttpRequest) -> HttpResponse:
    deck = _scope(request.POST.get("deck"))
    card = services.undo_last_review(user=request.user)
    notice = "Undone: this card is back as it was." if card else "Nothing to undo today."
    if not request.htmx:
        # The same words as with htmx, carried across the redirect.
        messages.info(request, notice)
        return redirect(f"{_review_url(deck)}?card={card.pk}" if card else _review_url(deck))
    day = request.user.review_day()
    queue = build_queue(request.user, day=day, deck=deck)
    item = queue_item_for(request.user, card.pk, day) if card else queue.next
    return _render_review(request, deck=deck, queue=queue, item=item, notice=notice)


@require_POST
def hide(request: HttpRequest) -> HttpResponse:
    form = HideForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain")
    card = get_object_or_404(Card, pk=form.cleaned_data["card"])
    action = form.cleaned_data["action"]
    services.hide_card(user=request.user, card=card, action=action)
    notice = {
        "bury": "Buried until tomorrow.",
        "suspend": "Suspended: it will not be shown until you unsuspend it.",
        "unsuspend": "Unsuspended: it is back in your reviews.",
    }[action]
    next_url = form.cleaned_data["next"]
    if not request.htmx or next_url:
        messages.info(request, notice)
        return redirect(next_url or _review_url(_scope(form.cleaned_data["deck"])))
    deck = _scope(form.cleaned_data["deck"])
    queue = build_queue(request.user, day=request.user.review_day(), deck=deck)
    return _render_review(request, deck=deck, queue=queue, item=queue.next, notice=notice)


# Statistics -------------------------------------------------------------------


def _distribution_chart(title: str, x_label: str, rows: list[tuple[str, int]], css_class: str) -> charts.BarChart:
    return charts.bar_chart(
        title=title,
        x_label=x_label,
        y_label="Cards",
        labels=[label for label, _ in rows],
        series=[charts.Series(css_class, "cards", [count for _, count in rows], one="card")],
        width=420,
        height=220,
    )


@require_safe
def stats_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    deck = _scope(request.GET.get("deck"))
    day = user.review_day()
    month_ago = day - dt.timedelta(days=29)
    by_day = stats.reviews_by_day(user, start=day - dt.timedelta(weeks=53), end=day, deck=deck)
    by_kind = stats.reviews_by_day_and_kind(user, start=month_ago, end=day, deck=deck)
    last_30 = [month_ago + dt.timedelta(days=n) for n in range(30)]
    next_30 = [day + dt.timedelta(days=n) for n in range(30)]
    due_counts = stats.forecast(user, day=day, deck=deck)
    intervals = stats.interval_distribution(user, deck=deck)
    easiness = stats.easiness_distribution(user, deck=deck)
    buttons = stats.answer_buttons(user, deck=deck)
    most_lapses, lowest_easiness = stats.hardest_cards(user, deck=deck)
    retention = stats.retention(user, day=day, deck=deck)
    context = {
        "nav": "stats",
        "deck": deck,
        "decks": Deck.objects.order_by("name"),
        "day": day,
        "heatmap": charts.heatmap(by_day, today=day),
        "forecast": charts.bar_chart(
            title="Forecast: cards due in the next 30 days",
            x_label="Days from today (overdue cards count on day 0)",
            y_label="Cards",
            labels=[str(n) for n in range(30)],
            tooltip_labels=[f"{d:%a %-d %b}" + (" (today, with overdue)" if d == day else "") for d in next_30],
            series=[charts.Series("bar-due", "due", due_counts)],
            label_every=5,
        ),
        "forecast_rows": list(zip(next_30, due_counts)),
        "reviews_chart": charts.bar_chart(
            title="Reviews per day, last 30 days",
            x_label="Day",
            y_label="Answers",
            labels=[f"{d:%-d %b}" for d in last_30],
            series=[
                charts.Series(f"bar-{kind}", label, [by_kind.get(d, {}).get(kind, 0) for d in last_30], one=one)
                for kind, label, one in (
                    ("new", "new answers", "new answer"),
                    ("review", "reviews", "review"),
                    ("drill", "drill answers", "drill answer"),
                )
            ],
            label_every=7,
        ),
        "reviews_rows": [(d, by_kind.get(d, {})) for d in last_30],
        "retention": retention,
        "retention_chart": charts.bar_chart(
            title="Retention: answers graded 3 or better",
            x_label="Period",
            y_label="Passed",
            labels=[f"Last {row.period_days} days" for row in retention],
            series=[
                charts.Series("bar-young", "young cards", [row.young_percent or 0 for row in retention]),
                charts.Series("bar-mature", "mature cards", [row.mature_percent or 0 for row in retention]),
            ],
            grouped=True,
            y_max=100,
            unit="%",
            height=200,
        ),
        "interval_chart": _distribution_chart("Intervals of your cards", "Interval", intervals, "bar-interval"),
        "intervals": intervals,
        "easiness_chart": _distribution_chart("Easiness factors of your cards", "Easiness factor (EF)", easiness, "bar-easiness"),
        "easiness": easiness,
        "buttons_chart": charts.bar_chart(
            title="Answer buttons",
            x_label="Grade",
            y_label="Answers",
            labels=[str(grade) for grade, _ in buttons],
            tooltip_labels=[f"{grade} · {scheduling.GRADE_MEANINGS[grade]}" for grade, _ in buttons],
            series=[charts.Series("bar-grade", "answers", [count for _, count in buttons], one="answer")],
            width=420,
            height=220,
        ),
        "buttons": [(grade, scheduling.GRADE_MEANINGS[grade], count) for grade, count in buttons],
        "most_lapses": most_lapses,
        "lowest_easiness": lowest_easiness,
    }
    return render(request, "quiz/stats.html", context)


@require_http_methods(["GET", "POST"])
def reset_deck(request: HttpRequest, slug: str) -> HttpResponse:
    deck = get_object_or_404(Deck, slug=slug)
    if request.method == "POST":
        count = services.reset_deck_progress(user=request.user, deck=deck)
        messages.success(request, f"Your progress on “{deck.name}” is reset ({count} card{'s' if count != 1 else ''}).")
        return redirect(deck)
    answered = CardProgress.objects.filter(user=request.user, card__deck=deck).count()
    return render(request, "quiz/deck-reset.html", {"deck": deck, "answered": answered, "nav": "decks"})


@require_safe
def image(request: HttpRequest, name: str) -> FileResponse:
    """A card image, streamed from the storage backend with the type its content was checked as."""
    image = get_object_or_404(Image, name=name)
    try:
        handle = image.file.open("rb")
    except OSError:
        raise Http404("The image file is missing from storage.") from None
    response = FileResponse(handle, content_type=image.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_safe
def deck_apkg(request: HttpRequest, slug: str) -> HttpResponse:
    """The deck as an Anki package, to carry to AnkiDroid or desktop Anki."""
    deck = get_object_or_404(Deck, slug=slug)
    response = HttpResponse(anki.build_apkg(deck), content_type="application/apkg")
    response["Content-Disposition"] = f'attachment; filename="{deck.slug}.apkg"'
    return response
