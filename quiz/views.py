import datetime as dt
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS, BadRequest
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from quiz import anki, charts, scheduling, search, services, stats
from quiz.forms import (
    MAX_PAGE, PAGE_SIZE, BrowseForm, BulkForm, GradeForm, HideForm, PageForm, ScopeForm, ShowCardForm,
    StudyForm, StudyGradeForm, UndoForm,
)
from quiz.importing import export_deck
from quiz.models import CARD_SORTS, LEECH_LAPSES, Card, CardProgress, Deck, Image, ReviewLog, StudySession, Tag
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
        "new_limit_shared": sum(row.new for row in deck_rows) > queue.new_left,
        "today": stats.today_numbers(user, day=day),
        "streak": stats.streak(user, day=day),
    }
    return render(request, "quiz/home.html", context)


@require_safe
def deck_list(request: HttpRequest) -> HttpResponse:
    decks = Deck.objects.annotate(card_count=Count("cards")).order_by("name")
    return render(request, "quiz/deck-list.html", {"decks": decks, "nav": "decks"})


# Counting a deck's cards stops here: past it the page says "10,000+".
DECK_COUNT_CAP = 10_000


def _progress_count(user, condition: dict) -> Coalesce:
    """The user's progress rows in the outer deck that meet `condition`, as a
    subquery read along a partial index of those rows alone."""
    rows = (
        CardProgress.objects.filter(user=user, card__deck=OuterRef("pk"), **condition)
        .order_by()
        .values("card__deck")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows), 0)


@require_safe
def deck_detail(request: HttpRequest, slug: str) -> HttpResponse:
    form = PageForm(request.GET)
    decks = Deck.objects.annotate(
        suspended_count=_progress_count(request.user, {"suspended": True}),
        leech_count=_progress_count(request.user, {"lapses__gte": LEECH_LAPSES}),
    )
    deck = get_object_or_404(decks, slug=slug)
    context = {"deck": deck, "nav": "decks", "form": form, "leech_lapses": LEECH_LAPSES}
    if not form.is_valid():
        return render(request, "quiz/deck-detail.html", context, status=400)
    day = request.user.review_day()
    rows = _card_rows(Card.objects.filter(deck=deck), request.user, day=day, sort="deck", page=form.page_number)
    card_count = deck.cards.order_by()[: DECK_COUNT_CAP + 1].count()
    context |= {"page": rows, "card_count": min(card_count, DECK_COUNT_CAP), "count_capped": card_count > DECK_COUNT_CAP}
    fragment = request.htmx and not request.htmx.history_restore_request
    response = render(request, "quiz/deck-detail.html#cards" if fragment else "quiz/deck-detail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


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
    # Only ever the viewer's own history, its grades named as their buttons are.
    history = list(ReviewLog.objects.filter(user=request.user, card=card).order_by("reviewed_at", "id"))
    four_buttons = request.user.grade_buttons == request.user.GradeButtons.FOUR
    for entry in history:
        entry.grade_name = scheduling.grade_name(entry.grade, four_buttons=four_buttons)
    context = {
        "card": card,
        "nav": "decks",
        "progress": CardProgress.objects.filter(user=request.user, card=card).first(),
        "history": history,
    }
    return render(request, "quiz/card-detail.html", context)


# Card browser -----------------------------------------------------------------


class CardPage:
    """One page of cards with the viewer's state: no total is counted (that
    would read every match), one extra row says whether a next page exists."""

    def __init__(self, cards: list[Card], number: int, day: dt.date) -> None:
        self.has_next = len(cards) > PAGE_SIZE and number < MAX_PAGE
        self.cards = cards[:PAGE_SIZE]
        self.number = number
        self.first_index = (number - 1) * PAGE_SIZE + 1
        for card in self.cards:
            card.status_labels = _status_labels(card, day)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.cards) - 1

    @property
    def at_cap(self) -> bool:
        return self.number == MAX_PAGE and len(self.cards) == PAGE_SIZE


def _status_labels(card: Card, day: dt.date) -> list[str]:
    """The viewer's state of a card in words, by the rules of the queue:
    a hidden card is not due and not drilled, whatever its dates say."""
    buried = card.my_buried_until is not None and card.my_buried_until > day
    hidden = bool(card.my_suspended) or buried
    labels = []
    if card.my_due is None:
        labels.append("New")
    elif card.my_due <= day and not hidden:
        labels.append("Due")
    if card.my_drill_on == day and not hidden:
        labels.append("Drill")
    if card.my_suspended:
        labels.append("Suspended")
    if buried:
        labels.append("Buried")
    if (card.my_lapses or 0) >= LEECH_LAPSES:
        labels.append("Leech")
    return labels


def _card_rows(cards, user, *, day: dt.date, sort: str, page: int, words: list[str] = ()) -> CardPage:
    """A page of `cards` with the user's progress and the cards' tags: two
    queries (three for a search by best match: its ranking first), at any
    deck size (OFFSET is bounded by MAX_PAGE)."""
    offset = (page - 1) * PAGE_SIZE
    # The deck's name and slug by subquery, not by a join: with the deck
    # joined, SQLite stopped reading cards in index order and sorted the
    # whole deck (74 ms against 1 ms at 100,000 cards).
    deck = Deck.objects.filter(pk=OuterRef("deck_id"))
    rows = (
        cards.with_progress_of(user)
        .only("id", "deck_id", "position", "question", "question_html")
        .annotate(deck_name=Subquery(deck.values("name")[:1]), deck_slug=Subquery(deck.values("slug")[:1]))
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
    )
    if sort == "relevance":
        ids = search.ranked_ids(cards, words, offset=offset, limit=PAGE_SIZE + 1)
        by_id = {card.pk: card for card in rows.filter(pk__in=ids)} if ids else {}
        return CardPage([by_id[card_id] for card_id in ids if card_id in by_id], page, day)
    if words:
        rows = rows.matching(words)
    return CardPage(list(rows.sorted_by(sort)[offset : offset + PAGE_SIZE + 1]), page, day)


def _page_query(request: HttpRequest) -> str:
    """The current query string without its page number, for pager links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_safe
def card_browser(request: HttpRequest) -> HttpResponse:
    form = BrowseForm(request.GET)
    context = {"form": form, "nav": "cards", "page_query": _page_query(request)}
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "quiz/card-browser.html#results" if fragment else "quiz/card-browser.html"
    if not form.is_valid():
        response = render(request, template, context, status=400)
    else:
        data = form.cleaned_data
        user, day, words = request.user, request.user.review_day(), data["words"]
        cards = Card.objects.all()
        if data["deck"]:
            cards = cards.filter(deck=data["deck"])
        if data["tag"]:
            cards = cards.filter(tags=data["tag"])
        if data["state"]:
            cards = cards.in_state(user, day, data["state"])
        page = _card_rows(cards, user, day=day, sort=data["sort"], page=form.page_number, words=words)
        if words:
            found = search.snippets([card.pk for card in page.cards], words)
            for card in page.cards:
                card.snippet = found.get(card.pk, "")
        context |= {"page": page, "searching": bool(words), "sort_label": CARD_SORTS[data["sort"]], "filtered": any(data[k] for k in ("deck", "tag", "state")) or bool(words)}
        response = render(request, template, context)
    # The same URL answers with a fragment for htmx and a page otherwise.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _cards(count: int) -> str:
    return f"{count} card{'s' if count != 1 else ''}"


@require_POST
def card_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    if form.has_error(NON_FIELD_ERRORS, "nothing_selected") and "next" not in form.errors:
        # What a learner does by pressing an action with no box ticked: back
        # to the same view, told why, as the admin's changelist does.
        messages.error(request, "Select at least one card, then choose what to do with them.")
        return redirect(form.cleaned_data["next"] or reverse("card_browser"))
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain")
    ids = form.cleaned_data["cards"]
    cards = list(Card.objects.filter(pk__in=ids).only("id", "deck_id", "position", "question", "question_html"))
    if len(cards) != len(ids):
        return HttpResponseBadRequest("No such card.", content_type="text/plain")
    action, next_url = form.cleaned_data["action"], form.cleaned_data["next"] or reverse("card_browser")
    if action == "forget" and not form.cleaned_data["confirm"]:
        context = {"cards": cards, "next": next_url, "nav": "cards"}
        return render(request, "quiz/card-forget.html", context)
    if action == "forget":
        count = services.forget_cards(user=request.user, cards=cards)
        messages.success(request, f"Reset {_cards(len(cards))} to new ({count} had your progress).")
    else:
        count = services.hide_cards(user=request.user, cards=cards, action=action)
        done = {"suspend": "Suspended", "unsuspend": "Unsuspended", "bury": "Buried until tomorrow:"}[action]
        messages.success(request, f"{done} {_cards(count)}.")
    return redirect(next_url)


# Review ---------------------------------------------------------------------


def _scope(slug: str | None) -> Deck | None:
    """The deck named by an already validated slug (a path converter's or a
    form's): never raw request text, which may hold a NUL PostgreSQL refuses."""
    return get_object_or_404(Deck, slug=slug) if slug else None


def _bad_request(form) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain")


TAG_NAME_LENGTH = Tag._meta.get_field("name").max_length


def _tag_scope(name: str | None) -> Tag | None:
    """The tag named by a `tag` parameter: 404 for none by that name, 400 for
    a value no tag could have (control characters such as NUL, which
    PostgreSQL refuses outright, or longer than a tag name)."""
    if not name:
        return None
    if len(name) > TAG_NAME_LENGTH or not name.isprintable():
        raise BadRequest("tag must be a tag name")
    return get_object_or_404(Tag, name=name)


def _review_url(deck: Deck | None, tag: Tag | None = None, card: int | None = None) -> str:
    url = reverse("review_deck", args=[deck.slug]) if deck else reverse("review")
    query = {**({"tag": tag.name} if tag else {}), **({"card": card} if card else {})}
    return f"{url}?{urlencode(query)}" if query else url


def _render_review(
    request: HttpRequest,
    *,
    deck: Deck | None,
    queue: Queue | None,
    item: QueueItem | None,
    flipped: bool = False,
    notice: str = "",
    tag: Tag | None = None,
) -> HttpResponse:
    """The review page, or for htmx its card fragment plus, when the queue
    moved, the progress bar swapped out-of-band: one round trip per action."""
    context = {
        "nav": "review",
        "deck": deck,
        "deck_slug": deck.slug if deck else "",
        "tag": tag,
        "queue": queue,
        "item": item,
        "flipped": flipped,
        "notice": notice,
        "flipped_at": int(time.time() * 1000),
        # Where the admin's "Edit" sends staff back to: this card, question side.
        "return_url": _review_url(deck, tag, item.card.pk) if item else "",
    }
    if flipped and item is not None:
        context["grade_choices"] = _grade_choices(request.user, item)
    if item is None and queue is not None:
        context["summary"] = stats.today_numbers(request.user, day=queue.day, deck=deck, tag=tag)
        context["next_due"] = stats.next_due(request.user, day=queue.day, deck=deck, tag=tag)
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
    form = ShowCardForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    deck = _scope(slug)
    tag = _tag_scope(request.GET.get("tag"))
    day = request.user.review_day()
    queue = build_queue(request.user, day=day, deck=deck, tag=tag)
    item = queue.next
    if card_id := form.cleaned_data["card"]:
        # After an undo without JavaScript: show the card that came back.
        item = queue_item_for(request.user, card_id, day)
        if item is None:
            raise Http404("No such card.")
    return _render_review(request, deck=deck, tag=tag, queue=queue, item=item)


@require_safe
def flip(request: HttpRequest, card_id: int) -> HttpResponse:
    scope = ScopeForm(request.GET)
    if not scope.is_valid():
        return _bad_request(scope)
    deck = _scope(scope.cleaned_data["deck"])
    tag = _tag_scope(scope.cleaned_data["tag"])
    day = request.user.review_day()
    item = queue_item_for(request.user, card_id, day)
    if item is None:
        raise Http404("No such card.")
    # An htmx flip only swaps the card: the progress bar has not moved.
    queue = None if request.htmx else build_queue(request.user, day=day, deck=deck, tag=tag)
    return _render_review(request, deck=deck, tag=tag, queue=queue, item=item, flipped=True)


@require_POST
def grade(request: HttpRequest) -> HttpResponse:
    form = GradeForm(request.POST)
    if not form.is_valid():
        return _bad_request(form)
    deck = _scope(form.cleaned_data["deck"])
    tag = _tag_scope(form.cleaned_data["tag"])
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
        response = redirect(_review_url(deck, tag))
    else:
        queue = build_queue(request.user, day=request.user.review_day(), deck=deck, tag=tag)
        response = _render_review(request, deck=deck, tag=tag, queue=queue, item=queue.next, notice=notice)
    # Tells a client (and the load test) whether this POST counted ("1"), was
    # a repeat of an answer already counted ("already": a retry whose first
    # response was lost), or came too late for a card that moved on ("0").
    response["X-Review-Recorded"] = "1" if outcome.recorded else "already" if outcome.already_recorded else "0"
    return response


@require_POST
def undo(request: HttpRequest) -> HttpResponse:
    scope = UndoForm(request.POST)
    if not scope.is_valid():
        return _bad_request(scope)
    deck = _scope(scope.cleaned_data["deck"])
    tag = _tag_scope(scope.cleaned_data["tag"])
    session = _own_session(request.user, scope.cleaned_data["session"])
    undone = services.undo_last_action(user=request.user, session=session)
    if session is not None:
        # Inside custom study, undo stays there: the session shows its own
        # current card again, one back if the undone answer was its last.
        session.refresh_from_db()
        if not request.htmx:
            (messages.success if undone.card else messages.info)(request, undone.notice)
            return redirect(session)
        return _render_study(request, session, notice=undone.notice)
    card_to_show = undone.card_to_show
    if not request.htmx:
        # Without JavaScript the notice travels with the redirect.
        (messages.success if undone.card else messages.info)(request, undone.notice)
        return redirect(_review_url(deck, tag, card_to_show.pk if card_to_show else None))
    day = request.user.review_day()
    queue = build_queue(request.user, day=day, deck=deck, tag=tag)
    item = queue_item_for(request.user, card_to_show.pk, day) if card_to_show else queue.next
    return _render_review(request, deck=deck, tag=tag, queue=queue, item=item, notice=undone.notice)


@require_POST
def hide(request: HttpRequest) -> HttpResponse:
    form = HideForm(request.POST)
    if not form.is_valid():
        return _bad_request(form)
    card = get_object_or_404(Card, pk=form.cleaned_data["card"])
    deck = _scope(form.cleaned_data["deck"])
    tag = _tag_scope(form.cleaned_data["tag"])
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
        return redirect(next_url or _review_url(deck, tag))
    queue = build_queue(request.user, day=request.user.review_day(), deck=deck, tag=tag)
    return _render_review(request, deck=deck, tag=tag, queue=queue, item=queue.next, notice=notice)


# Custom study -----------------------------------------------------------------


def _own_session(user, session_id: int | None) -> StudySession | None:
    """The user's own study session by id (from the URL, or a form's
    validated field); None for none. Someone else's, or no such session, is
    a 404 like any unknown id."""
    if not session_id:
        return None
    return get_object_or_404(StudySession.objects.select_related("deck", "tag"), pk=int(session_id), user=user)


def _study_choices(user) -> list[dict]:
    """The grade buttons as in review, without intervals: nothing is rescheduled."""
    if user.grade_buttons == user.GradeButtons.FOUR:
        labels = scheduling.FOUR_BUTTONS
        hotkeys = {grade: str(n) for n, grade in enumerate(sorted(labels), start=1)}
    else:
        labels = scheduling.GRADE_MEANINGS
        hotkeys = {grade: str(grade) for grade in labels}
    return [
        {"grade": grade, "hotkey": hotkeys[grade], "label": labels[grade], "description": scheduling.GRADE_DESCRIPTIONS[grade]}
        for grade in sorted(labels)
    ]


def _render_study(
    request: HttpRequest, session: StudySession, *, flipped: bool = False, notice: str = "", status: int = 200
) -> HttpResponse:
    day = request.user.review_day()
    item = None
    while not session.finished and item is None:
        item = queue_item_for(request.user, session.current_card_id, day)
        if item is None:  # deleted since the session began
            session = services.skip_missing_study_card(user=request.user, session_id=session.pk, position=session.position)
    context = {
        "nav": "review",
        "session": session,
        "item": item,
        "flipped": flipped and item is not None,
        "notice": notice,
        "flipped_at": int(time.time() * 1000),
    }
    if item is not None and flipped:
        context["grade_choices"] = _study_choices(request.user)
    if item is None:
        answers = ReviewLog.objects.filter(study_session=session).aggregate(
            answered=Count("id"), correct=Count("id", filter=Q(grade__gte=scheduling.PASSING_GRADE))
        )
        context |= answers
    return render(request, "quiz/_study-swap.html" if request.htmx else "quiz/study-session.html", context, status=status)


def _study_page(request: HttpRequest, form: StudyForm | None = None, status: int = 200) -> HttpResponse:
    day = request.user.review_day()
    context = {
        "nav": "review",
        "form": form,
        "decks": Deck.objects.order_by("name"),
        "tags": Tag.objects.order_by("name"),
        "initial_deck": request.GET.get("deck", ""),
        "initial_tag": request.GET.get("tag", ""),
        "mistakes": len(services.study_cards(user=request.user, kind=ReviewLog.Kind.MISTAKES, day=day, size=StudySession.MAX_SIZE)),
        "max_size": StudySession.MAX_SIZE,
        "max_days": StudySession.MAX_DAYS,
        "default_size": services.DEFAULT_STUDY_SIZE,
    }
    return render(request, "quiz/study.html", context, status=status)


@require_safe
def study(request: HttpRequest) -> HttpResponse:
    return _study_page(request)


@require_POST
def study_start(request: HttpRequest) -> HttpResponse:
    form = StudyForm(request.POST)
    if not form.is_valid():
        return _study_page(request, form, status=400)
    data = form.cleaned_data
    try:
        session = services.start_study_session(
            user=request.user, kind=data["kind"], size=data["size"], deck=data["deck"], tag=data["tag"], days=data["days"]
        )
    except services.NothingToStudy as problem:
        form.add_error(None, str(problem))
        return _study_page(request, form, status=400)
    return redirect(session)


@require_safe
def study_session(request: HttpRequest, session_id: int) -> HttpResponse:
    return _render_study(request, _own_session(request.user, session_id))


@require_safe
def study_flip(request: HttpRequest, session_id: int) -> HttpResponse:
    return _render_study(request, _own_session(request.user, session_id), flipped=True)


@require_POST
def study_grade(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _own_session(request.user, session_id)
    form = StudyGradeForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain")
    outcome = services.record_study_answer(
        user=request.user,
        session_id=session.pk,
        position=form.cleaned_data["position"],
        grade=form.cleaned_data["grade"],
        answer_ms=form.answer_ms(),
    )
    response = redirect(session) if not request.htmx else _render_study(request, outcome.session)
    response["X-Review-Recorded"] = "1" if outcome.recorded else "0"
    return response


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


# Reviews per day, by kind: the scheduled ones, then custom study's own.
REVIEW_SERIES = (
    ("new", "new answers", "new answer"),
    ("review", "reviews", "review"),
    ("drill", "drill answers", "drill answer"),
    ("ahead", "review-ahead answers", "review-ahead answer"),
    ("cram", "cram answers", "cram answer"),
    ("mistakes", "mistake answers", "mistake answer"),
)


@require_safe
def stats_view(request: HttpRequest) -> HttpResponse:
    scope = ScopeForm(request.GET)
    if not scope.is_valid():
        return _bad_request(scope)
    user = request.user
    deck = _scope(scope.cleaned_data["deck"])
    tag = _tag_scope(scope.cleaned_data["tag"])
    day = user.review_day()
    month_ago = day - dt.timedelta(days=29)
    by_day = stats.reviews_by_day(user, start=day - dt.timedelta(weeks=53), end=day, deck=deck, tag=tag)
    by_kind = stats.reviews_by_day_and_kind(user, start=month_ago, end=day, deck=deck, tag=tag)
    last_30 = [month_ago + dt.timedelta(days=n) for n in range(30)]
    next_30 = [day + dt.timedelta(days=n) for n in range(30)]
    due_counts = stats.forecast(user, day=day, deck=deck, tag=tag)
    intervals = stats.interval_distribution(user, deck=deck, tag=tag)
    easiness = stats.easiness_distribution(user, deck=deck, tag=tag)
    buttons = stats.answer_buttons(user, deck=deck, tag=tag)
    four_buttons = user.grade_buttons == user.GradeButtons.FOUR
    if four_buttons:
        # The four buttons, and a grade they have no button for only if it was given.
        buttons = [(grade, count) for grade, count in buttons if grade in scheduling.FOUR_BUTTONS or count]
    most_lapses, lowest_easiness = stats.hardest_cards(user, deck=deck, tag=tag)
    retention = stats.retention(user, day=day, deck=deck, tag=tag)
    context = {
        "nav": "stats",
        "deck": deck,
        "decks": Deck.objects.order_by("name"),
        "tag": tag,
        "tags": Tag.objects.order_by("name"),
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
                for kind, label, one in REVIEW_SERIES
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
            x_label="Button" if four_buttons else "Grade",
            y_label="Answers",
            labels=[scheduling.grade_name(grade, four_buttons=True) if four_buttons else str(grade) for grade, _ in buttons],
            tooltip_labels=[f"{grade} · {scheduling.grade_name(grade, four_buttons=four_buttons)}" for grade, _ in buttons],
            series=[charts.Series("bar-grade", "answers", [count for _, count in buttons], one="answer")],
            width=420,
            height=220,
        ),
        "buttons": [(grade, scheduling.grade_name(grade, four_buttons=four_buttons), count) for grade, count in buttons],
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
