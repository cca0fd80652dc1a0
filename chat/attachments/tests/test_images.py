"""Images are stored as re-encoded: upright, without metadata, with a thumbnail."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from chat.attachments.images import image_process
from chat.attachments.tests.conftest import exif_bytes, gif_bytes, jpeg_bytes, png_bytes
from chat.services.checks import ChatError


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_jpeg_loses_exif_gps_and_comment_and_is_turned_upright() -> None:
    source = jpeg_bytes((800, 400), orientation=6)  # "rotate 90° clockwise to view"
    assert opened(source).getexif().get_ifd(0x8825)  # the test file does carry a position

    result = image_process(io.BytesIO(source), kind="jpg")

    stored = opened(result.content)
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info and "comment" not in stored.info
    assert b"PhoneMaker" not in result.content and b"secret comment" not in result.content
    assert (result.width, result.height) == (400, 800) == stored.size


def test_png_loses_exif() -> None:
    result = image_process(io.BytesIO(png_bytes()), kind="png")
    stored = opened(result.content)
    assert dict(stored.getexif()) == {}
    assert b"PhoneMaker" not in result.content
    assert stored.size == (40, 20)


def test_thumbnail_fits_the_box_and_keeps_transparency(settings: Any) -> None:
    settings.CHAT_ATTACHMENT_THUMBNAIL_PX = 320
    opaque = image_process(io.BytesIO(jpeg_bytes((1600, 800))), kind="jpg")
    assert opaque.thumbnail_type == "image/jpeg"
    assert opened(opaque.thumbnail).size == (320, 160)
    clear = image_process(io.BytesIO(png_bytes((40, 20), mode="RGBA")), kind="png")
    assert clear.thumbnail_type == "image/png"
    assert opened(clear.thumbnail).mode == "RGBA"


def test_animated_gif_keeps_its_frames() -> None:
    result = image_process(io.BytesIO(gif_bytes(frames=3)), kind="gif")
    assert getattr(opened(result.content), "n_frames", 1) == 3


def test_webp_is_reencoded() -> None:
    source = io.BytesIO()
    Image.new("RGB", (64, 32), (1, 2, 3)).save(source, "WEBP", exif=exif_bytes(orientation=8))
    result = image_process(source, kind="webp")
    assert opened(result.content).format == "WEBP" and b"PhoneMaker" not in result.content
    assert opened(result.content).size == (32, 64)


def test_damaged_exif_is_dropped_not_refused() -> None:
    source = io.BytesIO()
    Image.new("RGB", (64, 32), (1, 2, 3)).save(source, "WEBP", exif=b"Exif\x00\x00PhoneMaker")
    result = image_process(source, kind="webp")
    assert b"PhoneMaker" not in result.content and opened(result.content).size == (64, 32)


def test_decompression_bomb_is_refused_before_decoding(settings: Any) -> None:
    settings.CHAT_ATTACHMENT_MAX_PIXELS = 10_000
    with pytest.raises(ChatError) as refused:
        image_process(io.BytesIO(png_bytes((200, 100))), kind="png")
    assert refused.value.code == "image_too_large"


def test_pillows_own_bomb_limit_is_a_refusal_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ChatError) as refused:
        image_process(io.BytesIO(png_bytes((20, 10))), kind="png")
    assert refused.value.code == "image_too_large"


def test_damaged_image_is_refused() -> None:
    with pytest.raises(ChatError) as refused:
        image_process(io.BytesIO(png_bytes()[:60]), kind="png")
    assert refused.value.code == "type_refused"
