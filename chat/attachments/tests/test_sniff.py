"""Type by content: the name and the declared type never decide."""

from __future__ import annotations

import io
from typing import Any

import pytest

from chat.attachments.sniff import detect
from chat.attachments.tests.conftest import (
    CSV,
    ELF,
    EXE,
    HTML,
    PDF,
    SCRIPT,
    SVG,
    TEXT,
    docx_bytes,
    gif_bytes,
    jpeg_bytes,
    png_bytes,
    zip_bytes,
)
from chat.services.checks import ChatError


@pytest.mark.parametrize(
    ("name", "data", "kind", "content_type"),
    [
        ("shot.png", png_bytes(), "png", "image/png"),
        ("photo.png", jpeg_bytes(), "jpg", "image/jpeg"),  # misnamed: content wins
        ("anim.gif", gif_bytes(), "gif", "image/gif"),
        ("invoice", PDF, "pdf", "application/pdf"),
        ("notes.txt", TEXT, "txt", "text/plain; charset=utf-8"),
        ("orders.csv", CSV, "csv", "text/csv; charset=utf-8"),
        ("orders.txt", CSV, "txt", "text/plain; charset=utf-8"),
        ("archive.zip", zip_bytes(), "zip", "application/zip"),
        (
            "letter.zip",
            docx_bytes(),
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_allowed_types_are_found_by_content(
    name: str, data: bytes, kind: str, content_type: str
) -> None:
    found = detect(io.BytesIO(data), client_name=name)
    assert (found.kind, found.content_type) == (kind, content_type)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cat.png", HTML),  # an HTML page renamed
        ("logo.svg", SVG),
        ("logo.png", SVG),
        ("tool.pdf", ELF),
        ("setup.txt", EXE),
        ("run.txt", SCRIPT),
        ("page.txt", b"hello <a href='javascript:alert(1)'>x</a>"),
        ("data.bin", bytes(range(256))),
        ("broken.zip", b"PK\x03\x04" + b"\x00" * 40),  # a zip signature and no archive
    ],
)
def test_refused_content(name: str, data: bytes) -> None:
    with pytest.raises(ChatError) as refused:
        detect(io.BytesIO(data), client_name=name)
    assert refused.value.code == "type_refused"


def test_the_setting_chooses_the_types(settings: Any) -> None:
    settings.CHAT_ATTACHMENT_TYPES = ["png", "jpeg", "html", "svg"]
    assert detect(io.BytesIO(jpeg_bytes()), client_name="a.jpg").kind == "jpg"  # alias
    for data in (PDF, TEXT, HTML, SVG):  # not listed, or never allowed
        with pytest.raises(ChatError) as refused:
            detect(io.BytesIO(data), client_name="x")
        assert refused.value.code == "type_refused"


def test_non_utf8_text_has_no_charset() -> None:
    found = detect(io.BytesIO("Caf\xe9 au lait\n".encode("latin-1")), client_name="menu.txt")
    assert found.content_type == "text/plain"
