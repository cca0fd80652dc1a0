"""Real files made on the spot, conversations, and the clients that upload them."""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from chat import services
from chat.models import Agent, Conversation, Site, Visitor
from chat.tokens import visitor_token_issue

_ids = itertools.count(1)

GPS = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Every test stores into its own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAT_PUBLIC_URL = "http://testserver"
    return Path(settings.MEDIA_ROOT)


def stored_files(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file())


def exif_bytes(*, orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    if orientation is not None:
        exif[0x0112] = orientation
    exif[0x8825] = GPS  # GPSInfo
    return exif.tobytes()


def png_bytes(size: tuple[int, int] = (40, 20), *, mode: str = "RGB", gps: bool = True) -> bytes:
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128))
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif_bytes() if gps else b"")
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (800, 400), *, orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (10, 120, 200))
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif_bytes(orientation=orientation), comment=b"secret comment")
    return out.getvalue()


def gif_bytes(frames: int = 3) -> bytes:
    images = [Image.new("RGB", (30, 30), (i * 80, 0, 255 - i * 80)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120
SCRIPT = b"#!/bin/sh\nrm -rf ~\n"
TEXT = "Order 1234: the parcel never arrived.\nThanks, Zoë\n".encode()
CSV = b"order,amount\n1234,19.99\n"


def zip_bytes(entries: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in (entries or {"notes.txt": b"hello"}).items():
            archive.writestr(name, data)
    return out.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document/>",
        }
    )


def multipart(name: str, data: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    """A form with one file, its name exactly as given (Django's test client, like the
    upload classes, would strip a path from it)."""
    boundary = "----parley-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def start() -> Callable[..., Conversation]:
    def make(site: Site, visitor: Visitor | None = None) -> Conversation:
        n = next(_ids)
        return services.conversation_start(
            site=site,
            public_id=f"att-{n:06d}",
            visitor=visitor or Visitor.objects.create(site=site, name=f"V{n}"),
            context={},
            ip=f"10.2.{n // 250}.{n % 250}",
            first_message="hello",
        )

    return make


@pytest.fixture
def conversation(site: Site, start: Callable[..., Conversation]) -> Conversation:
    return start(site)


def token_for(visitor: Visitor) -> str:
    return visitor_token_issue(site_id=visitor.site_id, visitor_id=visitor.pk)


@pytest.fixture
def widget() -> Callable[..., Any]:
    """POST a file as the widget does: cross-origin, with the visitor token."""

    def post(
        visitor: Visitor | None,
        name: str,
        data: bytes,
        *,
        conversation: str | None = "",
        site_key: str = "shop",
        origin: str | None = "https://shop.example",
        token: str | None = None,
    ) -> Any:
        headers: dict[str, str] = {}
        if origin:
            headers["Origin"] = origin
        if token is None and visitor is not None:
            token = token_for(visitor)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        fields = {"conversation": conversation} if conversation else {}
        payload, content_type = multipart(name, data, fields)
        return Client().post(
            f"/widget/{site_key}/attachments/", payload, content_type=content_type, headers=headers
        )

    return post


@pytest.fixture
def agent_client(agent: Agent) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent.user)
    client.cookies["csrftoken"] = CSRF
    return client


CSRF = "c" * 32


def agent_post(
    client: Client, conversation: Conversation, name: str, data: bytes, *, csrf: str = CSRF
) -> Any:
    return client.post(
        f"/conversations/{conversation.public_id}/attachments/",
        {"file": upload(name, data)},
        headers={"X-CSRFToken": csrf} if csrf else {},
    )
