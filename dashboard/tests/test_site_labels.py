"""A site's labels page for its admins, and the label bar on a conversation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chat.models import Agent, Conversation, Label, Site, Visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_agent(make_agent: Callable[..., Agent]) -> Agent:
    agent = make_agent("boss")
    agent.user.is_staff = True
    agent.user.save()
    return agent


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_the_sites_admins_may_open_or_change_its_labels(
    site: Site, other_site: Site, staff_agent: Agent, make_agent: Callable[..., Agent]
) -> None:
    url = f"/sites/{site.pk}/labels/"
    assert signed_in(staff_agent.user).get(url).status_code == 200
    plain = signed_in(make_agent("carol").user)
    assert plain.get(url).status_code == 403
    assert plain.post(url, {"new-name": "x", "new-color": "#000000"}).status_code == 403
    label = Label.objects.create(site=other_site, name="Theirs")
    change = f"/sites/{site.pk}/labels/{label.pk}/"
    assert signed_in(staff_agent.user).post(change, {"delete": "1"}).status_code == 404
    assert Label.objects.filter(pk=label.pk).exists()


def test_an_admin_adds_renames_recolours_and_deletes_a_label(
    site: Site, staff_agent: Agent
) -> None:
    client = signed_in(staff_agent.user)
    url = f"/sites/{site.pk}/labels/"
    response = client.post(url, {"new-name": "Refund", "new-color": "#DC2626"}, follow=True)
    assert "Label Refund added." in response.content.decode()
    label = Label.objects.get(site=site)
    assert (label.name, label.color) == ("Refund", "#dc2626")
    change = f"/sites/{site.pk}/labels/{label.pk}/"
    client.post(change, {f"label-{label.pk}-name": "Refunds", f"label-{label.pk}-color": "#000000"})
    label.refresh_from_db()
    assert (label.name, label.color) == ("Refunds", "#000000")
    client.post(change, {"delete": "1"})
    assert not Label.objects.filter(site=site).exists()


def test_errors_are_shown_beside_the_fields_and_nothing_is_saved(
    site: Site, staff_agent: Agent
) -> None:
    client = signed_in(staff_agent.user)
    url = f"/sites/{site.pk}/labels/"
    Label.objects.create(site=site, name="Refund")
    response = client.post(url, {"new-name": "Refund", "new-color": "#000000"})
    html = response.content.decode()
    assert response.status_code == 400 and "The label was not added" in html
    assert "already exists" in html
    response = client.post(url, {"new-name": "", "new-color": "red"})
    html = response.content.decode()
    assert response.status_code == 400 and "A colour like #4f46e5." in html
    assert "This field is required." in html
    other = Label.objects.create(site=site, name="Other")
    response = client.post(
        f"/sites/{site.pk}/labels/{other.pk}/",
        {f"label-{other.pk}-name": "Refund", f"label-{other.pk}-color": "#000000"},
    )
    assert response.status_code == 400 and "already exists" in response.content.decode()
    assert Label.objects.get(pk=other.pk).name == "Other"


def test_the_conversation_page_has_its_label_bar(site: Site, agent: Agent) -> None:
    conversation = Conversation.objects.create(
        public_id="bar-00001", site=site, visitor=Visitor.objects.create(site=site)
    )
    vip = Label.objects.create(site=site, name="VIP", color="#7c3aed")
    Label.objects.create(site=site, name="Bug")
    conversation.labels.add(vip)
    html = signed_in(agent.user).get("/conversations/bar-00001/").content.decode()
    bar = html[html.index(f'id="labels-c{conversation.pk}"') :]
    assert 'data-color="#7c3aed"' in bar and "Remove the label VIP" in bar
    assert bar.index("Bug") < bar.index("Add label")  # offered, VIP is not
    assert '<option value="' in bar and ">VIP</option>" not in bar
