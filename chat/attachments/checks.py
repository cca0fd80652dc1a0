"""Validation at the edge of an upload or a send: each check returns clean input or raises
:class:`ChatError` with a code the clients show (see docs/attachments.md)."""

from __future__ import annotations

import html
import unicodedata
import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from chat.models import Agent, Conversation, Visitor
from chat.services.checks import ChatError, _window_count, check_agent_serves, check_body

Uploader = Visitor | Agent

NAME_MAX = 255


def uploader_key(uploader: Uploader) -> str:
    return f"visitor:{uploader.pk}" if isinstance(uploader, Visitor) else f"agent:{uploader.pk}"


def check_upload_rate(*, uploader: Uploader, ip: str) -> None:
    """Per uploader and minute; for visitors also per network and hour, since a new
    visitor costs a hello. Counted in the shared cache like the message limits."""
    limit = settings.CHAT_ATTACHMENT_UPLOADS_PER_MINUTE
    if _window_count(f"attach:{uploader_key(uploader)}", window=60) > limit:
        raise ChatError("rate_limited", "You are sending files too fast; wait a moment.")
    if isinstance(uploader, Visitor):
        limit = settings.CHAT_ATTACHMENT_UPLOADS_PER_IP_HOUR
        if _window_count(f"attach-ip:{ip}", window=3600) > limit:
            raise ChatError("rate_limited", "Too many files from your network. Try later.")


def check_upload_size(upload: UploadedFile[bytes]) -> int:
    size = upload.size or 0
    if size == 0:
        raise ChatError("empty", "The file is empty.")
    limit = settings.CHAT_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise ChatError("too_large", f"Files may be at most {limit // (1024 * 1024)} MB.")
    return size


def check_client_name(name: str | None) -> str:
    """The name to show, as the client sent it: refused if it names a path (``../``,
    ``/``, ``\\``) or has control characters; invisible formatting characters (such as a
    right-to-left override that makes ``gpj.exe`` read ``exe.jpg``) are dropped."""
    if not name or not name.strip():
        raise ChatError("invalid_name", "The file has no name.")
    unescaped = html.unescape(name)  # as Django's parser reads it
    if any(c in text for c in "/\\" for text in (name, unescaped)) or name.strip() in {".", ".."}:
        raise ChatError("invalid_name", "File names may not contain a path.")
    if any(unicodedata.category(c) == "Cc" for c in name) or "\x00" in name:
        raise ChatError("invalid_name", "The file name contains control characters.")
    clean = "".join(
        c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c) != "Cf"
    )
    clean = clean.strip().lstrip(".") or "file"
    if len(clean) > NAME_MAX:
        stem, dot, ext = clean.rpartition(".")
        keep_ext = bool(dot) and 0 < len(ext) <= 15
        clean = stem[: NAME_MAX - len(ext) - 1] + "." + ext if keep_ext else clean[:NAME_MAX]
    return clean


def check_caption(body: object, *, with_files: bool) -> str:
    """The message text: as ``check_body``, except that a message carrying files may
    have none (an empty string)."""
    if with_files and (body is None or (isinstance(body, str) and not body.strip())):
        return ""
    return check_body(body)


def check_uploader_may_use(*, uploader: Uploader, conversation: Conversation) -> None:
    """A visitor uploads to their own conversations; an agent to those of their sites."""
    if isinstance(uploader, Agent):
        check_agent_serves(agent=uploader, conversation=conversation)
    elif conversation.visitor_id != uploader.pk:
        raise ChatError("forbidden", "This conversation belongs to someone else.")


def check_attachment_ids(attachment_ids: object) -> list[uuid.UUID]:
    """A list of at most CHAT_ATTACHMENTS_PER_MESSAGE distinct attachment ids; None or an
    empty list is no attachment."""
    if attachment_ids is None:
        return []
    if not isinstance(attachment_ids, list):
        raise ChatError("invalid", "attachments must be a list of attachment ids.")
    limit = settings.CHAT_ATTACHMENTS_PER_MESSAGE
    if len(attachment_ids) > limit:
        raise ChatError("too_many", f"A message may carry at most {limit} files.")
    ids: list[uuid.UUID] = []
    for value in attachment_ids:
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            ids.append(uuid.UUID(value))
        except ValueError as exc:
            raise ChatError("invalid", "attachments must be a list of attachment ids.") from exc
    if len(set(ids)) != len(ids):
        raise ChatError("invalid", "The same file is attached twice.")
    return ids
