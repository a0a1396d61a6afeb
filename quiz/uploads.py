"""Card images in the admin: the upload form, and the import's check that referenced images exist."""

import uuid
from pathlib import Path

from django import forms
from django.core.files.base import ContentFile
from django.utils.text import slugify

from quiz import images
from quiz.models import Image
from quiz.qa_format import FormatProblem, ParsedDeck, QAFormatError


class ImageForm(forms.ModelForm):
    """An upload is accepted for its content alone (quiz/images.py), never its name."""

    class Meta:
        model = Image
        fields = ["name", "file"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].help_text += " Empty: taken from the file's name."
        self.fields["file"].help_text = (
            f"PNG, JPEG, WebP or GIF (checked by content; SVG is refused), at most {images.MAX_BYTES:,} bytes "
            f"and {images.MAX_PIXELS:,} pixels. It is re-encoded, which drops metadata."
        )
        self.checked: images.CheckedImage | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload is None or upload is False or not hasattr(upload, "content_type"):
            return upload  # unchanged on an existing image
        if upload.size > images.MAX_BYTES:
            raise forms.ValidationError(f"The image is {upload.size:,} bytes; the limit is {images.MAX_BYTES:,}.")
        try:
            self.checked = images.check_image(upload.read())
        except images.ImageRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None
        return upload

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if not cleaned.get("name") and self.checked is not None:
            stem = slugify(Path(upload.name).stem)[:90] or "image"
            name = f"{stem}.{self.checked.extension}"
            if Image.objects.filter(name=name).exists():
                self.add_error("name", f"An image named “{name}” exists; choose another name.")
            cleaned["name"] = name
            self.instance.name = name
        elif not cleaned.get("name") and "name" not in self.errors:
            self.add_error("name", "Give the image a name.")
        return cleaned

    def save(self, commit: bool = True) -> Image:
        image = super().save(commit=False)
        if self.checked is not None:
            image.file = ContentFile(self.checked.content, name=f"{uuid.uuid4().hex}.{self.checked.extension}")
            image.content_type = self.checked.content_type
            image.width, image.height = self.checked.width, self.checked.height
            image.size = len(self.checked.content)
        if commit:
            image.save()
        return image


def check_images(text: str, parsed: ParsedDeck) -> None:
    """QAFormatError naming the line of each image reference no upload answers.

    The hook the Q&A and Anki imports call after parsing, before writing.
    """
    lines = text.splitlines()
    starts = [card.line for card in parsed.cards] + [len(lines) + 1]
    references: list[tuple[int, str]] = []
    for start, end in zip(starts, starts[1:], strict=False):
        for number in range(start, end):
            references.extend((number, name) for name in images.referenced_names(lines[number - 1]))
    missing = Image.objects.missing_from(name for _, name in references)
    problems = [
        FormatProblem(number, f"no uploaded image is named “{name}” (upload it in the admin under Images)")
        for number, name in references
        if name in missing
    ]
    if problems:
        raise QAFormatError(problems)
