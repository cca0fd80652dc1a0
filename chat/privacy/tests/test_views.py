"""The dashboard pages and the admin actions: who may, confirmation, what they do."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from chat.models import Agent, Conversation, Site, Visitor
from chat.privacy.models import ErasureAudit, RetentionPolicy

pytestmark = pytest.mark.django_db


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def staff(agent: Agent) -> Client:
    agent.user.is_staff = True
    agent.user.save()
    return client_for(agent.user)


@pytest.fixture
def conversation(site: Site, start: Callable[..., Conversation]) -> Conversation:
    return start(site, "please forget me")


def test_page_export_and_erase_after_confirmation(
    staff: Client, conversation: Conversation
) -> None:
    vid = conversation.visitor_id
    page = staff.get(reverse("privacy:visitor", args=[vid]))
    assert page.status_code == 200 and b"Export" in page.content
    export = staff.get(reverse("privacy:visitor_export", args=[vid]))
    assert export["Content-Disposition"].startswith("attachment")
    assert (
        json.loads(export.content)["conversations"][0]["messages"][0]["body"] == "please forget me"
    )
    confirm = staff.get(reverse("privacy:visitor_erase", args=[vid]))
    assert b"Erase for good" in confirm.content
    staff.post(reverse("privacy:visitor_erase", args=[vid]))  # no confirm=yes: nothing
    assert Visitor.objects.filter(pk=vid).exists()
    done = staff.post(reverse("privacy:visitor_erase", args=[vid]), {"confirm": "yes"})
    assert done.status_code == 302
    assert not Visitor.objects.filter(pk=vid).exists()
    assert ErasureAudit.objects.get().visitor_id == vid


def test_agents_who_are_not_staff_get_403_and_staff_of_other_sites_404(
    agent: Agent, conversation: Conversation, make_agent: Callable[..., Agent], other_site: Site
) -> None:
    plain = client_for(agent.user)
    assert plain.get(reverse("privacy:visitor", args=[conversation.visitor_id])).status_code == 403
    olga = make_agent("olga", sites=[other_site])
    olga.user.is_staff = True
    olga.user.save()
    other = client_for(olga.user)
    for name in ("privacy:visitor", "privacy:visitor_export", "privacy:visitor_erase"):
        assert other.get(reverse(name, args=[conversation.visitor_id])).status_code == 404
    assert (
        other.post(
            reverse("privacy:visitor_erase", args=[conversation.visitor_id]), {"confirm": "yes"}
        ).status_code
        == 404
    )
    assert Visitor.objects.filter(pk=conversation.visitor_id).exists()


def test_retention_page_saves_a_policy(staff: Client, site: Site, other_site: Site) -> None:
    page = staff.get(reverse("privacy:retention"))
    assert b"Shop" in page.content and b"Other" not in page.content
    prefix = f"site{site.pk}"
    staff.post(
        reverse("privacy:retention_save", args=[site.pk]),
        {f"{prefix}-enabled": "on", f"{prefix}-days": "30"},
    )
    policy = RetentionPolicy.objects.get(site=site)
    assert (policy.enabled, policy.days) == (True, 30)
    bad = staff.post(reverse("privacy:retention_save", args=[site.pk]), {f"{prefix}-days": "0"})
    assert bad.status_code == 400
    assert (
        staff.post(reverse("privacy:retention_save", args=[other_site.pk]), {}).status_code == 404
    )


def test_admin_export_and_erase_actions(
    django_user_model,
    conversation: Conversation,  # type: ignore[no-untyped-def]
) -> None:
    root = client_for(django_user_model.objects.create_superuser("root", password="x"))
    url = reverse("admin:privacy_visitordata_changelist")
    listing = root.get(url)
    assert reverse("privacy:visitor", args=[conversation.visitor_id]).encode() in listing.content
    picked = {ACTION_CHECKBOX_NAME: [str(conversation.visitor_id)]}
    export = root.post(url, {"action": "export_json", **picked})
    assert json.loads(export.content)["visitor"]["id"] == str(conversation.visitor_id)
    confirm = root.post(url, {"action": "erase", **picked})
    assert b"Yes, erase" in confirm.content
    assert Visitor.objects.filter(pk=conversation.visitor_id).exists()
    root.post(url, {"action": "erase", "confirm": "yes", **picked})
    assert not Visitor.objects.filter(pk=conversation.visitor_id).exists()
    assert ErasureAudit.objects.get().actor == "user:root"
    assert root.get(reverse("admin:privacy_erasureaudit_changelist")).status_code == 200
    assert root.get(reverse("admin:privacy_retentionpolicy_changelist")).status_code == 200


def test_admin_shows_staff_only_the_visitors_of_their_sites(
    agent: Agent, site: Site, other_site: Site, start: Callable[..., Conversation]
) -> None:
    from django.contrib.auth.models import Permission

    mine, theirs = start(site), start(other_site)
    agent.user.is_staff = True
    agent.user.save()
    agent.user.user_permissions.add(
        Permission.objects.get(codename="view_visitordata", content_type__app_label="privacy")
    )
    listing = client_for(agent.user).get(reverse("admin:privacy_visitordata_changelist"))
    assert listing.status_code == 200
    assert str(mine.visitor_id).encode() in listing.content
    assert str(theirs.visitor_id).encode() not in listing.content
