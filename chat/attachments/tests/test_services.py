"""Storing uploads, binding them to messages, discarding the unsent."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from PIL import Image

from chat import services as chat_services
from chat.attachments import services
from chat.attachments.checks import check_caption
from chat.attachments.models import Attachment
from chat.attachments.payloads import attachment_payload
from chat.attachments.tests.conftest import (
    HTML,
    PDF,
    TEXT,
    jpeg_bytes,
    png_bytes,
    stored_files,
    upload,
)
from chat.models import Agent, Conversation, Message, Site, Visitor
from chat.services.checks import ChatError

pytestmark = pytest.mark.django_db


def store(
    conversation: Conversation | None,
    uploader: Visitor | Agent,
    name: str = "invoice.pdf",
    data: bytes = PDF,
    *,
    site: Site | None = None,
) -> Attachment:
    return services.attachment_upload(
        site=site or (conversation.site if conversation else uploader.sites.get()),  # type: ignore[union-attr]
        conversation=conversation,
        uploader=uploader,
        upload=upload("upload", data, "image/png"),
        client_name=name,
        ip="10.9.9.9",
    )


def refusal(call: Callable[[], Any]) -> str:
    with pytest.raises(ChatError) as refused:
        call()
    return refused.value.code


def test_upload_is_stored_under_a_generated_path(conversation: Conversation, media: Path) -> None:
    attachment = store(conversation, conversation.visitor, "passwd.pdf")
    now = timezone.now()
    assert attachment.file.name == f"attachments/{now:%Y/%m}/{attachment.pk}"
    assert attachment.original_name == "passwd.pdf"
    assert (attachment.kind, attachment.content_type, attachment.size) == (
        "pdf",
        "application/pdf",
        len(PDF),
    )
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.message is None and attachment.sender == "visitor"
    assert not attachment.thumbnail and attachment.width is None
    assert stored_files(media) == [media / attachment.file.name]


def test_image_is_stored_reencoded_without_exif_with_a_thumbnail(
    conversation: Conversation, agent: Agent, media: Path
) -> None:
    attachment = store(conversation, agent, "IMG_0001.JPG", jpeg_bytes((800, 400), orientation=6))
    with attachment.file.open("rb") as stored:
        data = stored.read()
    assert b"PhoneMaker" not in data and dict(Image.open(io.BytesIO(data)).getexif()) == {}
    assert (attachment.width, attachment.height) == (400, 800)
    assert attachment.size == len(data) and attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.thumbnail.name == f"{attachment.file.name}-thumb"
    with attachment.thumbnail.open("rb") as thumb:
        assert Image.open(thumb).size == (160, 320)
    assert attachment.sender == "agent" and attachment.agent == agent


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("../x.png", png_bytes(), "invalid_name"),
        ("..\\x.png", png_bytes(), "invalid_name"),
        ("..&#x2F;x.png", png_bytes(), "invalid_name"),
        ("..", png_bytes(), "invalid_name"),
        ("a\x07b.png", png_bytes(), "invalid_name"),
        ("", png_bytes(), "invalid_name"),
        ("empty.txt", b"", "empty"),
        ("cat.png", HTML, "type_refused"),
    ],
)
def test_refusals_store_nothing(
    conversation: Conversation, media: Path, name: str, data: bytes, code: str
) -> None:
    assert refusal(lambda: store(conversation, conversation.visitor, name, data)) == code
    assert stored_files(media) == [] and not Attachment.objects.exists()


def test_size_limit(conversation: Conversation, media: Path, settings: Any) -> None:
    settings.CHAT_ATTACHMENT_MAX_BYTES = len(PDF) - 1
    assert refusal(lambda: store(conversation, conversation.visitor)) == "too_large"
    settings.CHAT_ATTACHMENT_MAX_BYTES = len(PDF)
    store(conversation, conversation.visitor)


def test_display_name_drops_invisible_formatting_and_keeps_the_extension(
    conversation: Conversation,
) -> None:
    tricky = store(conversation, conversation.visitor, "invoice\u202egpj.pdf")
    assert tricky.original_name == "invoicegpj.pdf"
    long = store(conversation, conversation.visitor, "x" * 300 + ".pdf")
    assert len(long.original_name) == 255 and long.original_name.endswith("x.pdf")


def test_rate_limit_per_uploader(conversation: Conversation, settings: Any) -> None:
    settings.CHAT_ATTACHMENT_UPLOADS_PER_MINUTE = 2
    store(conversation, conversation.visitor)
    store(conversation, conversation.visitor)
    assert refusal(lambda: store(conversation, conversation.visitor)) == "rate_limited"


def test_pending_uploads_are_capped(conversation: Conversation, settings: Any) -> None:
    settings.CHAT_ATTACHMENTS_PENDING_MAX = 2
    store(conversation, conversation.visitor)
    store(conversation, conversation.visitor)
    assert refusal(lambda: store(conversation, conversation.visitor)) == "too_many"


def test_uploads_only_to_ones_own_conversations(
    site: Site,
    other_site: Site,
    conversation: Conversation,
    start: Callable[..., Conversation],
    make_agent: Callable[..., Agent],
) -> None:
    someone_else = start(site)
    assert refusal(lambda: store(someone_else, conversation.visitor)) == "forbidden"
    outsider = make_agent("olga", sites=[other_site])
    assert refusal(lambda: store(conversation, outsider)) == "forbidden"
    assert (
        refusal(lambda: store(conversation, conversation.visitor, site=other_site)) == "forbidden"
    )
    assert refusal(lambda: store(None, outsider, site=other_site)) == "invalid"


# --- binding to a message ------------------------------------------------------------


def post(
    conversation: Conversation, sender: str = "visitor", agent: Agent | None = None
) -> Message:
    return chat_services.message_post(
        conversation_id=conversation.pk, sender=sender, body="see attached", agent=agent
    ).message


def test_check_then_bind(conversation: Conversation, django_assert_num_queries: Any) -> None:
    visitor = conversation.visitor
    files = [store(conversation, visitor, f"f{i}.pdf") for i in range(2)]
    with transaction.atomic():
        with django_assert_num_queries(1):  # the rows, locked
            checked = services.check_attachments(
                conversation=conversation,
                uploader=visitor,
                attachment_ids=[str(files[1].pk), str(files[0].pk)],
            )
        message = post(conversation)
        with django_assert_num_queries(1):
            services.attachments_bind(message=message, attachments=checked)
    assert [a.pk for a in checked] == [files[1].pk, files[0].pk]  # the order given
    assert set(Attachment.objects.filter(message=message)) == set(files)
    again = refusal(
        lambda: services.check_attachments(
            conversation=conversation, uploader=visitor, attachment_ids=[str(files[0].pk)]
        )
    )
    assert again == "attachment_used"


def test_a_visitors_upload_before_the_conversation_exists(
    site: Site, start: Callable[..., Conversation]
) -> None:
    visitor = Visitor.objects.create(site=site)
    early = store(None, visitor, site=site)
    conversation = start(site, visitor=visitor)
    checked = services.check_attachments(
        conversation=conversation, uploader=visitor, attachment_ids=[str(early.pk)]
    )
    services.attachments_bind(message=conversation.messages.get(), attachments=checked)
    early.refresh_from_db()
    assert early.conversation == conversation and early.message is not None


def test_check_refusals(
    site: Site,
    conversation: Conversation,
    start: Callable[..., Conversation],
    agent: Agent,
    settings: Any,
) -> None:
    visitor = conversation.visitor
    other = start(site)
    mine = store(conversation, visitor)
    theirs = store(other, other.visitor)
    agents = store(conversation, agent)

    def check(ids: object, uploader: Visitor | Agent = visitor) -> str:
        return refusal(
            lambda: services.check_attachments(
                conversation=conversation, uploader=uploader, attachment_ids=ids
            )
        )

    assert check([str(theirs.pk)]) == "attachment_not_found"  # another conversation's
    assert check([str(agents.pk)]) == "attachment_not_found"  # another uploader's
    assert check([str(mine.pk)], uploader=agent) == "attachment_not_found"
    assert check(["8d7f4a52-0000-4000-8000-000000000000"]) == "attachment_not_found"
    assert check([str(mine.pk), str(mine.pk)]) == "invalid"
    assert check(str(mine.pk)) == "invalid"
    assert check([42]) == "invalid"
    assert check([str(mine.pk)], uploader=other.visitor) == "forbidden"
    settings.CHAT_ATTACHMENTS_PER_MESSAGE = 1
    assert check([str(mine.pk), str(agents.pk)]) == "too_many"
    assert (
        services.check_attachments(conversation=conversation, uploader=visitor, attachment_ids=None)
        == []
    )


# --- deleting ----------------------------------------------------------------------


def test_unsent_uploads_are_discarded_after_a_day(
    conversation: Conversation, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    visitor = conversation.visitor
    old, recent, sent = (store(conversation, visitor, f"{n}.pdf") for n in ("old", "new", "sent"))
    services.attachments_bind(message=post(conversation), attachments=[sent])
    day_ago = timezone.now() - timedelta(hours=25)
    Attachment.objects.filter(pk__in=[old.pk, sent.pk]).update(created_at=day_ago)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.attachments_discard_unsent() == 1

    assert set(Attachment.objects.all()) == {recent, sent}
    assert not (media / old.file.name).exists() and (media / sent.file.name).exists()


def test_deleting_a_conversation_or_a_visitor_deletes_their_files(
    site: Site,
    start: Callable[..., Conversation],
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, second = start(site), start(site)
    store(first, first.visitor, "photo.png", png_bytes())
    store(second, second.visitor, "notes.txt", TEXT)
    assert len(stored_files(media)) == 3  # the image has a thumbnail
    with django_capture_on_commit_callbacks(execute=True):
        first.delete()
    assert len(stored_files(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        second.visitor.delete()
    assert stored_files(media) == []


def test_files_stay_when_the_delete_is_rolled_back(conversation: Conversation, media: Path) -> None:
    store(conversation, conversation.visitor)
    with pytest.raises(RuntimeError), transaction.atomic():
        conversation.delete()
        raise RuntimeError
    assert len(stored_files(media)) == 1


def test_payload(conversation: Conversation, django_assert_num_queries: Any) -> None:
    image = store(conversation, conversation.visitor, "shot.png", png_bytes((40, 20)))
    with django_assert_num_queries(0):
        payload = attachment_payload(image)
    assert payload == {
        "id": str(image.pk),
        "name": "shot.png",
        "type": "image/png",
        "size": image.size,
        "url": f"http://testserver/attachments/{image.pk}/",
        "thumbnail_url": f"http://testserver/attachments/{image.pk}/thumbnail/",
        "width": 40,
        "height": 20,
    }
    pdf = store(conversation, conversation.visitor)
    assert attachment_payload(pdf)["thumbnail_url"] is None


def test_a_message_with_files_may_have_no_caption() -> None:
    assert check_caption("", with_files=True) == ""
    assert check_caption(None, with_files=True) == ""
    assert check_caption("  look  ", with_files=True) == "look"
    assert refusal(lambda: check_caption("", with_files=False)) == "empty"
    assert refusal(lambda: check_caption(42, with_files=True)) == "invalid"


def test_visitor_uploads_are_also_limited_per_network(
    site: Site, conversation: Conversation, agent: Agent, settings: Any
) -> None:
    settings.CHAT_ATTACHMENT_UPLOADS_PER_IP_HOUR = 1
    store(conversation, conversation.visitor)
    newcomer = Visitor.objects.create(site=site)
    assert refusal(lambda: store(None, newcomer, site=site)) == "rate_limited"
    store(conversation, agent)  # agents are limited per agent only
