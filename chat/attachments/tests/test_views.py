"""The HTTP endpoints: uploads from the widget and the dashboard, authorised downloads."""

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

from chat import services as chat_services
from chat.attachments import services
from chat.attachments.models import Attachment
from chat.attachments.payloads import attachment_signed_url
from chat.attachments.tests.conftest import (
    HTML,
    PDF,
    SVG,
    agent_post,
    jpeg_bytes,
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


# --- downloads -------------------------------------------------------------------------


@pytest.fixture
def files(conversation: Conversation, agent: Agent) -> dict[str, Attachment]:
    """A conversation's files in every state a download can meet."""
    visitor = conversation.visitor

    def sent(name: str, data: bytes, uploader: Visitor | Agent, sender: str) -> Attachment:
        attachment = unsent(name, data, uploader)
        message = chat_services.message_post(
            conversation_id=conversation.pk,
            sender=sender,
            body="file",
            agent=uploader if isinstance(uploader, Agent) else None,
        ).message
        services.attachments_bind(message=message, attachments=[attachment])
        return attachment

    def unsent(name: str, data: bytes, uploader: Visitor | Agent) -> Attachment:
        return services.attachment_upload(
            site=conversation.site,
            conversation=conversation,
            uploader=uploader,
            upload=upload("upload", data),
            client_name=name,
        )

    return {
        "visitor_image": sent("shot.png", png_bytes(), visitor, "visitor"),
        "agent_pdf": sent("invoice.pdf", PDF, agent, "agent"),
        "note_file": sent("internal.pdf", PDF, agent, "note"),
        "agent_unsent": unsent("draft.pdf", PDF, agent),
        "visitor_unsent": unsent("later.png", jpeg_bytes(), visitor),
    }


def visitor_get(attachment: Attachment, visitor: Visitor, origin: str | None = SHOP) -> Any:
    headers = {"Authorization": f"Bearer {token_for(visitor)}"}
    if origin:
        headers["Origin"] = origin
    return Client().get(f"/attachments/{attachment.pk}/", headers=headers)


def test_the_conversations_visitor_downloads_what_was_sent_to_them(
    files: dict[str, Attachment], conversation: Conversation
) -> None:
    visitor = conversation.visitor
    status = {name: visitor_get(a, visitor).status_code for name, a in files.items()}
    assert status == {
        "visitor_image": 200,
        "agent_pdf": 200,
        "note_file": 404,  # internal notes stay internal
        "agent_unsent": 404,
        "visitor_unsent": 200,
    }
    response = visitor_get(files["agent_pdf"], visitor)
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "Content-Disposition" in response["Access-Control-Expose-Headers"]
    assert b"".join(response.streaming_content) == PDF


def test_other_visitors_and_origins_get_nothing(
    files: dict[str, Attachment], site: Site, start: Callable[..., Conversation]
) -> None:
    other = start(site)
    for attachment in files.values():
        assert visitor_get(attachment, other.visitor).status_code == 404
    own = files["visitor_image"]
    owner = own.visitor
    assert owner is not None
    evil = visitor_get(own, owner, origin="https://evil.example")
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil
    forged = Client().get(f"/attachments/{own.pk}/", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401


def test_signed_out_browser_gets_403(files: dict[str, Attachment]) -> None:
    for attachment in files.values():
        response = Client().get(f"/attachments/{attachment.pk}/")
        assert (response.status_code, body(response)["error"]) == (403, "not_signed_in")
        assert Client().get(f"/attachments/{attachment.pk}/thumbnail/").status_code == 403


def test_agents_of_the_site_download_agents_of_others_do_not(
    files: dict[str, Attachment],
    agent: Agent,
    make_agent: Callable[..., Agent],
    other_site: Site,
) -> None:
    client = Client()
    client.force_login(agent.user)
    status = {n: client.get(f"/attachments/{a.pk}/").status_code for n, a in files.items()}
    assert status == {
        "visitor_image": 200,
        "agent_pdf": 200,
        "note_file": 200,
        "agent_unsent": 200,
        "visitor_unsent": 404,  # not sent yet: the visitor may still drop it
    }
    colleague = Client()
    colleague.force_login(make_agent("bob").user)
    assert colleague.get(f"/attachments/{files['agent_unsent'].pk}/").status_code == 404
    outsider = Client()
    outsider.force_login(make_agent("olga", sites=[other_site]).user)
    for attachment in files.values():
        assert outsider.get(f"/attachments/{attachment.pk}/").status_code == 404


def test_download_headers(files: dict[str, Attachment], agent: Agent) -> None:
    client = Client()
    client.force_login(agent.user)
    pdf = client.get(f"/attachments/{files['agent_pdf'].pk}/")
    assert pdf.streaming
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="invoice.pdf"'
    assert pdf["X-Content-Type-Options"] == "nosniff"
    assert pdf["Content-Security-Policy"].startswith("sandbox;")
    assert pdf["Cross-Origin-Resource-Policy"] == "same-origin"
    image = client.get(f"/attachments/{files['visitor_image'].pk}/")
    assert image["Content-Disposition"] == 'attachment; filename="shot.png"'
    thumb = client.get(f"/attachments/{files['visitor_image'].pk}/thumbnail/")
    assert thumb["Content-Disposition"] == 'inline; filename="shot.png"'
    assert thumb["Content-Type"] == "image/jpeg"
    assert thumb["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in thumb["Content-Security-Policy"]
    assert Image.open(io.BytesIO(b"".join(thumb.streaming_content))).format == "JPEG"
    no_thumb = client.get(f"/attachments/{files['agent_pdf'].pk}/thumbnail/")
    assert no_thumb.status_code == 404


def test_download_preflight(files: dict[str, Attachment]) -> None:
    url = f"/attachments/{files['agent_pdf'].pk}/"
    ok = Client().options(url, headers={"Origin": SHOP, "Access-Control-Request-Method": "GET"})
    assert ok.status_code == 204 and ok["Access-Control-Allow-Origin"] == SHOP
    assert ok["Access-Control-Allow-Headers"] == "Authorization"
    assert ok["Access-Control-Allow-Methods"] == "GET, HEAD, DELETE"
    thumb = Client().options(
        f"/attachments/{files['visitor_image'].pk}/thumbnail/", headers={"Origin": SHOP}
    )
    assert thumb["Access-Control-Allow-Methods"] == "GET, HEAD"
    evil = Client().options(url, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil


def test_signed_links(files: dict[str, Attachment], settings: Any) -> None:
    pdf = files["agent_pdf"]
    url = attachment_signed_url(pdf).removeprefix("http://testserver")
    response = Client().get(url)  # nobody signed in: the link is the credential
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="invoice.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Client().get(url[:-3] + "xx/").status_code == 404  # tampered
    settings.CHAT_ATTACHMENT_LINK_MAX_AGE_DAYS = -1
    expired = Client().get(url)
    assert (expired.status_code, body(expired)["error"]) == (410, "link_expired")


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


def test_head_request(files: dict[str, Attachment], agent: Agent) -> None:
    client = Client()
    client.force_login(agent.user)
    response = client.head(f"/attachments/{files['agent_pdf'].pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


# --- removing an upload that was not sent ------------------------------------------------


def visitor_delete(attachment: Attachment, visitor: Visitor) -> Any:
    headers = {"Origin": SHOP, "Authorization": f"Bearer {token_for(visitor)}"}
    return Client().delete(f"/attachments/{attachment.pk}/", headers=headers)


def test_visitor_removes_an_unsent_upload(
    files: dict[str, Attachment],
    conversation: Conversation,
    site: Site,
    start: Callable[..., Conversation],
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    visitor = conversation.visitor
    unsent = files["visitor_unsent"]
    other = start(site)
    assert visitor_delete(unsent, other.visitor).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        removed = visitor_delete(unsent, visitor)
    assert removed.status_code == 204 and removed["Access-Control-Allow-Origin"] == SHOP
    assert not Attachment.objects.filter(pk=unsent.pk).exists()
    assert not (media / unsent.file.name).exists()
    sent = visitor_delete(files["visitor_image"], visitor)
    assert (sent.status_code, body(sent)["error"]) == (409, "attachment_used")
    theirs = visitor_delete(files["agent_pdf"], visitor)  # visible to them, not theirs
    assert (theirs.status_code, body(theirs)["error"]) == (404, "attachment_not_found")
    preflight = Client().options(f"/attachments/{unsent.pk}/", headers={"Origin": SHOP})
    assert preflight.status_code == 404  # gone


def test_agent_removes_an_unsent_upload(
    files: dict[str, Attachment],
    agent_client: Client,
    make_agent: Callable[..., Agent],
) -> None:
    unsent = files["agent_unsent"]
    url = f"/attachments/{unsent.pk}/"
    colleague = Client(enforce_csrf_checks=True)
    colleague.force_login(make_agent("bob").user)
    colleague.cookies["csrftoken"] = "c" * 32
    assert colleague.delete(url, headers={"X-CSRFToken": "c" * 32}).status_code == 404
    no_csrf = agent_client.delete(url)
    assert (no_csrf.status_code, body(no_csrf)["error"]) == (403, "csrf_failed")
    assert agent_client.delete(url, headers={"X-CSRFToken": "c" * 32}).status_code == 204
    sent = agent_client.delete(
        f"/attachments/{files['agent_pdf'].pk}/", headers={"X-CSRFToken": "c" * 32}
    )
    assert (sent.status_code, body(sent)["error"]) == (409, "attachment_used")
    assert Client().delete(f"/attachments/{files['agent_pdf'].pk}/").status_code == 403
