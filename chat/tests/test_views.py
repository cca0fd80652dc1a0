from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from chat.models import Agent, Site, WidgetSighting
from chat.sightings import MAX_REFUSED_PER_SITE
from chat.widget_text import EN, STRINGS

pytestmark = pytest.mark.django_db


def test_widget_config_for_an_allowed_origin(client: Client, site: Site) -> None:
    response = client.get("/widget/shop/config.json", headers={"Origin": "https://shop.example"})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"
    body = response.json()
    assert body["greeting"] == site.greeting and body["accent_color"] == site.accent_color
    assert body["agents_online"] is False and body["max_length"] == 5000
    # The widget refuses a file over these at once, without uploading it.
    assert body["max_files"] == 5 and body["max_file_size"] == 10 * 1024 * 1024
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


# --- the widget's words and look, and where it was seen


def config(client: Client, origin: str = "https://shop.example", **params: str) -> Any:
    return client.get("/widget/shop/config.json", params, headers={"Origin": origin})


def test_widget_config_speaks_the_browsers_language_when_the_site_follows_it(
    client: Client, site: Site
) -> None:
    assert site.language == "auto"
    german = config(client, lang="de-AT").json()
    assert german["lang"] == "de" and german["dir"] == "ltr"
    assert german["t"]["open"] == "Chat öffnen" and german["t"]["unread"] == "{} ungelesen"
    assert german["greeting"] == "Hallo! Wie können wir helfen?"  # the stock greeting, translated
    asked_got = [("pt-BR", "pt"), ("AR", "ar"), ("ja-JP", "en"), ("", "en"), ("x" * 40, "en")]
    for asked, got in asked_got:
        assert config(client, lang=asked).json()["lang"] == got
    arabic = config(client, lang="ar-EG")
    assert arabic.json()["dir"] == "rtl"
    assert "افتح المحادثة".encode() in arabic.content  # UTF-8, not \\u escapes


def test_every_language_has_every_string_with_the_same_placeholders() -> None:
    for language, strings in STRINGS.items():
        assert set(strings) == set(EN), language
        for key, text in strings.items():
            assert text.count("{}") == EN[key].count("{}"), (language, key)


def test_widget_config_carries_the_sites_look_and_a_fixed_language_wins(
    client: Client, site: Site, make_agent: Callable[..., Agent]
) -> None:
    make_agent("alice")
    Site.objects.filter(pk=site.pk).update(
        language="fr",
        position="left",
        launcher_label="Une question ?",
        reply_time="Réponse en une heure",
        greeting="Bienvenue !",
        sound=False,
    )
    body = config(client, lang="de-DE").json()
    assert body["lang"] == "fr" and body["t"]["send"] == "Envoyer"
    assert body["greeting"] == "Bienvenue !"  # the owner's own words, as written
    assert body["position"] == "left" and body["launcher_label"] == "Une question ?"
    assert body["reply_time"] == "Réponse en une heure" and body["sound"] is False
    assert body["team"] == [{"i": "AL", "c": body["team"][0]["c"]}]
    assert "alice" not in json.dumps(body).lower()  # initials only
    Site.objects.filter(pk=site.pk).update(show_team=False)
    assert config(client).json()["team"] == []


def test_sightings_are_written_at_most_once_a_minute_per_origin(
    client: Client, site: Site, django_assert_num_queries: Any
) -> None:
    config(client)
    sighting = WidgetSighting.objects.get()
    assert (sighting.origin, sighting.allowed, sighting.count) == ("https://shop.example", True, 1)
    with django_assert_num_queries(3):  # site, agents online, team: no write
        config(client)
    assert WidgetSighting.objects.get().count == 1
    cache.clear()  # a minute later
    config(client)
    assert WidgetSighting.objects.get().count == 2


def test_refused_origins_are_recorded_and_bounded_per_site(client: Client, site: Site) -> None:
    for n in range(MAX_REFUSED_PER_SITE + 5):
        assert config(client, origin=f"https://other{n}.example").status_code == 403
    refused = WidgetSighting.objects.filter(site=site, allowed=False)
    assert refused.count() == MAX_REFUSED_PER_SITE
    assert refused.filter(origin=f"https://other{MAX_REFUSED_PER_SITE + 4}.example").exists()
    config(client, origin="null")  # a sandboxed frame: nothing to show an owner
    assert not WidgetSighting.objects.filter(origin="null").exists()
    client.get("/widget/shop/config.json")  # no Origin: not a browser, not a sighting
    assert WidgetSighting.objects.filter(site=site).count() == MAX_REFUSED_PER_SITE
