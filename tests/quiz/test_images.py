"""Card images: checked by content, re-encoded, served from storage, referenced by name."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from PIL import Image as PillowImage

from quiz import images
from quiz.models import Card, Deck, Image
from quiz.rendering import render_markdown

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


def picture(kind: str = "PNG", size: tuple[int, int] = (12, 8), **save) -> bytes:
    out = io.BytesIO()
    PillowImage.new("RGB", size, (200, 40, 40)).save(out, kind, **save)
    return out.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(client, data: bytes, filename: str, name: str = ""):
    return client.post(
        reverse("admin:quiz_image_add"),
        {"name": name, "file": SimpleUploadedFile(filename, data, content_type="image/png")},
    )


# Content checks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_each_allowed_format_is_accepted_by_its_content(kind, content_type):
    checked = images.check_image(picture(kind))
    assert checked.content_type == content_type
    assert (checked.width, checked.height) == (12, 8)
    with PillowImage.open(io.BytesIO(checked.content)) as reopened:
        assert reopened.format == kind


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (SVG, "not a PNG, JPEG, WebP or GIF"),
        (b"<html><script>alert(1)</script></html>", "not a PNG, JPEG, WebP or GIF"),
        (picture("BMP"), "BMP images are not accepted"),
        (picture("PNG")[:60], "damaged"),
        (b"", "not a PNG, JPEG, WebP or GIF"),
    ],
    ids=["svg", "html", "bmp", "truncated-png", "empty"],
)
def test_anything_else_is_refused(data, message):
    with pytest.raises(images.ImageRefused, match=message):
        images.check_image(data)


def test_size_limit_both_sides():
    png = picture("PNG")
    at_limit = png + b"\0" * (images.MAX_BYTES - len(png))  # trailing bytes Pillow ignores
    checked = images.check_image(at_limit)
    assert len(checked.content) < 1000  # re-encoding dropped the padding
    with pytest.raises(images.ImageRefused, match=f"{images.MAX_BYTES + 1:,} bytes; the limit is {images.MAX_BYTES:,}"):
        images.check_image(at_limit + b"\0")


def test_pixel_limit_both_sides(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 120)
    assert images.check_image(picture("PNG", (12, 10))).width == 12
    with pytest.raises(images.ImageRefused, match="12 × 11 pixels; the limit is 120 pixels"):
        images.check_image(picture("PNG", (12, 11)))


def animation(frames: int, size: tuple[int, int]) -> bytes:
    # A grey of its own for each frame, so the encoder keeps every one.
    pictures = [PillowImage.new("L", size, n * 20 % 256) for n in range(frames)]
    out = io.BytesIO()
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:])
    return out.getvalue()


def test_pixel_limit_counts_every_frame_of_an_animation(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 1200)
    assert images.check_image(animation(10, (12, 10))).content_type == "image/gif"
    with pytest.raises(images.ImageRefused, match="11 frames of 12 × 10 pixels, 1,320 in all; the limit is 1,200 pixels"):
        images.check_image(animation(11, (12, 10)))


def test_reencoding_strips_metadata_and_smuggled_bytes():
    exif = PillowImage.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    jpeg = picture("JPEG", exif=exif.tobytes()) + b"<script>alert(1)</script>"
    checked = images.check_image(jpeg)
    assert b"secret description" not in checked.content
    assert b"<script>" not in checked.content


# Admin upload -------------------------------------------------------------------


def test_staff_upload_a_png_that_is_stored_and_served(staff_client, media_root):
    response = upload(staff_client, picture("PNG"), "AR Diagram.PNG")
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.name == "ar-diagram.png"
    assert (image.content_type, image.width, image.height) == ("image/png", 12, 8)
    stored = Path(image.file.path)
    assert stored.parent == media_root / "images" and stored.suffix == ".png"
    served = staff_client.get(image.get_absolute_url())
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == stored.read_bytes()


def test_the_stored_name_comes_from_the_content_not_the_upload(staff_client):
    upload(staff_client, picture("JPEG"), "photo.png", name="photo")
    image = Image.objects.get()
    assert image.content_type == "image/jpeg" and image.file.name.endswith(".jpg")


@pytest.mark.parametrize(
    ("data", "filename", "error"),
    [
        (SVG, "drawing.svg", "This is not a PNG, JPEG, WebP or GIF image."),
        (SVG, "drawing.png", "This is not a PNG, JPEG, WebP or GIF image."),
        (picture("BMP"), "old.png", "BMP images are not accepted"),
    ],
    ids=["svg", "svg-named-png", "bmp"],
)
def test_refused_uploads_are_form_errors_and_write_nothing(staff_client, media_root, data, filename, error):
    response = upload(staff_client, data, filename)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Image.objects.exists()
    assert not (media_root / "images").exists() or not any((media_root / "images").iterdir())


def test_upload_size_limit_both_sides_through_the_admin(staff_client):
    png = picture("PNG")
    at_limit = png + b"\0" * (images.MAX_BYTES - len(png))
    assert upload(staff_client, at_limit, "big.png").status_code == 302
    response = upload(staff_client, at_limit + b"\0", "bigger.png")
    assert f"The image is {images.MAX_BYTES + 1:,} bytes; the limit is {images.MAX_BYTES:,}." in response.content.decode()
    assert Image.objects.count() == 1


def test_a_taken_name_is_a_form_error(staff_client):
    upload(staff_client, picture("PNG"), "a.png")
    response = upload(staff_client, picture("PNG"), "a.png")
    assert "exists; choose another name" in response.content.decode()
    response = upload(staff_client, picture("PNG"), "b.png", name="../etc/passwd")
    assert "Letters, digits" in response.content.decode()
    assert Image.objects.count() == 1


def test_images_are_for_signed_in_users_and_unknown_names_are_404(staff_client, user):
    upload(staff_client, picture("PNG"), "a.png")
    anonymous = Client().get("/images/a.png")
    assert anonymous.status_code == 302
    learner = Client()
    learner.force_login(user)
    assert learner.get("/images/a.png").status_code == 200
    assert learner.get("/images/b.png").status_code == 404


@pytest.mark.parametrize("name", ["a%00b.png", "%00", ".hidden.png", "a" * 101 + ".png", "a%20b.png"])
def test_a_name_no_image_can_have_is_404_without_a_query(user_client, django_assert_num_queries, name):
    # PostgreSQL refuses a NUL in a query: such names must not reach the database.
    with django_assert_num_queries(2):  # the session and the user
        assert user_client.get(f"/images/{name}").status_code == 404


def test_an_image_whose_file_is_gone_from_storage_is_404(staff_client):
    upload(staff_client, picture("PNG"), "a.png")
    image = Image.objects.get()
    os.remove(image.file.path)
    assert staff_client.get("/images/a.png").status_code == 404


# References from cards ------------------------------------------------------------


def test_a_bare_name_renders_as_this_sites_image_url():
    html = render_markdown('![The AR(1) process](ar-1.png "AR") and ![served](/images/b.gif)')
    assert '<img alt="The AR(1) process" src="/images/ar-1.png" title="AR">' in html
    assert 'src="/images/b.gif"' in html


@pytest.mark.parametrize("source", ["https://evil.example/x.png", "//evil.example/x.png", "data:image/png;base64,AAAA", "../x.png"])
def test_images_from_elsewhere_lose_their_source(source):
    assert "src=" not in render_markdown(f"![x]({source})")


def test_the_csp_allows_images_from_this_origin_only(user_client):
    policy = user_client.get("/decks/")["Content-Security-Policy"]
    img_src = policy.split("img-src")[1].split(";")[0]
    assert img_src.strip() == "'self'"


def test_import_of_a_missing_image_names_its_line(tmp_path):
    path = tmp_path / "deck.md"
    path.write_text("# Pictures\nQ: one?\nfine\n\nQ: two?\nSee:\n\n![the plot](plot.png)\n")
    with pytest.raises(CommandError) as error:
        call_command("import_qa", str(path), stdout=io.StringIO())
    assert str(error.value) == f"{path}:8: no uploaded image is named “plot.png” (upload it in the admin under Images)"
    assert not Deck.objects.exists()


def test_import_of_an_uploaded_image_renders_it(tmp_path, staff_client):
    upload(staff_client, picture("PNG"), "plot.png")
    path = tmp_path / "deck.md"
    path.write_text("# Pictures\nQ: two?\n![the plot](plot.png)\n")
    call_command("import_qa", str(path), stdout=io.StringIO())
    assert '<img alt="the plot" src="/images/plot.png">' in Card.objects.get().answer_html
    page = staff_client.get(Card.objects.get().get_absolute_url()).content.decode()
    assert 'src="/images/plot.png"' in page


def test_admin_import_refuses_a_missing_image_with_its_line(staff_client):
    data = SimpleUploadedFile("deck.md", b"# Pictures\nQ: one?\n![x](nope.png)\n")
    html = staff_client.post(reverse("admin:quiz_deck_import"), {"file": data}).content.decode()
    assert "deck.md:3: no uploaded image is named “nope.png”" in html
    assert not Deck.objects.exists()


def test_editor_preview_warns_of_a_missing_image(staff_client):
    html = staff_client.post(reverse("admin:quiz_card_preview", args=["answer"]), {"answer": "![x](nope.png)"}).content.decode()
    assert "No uploaded image is named “nope.png”" in html


def test_media_storage_backend_is_set_by_environment():
    code = (
        "import django; django.setup();"
        "from django.core.files.storage import storages;"
        "s = storages['default'];"
        "print(type(s).__module__ + '.' + type(s).__name__, s.base_url)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_MEDIA_STORAGE": "django.core.files.storage.InMemoryStorage",
        "DJANGO_MEDIA_STORAGE_OPTIONS": '{"base_url": "/elsewhere/"}',
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=django_settings.BASE_DIR, check=True)
    assert out.stdout.split() == ["django.core.files.storage.memory.InMemoryStorage", "/elsewhere/"]


def test_serving_an_image_query_count(staff_client, django_assert_num_queries):
    upload(staff_client, picture("PNG"), "a.png")
    with django_assert_num_queries(3):  # session, user, image
        staff_client.get("/images/a.png")
