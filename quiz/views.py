import time

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from quiz import scheduling, services
from quiz.forms import GradeForm, HideForm
from quiz.models import Card, Deck
from quiz.queue import Queue, QueueItem, build_queue, day_summary, queue_item_for


@login_not_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "quiz/welcome.html")
    queue = build_queue(request.user, day=request.user.review_day())
    decks = Deck.objects.annotate(card_count=Count("cards")).order_by("name")
    return render(request, "quiz/home.html", {"queue": queue, "decks": decks})


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
def card_detail(request: HttpRequest, card_id: int) -> HttpResponse:
    card = get_object_or_404(Card.objects.select_related("deck"), pk=card_id)
    return render(request, "quiz/card-detail.html", {"card": card, "nav": "decks"})


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
        "review_url": _review_url(deck),
        "flipped_at": int(time.time() * 1000),
    }
    if flipped and item is not None:
        context["grade_choices"] = _grade_choices(request.user, item)
    if item is None and queue is not None:
        context["summary"] = day_summary(user=request.user, day=queue.day, deck=deck)
    if not request.htmx:
        return render(request, "quiz/review.html", context)
    html = render_to_string("quiz/review.html#card", context, request=request)
    if queue is not None:
        html += render_to_string("quiz/review.html#progress", {**context, "oob": True}, request=request)
    return HttpResponse(html)


def _grade_choices(user, item: QueueItem) -> list[dict]:
    """Each button: grade, hotkey, label and the interval it would give."""
    day = user.review_day()
    state = item.progress.state if item.progress and not item.progress.is_new else scheduling.initial_state()
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
        item = queue_item_for(request.user, get_object_or_404(Card, pk=card_id), day)
    return _render_review(request, deck=deck, queue=queue, item=item)


@require_safe
def flip(request: HttpRequest, card_id: int) -> HttpResponse:
    deck = _scope(request.GET.get("deck"))
    card = get_object_or_404(Card.objects.select_related("deck"), pk=card_id)
    day = request.user.review_day()
    item = queue_item_for(request.user, card, day)
    # An htmx flip only swaps the card: the progress bar has not moved.
    queue = None if request.htmx else build_queue(request.user, day=day, deck=deck)
    return _render_review(request, deck=deck, queue=queue, item=item, flipped=True)


@require_POST
def grade(request: HttpRequest) -> HttpResponse:
    form = GradeForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain")
    deck = _scope(form.cleaned_data["deck"])
    card = get_object_or_404(Card, pk=form.cleaned_data["card"])
    outcome = services.record_review(
        user=request.user,
        card=card,
        grade=form.cleaned_data["grade"],
        shown_version=form.cleaned_data["version"],
        answer_ms=form.answer_ms(),
    )
    notice = ""
    if outcome.made_leech:
        notice = (
            f"“{card}” is a leech: you have forgotten it {outcome.review_log.lapses_before + 1} "
            "times, so it is suspended. Rewrite it or unsuspend it from its card page."
        )
    if not request.htmx:
        if notice:
            messages.warning(request, notice)
        return redirect(_review_url(deck))
    queue = build_queue(request.user, day=request.user.review_day(), deck=deck)
    return _render_review(request, deck=deck, queue=queue, item=queue.next, notice=notice)


@require_POST
def undo(request: HttpRequest) -> HttpResponse:
    deck = _scope(request.POST.get("deck"))
    card = services.undo_last_review(user=request.user)
    if not request.htmx:
        if card is None:
            messages.info(request, "Nothing to undo today.")
            return redirect(_review_url(deck))
        return redirect(f"{_review_url(deck)}?card={card.pk}")
    day = request.user.review_day()
    queue = build_queue(request.user, day=day, deck=deck)
    item = queue_item_for(request.user, card, day) if card else queue.next
    notice = "Undone: this card is back as it was." if card else "Nothing to undo today."
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
