"""What clients are told about an attachment, and the links that fetch it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TypedDict

from django.conf import settings
from django.core import signing
from django.urls import reverse

from chat.attachments.models import Attachment
from chat.services.checks import ChatError

LINK_SALT = "chat.attachments.link.v1"


class AttachmentPayload(TypedDict):
    id: str
    name: str
    type: str  # the content type found in the file
    size: int  # bytes
    url: str  # needs the visitor's token (Authorization) or an agent's session
    thumbnail_url: str | None  # images only, inline
    width: int | None
    height: int | None


def _absolute(path: str) -> str:
    """Widgets run on other origins: links name this server."""
    return settings.CHAT_PUBLIC_URL.rstrip("/") + path


def attachment_payload(attachment: Attachment) -> AttachmentPayload:
    """The same for every audience, so a broadcast renders it once; who may fetch the
    links is decided when they are fetched. No query."""
    thumbnail = None
    if attachment.thumbnail:
        thumbnail = _absolute(reverse("attachments:thumbnail", args=[attachment.pk]))
    return {
        "id": str(attachment.pk),
        "name": attachment.original_name,
        "type": attachment.content_type,
        "size": attachment.size,
        "url": _absolute(reverse("attachments:download", args=[attachment.pk])),
        "thumbnail_url": thumbnail,
        "width": attachment.width,
        "height": attachment.height,
    }


def attachment_signed_url(attachment: Attachment) -> str:
    """A link anyone holding it may download with, for emails; it stops working
    CHAT_ATTACHMENT_LINK_MAX_AGE_DAYS after it was made."""
    token = signing.dumps(str(attachment.pk), salt=LINK_SALT)
    return _absolute(reverse("attachments:signed", args=[token]))


def attachment_signed_id(token: str) -> uuid.UUID:
    """The attachment id a link was made for. Raises ChatError("link_expired") for a
    genuine link past its age, ChatError("not_found") for anything else."""
    max_age = timedelta(days=settings.CHAT_ATTACHMENT_LINK_MAX_AGE_DAYS)
    try:
        return uuid.UUID(str(signing.loads(token, salt=LINK_SALT, max_age=max_age)))
    except signing.SignatureExpired as exc:
        raise ChatError("link_expired", "This link has expired; ask for a new one.") from exc
    except (signing.BadSignature, ValueError) as exc:
        raise ChatError("not_found", "No such file.") from exc
