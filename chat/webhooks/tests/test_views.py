"""Dashboard pages (Settings → Webhooks): who may see them, forms, send again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from chat import services
from chat.models import Agent, Site, Visitor
from chat.webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hooks"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(agent: Agent) -> Client:
    agent.user.is_staff = True
    agent.user.save()
    return client_for(agent.user)


@pytest.fixture
def endpoint(make_endpoint: Callable[..., Endpoint]) -> Endpoint:
    return make_endpoint(PUBLIC)


@pytest.fixture
def delivery(site: Site, endpoint: Endpoint) -> Delivery:
    services.conversation_start(
        site=site,
        public_id="conv-0001",
        visitor=Visitor.objects.create(site=site),
        context={},
        ip="10.0.0.1",
        first_message="hello",
    )
    found = Delivery.objects.filter(endpoint=endpoint).order_by("pk").first()
    assert found is not None
    Delivery.objects.filter(pk=found.pk).update(status="failed")
    return found


def urls(endpoint: Endpoint, delivery: Delivery) -> list[tuple[str, str]]:
    return [
        ("get", reverse("webhooks:endpoints")),
        ("get", reverse("webhooks:endpoint_create")),
        ("get", reverse("webhooks:endpoint", args=[endpoint.pk])),
        ("post", reverse("webhooks:endpoint_rotate_secret", args=[endpoint.pk])),
        ("post", reverse("webhooks:endpoint_delete", args=[endpoint.pk])),
        ("post", reverse("webhooks:delivery_resend", args=[delivery.pk])),
    ]


def test_a_regular_agent_gets_403_everywhere(
    agent: Agent, endpoint: Endpoint, delivery: Delivery
) -> None:
    client = client_for(agent.user)
    for method, url in urls(endpoint, delivery):
        assert getattr(client, method)(url).status_code == 403, url
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()
    assert Delivery.objects.get(pk=delivery.pk).status == "failed"


def test_signed_out_users_are_sent_to_sign_in(endpoint: Endpoint, delivery: Delivery) -> None:
    for method, url in urls(endpoint, delivery):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_of_another_site_cannot_see_this_sites_endpoints(
    other_site: Site, make_agent: Callable[..., Agent], endpoint: Endpoint, delivery: Delivery
) -> None:
    outsider = make_agent("olga", sites=[other_site])
    outsider.user.is_staff = True
    outsider.user.save()
    client = client_for(outsider.user)
    page = client.get(reverse("webhooks:endpoints"))
    assert page.status_code == 200 and PUBLIC not in page.content.decode()
    for _method, url in urls(endpoint, delivery)[2:]:
        assert client.post(url).status_code == 404, url
    assert Endpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret


def test_staff_add_an_endpoint_and_see_its_secret(staff: Client, site: Site) -> None:
    response = staff.post(
        reverse("webhooks:endpoint_create"),
        {
            "site": site.pk,
            "url": PUBLIC,
            "event_types": ["message.created", "conversation.created"],
            "include_notes": "on",
            "is_active": "on",
        },
    )
    endpoint = Endpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:endpoint", args=[endpoint.pk])
    assert endpoint.event_types == ["conversation.created", "message.created"]
    assert endpoint.include_notes and endpoint.secret.startswith("whsec_")
    page = staff.get(response["Location"]).content.decode()
    assert endpoint.secret in page and "Nothing sent yet" in page


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://169.254.169.254/latest/meta-data/", "public addresses"),
        ("http://10.0.0.1/", "public addresses"),
        ("http://localhost:8000/", "public addresses"),
        ("ftp://93.184.216.34/", "Only http and https"),
    ],
)
def test_unsafe_urls_are_refused_when_saved(
    staff: Client, site: Site, url: str, error: str
) -> None:
    response = staff.post(
        reverse("webhooks:endpoint_create"),
        {"site": site.pk, "url": url, "event_types": ["message.created"], "is_active": "on"},
    )
    assert response.status_code == 200 and error in response.content.decode()
    assert not Endpoint.objects.exists()


def test_staff_cannot_add_an_endpoint_to_a_site_they_do_not_serve(
    staff: Client, other_site: Site
) -> None:
    response = staff.post(
        reverse("webhooks:endpoint_create"),
        {"site": other_site.pk, "url": PUBLIC, "event_types": ["message.created"]},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_send_again_from_the_dashboard(staff: Client, delivery: Delivery) -> None:
    tasks_before = DBTaskResult.objects.count()
    page = staff.get(reverse("webhooks:endpoint", args=[delivery.endpoint_id])).content.decode()
    assert f'id="delivery-{delivery.pk}"' in page and "Send again" in page
    response = staff.post(reverse("webhooks:delivery_resend", args=[delivery.pk]))
    assert response.status_code == 302
    assert Delivery.objects.get(pk=delivery.pk).status == "pending"
    assert DBTaskResult.objects.count() == tasks_before + 1


def test_posts_need_the_csrf_token(agent: Agent, delivery: Delivery) -> None:
    agent.user.is_staff = True
    agent.user.save()
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent.user)
    response = client.post(reverse("webhooks:delivery_resend", args=[delivery.pk]))
    assert response.status_code == 403
    assert Delivery.objects.get(pk=delivery.pk).status == "failed"


def test_staff_pause_and_resume_an_endpoint(staff: Client, endpoint: Endpoint) -> None:
    url = reverse("webhooks:endpoint", args=[endpoint.pk])
    form = {"site": endpoint.site_id, "url": PUBLIC, "event_types": ["message.created"]}
    assert staff.post(url, form).status_code == 302
    assert not Endpoint.objects.get(pk=endpoint.pk).is_active
    assert staff.post(url, {**form, "is_active": "on"}).status_code == 302
    assert Endpoint.objects.get(pk=endpoint.pk).is_active


def test_a_superuser_manages_every_site(
    other_site: Site, make_endpoint: Callable[..., Endpoint]
) -> None:
    elsewhere = make_endpoint(PUBLIC, on=other_site)
    boss = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client = client_for(boss)
    assert PUBLIC in client.get(reverse("webhooks:endpoints")).content.decode()
    assert client.get(reverse("webhooks:endpoint", args=[elsewhere.pk])).status_code == 200
    assert client.post(reverse("webhooks:endpoint_delete", args=[elsewhere.pk])).status_code == 302
    assert not Endpoint.objects.exists()


def test_the_list_can_show_one_site(
    staff: Client,
    site: Site,
    other_site: Site,
    agent: Agent,
    make_endpoint: Callable[..., Endpoint],
) -> None:
    agent.sites.add(other_site)
    make_endpoint(PUBLIC + "/shop")
    make_endpoint(PUBLIC + "/other", on=other_site)
    page = staff.get(reverse("webhooks:endpoints") + f"?site={other_site.pk}").content.decode()
    assert "/other" in page and "/shop" not in page
    form = staff.get(reverse("webhooks:endpoint_create") + f"?site={other_site.pk}")
    assert f'<option value="{other_site.pk}" selected>' in form.content.decode()
