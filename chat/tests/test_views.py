from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from chat.models import Agent, Site

pytestmark = pytest.mark.django_db


def test_widget_config_for_an_allowed_origin(client: Client, site: Site) -> None:
    response = client.get("/widget/shop/config.json", headers={"Origin": "https://shop.example"})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"
    body = response.json()
    assert body["greeting"] == site.greeting and body["accent_color"] == site.accent_color
    assert body["agents_online"] is False and body["max_length"] == 5000
    assert "identity_secret" not in response.content.decode()


def test_widget_config_refuses_other_origins_and_unknown_sites_with_a_reason(
    client: Client, site: Site
) -> None:
    refused = client.get("/widget/shop/config.json", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and refused.json()["error"] == "origin_not_allowed"
    assert refused["Access-Control-Allow-Origin"] == "https://evil.example"  # readable reason
    assert client.get("/widget/nope/config.json").json()["error"] == "unknown_site"


def test_demo_shop_embeds_the_widget_by_script_tag_from_this_server_only(
    client: Client, settings: object
) -> None:
    html = client.get("/demo/", {"server": "https://evil.example"}).content.decode()
    assert "evil.example" not in html  # a link cannot choose the script
    assert (
        '<script src="http://127.0.0.1:8000/static/chat/widget.js" data-site="demo" defer>' in html
    )


def test_agents_online_is_the_truth_of_their_dashboards_not_their_last_choice(
    client: Client, site: Site, make_agent: Callable[..., Agent]
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from chat.models import Presence

    def online() -> bool:
        response = client.get(
            "/widget/shop/config.json", headers={"Origin": "https://shop.example"}
        )
        return bool(response.json()["agents_online"])

    alice = make_agent("alice")  # online, with a dashboard open
    assert online()
    # Every browser closed (or the process killed) twelve minutes ago: the lease ran out.
    Presence.objects.filter(agent=alice).update(expires_at=timezone.now() - timedelta(minutes=12))
    assert Agent.objects.get(pk=alice.pk).availability == "online"  # still their choice
    assert not online()
