"""The admin pages of webhooks: the URL check and the "send again" action."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from chat import services
from chat.models import Site, Visitor
from chat.webhooks.models import EVENT_TYPES, Delivery, Endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.fixture
def deliveries(site: Site, make_endpoint: Callable[..., Endpoint]) -> list[Delivery]:
    make_endpoint("https://93.184.216.34/hooks")
    services.conversation_start(
        site=site,
        public_id="conv-0001",
        visitor=Visitor.objects.create(site=site),
        context={},
        ip="10.0.0.1",
        first_message="hello",
    )
    Delivery.objects.update(status="failed")
    return list(Delivery.objects.order_by("pk"))


def test_the_pages_render(admin_client_: Client, deliveries: list[Delivery]) -> None:
    for name in ["endpoint", "delivery", "event"]:
        assert admin_client_.get(reverse(f"admin:webhooks_{name}_changelist")).status_code == 200
    delivery = deliveries[0]
    assert (
        admin_client_.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk])).status_code
        == 200
    )


def test_an_unsafe_url_is_refused_in_the_admin(admin_client_: Client, site: Site) -> None:
    response = admin_client_.post(
        reverse("admin:webhooks_endpoint_add"),
        {"site": site.pk, "url": "http://169.254.169.254/", "event_types": list(EVENT_TYPES)},
    )
    assert response.status_code == 200 and "public addresses" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_an_endpoint_added_in_the_admin_hears_events(admin_client_: Client, site: Site) -> None:
    response = admin_client_.post(
        reverse("admin:webhooks_endpoint_add"),
        {
            "site": site.pk,
            "url": "https://93.184.216.34/hooks",
            "event_types": ["conversation.created"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    services.conversation_start(
        site=site,
        public_id="conv-0002",
        visitor=Visitor.objects.create(site=site),
        context={},
        ip="10.0.0.1",
        first_message="hello",
    )
    assert list(Delivery.objects.values_list("event__type", flat=True)) == ["conversation.created"]


def test_send_again_action(admin_client_: Client, deliveries: list[Delivery]) -> None:
    response = admin_client_.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "send_again", "_selected_action": [d.pk for d in deliveries]},
    )
    assert response.status_code == 302
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}


def test_staff_see_only_the_sites_they_serve_in_the_admin(
    site: Site,
    other_site: Site,
    make_agent: Callable[..., object],
    make_endpoint: Callable[..., Endpoint],
) -> None:
    from django.contrib.auth.models import Permission

    mine = make_endpoint("https://93.184.216.34/mine")
    theirs = make_endpoint("https://93.184.216.34/theirs", on=other_site)
    agent = make_agent("sam")
    user = agent.user  # type: ignore[attr-defined]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="webhooks"))
    client = Client()
    client.force_login(user)
    page = client.get(reverse("admin:webhooks_endpoint_changelist")).content.decode()
    assert mine.url in page and theirs.url not in page
    assert (
        client.get(reverse("admin:webhooks_endpoint_change", args=[theirs.pk])).status_code == 302
    )
    add = client.get(reverse("admin:webhooks_endpoint_add")).content.decode()
    assert "Shop" in add and "Other" not in add
    services.conversation_start(
        site=other_site,
        public_id="conv-other",
        visitor=Visitor.objects.create(site=other_site),
        context={},
        ip="10.0.0.1",
        first_message="hello",
    )
    for name in ["delivery", "event"]:
        page = client.get(reverse(f"admin:webhooks_{name}_changelist")).content.decode()
        assert theirs.url not in page and "conv-other" not in page and "Other" not in page
