import datetime as dt
import html
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q
from django.urls import reverse
from django.utils.html import strip_tags

from quiz import images, rendering, scheduling, search


# Paths under /review/ that a deck slug would shadow.
RESERVED_SLUGS = frozenset({"grade", "undo", "hide", "cards"})


def validate_deck_slug(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError("“%(value)s” is reserved; choose another slug.", params={"value": value})


class DeckManager(models.Manager):
    def get_by_natural_key(self, slug: str) -> "Deck":
        return self.get(slug=slug)


class Deck(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, validators=[validate_deck_slug])
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeckManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def get_absolute_url(self) -> str:
        return reverse("deck_detail", args=[self.slug])


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CardQuerySet(models.QuerySet):
    def get_by_natural_key(self, source_key: str) -> "Card":
        return self.get(source_key=source_key)

    def in_scope(self, deck: Deck | None, tag: "Tag | None" = None) -> "CardQuerySet":
        scoped = self if deck is None else self.filter(deck=deck)
        return scoped if tag is None else scoped.filter(tags=tag)

    def new_for(self, user, day: dt.date) -> "CardQuerySet":
        """Cards the user has never answered and has not hidden, in deck order."""
        answered_or_hidden = CardProgress.objects.filter(user=user, card=OuterRef("pk")).filter(
            Q(due__isnull=False) | Q(suspended=True) | Q(buried_until__gt=day)
        )
        return self.filter(~Exists(answered_or_hidden)).order_by("deck_id", "position", "id")

    def with_progress_of(self, user) -> "CardQuerySet":
        """Each card with the user's own SM-2 state beside it (None where the
        user never acted on the card): one LEFT JOIN, never a query per card."""
        return self.alias(mine=FilteredRelation("progress", condition=Q(progress__user=user))).annotate(
            my_due=F("mine__due"),
            my_interval=F("mine__interval"),
            my_easiness=F("mine__easiness"),
            my_lapses=F("mine__lapses"),
            my_suspended=F("mine__suspended"),
            my_buried_until=F("mine__buried_until"),
            my_drill_on=F("mine__drill_on"),
            my_last_reviewed_at=F("mine__last_reviewed_at"),
        )

    def in_state(self, user, day: dt.date, state: str) -> "CardQuerySet":
        """Cards in one of the user's own states (CARD_STATES), by the same
        rules the review queue uses."""
        if state == "new":
            return self.new_for(user, day)
        mine = CardProgress.objects.filter(user=user)
        progress = {
            "due": lambda: CardProgress.objects.due_for(user, day),
            "drill": lambda: CardProgress.objects.drill_for(user, day),
            "review": lambda: mine.answered(),
            "suspended": lambda: mine.suspended(),
            "buried": lambda: mine.buried_on(day),
            "leech": lambda: mine.leeches(),
        }[state]()
        return self.filter(pk__in=progress.order_by().values("card_id"))


    def matching(self, words: list[str]) -> "CardQuerySet":
        """Cards whose question and answer text hold every word (quiz/search.py;
        search.ranked_ids orders them by how well they match)."""
        return self.filter(search.matches(words))

    def sorted_by(self, sort: str) -> "CardQuerySet":
        """One of CARD_SORTS but relevance; ties, and cards the user never
        answered, in deck order."""
        deck_order = ("deck_id", "position", "id")
        first = {
            "deck": (),
            "due": (F("my_due").asc(nulls_last=True),),
            "interval": (F("my_interval").asc(nulls_last=True),),
            "easiness": (F("my_easiness").asc(nulls_last=True),),
            "lapses": (F("my_lapses").desc(nulls_last=True),),
            "reviewed": (F("my_last_reviewed_at").desc(nulls_last=True),),
        }[sort]
        return self.order_by(*first, *deck_order)


# What the card browser can filter on: the viewer's own state of a card.
CARD_STATES = {
    "new": "New (never answered, not hidden)",
    "due": "Due today",
    "drill": "In today's drill",
    "review": "Answered before",
    "suspended": "Suspended",
    "buried": "Buried",
    "leech": "Leech",
}
CARD_SORTS = {
    "relevance": "Best match",
    "deck": "Deck order",
    "due": "Due date (soonest first)",
    "interval": "Interval (shortest first)",
    "easiness": "EF (hardest first)",
    "lapses": "Lapses (most first)",
    "reviewed": "Last reviewed (latest first)",
}


class Card(models.Model):
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="cards")
    position = models.PositiveIntegerField(default=0, help_text="Order within the deck.")
    question = models.TextField(help_text="Markdown.")
    answer = models.TextField(blank=True, help_text="Markdown.")
    question_html = models.TextField(editable=False, default="")
    answer_html = models.TextField(editable=False, default="")
    tags = models.ManyToManyField(Tag, blank=True, related_name="cards")
    source_key = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text="Stable key from the import file; empty for cards made in the admin.",
    )
    # A cloze note's cards are siblings: they share this key and the note's
    # source (every [deletion] in it), which an export writes back.
    note_key = models.CharField(
        max_length=64, null=True, blank=True, editable=False, db_index=True,
        help_text="Shared by the cards of one cloze note (siblings).",
    )
    cloze = models.TextField(
        blank=True, default="", editable=False,
        help_text="The cloze note's source, from the import file: edit cloze cards there.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CardQuerySet.as_manager()

    class Meta:
        ordering = ["deck", "position", "id"]
        indexes = [models.Index(fields=["deck", "position"], name="card_deck_position")]

    def __str__(self) -> str:
        return self.question[:80]

    def natural_key(self) -> tuple[str | None]:
        # Fixtures match cards by import key, so loading one twice updates.
        return (self.source_key,)

    natural_key.dependencies = ["quiz.deck"]

    def get_absolute_url(self) -> str:
        return reverse("card_detail", args=[self.pk])

    @property
    def question_text(self) -> str:
        """The question as a reader sees it, in plain text: for lists and
        links, where Markdown's `code` backticks would show raw."""
        return html.unescape(strip_tags(self.question_html)).strip()

    def render(self) -> None:
        """Store the HTML of both sides. Raises rendering.RenderError (see clean)."""
        source = (self.question, self.answer)
        if getattr(self, "_rendered_from", None) == source:
            return
        self.set_rendered(rendering.render_markdown(self.question), rendering.render_markdown(self.answer))

    def set_rendered(self, question_html: str, answer_html: str) -> None:
        """HTML rendered elsewhere (the importer renders a whole file before it writes)."""
        self.question_html, self.answer_html = question_html, answer_html
        self._rendered_from = (self.question, self.answer)

    def clean(self) -> None:
        # Forms call this before save(): a side past the renderer's limits is
        # a message on its field, never an error at save time.
        rendered, errors = {}, {}
        for name in ("question", "answer"):
            try:
                rendered[name] = rendering.render_markdown(getattr(self, name))
            except rendering.RenderError as error:
                errors[name] = f"This {name} cannot be shown: {error}."
        if errors:
            raise ValidationError(errors)
        self.set_rendered(rendered["question"], rendered["answer"])

    def save(self, *args, **kwargs) -> None:
        # Rendered once here so that no request ever renders Markdown.
        self.render()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"question", "answer"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "question_html", "answer_html"}
        before = None
        if self.pk is not None:
            before = Card.objects.filter(pk=self.pk).values_list("deck_id", "position").first()
        super().save(*args, **kwargs)
        if before != (self.deck_id, self.position):
            NewCardFrontier.forget_from(self.deck_id, self.position)


def active_on(day: dt.date) -> Q:
    """Progress rows that may be shown on `day`: neither suspended nor buried."""
    return Q(suspended=False) & (Q(buried_until__isnull=True) | Q(buried_until__lte=day))


class ProgressQuerySet(models.QuerySet):
    def active_on(self, day: dt.date) -> "ProgressQuerySet":
        return self.filter(active_on(day))

    def due_for(self, user, day: dt.date) -> "ProgressQuerySet":
        """Cards scheduled for review on or before `day`, oldest due first."""
        return (
            self.filter(user=user, due__lte=day).active_on(day).order_by("due", "last_reviewed_at", "id")
        )

    def drill_for(self, user, day: dt.date) -> "ProgressQuerySet":
        """Cards graded below 4 today: SM-2 repeats them until they reach 4."""
        return self.filter(user=user, drill_on=day).active_on(day).order_by("last_reviewed_at", "id")

    def in_scope(self, deck: Deck | None, tag: Tag | None = None) -> "ProgressQuerySet":
        scoped = self if deck is None else self.filter(card__deck=deck)
        return scoped if tag is None else scoped.filter(card__tags=tag)

    def answered(self) -> "ProgressQuerySet":
        return self.filter(due__isnull=False)

    def suspended(self) -> "ProgressQuerySet":
        return self.filter(suspended=True)

    def buried_on(self, day: dt.date) -> "ProgressQuerySet":
        """Hidden by a bury on `day` (the other half of active_on)."""
        return self.filter(buried_until__gt=day)

    def leeches(self) -> "ProgressQuerySet":
        return self.filter(lapses__gte=LEECH_LAPSES)


# A card forgotten this many times is a leech: suspended, and the user told.
LEECH_LAPSES = 8


class CardProgress(models.Model):
    """One user's SM-2 state for one card; created at their first answer."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress")
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="progress")
    easiness = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("2.50"))
    repetitions = models.PositiveIntegerField(default=0)
    interval = models.PositiveIntegerField(default=0)
    due = models.DateField(null=True, blank=True, help_text="Empty until the first answer.")
    lapses = models.PositiveIntegerField(default=0)
    suspended = models.BooleanField(default=False)
    buried_until = models.DateField(null=True, blank=True)
    drill_on = models.DateField(null=True, blank=True, help_text="Review day whose drill still owes this card.")
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every change: a grade names the version it was shown, so a
    # repeated or concurrent submission of the same answer is recorded once.
    version = models.PositiveIntegerField(default=1)

    objects = ProgressQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "card"], name="progress_user_card")]
        indexes = [
            # "Due for user on day D", oldest first, read in index order; the id
            # breaks ties, or PostgreSQL sorts every card due on the same day.
            models.Index(fields=["user", "due", "last_reviewed_at", "id"], name="progress_user_due"),
            # Partial: almost every row has no drill owed, and with them in the
            # index SQLite's statistics rate it too unselective and scan.
            models.Index(fields=["user", "drill_on"], name="progress_user_drill", condition=Q(drill_on__isnull=False)),
            # A deck page counts the user's suspended cards and leeches: few
            # rows each, so counting them costs the same in any size of deck.
            models.Index(fields=["user", "card"], name="progress_user_suspended", condition=Q(suspended=True)),
            models.Index(fields=["user", "card"], name="progress_user_leech", condition=Q(lapses__gte=LEECH_LAPSES)),
        ]
        verbose_name_plural = "card progress"

    def __str__(self) -> str:
        return f"{self.user} · {self.card_id}"

    @property
    def is_new(self) -> bool:
        return self.due is None

    @property
    def shown_version(self) -> int:
        """The version a grade must name: 0 while the card was never answered."""
        return 0 if self.is_new else self.version

    @property
    def state(self) -> scheduling.State:
        if self.is_new:
            return scheduling.initial_state()
        return scheduling.State(
            easiness=self.easiness, repetitions=self.repetitions, interval=self.interval, due=self.due
        )

    @property
    def is_leech(self) -> bool:
        return self.lapses >= LEECH_LAPSES


class NewCardFrontier(models.Model):
    """Where one user's unseen cards in one deck begin.

    Invariant: every card of the deck ordered before (position, card_id) has
    a progress row for the user. New cards are then found by scanning from
    here instead of from the top of the deck, which keeps "next new card" as
    cheap at card 100,000 as at card 10. A missing row only means "scan from
    the top"; services move it forward as cards are answered and back when
    progress is removed or cards are inserted before it.
    """

    END = 2**31 - 1  # past the last card: the deck has no card without progress

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="+")
    position = models.BigIntegerField()
    card_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "deck"], name="frontier_user_deck")]

    @classmethod
    def forget_from(cls, deck_id: int, position: int) -> None:
        """A card was put into the deck at `position`: frontiers past it no longer hold."""
        cls.objects.filter(deck_id=deck_id, position__gte=position).delete()


class ReviewLog(models.Model):
    """Every answer, append-only (undo is the one thing that removes a row)."""

    class Kind(models.TextChoices):
        NEW = "new", "New"
        REVIEW = "review", "Review"
        DRILL = "drill", "Drill"
        # Custom study: logged, but the card's SM-2 state is left alone.
        AHEAD = "ahead", "Review ahead"
        CRAM = "cram", "Cram"
        MISTAKES = "mistakes", "Today's mistakes"

    CUSTOM_KINDS = frozenset({Kind.AHEAD, Kind.CRAM, Kind.MISTAKES})
    # The kinds that follow the schedule, and that the daily queue counts.
    SCHEDULED_KINDS = frozenset({Kind.NEW, Kind.REVIEW, Kind.DRILL})

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_logs")
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="review_logs")
    grade = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    review_day = models.DateField(help_text="The user's review day, in their time zone and rollover hour.")
    reviewed_at = models.DateTimeField()
    answer_ms = models.PositiveIntegerField(default=0)
    easiness_before = models.DecimalField(max_digits=4, decimal_places=2)
    repetitions_before = models.PositiveIntegerField()
    interval_before = models.PositiveIntegerField()
    due_before = models.DateField(null=True, blank=True)
    easiness_after = models.DecimalField(max_digits=4, decimal_places=2)
    repetitions_after = models.PositiveIntegerField()
    interval_after = models.PositiveIntegerField()
    # Empty only for custom study of a card never answered: it has no schedule.
    due_after = models.DateField(null=True, blank=True)
    # What undo needs beyond the SM-2 state to put the progress row back exactly.
    lapses_before = models.PositiveIntegerField(default=0)
    drill_on_before = models.DateField(null=True, blank=True)
    last_reviewed_at_before = models.DateTimeField(null=True, blank=True)
    progress_created = models.BooleanField(default=False)
    made_leech = models.BooleanField(default=False)
    study_session = models.ForeignKey(
        "StudySession", null=True, blank=True, on_delete=models.SET_NULL, related_name="review_logs"
    )

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [
            # Covers the statistics aggregates, so they read the index alone.
            models.Index(fields=["user", "review_day", "kind", "grade", "interval_before"], name="log_user_day"),
            models.Index(fields=["user", "card", "reviewed_at"], name="log_user_card_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(grade__gte=0) & Q(grade__lte=5), name="log_grade_0_5"),
        ]

    def __str__(self) -> str:
        return f"{self.user} graded {self.card_id} {self.grade}"


class HideLog(models.Model):
    """A bury, suspend or unsuspend, with what undo needs to take it back.

    Answers are in ReviewLog; undo takes back the later of the user's latest
    answer and latest hide of the day, so it records the state before.
    """

    class Action(models.TextChoices):
        BURY = "bury", "Bury"
        SUSPEND = "suspend", "Suspend"
        UNSUSPEND = "unsuspend", "Unsuspend"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hide_logs")
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="hide_logs")
    action = models.CharField(max_length=9, choices=Action.choices)
    review_day = models.DateField()
    created_at = models.DateTimeField()
    # The id of the user's latest answer of the day when this hide happened:
    # orders hides among answers exactly, even at the same clock reading.
    after_review_id = models.BigIntegerField(default=0)
    suspended_before = models.BooleanField(default=False)
    buried_until_before = models.DateField(null=True, blank=True)
    version_before = models.PositiveIntegerField(default=0)
    progress_created = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "review_day"], name="hidelog_user_day")]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.card_id}"


class StudySession(models.Model):
    """A custom study session: its cards are fixed, in order, when it starts,
    so it reads the same in every request and tab; `position` counts the
    cards answered."""

    KINDS = [(kind.value, kind.label) for kind in (ReviewLog.Kind.AHEAD, ReviewLog.Kind.CRAM, ReviewLog.Kind.MISTAKES)]
    MAX_SIZE = 500
    MAX_DAYS = 365

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_sessions")
    kind = models.CharField(max_length=8, choices=KINDS)
    deck = models.ForeignKey(Deck, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    days = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Review ahead: how many days.")
    card_ids = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("study_session", args=[self.pk])

    @property
    def size(self) -> int:
        return len(self.card_ids)

    @property
    def finished(self) -> bool:
        return self.position >= self.size

    @property
    def current_card_id(self) -> int | None:
        return None if self.finished else self.card_ids[self.position]

    @property
    def title(self) -> str:
        scope = " · ".join(
            part for part in (self.deck.name if self.deck else "", f"tag “{self.tag.name}”" if self.tag else "") if part
        )
        if self.kind == ReviewLog.Kind.AHEAD:
            title = f"Review ahead: the next {self.days} day{'s' if self.days != 1 else ''}"
        else:
            title = ReviewLog.Kind(self.kind).label
        return f"{title}{': ' if scope and self.kind == ReviewLog.Kind.CRAM else ' · ' if scope else ''}{scope}"


class ImageQuerySet(models.QuerySet):
    def missing_from(self, names: Iterable[str]) -> set[str]:
        """Those of `names` that no uploaded image has."""
        wanted = set(names)
        return wanted - set(self.filter(name__in=wanted).values_list("name", flat=True)) if wanted else set()


class Image(models.Model):
    """A picture staff uploaded for cards, shown with `![alt text](name)`."""

    name = models.CharField(
        max_length=100,
        unique=True,
        validators=[RegexValidator(rf"^{images.NAME_RE.pattern}\Z", "Letters, digits, '.', '-' and '_', starting with a letter or digit.")],
        help_text="What cards write: ![alt text](this-name.png). Letters, digits, '.', '-', '_'.",
    )
    file = models.FileField(upload_to="images/", max_length=255)
    content_type = models.CharField(max_length=32, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    size = models.PositiveIntegerField(editable=False, help_text="Bytes, after re-encoding.")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("image", args=[self.name])
