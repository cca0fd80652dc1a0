"""Agents' pictures: uploaded on the profile, shown in the dashboard and, to visitors, in
the widget's header. Stored as we re-encode them (chat.attachments.images), never as
uploaded: no EXIF, no GPS position, nothing but pixels."""

from __future__ import annotations

import re
import secrets
from typing import IO

import filetype  # type: ignore[import-untyped]
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_noop

from chat.attachments.images import image_process
from chat.attachments.sniff import ALIASES, HEAD_BYTES, IMAGE_KINDS
from chat.attachments.storage import stored_files_delete
from chat.models import Agent
from chat.services.checks import ChatError

AVATAR_DIR = "avatars"
# A stored avatar's file name: the agent, then a token new with each upload, so a URL
# names one picture for good and may be cached for good.
AVATAR_NAME = re.compile(r"^[0-9]{1,12}-[0-9a-f]{16}\.(?:jpg|png)$")


def avatar_url(agent: Agent) -> str:
    """The path of the agent's picture (chat.views.agent_avatar), or "" for initials."""
    if not agent.avatar:
        return ""
    return reverse("chat:agent_avatar", args=[agent.avatar.rsplit("/", 1)[-1]])


def agent_avatar_set(*, agent: Agent, file: IO[bytes], size: int) -> Agent:
    """Store ``file`` (``size`` bytes) as the agent's picture, in place of any before.

    Only PNG, JPEG, GIF and WebP are taken, by content; what is kept is Pillow's upright,
    metadata-free thumbnail of the first frame (CHAT_ATTACHMENT_THUMBNAIL_PX at most).
    Raises ChatError ("too_large", "type_refused", "image_too_large"), storing nothing.
    The previous file is deleted once the change commits."""
    if size > settings.CHAT_ATTACHMENT_MAX_BYTES:
        raise ChatError("too_large", gettext_noop("This picture is too large."))
    file.seek(0)
    guess = filetype.guess(file.read(HEAD_BYTES))
    kind = ALIASES.get(guess.extension, guess.extension) if guess is not None else ""
    if kind not in IMAGE_KINDS:
        raise ChatError("type_refused", gettext_noop("Choose a PNG, JPEG, GIF or WebP image."))
    try:
        processed = image_process(file, kind=kind)
    except ChatError as exc:
        # The attachments' sentences are in English only: say it for the dashboard.
        if exc.code == "image_too_large":
            raise ChatError(exc.code, gettext_noop("This picture has too many pixels.")) from exc
        raise ChatError(exc.code, gettext_noop("This image cannot be read.")) from exc
    extension = "png" if processed.thumbnail_type == "image/png" else "jpg"
    name = f"{AVATAR_DIR}/{agent.pk}-{secrets.token_hex(8)}.{extension}"
    stored = default_storage.save(name, ContentFile(processed.thumbnail))
    _replace(agent, stored)
    return agent


def agent_avatar_remove(*, agent: Agent) -> Agent:
    """Back to initials. Idempotent."""
    if agent.avatar:
        _replace(agent, "")
    return agent


def agent_avatar_forget(*, agent: Agent) -> None:
    """The agent is being deleted: their picture's file goes once that commits."""
    if agent.avatar:
        name = agent.avatar
        transaction.on_commit(
            lambda: stored_files_delete(storage=default_storage, names=[name]), robust=True
        )


def _replace(agent: Agent, name: str) -> None:
    old = agent.avatar
    with transaction.atomic():
        agent.avatar = name
        agent.save(update_fields=["avatar"])
        if old:
            transaction.on_commit(
                lambda: stored_files_delete(storage=default_storage, names=[old]), robust=True
            )
