import io
import time
import zipfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from quiz.importing import ImportTooSlow, export_deck, import_deck, plan_import
from quiz.models import Card, CardProgress, Deck, Image, NewCardFrontier, ReviewLog, Tag
from quiz.qa_format import MAX_TITLE_LENGTH, QAFormatError, decode, parse
from quiz.uploads import ImageForm, check_images
from quiz.widgets import MarkdownEditor, preview_of

# A web import must finish well inside a worker's request timeout (gunicorn's
# default is 30 s): bigger files go through `manage.py import_qa`.
WEB_IMPORT_MAX_BYTES = 512 * 1024
WEB_IMPORT_MAX_CARDS = 5_000
WEB_IMPORT_SECONDS = 15
COMMAND_LINE_HINT = "Import it from the command line instead: manage.py import_qa FILE"


class ImportForm(forms.Form):
    # A plain file input: the clearable one posts a "file-clear" box that makes
    # the field's value False, which an import has no use for.
    file = forms.FileField(
        required=False,
        widget=forms.FileInput,
        help_text=(
            "A Q&A Markdown file: '# Deck title', then 'Q:' lines. Up to "
            f"{WEB_IMPORT_MAX_BYTES // 1024} KB and {WEB_IMPORT_MAX_CARDS:,} cards here; "
            "bigger files import with manage.py import_qa."
        ),
    )
    deck = forms.CharField(
        required=False, max_length=MAX_TITLE_LENGTH, help_text="Optional: a deck name instead of the file's title."
    )
    prune = forms.BooleanField(
        required=False, help_text="Also delete cards gone from the file that have review history."
    )
    # After a dry run, the checked text comes back with the confirmation, so
    # the author need not pick the file again.
    source = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)
    filename = forms.CharField(required=False, widget=forms.HiddenInput, max_length=255)

    def clean(self) -> dict:
        cleaned = super().clean()
        if "file" in self.errors or cleaned.get("file") is not None:
            return cleaned
        source = cleaned.get("source", "")
        if not source:
            self.add_error("file", "Choose a Q&A file.")
        elif len(source.encode()) > WEB_IMPORT_MAX_BYTES:
            self.add_error(
                "file",
                f"The text is larger than the web import's {WEB_IMPORT_MAX_BYTES // 1024} KB. {COMMAND_LINE_HINT}.",
            )
        return cleaned

    def uploaded(self) -> tuple[str, bytes]:
        """The file's name and bytes, from the upload or from a confirmed dry run."""
        upload = self.cleaned_data["file"]
        if upload is not None:
            return upload.name, upload.read()
        return self.cleaned_data["filename"] or "upload.md", self.cleaned_data["source"].encode()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload is not None and upload.size > WEB_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"{upload.name} is {upload.size / 1024:,.0f} KB; the web import takes files up to "
                f"{WEB_IMPORT_MAX_BYTES // 1024} KB. {COMMAND_LINE_HINT}."
            )
        return upload


@admin.register(Deck)
class DeckAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "card_count", "updated_at")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
    change_list_template = "admin/quiz/deck/change_list.html"
    actions = ("export_qa",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deck]:
        return super().get_queryset(request).annotate(card_count=Count("cards"))

    @admin.display(description="cards", ordering="card_count")
    def card_count(self, deck: Deck) -> int:
        return deck.card_count

    @admin.action(description="Export selected decks as Q&A Markdown")
    def export_qa(self, request: HttpRequest, queryset: QuerySet[Deck]) -> HttpResponse:
        decks = list(queryset.order_by("slug"))
        if len(decks) == 1:
            response = HttpResponse(export_deck(decks[0]), content_type="text/markdown; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{decks[0].slug}.md"'
            return response
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as files:
            for deck in decks:
                files.writestr(f"{deck.slug}.md", export_deck(deck))
        response = HttpResponse(archive.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="decks.zip"'
        return response

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="quiz_deck_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
        problems: list[str] = []
        report = None
        plan = None
        confirm = None
        if form.is_bound and form.is_valid():
            name, data = form.uploaded()
            deadline = time.monotonic() + WEB_IMPORT_SECONDS
            prune = form.cleaned_data["prune"]
            try:
                text = decode(data)
                parsed = parse(
                    text,
                    deck_title=form.cleaned_data["deck"] or None,
                    default_title=Path(name).stem,
                )
                check_images(text, parsed)
                if len(parsed.cards) > WEB_IMPORT_MAX_CARDS:
                    problems = [
                        f"{name} has {len(parsed.cards):,} cards; the web import takes up to "
                        f"{WEB_IMPORT_MAX_CARDS:,}. {COMMAND_LINE_HINT}."
                    ]
                elif "dry_run" in request.POST:
                    plan = plan_import(parsed, prune=prune, deadline=deadline)
                    confirm = {**form.cleaned_data, "source": text, "filename": name}
                else:
                    report = import_deck(parsed, prune=prune, deadline=deadline)
                    messages.success(request, report.summary())
            except QAFormatError as error:
                problems = [f"{name}:{problem}" for problem in error.problems]
            except ImportTooSlow:
                problems = [
                    f"{name} takes longer than {WEB_IMPORT_SECONDS} seconds to render, too long for "
                    f"a web request. {COMMAND_LINE_HINT}."
                ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a Q&A file",
            "opts": self.model._meta,
            "form": form,
            "fieldset": helpers.AdminForm(form, [(None, {"fields": ["file", "deck", "prune"]})], {}),
            "max_bytes": WEB_IMPORT_MAX_BYTES,
            "max_cards": WEB_IMPORT_MAX_CARDS,
            "max_seconds": WEB_IMPORT_SECONDS,
            "problems": problems,
            "report": report,
            "plan": plan,
            "confirm": confirm,
        }
        return TemplateResponse(request, "admin/quiz/deck/import.html", context)


def return_path(request: HttpRequest) -> str:
    """The `next` query parameter if it is a path on this site, else ""."""
    value = request.GET.get("next", "")
    same_site = value.startswith("/") and not value.startswith("//") and "\\" not in value and value.isprintable()
    if same_site and len(value) <= 500 and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return ""


class DeckChoiceForm(forms.Form):
    deck = forms.ModelChoiceField(queryset=Deck.objects.all())


class TagForm(forms.Form):
    tag = forms.CharField(max_length=64)


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("short_question", "deck", "position", "tag_list", "updated_at")
    list_display_links = ("short_question",)
    list_filter = ("deck", "tags")
    # Facet counts are one aggregate column per tag and deck in a single
    # query, which PostgreSQL refuses past 1,664 of them.
    show_facets = admin.ShowFacets.NEVER
    list_select_related = ("deck",)
    search_fields = ("question", "answer")
    ordering = ("deck", "position", "id")
    readonly_fields = ("preview", "source_key", "note_key", "cloze", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("deck", "position", "question", "answer", "tags")}),
        ("Preview, as the review page shows it", {"fields": ("preview",)}),
        ("Import", {"fields": ("source_key", "note_key", "cloze", "created_at", "updated_at"), "classes": ("collapse",)}),
    )
    actions = ("move_to_deck", "add_tag")
    editor_sides = ("question", "answer")

    class Media:
        css = {"all": ("css/admin-editor.css",)}
        js = ("js/admin-editor.js",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Card]:
        return super().get_queryset(request).prefetch_related("tags")

    def response_change(self, request: HttpRequest, obj: Card) -> HttpResponse:
        """Plain "Save" from an Edit link on the site returns to where it was
        (the review page, the card page); the other buttons keep their meaning."""
        next_url = return_path(request)
        if next_url and not {"_continue", "_addanother", "_saveasnew"} & set(request.POST):
            self.message_user(request, f"Saved “{obj}”.", messages.SUCCESS)
            return HttpResponseRedirect(next_url)
        return super().response_change(request, obj)

    def get_urls(self):
        return [
            path(
                "preview/<str:side>/",
                self.admin_site.admin_view(self.preview_view),
                name="quiz_card_preview",
            ),
            *super().get_urls(),
        ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.editor_sides:
            kwargs["widget"] = MarkdownEditor(
                preview_url=reverse("admin:quiz_card_preview", args=[db_field.name]),
                side=db_field.name,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @method_decorator(require_POST)
    def preview_view(self, request: HttpRequest, side: str) -> HttpResponse:
        """The editor's live preview: one side of a card rendered as learners see it."""
        if side not in self.editor_sides:
            raise Http404
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        context = {"widget": {"side": side, "preview": preview_of(request.POST.get(side, ""))}}
        return TemplateResponse(request, "admin/quiz/card/markdown-editor.html#_preview", context)

    @admin.display(description="question", ordering="question")
    def short_question(self, card: Card) -> str:
        return card.question[:100]

    @admin.display(description="tags")
    def tag_list(self, card: Card) -> str:
        return ", ".join(tag.name for tag in card.tags.all())

    @admin.display(description="preview")
    def preview(self, card: Card) -> SafeString:
        if not card.pk:
            return SafeString("Save the card to see its preview.")
        return SafeString(
            render_to_string("admin/quiz/card/_preview.html", {"card": card})
        )

    def _intermediate(self, request, queryset, form, action, title) -> HttpResponse:
        return TemplateResponse(
            request,
            "admin/quiz/card/action.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "form": form,
                "cards": queryset,
                "action": action,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Move selected cards to another deck")
    def move_to_deck(self, request: HttpRequest, queryset: QuerySet[Card]) -> HttpResponse | None:
        form = DeckChoiceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            deck = form.cleaned_data["deck"]
            first_position = min(queryset.values_list("position", flat=True), default=0)
            moved = queryset.update(deck=deck)
            NewCardFrontier.forget_from(deck.pk, first_position)
            self.message_user(request, f"Moved {moved} card(s) to “{deck}”.", messages.SUCCESS)
            return None
        return self._intermediate(request, queryset, form, "move_to_deck", "Move cards to a deck")

    @admin.action(description="Add a tag to selected cards")
    def add_tag(self, request: HttpRequest, queryset: QuerySet[Card]) -> HttpResponse | None:
        form = TagForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            tag, _ = Tag.objects.get_or_create(name=form.cleaned_data["tag"].strip())
            tag.cards.add(*queryset)
            self.message_user(request, f"Tagged {queryset.count()} card(s) “{tag}”.", messages.SUCCESS)
            return None
        return self._intermediate(request, queryset, form, "add_tag", "Add a tag to cards")


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageForm

    class Media:
        css = {"all": ("css/admin-editor.css",)}
    list_display = ("name", "content_type", "width", "height", "size", "uploaded_at")
    search_fields = ("name",)
    readonly_fields = ("markdown", "shown", "content_type", "width", "height", "size", "uploaded_at")
    fields = ("name", "file", "markdown", "shown", "content_type", "width", "height", "size", "uploaded_at")

    @admin.display(description="in a card")
    def markdown(self, image: Image) -> str:
        return f"![describe the image]({image.name})" if image.pk else "Save the image first."

    @admin.display(description="image")
    def shown(self, image: Image) -> SafeString:
        if not image.pk:
            return SafeString("")
        return format_html('<img src="{}" alt="" class="uploaded-image">', image.get_absolute_url())


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)
    list_display = ("name",)


@admin.register(CardProgress)
class CardProgressAdmin(admin.ModelAdmin):
    list_display = ("user", "card", "easiness", "repetitions", "interval", "due", "lapses", "suspended")
    list_filter = ("suspended",)
    list_select_related = ("user", "card")
    raw_id_fields = ("user", "card")
    search_fields = ("user__username",)


@admin.register(ReviewLog)
class ReviewLogAdmin(admin.ModelAdmin):
    list_display = ("user", "card", "grade", "kind", "review_day", "answer_ms", "reviewed_at")
    list_filter = ("kind", "grade")
    list_select_related = ("user", "card")
    raw_id_fields = ("user", "card")
    date_hierarchy = "reviewed_at"

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the log is append-only
