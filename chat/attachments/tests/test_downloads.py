"""Authorised downloads, signed links, and removing an unsent upload."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from chat import services as chat_services
from chat.attachments import services
from chat.attachments.models import Attachment
from chat.attachments.payloads import attachment_signed_url
from chat.attachments.tests.conftest import (
    PDF,
    jpeg_bytes,
    png_bytes,
    token_for,
    upload,
)
from chat.models import Agent, Conversation, Site, Visitor

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example"


def body(response: Any) -> dict[str, Any]:
    return json.loads(response.content)  # type: ignore[no-any-return]


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
