"""Files travel with messages: bound in the message's transaction, in every audience's
frame, in the replay, in the agent transcript and in the offline email."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from chat import selectors, services
from chat.attachments.models import Attachment
from chat.attachments.services import attachment_upload
from chat.attachments.tests.conftest import PDF, png_bytes, upload
from chat.events import message_payload, render_message
from chat.models import Agent, Conversation, Message, Site, Visitor
from chat.services import ChatError

pytestmark = pytest.mark.django_db


def uploaded(site: Site, conversation: Conversation | None, uploader: Any, name: str, data: bytes):
    return attachment_upload(
        site=site,
        conversation=conversation,
        uploader=uploader,
        upload=upload(name, data),
        client_name=name,
    )


def test_a_visitor_message_carries_its_files_to_every_audience(
    site: Site,
    conversation: Conversation,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[Any] = []
    monkeypatch.setattr("chat.broadcast.deliver", sent.extend)
    image = uploaded(site, conversation, conversation.visitor, "shot.png", png_bytes())
    pdf = uploaded(site, conversation, conversation.visitor, "invoice.pdf", PDF)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.message_post(
            conversation_id=conversation.pk,
            sender=Message.Sender.VISITOR,
            body="",  # files alone are a message
            attachments=[str(image.pk), str(pdf.pk)],
        )
    assert result.message.body == ""
    assert list(Attachment.objects.filter(message=result.message).order_by("original_name")) == [
        pdf,
        image,
    ]
    frames = [event["payload"] for _, event in sent if event["type"] == "visitor.frame"]
    files = next(f["attachments"] for f in frames if f.get("type") == "chat.message")
    assert [f["name"] for f in files] == ["shot.png", "invoice.pdf"]
    assert files[0]["thumbnail_url"] and files[1]["thumbnail_url"] is None
    html = next(event["html"] for _, event in sent if event["type"] == "agent.html")
    assert f"/attachments/{image.pk}/thumbnail/" in html and "invoice.pdf" in html
    # The replay reads them back.
    (replayed,) = selectors.messages_after(
        conversation_id=conversation.pk, after_id=result.message.pk - 1, include_notes=False
    )
    assert message_payload(replayed)["attachments"] == files


def test_a_retry_answers_with_the_files_and_sends_none_twice(
    site: Site, conversation: Conversation
) -> None:
    image = uploaded(site, conversation, conversation.visitor, "a.png", png_bytes())
    first = services.message_post(
        conversation_id=conversation.pk,
        sender="visitor",
        body="look",
        client_id="c-1",
        attachments=[str(image.pk)],
    )
    again = services.message_post(
        conversation_id=conversation.pk,
        sender="visitor",
        body="look",
        client_id="c-1",
        attachments=[str(image.pk)],
    )
    assert not again.created and again.message.pk == first.message.pk
    assert [a.pk for a in again.message.attachment_list] == [image.pk]
    with pytest.raises(ChatError) as used:
        services.message_post(
            conversation_id=conversation.pk,
            sender="visitor",
            body="again",
            attachments=[str(image.pk)],
        )
    assert used.value.code == "attachment_used"


def test_somebody_elses_upload_is_refused_and_nothing_is_stored(
    site: Site, conversation: Conversation, start: Any
) -> None:
    other = start(site)
    theirs = uploaded(site, other, other.visitor, "theirs.png", png_bytes())
    before = Message.objects.count()
    for ids in ([str(theirs.pk)], "not a list", ["not-a-uuid"]):
        with pytest.raises(ChatError) as refused:
            services.message_post(
                conversation_id=conversation.pk, sender="visitor", body="hi", attachments=ids
            )
        assert refused.value.code in {"attachment_not_found", "invalid"}
    assert Message.objects.count() == before
    theirs.refresh_from_db()
    assert theirs.message_id is None


def test_a_first_message_may_carry_a_file_uploaded_before_the_conversation(site: Site) -> None:
    visitor = Visitor.objects.create(site=site)
    early = uploaded(site, None, visitor, "before.png", png_bytes())
    conversation = services.conversation_start(
        site=site,
        public_id="files-0001",
        visitor=visitor,
        context={},
        ip="10.0.0.9",
        first_message="",
        attachments=[str(early.pk)],
    )
    early.refresh_from_db()
    assert early.conversation_id == conversation.pk and early.message_id is not None


def test_an_agent_reply_with_a_file_is_rendered_and_mailed_as_a_signed_link(
    site: Site, conversation: Conversation, agent: Agent, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Visitor.objects.filter(pk=conversation.visitor_id).update(email="v@example.com")
    pdf = attachment_upload(
        site=site,
        conversation=conversation,
        uploader=agent,
        upload=upload("guide.pdf", PDF),
        client_name="guide.pdf",
    )
    result = services.message_post(
        conversation_id=conversation.pk,
        sender="agent",
        body="Here is the guide: https://shop.example/guide?x=1&y=2",
        agent=agent,
        attachments=[str(pdf.pk)],
    )
    html = render_message(result.message, result.conversation)
    assert "guide.pdf" in html and f"/attachments/{pdf.pk}/" in html
    assert (
        '<a href="https://shop.example/guide?x=1&amp;y=2" target="_blank" '
        'rel="noopener nofollow ugc">' in html
    )
    from chat.tasks import email_reply_to_away_visitor

    email_reply_to_away_visitor.call(message_id=result.message.pk)
    (sent,) = mail.outbox
    assert "guide.pdf: http://testserver/attachments/signed/" in sent.body
