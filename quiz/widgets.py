from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from quiz import images
from quiz.models import Image
from quiz.rendering import render_markdown


class MarkdownEditor(forms.Textarea):
    """A monospace Markdown textarea with a live preview beside it.

    The preview is the review page's own renderer, fetched by htmx from
    `preview_url` as the author types; without JavaScript the textarea is an
    ordinary one and the saved card's preview below the form still applies.
    """

    template_name = "admin/quiz/card/markdown-editor.html"

    def __init__(self, *, preview_url: str, side: str, attrs: dict | None = None) -> None:
        rows = 4 if side == "question" else 18
        super().__init__(attrs={"rows": rows, "spellcheck": "false", **(attrs or {})})
        self.preview_url = preview_url
        self.side = side

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        # Django already points aria-describedby at the help text; add the preview's label.
        widget_attrs["aria-describedby"] = " ".join(
            filter(None, [widget_attrs.get("aria-describedby"), f"{widget_attrs.get('id', name)}-preview-label"])
        )
        context["widget"].update(
            preview_url=self.preview_url,
            side=self.side,
            preview=preview_of(value or ""),
        )
        return context

    def _render(self, template_name, context, renderer=None) -> SafeString:
        # The project's templates, not the form renderer's: the same file holds
        # the preview fragment that the preview view renders on its own.
        return SafeString(render_to_string(template_name, context))


def preview_of(source: str) -> dict:
    """What the preview pane shows for `source`: the HTML, or why there is none."""
    try:
        html = render_markdown(source)
    except ValueError as error:  # RenderError: past a limit (too long, nested too deeply)
        return {"html": "", "error": f"This cannot be shown: {error}", "missing_images": []}
    missing = Image.objects.missing_from(images.referenced_names(source))
    return {"html": html, "error": "", "missing_images": sorted(missing)}
