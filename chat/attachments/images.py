"""Images are stored as we re-encode them, never as uploaded.

Re-encoding through Pillow applies the EXIF orientation to the pixels and writes none of
the metadata (EXIF with its GPS position, XMP, comments, text chunks); only the colour
profile is kept, since dropping it shifts the colours of wide-gamut phone photos. A file
that is something else dressed as an image (a polyglot) keeps only its pixels.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from chat.services.checks import ChatError

PIL_FORMAT = {"png": "PNG", "jpg": "JPEG", "gif": "GIF", "webp": "WEBP"}
# What may follow a re-encoded image: no EXIF, XMP, comments or text chunks.
KEPT_INFO = ("icc_profile", "transparency", "duration", "loop", "background")


@dataclass(frozen=True)
class Processed:
    content: bytes
    width: int
    height: int
    thumbnail: bytes
    thumbnail_type: str  # image/jpeg, or image/png where there is transparency


def image_process(file: IO[bytes], *, kind: str) -> Processed:
    """Re-encode the image and make its thumbnail. Raises ChatError("type_refused") for
    an image Pillow cannot read, ChatError("image_too_large") past the pixel limit."""
    file.seek(0)
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice it; both are refusals here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(file, formats=[PIL_FORMAT[kind]]) as image:
                _check_pixels(image)
                info = {k: image.info[k] for k in KEPT_INFO if k in image.info}
                frames = _frames(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_large() from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ChatError("type_refused", "This image is damaged or not what it claims.") from exc
    first = frames[0]
    content = _encode(frames, kind=kind, info=info)
    thumbnail, thumbnail_type = _thumbnail(first)
    return Processed(
        content=content,
        width=first.width,
        height=first.height,
        thumbnail=thumbnail,
        thumbnail_type=thumbnail_type,
    )


def _too_large() -> ChatError:
    return ChatError("image_too_large", "This image has too many pixels to be accepted.")


def _check_pixels(image: Image.Image) -> None:
    """Before any pixel is decoded: the header's size times the frames."""
    width, height = image.size
    frames = getattr(image, "n_frames", 1)
    if width * height * frames > settings.CHAT_ATTACHMENT_MAX_PIXELS:
        raise _too_large()


def _frames(image: Image.Image) -> list[Image.Image]:
    """Decoded frames, each turned upright, with no metadata attached (some encoders
    write what they find in ``info``)."""
    frames = []
    for frame in ImageSequence.Iterator(image):
        try:
            upright = ImageOps.exif_transpose(frame.copy())
        except (SyntaxError, ValueError, KeyError, TypeError, OSError):
            # Damaged EXIF (some cameras write it): the pixels are fine, the EXIF goes.
            upright = frame.copy()
        upright.info = {k: v for k, v in upright.info.items() if k in KEPT_INFO}
        frames.append(upright)
    return frames


def _encode(frames: list[Image.Image], *, kind: str, info: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    options: dict[str, Any] = {k: v for k, v in info.items() if k != "background"}
    first = frames[0]
    if kind == "jpg":
        if first.mode not in ("L", "RGB", "CMYK"):
            first = first.convert("RGB")
        first.save(out, "JPEG", quality=90, **options)
    elif len(frames) > 1 and kind in ("gif", "webp", "png"):
        first.save(out, PIL_FORMAT[kind], save_all=True, append_images=frames[1:], **options)
    else:
        first.save(out, PIL_FORMAT[kind], **options)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> tuple[bytes, str]:
    size = settings.CHAT_ATTACHMENT_THUMBNAIL_PX
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    thumb = image.convert("RGBA" if transparent else "RGB")
    thumb.thumbnail((size, size))
    out = io.BytesIO()
    if transparent:
        thumb.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    thumb.save(out, "JPEG", quality=80)
    return out.getvalue(), "image/jpeg"
