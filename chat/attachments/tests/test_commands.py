"""The cleanup command and task, and the read-only admin."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from chat.attachments import services
from chat.attachments.models import Attachment
from chat.attachments.tasks import attachments_cleanup
from chat.attachments.tests.conftest import PDF, stored_files, upload
from chat.models import Conversation

pytestmark = pytest.mark.django_db


def unsent(conversation: Conversation, *, hours_old: float) -> Attachment:
    attachment = services.attachment_upload(
        site=conversation.site,
        conversation=conversation,
        uploader=conversation.visitor,
        upload=upload("upload", PDF),
        client_name="invoice.pdf",
    )
    created = timezone.now() - timedelta(hours=hours_old)
    Attachment.objects.filter(pk=attachment.pk).update(created_at=created)
    return attachment


def test_command_now_deletes_the_old_unsent(
    conversation: Conversation, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    unsent(conversation, hours_old=30)
    kept = unsent(conversation, hours_old=1)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("attachments_cleanup", "--now", stdout=out)
    assert out.getvalue().strip() == "Deleted 1 unsent attachments."
    assert list(Attachment.objects.all()) == [kept]
    assert stored_files(media) == [media / kept.file.name]


def test_command_enqueues_the_task(conversation: Conversation, settings: Any) -> None:
    unsent(conversation, hours_old=30)
    out = StringIO()
    call_command("attachments_cleanup", stdout=out)
    assert out.getvalue().startswith("Enqueued attachments cleanup job")
    assert Attachment.objects.count() == 1  # the worker deletes it
    assert attachments_cleanup.call() == 1
    assert not Attachment.objects.exists()


def test_admin_lists_attachments_read_only(conversation: Conversation) -> None:
    attachment = unsent(conversation, hours_old=0)
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/attachments/attachment/", {"q": conversation.public_id})
    assert listing.status_code == 200 and b"invoice.pdf" in listing.content
    detail = client.get(f"/admin/attachments/attachment/{attachment.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert client.get("/admin/attachments/attachment/add/").status_code == 403
