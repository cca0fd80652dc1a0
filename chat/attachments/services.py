"""Every write of attachments: store an upload, bind uploads to a message, discard the
ones never sent.

The message path calls :func:`check_attachments` before it stores a message and
:func:`attachments_bind` after, in the same transaction (docs/attachments.md).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chat.attachments.checks import (
    Uploader,
    check_attachment_ids,
    check_client_name,
    check_upload_rate,
    check_upload_size,
    check_uploader_may_use,
)
from chat.attachments.images import image_process
from chat.attachments.models import Attachment
from chat.attachments.sniff import detect
from chat.attachments.storage import stored_files_delete
from chat.models import Agent, Conversation, Message, Site, Visitor
from chat.services.checks import ChatError


def _sha256(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(64 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _pending(*, uploader: Uploader, conversation: Conversation | None) -> int:
    mine = Q(visitor=uploader) if isinstance(uploader, Visitor) else Q(agent=uploader)
    return Attachment.objects.filter(mine, conversation=conversation, message=None).count()


def attachment_upload(
    *,
    site: Site,
    conversation: Conversation | None,
    uploader: Uploader,
    upload: UploadedFile[bytes],
    client_name: str | None,
    ip: str = "",
) -> Attachment:
    """Check and store one uploaded file, not yet sent with any message.

    ``conversation`` is None only for a visitor whose first message (which creates the
    conversation) is still to come. ``client_name`` is the name exactly as the client sent
    it. Images are stored re-encoded, with a thumbnail. Nothing is stored unless every
    check passes (ChatError: rate_limited, empty, too_large, invalid_name, forbidden,
    too_many, type_refused, image_too_large).
    """
    if conversation is None and not isinstance(uploader, Visitor):
        raise ChatError("invalid", "Agents upload to a conversation.")
    if conversation is not None:
        if conversation.site_id != site.pk:
            raise ChatError("forbidden", "This conversation is not on this site.")
        check_uploader_may_use(uploader=uploader, conversation=conversation)
    elif isinstance(uploader, Visitor) and uploader.site_id != site.pk:
        raise ChatError("forbidden", "This visitor is not on this site.")
    check_upload_rate(uploader=uploader, ip=ip)
    name = check_client_name(client_name)
    check_upload_size(upload)
    if _pending(uploader=uploader, conversation=conversation) >= (
        settings.CHAT_ATTACHMENTS_PENDING_MAX
    ):
        raise ChatError("too_many", "Send or remove the files you have attached first.")
    detected = detect(upload, client_name=name)
    attachment = Attachment(
        id=uuid.uuid4(),
        site=site,
        conversation=conversation,
        sender=Attachment.Sender.VISITOR
        if isinstance(uploader, Visitor)
        else Attachment.Sender.AGENT,
        visitor=uploader if isinstance(uploader, Visitor) else None,
        agent=uploader if isinstance(uploader, Agent) else None,
        original_name=name,
        kind=detected.kind,
        content_type=detected.content_type,
        created_at=timezone.now(),
    )
    content: File[bytes] = upload
    thumbnail: ContentFile[bytes] | None = None
    if detected.family == "image":
        processed = image_process(upload, kind=detected.kind)
        content = ContentFile(processed.content)
        thumbnail = ContentFile(processed.thumbnail)
        attachment.width, attachment.height = processed.width, processed.height
    attachment.size = content.size or 0
    attachment.sha256 = _sha256(content)
    try:
        if thumbnail is not None:
            attachment.thumbnail.save("thumbnail", thumbnail, save=False)
        attachment.file.save("file", content, save=False)
        attachment.save(force_insert=True)
    except BaseException:
        stored_files_delete(
            storage=attachment.file.storage,
            names=[f.name for f in (attachment.file, attachment.thumbnail) if f.name],
        )
        raise
    return attachment


def check_attachments(
    *, conversation: Conversation, uploader: Uploader, attachment_ids: object
) -> list[Attachment]:
    """The uploads a message may carry, in the order given, their rows locked.

    Call inside the message's transaction, before storing the message (so a refusal
    stores nothing), with the conversation's row lock held. Each id must be an upload of
    this ``uploader`` to this conversation (or, for its visitor, one made before the
    conversation existed) and not sent yet. Raises ChatError: invalid, too_many,
    attachment_not_found (unknown or somebody else's: the same answer), attachment_used.
    """
    ids = check_attachment_ids(attachment_ids)
    if not ids:
        return []
    check_uploader_may_use(uploader=uploader, conversation=conversation)
    found = {a.pk: a for a in Attachment.objects.select_for_update().filter(pk__in=ids)}
    attachments = []
    for attachment_id in ids:
        attachment = found.get(attachment_id)
        if attachment is None or not _uploaded_for(attachment, uploader, conversation):
            raise ChatError("attachment_not_found", "One of the files is not available.")
        if attachment.message_id is not None:
            raise ChatError("attachment_used", "One of the files was already sent.")
        attachments.append(attachment)
    return attachments


def _uploaded_for(attachment: Attachment, uploader: Uploader, conversation: Conversation) -> bool:
    if isinstance(uploader, Visitor):
        if attachment.visitor_id != uploader.pk:
            return False
        return attachment.conversation_id in (None, conversation.pk) and (
            attachment.site_id == conversation.site_id
        )
    return attachment.agent_id == uploader.pk and attachment.conversation_id == conversation.pk


def attachments_bind(*, message: Message, attachments: Sequence[Attachment]) -> None:
    """Mark the checked uploads as sent with ``message``. One query; same transaction as
    :func:`check_attachments`, which locked the rows."""
    if not attachments:
        return
    Attachment.objects.filter(pk__in=[a.pk for a in attachments], message=None).update(
        message=message, conversation_id=message.conversation_id
    )
    for attachment in attachments:
        attachment.message = message
        attachment.conversation_id = message.conversation_id


def attachment_discard(*, attachment: Attachment, uploader: Uploader) -> None:
    """Remove one's own upload that was not sent (the composer's "remove"); its files go
    after commit. Raises ChatError("attachment_not_found") for somebody else's,
    ChatError("attachment_used") once it was sent."""
    mine = (
        attachment.visitor_id == uploader.pk
        if isinstance(uploader, Visitor)
        else attachment.agent_id == uploader.pk
    )
    if not mine:
        raise ChatError("attachment_not_found", "No such file.")
    with transaction.atomic():
        # Only while unsent: a message binding it at the same moment wins.
        unsent = (
            Attachment.objects.select_for_update().filter(pk=attachment.pk, message=None).first()
        )
        if unsent is None:
            raise ChatError("attachment_used", "A file that was sent cannot be removed.")
        unsent.delete()


def attachments_discard_unsent(*, now: datetime | None = None) -> int:
    """Delete uploads never sent within CHAT_ATTACHMENT_UNSENT_HOURS, with their files
    (after commit). Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.CHAT_ATTACHMENT_UNSENT_HOURS)
    with transaction.atomic():
        _, by_model = Attachment.objects.filter(message=None, created_at__lt=cutoff).delete()
    return by_model.get(Attachment._meta.label, 0)
