"""Export, erase (with its audit) and retention, on the real database."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from PIL import Image

from chat import services
from chat.api import services as api_services
from chat.api.models import VisitorAttributes
from chat.attachments import services as attachment_services
from chat.attachments.models import Attachment
from chat.models import Agent, Conversation, Message, Site, Visitor
from chat.privacy import services as privacy
from chat.privacy.models import ErasureAudit, RetentionPolicy
from chat.webhooks import services as webhook_services
from chat.webhooks.models import Delivery, Endpoint, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(site: Site, agent: Agent, start: Callable[..., Conversation]) -> Visitor:
    webhook_services.endpoint_save(endpoint=Endpoint(site=site, url="https://93.184.216.34/h"))
    visitor = Visitor.objects.create(site=site, name="Ada", email="ada@example.com")
    first = start(site, "my order is late", visitor=visitor)
    services.message_post(conversation_id=first.pk, sender="agent", body="Looking", agent=agent)
    services.message_post(conversation_id=first.pk, sender="note", body="VIP", agent=agent)
    start(site, "second question", visitor=visitor)
    api_services.visitor_update(visitor=visitor, name="Ada L.", attributes={"plan": "pro"})
    return visitor


def test_export_holds_profile_conversations_messages_and_attributes(ada: Visitor) -> None:
    data = privacy.visitor_export(visitor=ada)
    json.dumps(data)  # JSON-ready
    assert data["visitor"]["id"] == str(ada.pk)
    assert (data["visitor"]["name"], data["visitor"]["email"]) == ("Ada L.", "ada@example.com")
    assert data["visitor"]["attributes"] == {"plan": "pro"}
    assert len(data["conversations"]) == 2
    bodies = [m["body"] for m in data["conversations"][0]["messages"]]
    assert bodies[0] == "my order is late" and "Looking" in bodies and "VIP" in bodies
    assert data["attachments"] == []


def test_export_query_count(ada: Visitor, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_max_num_queries(6):
        privacy.visitor_export(visitor=ada)


def test_erase_removes_everything_and_writes_the_audit(
    ada: Visitor,
    site: Site,
    django_user_model,
    start: Callable[..., Conversation],  # type: ignore[no-untyped-def]
) -> None:
    bystander = start(site, "someone else")
    assert Event.objects.filter(conversation__visitor=ada).exists()
    identified = Event.objects.filter(type="visitor.identified", conversation__isnull=True)
    assert identified.filter(body__contains=str(ada.pk)).exists()
    n_messages = Message.objects.filter(conversation__visitor=ada).count()
    n_events = Event.objects.filter(conversation__visitor=ada).count() + 1
    admin = django_user_model.objects.create_superuser("root", password="x")
    audit = privacy.visitor_erase(visitor=ada, actor="user:root", user=admin)
    assert not Visitor.objects.filter(pk=ada.pk).exists()
    assert not Conversation.objects.filter(visitor_id=ada.pk).exists()
    assert not Message.objects.filter(body__in=["my order is late", "Looking", "VIP"]).exists()
    assert not VisitorAttributes.objects.filter(visitor_id=ada.pk).exists()
    assert not Event.objects.filter(body__contains=str(ada.pk)).exists()
    assert not Event.objects.filter(body__contains="ada@example.com").exists()
    assert Conversation.objects.filter(pk=bystander.pk).exists()
    assert Delivery.objects.filter(conversation=bystander).exists()
    audit = ErasureAudit.objects.get(pk=audit.pk)
    assert (audit.visitor_id, audit.conversations, audit.messages) == (ada.pk, 2, n_messages)
    assert (audit.webhook_events, audit.attributes, audit.erased_by, audit.actor) == (
        n_events,
        1,
        admin,
        "user:root",
    )
    # Nothing personal in the audit.
    row = " ".join(str(v) for v in ErasureAudit.objects.filter(pk=audit.pk).values().get().values())
    assert "Ada" not in row and "ada@example.com" not in row and "order" not in row


def _resolved(
    start: Callable[..., Conversation], site: Site, agent: Agent, days_ago: float
) -> Conversation:
    c = start(site)
    services.conversation_resolve(conversation_id=c.pk, agent=agent)
    Conversation.objects.filter(pk=c.pk).update(
        resolved_at=timezone.now() - timedelta(days=days_ago)
    )
    return c


def test_retention_deletes_only_old_resolved_conversations_of_sites_that_turned_it_on(
    site: Site,
    other_site: Site,
    make_agent: Callable[..., Agent],
    start: Callable[..., Conversation],
) -> None:
    alice = make_agent("alice", sites=[site, other_site])
    old = _resolved(start, site, alice, 40)
    recent = _resolved(start, site, alice, 10)
    still_open = start(site)
    Conversation.objects.filter(pk=still_open.pk).update(
        created_at=timezone.now() - timedelta(days=90)
    )
    elsewhere = _resolved(start, other_site, alice, 400)  # other site: policy off
    RetentionPolicy.objects.create(site=site, enabled=True, days=30)
    RetentionPolicy.objects.create(site=other_site, enabled=False, days=1)
    assert privacy.retention_sweep() == {site.pk: 1}
    left = set(Conversation.objects.values_list("pk", flat=True))
    assert old.pk not in left
    assert {recent.pk, still_open.pk, elsewhere.pk} <= left
    assert Visitor.objects.filter(pk=old.visitor_id).exists()  # profiles stay
    assert not Message.objects.filter(conversation_id=old.pk).exists()
    policy = RetentionPolicy.objects.get(site=site)
    assert policy.last_deleted == 1 and policy.last_run_at is not None


def test_no_policy_means_nothing_deleted(
    site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    _resolved(start, site, agent, 4000)
    assert privacy.retention_sweep() == {}
    assert Conversation.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the worker closes connections
def test_command_enqueues_the_job_and_the_worker_runs_it(
    site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    from django_tasks_db.models import DBTaskResult

    old = _resolved(start, site, agent, 40)
    RetentionPolicy.objects.create(site=site, enabled=True, days=30)
    call_command("retention_sweep", verbosity=0)
    assert DBTaskResult.objects.filter(task_path="chat.privacy.tasks.retention_run").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert not Conversation.objects.filter(pk=old.pk).exists()
    job = DBTaskResult.objects.get(task_path="chat.privacy.tasks.retention_run")
    assert job.status == "SUCCESSFUL"


# --- files (chat.attachments) ---------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAT_PUBLIC_URL = "http://testserver"
    return Path(settings.MEDIA_ROOT)


def stored_files(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file())


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def upload(
    conversation: Conversation | None, uploader: Visitor | Agent, name: str, data: bytes
) -> Attachment:
    site = conversation.site if conversation is not None else uploader.site  # type: ignore[union-attr]
    return attachment_services.attachment_upload(
        site=site,
        conversation=conversation,
        uploader=uploader,
        upload=SimpleUploadedFile("upload", data),
        client_name=name,
        ip="10.8.0.1",
    )


def send(
    conversation: Conversation, sender: str, *files: Attachment, agent: Agent | None = None
) -> Message:
    return services.message_post(
        conversation_id=conversation.pk,
        sender=sender,
        body="see attached",
        agent=agent,
        attachments=[str(f.pk) for f in files],
    ).message


@pytest.fixture
def ada_with_files(
    site: Site, agent: Agent, start: Callable[..., Conversation], media: Path
) -> tuple[Visitor, dict[str, Attachment]]:
    visitor = Visitor.objects.create(site=site, name="Ada")
    conversation = start(site, "my order is late", visitor=visitor)
    files = {
        "photo": upload(conversation, visitor, "photo.png", png()),
        "invoice": upload(conversation, agent, "invoice.pdf", PDF),
        "note": upload(conversation, agent, "internal.pdf", PDF),
        "unsent": upload(None, visitor, "draft.pdf", PDF),
        "agent_draft": upload(conversation, agent, "agent-draft.pdf", PDF),
    }
    send(conversation, "visitor", files["photo"])
    send(conversation, "agent", files["invoice"], agent=agent)
    send(conversation, "note", files["note"], agent=agent)
    return visitor, files


def test_export_lists_each_message_files_with_signed_links(
    ada_with_files: tuple[Visitor, dict[str, Attachment]],
    django_assert_num_queries: Any,
) -> None:
    visitor, files = ada_with_files
    with django_assert_num_queries(6):
        data = privacy.visitor_export(visitor=visitor)
    json.dumps(data)
    messages = data["conversations"][0]["messages"]
    names = [[f["name"] for f in m["attachments"]] for m in messages]
    assert names == [[], ["photo.png"], ["invoice.pdf"], ["internal.pdf"]]
    photo = messages[1]["attachments"][0]
    stored = files["photo"]
    stored.refresh_from_db()
    assert {k: v for k, v in photo.items() if k != "url"} == {
        "id": str(stored.pk),
        "name": "photo.png",
        "type": "image/png",
        "size": stored.size,
        "sha256": stored.sha256,
        "created_at": stored.created_at.isoformat(),
    }
    # The visitor's upload never sent is theirs too; an agent's unsent draft is not.
    assert [f["name"] for f in data["attachments"]] == ["draft.pdf"]

    # The link works without signing in, and brings the file the checksum names.
    response = Client().get(urlsplit(photo["url"]).path)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == photo["sha256"]


def test_erase_deletes_the_visitor_files_and_leaves_others(
    ada_with_files: tuple[Visitor, dict[str, Attachment]],
    site: Site,
    start: Callable[..., Conversation],
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    visitor, _ = ada_with_files
    bystander = start(site, "someone else")
    kept = upload(bystander, bystander.visitor, "theirs.pdf", PDF)
    assert len(stored_files(media)) == 7  # six files, and the photo's thumbnail
    with django_capture_on_commit_callbacks(execute=True):
        privacy.visitor_erase(visitor=visitor, actor="user:root")
    assert list(Attachment.objects.all()) == [kept]
    assert stored_files(media) == [media / kept.file.name]


def test_retention_deletes_the_files_of_the_conversations_it_deletes(
    site: Site,
    agent: Agent,
    start: Callable[..., Conversation],
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    old, recent = start(site), start(site)
    send(old, "agent", upload(old, agent, "old.pdf", PDF), agent=agent)
    send(recent, "agent", kept := upload(recent, agent, "recent.pdf", PDF), agent=agent)
    for conversation, days_ago in ((old, 40), (recent, 1)):
        services.conversation_resolve(conversation_id=conversation.pk, agent=agent)
        Conversation.objects.filter(pk=conversation.pk).update(
            resolved_at=timezone.now() - timedelta(days=days_ago)
        )
    RetentionPolicy.objects.create(site=site, enabled=True, days=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert privacy.retention_sweep() == {site.pk: 1}
    assert list(Attachment.objects.all()) == [kept]
    assert stored_files(media) == [media / kept.file.name]
