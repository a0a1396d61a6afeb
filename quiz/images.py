"""Images that cards show: checked by content, re-encoded, referenced by name.

A card refers to an uploaded image by its name alone, `![alt text](name.png)`;
the renderer turns a bare name into `/images/name.png`, which the app serves
from the storage backend (so the CSP's `img-src 'self'` holds whatever the
backend is). Nothing is trusted from the upload's name or declared type:
Pillow must recognise and verify the bytes as one of FORMATS, and the pixels
are re-encoded, which drops metadata, trailing bytes and anything smuggled
alongside the picture.
"""

import io
import re
from dataclasses import dataclass

from PIL import Image as PillowImage
from PIL import UnidentifiedImageError

# Pillow format name -> (content type, file extension).
FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 25_000_000  # e.g. 5,000 × 5,000; decoding costs memory in proportion
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# `![alt](name)` or `![alt](name "title")` where name is a bare image name.
REFERENCE_RE = re.compile(r"!\[[^\]\n]*\]\(\s*<?(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)>?(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
# The same in raw HTML, as Anki's exports write it: <img src="name.png">.
HTML_REFERENCE_RE = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?=["'\s>/])""", re.IGNORECASE)


class ImageRefused(ValueError):
    pass


@dataclass(frozen=True)
class CheckedImage:
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int


def check_image(data: bytes) -> CheckedImage:
    """The image re-encoded in its own format, or ImageRefused saying why not."""
    if len(data) > MAX_BYTES:
        raise ImageRefused(f"The image is {len(data):,} bytes; the limit is {MAX_BYTES:,}.")
    try:
        with PillowImage.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if kind not in FORMATS:
                raise ImageRefused(f"{kind or 'This'} images are not accepted; upload PNG, JPEG, WebP or GIF.")
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageRefused(
                    f"The image is {probe.width} × {probe.height} pixels; the limit is {MAX_PIXELS:,} pixels."
                )
            # Every frame of an animation is decoded and re-encoded, so the
            # limit is on all of them together (counting frames reads only
            # their headers).
            frames = getattr(probe, "n_frames", 1)
            if frames * probe.width * probe.height > MAX_PIXELS:
                raise ImageRefused(
                    f"The animation is {frames} frames of {probe.width} × {probe.height} pixels, "
                    f"{frames * probe.width * probe.height:,} in all; the limit is {MAX_PIXELS:,} pixels."
                )
            probe.verify()
        with PillowImage.open(io.BytesIO(data)) as image:
            image.load()
            content = _reencode(image, kind)
            width, height = image.size
    except ImageRefused:
        raise
    except (UnidentifiedImageError, PillowImage.DecompressionBombError):
        raise ImageRefused("This is not a PNG, JPEG, WebP or GIF image.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageRefused(f"The image is damaged: {error}") from None
    content_type, extension = FORMATS[kind]
    return CheckedImage(content, content_type, extension, width, height)


def _reencode(image: PillowImage.Image, kind: str) -> bytes:
    out = io.BytesIO()
    animated = getattr(image, "is_animated", False)
    if kind == "JPEG":
        image.save(out, "JPEG", quality=92, optimize=True)
    elif kind == "PNG":
        image.save(out, "PNG", optimize=True)
    elif kind == "WEBP":
        image.save(out, "WEBP", quality=90, save_all=animated)
    else:
        image.save(out, "GIF", save_all=animated)
    return out.getvalue()


def referenced_names(markdown: str) -> list[str]:
    """Image names a card's Markdown refers to, in order."""
    found = [(match.start(), match.group("name")) for match in REFERENCE_RE.finditer(markdown)]
    found += [(match.start(), match.group("name")) for match in HTML_REFERENCE_RE.finditer(markdown)]
    return [name for _, name in sorted(found)]
