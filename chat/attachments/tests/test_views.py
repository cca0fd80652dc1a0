"""Upload endpoints: the widget's (token, origin, CORS) and the dashboard's (session, CSRF)."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient, Client
from PIL import Image

from chat.attachments.models import Attachment
from chat.attachments.tests.conftest import (
    HTML,
    PDF,
    SVG,
    agent_post,
    multipart,
    png_bytes,
    stored_files,
    token_for,
    upload,
)
from chat.models import Agent, Conversation, Site, Visitor

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example"


def body(response: Any) -> dict[str, Any]:
    return json.loads(response.content)  # type: ignore[no-any-return]


# --- visitor uploads (widget) --------------------------------------------------------


def test_visitor_upload(widget: Any, conversation: Conversation, media: Path) -> None:
    response = widget(
        conversation.visitor, "shot.png", png_bytes((40, 20)), conversation=conversation.public_id
    )
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == SHOP
    payload = body(response)
    attachment = Attachment.objects.get()
    assert payload["id"] == str(attachment.pk) and payload["type"] == "image/png"
    assert (payload["name"], payload["width"], payload["height"]) == ("shot.png", 40, 20)
    assert attachment.conversation == conversation and attachment.visitor == conversation.visitor
    with attachment.file.open("rb") as stored:
        assert b"PhoneMaker" not in stored.read()
    assert len(stored_files(media)) == 2  # the image and its thumbnail


def test_visitor_upload_before_the_first_message(widget: Any, site: Site) -> None:
    visitor = Visitor.objects.create(site=site)
    response = widget(visitor, "invoice.pdf", PDF, conversation="not-created-yet")
    assert response.status_code == 201
    assert Attachment.objects.get().conversation is None


def test_widget_preflight(site: Site) -> None:
    client = Client()
    allowed = client.options(
        "/widget/shop/attachments/",
        headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"},
    )
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == SHOP
    assert allowed["Access-Control-Allow-Methods"] == "POST"
    assert allowed["Access-Control-Allow-Headers"] == "Authorization"
    refused = client.options(
        "/widget/shop/attachments/", headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused
    assert client.options("/widget/nope/attachments/", headers={"Origin": SHOP}).status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("cat.png", HTML, 415, "type_refused"),  # a renamed HTML page
        ("logo.svg", SVG, 415, "type_refused"),
        ("empty.png", b"", 400, "empty"),
        ("../../x.png", png_bytes(), 400, "invalid_name"),
        ("../", png_bytes(), 400, "invalid_name"),  # Django would drop this part entirely
    ],
)
def test_visitor_upload_refusals(
    widget: Any,
    conversation: Conversation,
    media: Path,
    name: str,
    data: bytes,
    status: int,
    code: str,
) -> None:
    response = widget(conversation.visitor, name, data, conversation=conversation.public_id)
    assert (response.status_code, body(response)["error"]) == (status, code)
    assert response["Access-Control-Allow-Origin"] == SHOP  # the widget can read why
    assert stored_files(media) == [] and not Attachment.objects.exists()


def test_size_limit_by_file_and_by_request(
    widget: Any, conversation: Conversation, settings: Any, media: Path
) -> None:
    settings.CHAT_ATTACHMENT_MAX_BYTES = 100
    small_over = widget(conversation.visitor, "a.pdf", PDF + b" " * 100)
    assert (small_over.status_code, body(small_over)["error"]) == (413, "too_large")
    far_over = widget(conversation.visitor, "a.pdf", PDF + b" " * 100_000)  # refused unread
    assert (far_over.status_code, body(far_over)["error"]) == (413, "too_large")
    assert stored_files(media) == []


def test_visitor_rate_limit(widget: Any, conversation: Conversation, settings: Any) -> None:
    settings.CHAT_ATTACHMENT_UPLOADS_PER_MINUTE = 1
    assert widget(conversation.visitor, "a.pdf", PDF).status_code == 201
    limited = widget(conversation.visitor, "b.pdf", PDF)
    assert (limited.status_code, body(limited)["error"]) == (429, "rate_limited")
    assert limited["Retry-After"] == "60"


def test_visitor_upload_authorisation(
    widget: Any,
    site: Site,
    other_site: Site,
    conversation: Conversation,
    start: Callable[..., Conversation],
    media: Path,
) -> None:
    visitor, pid = conversation.visitor, conversation.public_id

    def answer(response: Any) -> tuple[int, str]:
        return response.status_code, body(response)["error"]

    assert answer(widget(None, "a.pdf", PDF, conversation=pid)) == (401, "invalid_token")
    assert answer(widget(visitor, "a.pdf", PDF, token="forged")) == (401, "invalid_token")
    stranger = Visitor.objects.create(site=other_site)
    assert answer(widget(stranger, "a.pdf", PDF, conversation=pid)) == (401, "invalid_token")
    other = start(site)
    assert answer(widget(other.visitor, "a.pdf", PDF, conversation=pid)) == (403, "forbidden")
    evil = widget(visitor, "a.pdf", PDF, conversation=pid, origin="https://evil.example")
    assert answer(evil) == (403, "origin_not_allowed")
    assert "Access-Control-Allow-Origin" not in evil
    assert answer(widget(visitor, "a.pdf", PDF, site_key="nope")) == (404, "unknown_site")
    assert stored_files(media) == []


def test_one_file_per_request(conversation: Conversation) -> None:
    response = Client().post(
        "/widget/shop/attachments/",
        {"file": [upload("a.pdf", PDF), upload("b.pdf", PDF)]},
        headers={"Origin": SHOP, "Authorization": f"Bearer {token_for(conversation.visitor)}"},
    )
    assert (response.status_code, body(response)["error"]) == (400, "invalid")


# --- agent uploads (dashboard) -------------------------------------------------------


def test_agent_upload(agent_client: Client, conversation: Conversation, agent: Agent) -> None:
    response = agent_post(agent_client, conversation, "invoice.pdf", PDF)
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert (attachment.sender, attachment.agent, attachment.conversation) == (
        "agent",
        agent,
        conversation,
    )


def test_agent_upload_needs_csrf_a_session_and_the_site(
    agent_client: Client,
    conversation: Conversation,
    make_agent: Callable[..., Agent],
    other_site: Site,
    media: Path,
) -> None:
    no_csrf = agent_post(agent_client, conversation, "a.pdf", PDF, csrf="")
    assert (no_csrf.status_code, body(no_csrf)["error"]) == (403, "csrf_failed")
    anonymous = agent_post(Client(), conversation, "a.pdf", PDF)
    assert (anonymous.status_code, body(anonymous)["error"]) == (403, "not_signed_in")
    outsider = Client(enforce_csrf_checks=True)
    outsider.force_login(make_agent("olga", sites=[other_site]).user)
    outsider.cookies["csrftoken"] = "c" * 32
    elsewhere = agent_post(outsider, conversation, "a.pdf", PDF)
    assert (elsewhere.status_code, body(elsewhere)["error"]) == (404, "not_found")
    assert stored_files(media) == []


def test_malformed_conversation_id(widget: Any, conversation: Conversation) -> None:
    response = widget(conversation.visitor, "a.pdf", PDF, conversation="../x")
    assert (response.status_code, body(response)["error"]) == (400, "invalid_conversation_id")


def test_large_upload_spooled_to_disk(
    widget: Any, conversation: Conversation, settings: Any
) -> None:
    """Over FILE_UPLOAD_MAX_MEMORY_SIZE Django hands over a temporary file, not memory."""
    noise = Image.frombytes("RGB", (1100, 1000), os.urandom(1100 * 1000 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    response = widget(conversation.visitor, "noise.png", out.getvalue())
    assert response.status_code == 201, response.content
    assert (body(response)["width"], body(response)["height"]) == (1100, 1000)


@pytest.mark.django_db(transaction=True)
async def test_upload_and_download_through_asgi(conversation: Conversation) -> None:
    """The servers run ASGI (daphne): the upload parser hook works on ASGI requests too."""
    try:
        await _upload_and_download_through_asgi(conversation)
    finally:
        # The views ran in asgiref's sync thread: close its connection, or PostgreSQL
        # cannot drop the test database.
        await sync_to_async(connections.close_all)()


async def _upload_and_download_through_asgi(conversation: Conversation) -> None:
    token = await sync_to_async(token_for)(conversation.visitor)
    data, content_type = multipart("../evil.png", png_bytes(), {})
    client = AsyncClient()
    headers = {"Origin": SHOP, "Authorization": f"Bearer {token}"}
    refused = await client.post(
        "/widget/shop/attachments/", data, content_type=content_type, headers=headers
    )
    assert (refused.status_code, body(refused)["error"]) == (400, "invalid_name")
    data, content_type = multipart("fine.png", png_bytes(), {})
    stored = await client.post(
        "/widget/shop/attachments/", data, content_type=content_type, headers=headers
    )
    assert stored.status_code == 201
    fetched = await client.get(
        body(stored)["url"].removeprefix("http://testserver"), headers=headers
    )
    assert fetched.status_code == 200
    assert fetched["Content-Disposition"] == 'attachment; filename="fine.png"'


def test_file_in_another_field(conversation: Conversation) -> None:
    response = Client().post(
        "/widget/shop/attachments/",
        {"document": upload("a.pdf", PDF)},
        headers={"Origin": SHOP, "Authorization": f"Bearer {token_for(conversation.visitor)}"},
    )
    assert (response.status_code, body(response)["error"]) == (400, "invalid")
    assert "Origin" in response["Vary"] and "Authorization" in response["Vary"]
