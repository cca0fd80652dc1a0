from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from chat.models import Agent, Site, WidgetSighting
from chat.services import site_upsert

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Shop",
    "allowed_origins": "https://shop.example",
    "accent_color": "#123456",
    "position": "left",
    "launcher_label": "Chat with us",
    "greeting": "Hello there",
    "offline_message": "Back soon",
    "reply_time": "Usually within an hour",
    "language": "de",
    "show_team": "on",
}


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


def test_staff_who_serve_the_site_and_superusers_may_open_the_settings_others_get_403(
    site: Site, staff_agent: Agent, make_agent: Callable[..., Agent]
) -> None:
    url = f"/sites/{site.pk}/settings/"
    assert signed_in(staff_agent.user).get(url).status_code == 200
    root = User.objects.create_superuser("root", password="x")
    assert signed_in(root).get(url).status_code == 200
    plain_agent = make_agent("carol")  # serves the site, not staff
    refused = signed_in(plain_agent.user).get(url)
    assert refused.status_code == 403 and "Only an administrator" in refused.content.decode()
    other = site_upsert(name="Other", key="other", origins=[])
    assert signed_in(staff_agent.user).get(f"/sites/{other.pk}/settings/").status_code == 403
    assert Client().get(url).status_code == 302  # to sign in
    assert signed_in(plain_agent.user).get(f"/sites/{site.pk}/preview/").status_code == 403
    forbidden = signed_in(plain_agent.user).post(f"/sites/{site.pk}/allow-origin/", {"origin": "x"})
    assert forbidden.status_code == 403


def test_saving_valid_settings_normalises_origins(site: Site, staff_agent: Agent) -> None:
    client = signed_in(staff_agent.user)
    data = {**VALID, "allowed_origins": "HTTPS://Shop.Example/\nhttp://localhost:8000"}
    response = client.post(f"/sites/{site.pk}/settings/", data)
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.origin_list == ["https://shop.example", "http://localhost:8000"]
    assert (site.position, site.language, site.accent_color) == ("left", "de", "#123456")
    assert site.show_team is True and site.sound is False  # unticked
    assert "Settings saved." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("origins", "message"),
    [
        (
            "localhost:8791/shop",
            'Line 1, "localhost:8791/shop": must start with http:// or https://',
        ),
        ("https://shop.example/path", "must not have a path, query or fragment"),
        ("https://*.example.com", "wildcards are not supported; list each origin"),
        (
            "https://a.example\nhttps://A.example/",
            'Line 2, "https://A.example/": listed twice (same as line 1)',
        ),
    ],
)
def test_invalid_origins_are_refused_with_the_reason_and_nothing_is_saved(
    site: Site, staff_agent: Agent, origins: str, message: str
) -> None:
    response = signed_in(staff_agent.user).post(
        f"/sites/{site.pk}/settings/", {**VALID, "allowed_origins": origins}
    )
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert message in html and 'aria-invalid="true"' in html
    site.refresh_from_db()
    assert site.origin_list == ["https://shop.example"] and site.greeting != "Hello there"


def test_the_preview_draws_unsaved_settings_framed_only_by_this_origin(
    site: Site, staff_agent: Agent
) -> None:
    client = signed_in(staff_agent.user)
    response = client.get(
        f"/sites/{site.pk}/preview/",
        {**VALID, "accent_color": "not a colour", "lang": "ar", "language": "auto"},
    )
    assert response.status_code == 200
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    match = re.search(r'data-preview="([^"]*)"', response.content.decode())
    assert match is not None
    shown = json.loads(unescape(match.group(1)))
    assert shown["greeting"] == "Hello there" and shown["position"] == "left"
    assert shown["accent_color"] == site.accent_color  # invalid: the saved one
    assert shown["lang"] == "ar" and shown["dir"] == "rtl"
    assert Site.objects.get(pk=site.pk).greeting != "Hello there"  # nothing saved


def test_install_page_shows_seen_not_seen_and_refused_origins_with_a_fix_for_admins(
    site: Site, staff_agent: Agent, make_agent: Callable[..., Agent]
) -> None:
    Site.objects.filter(pk=site.pk).update(
        allowed_origins="https://shop.example\nhttps://www.shop.example"
    )
    at = timezone.now().replace(hour=14, minute=2)
    WidgetSighting.objects.create(
        site=site, origin="https://shop.example", allowed=True, last_seen=at
    )
    WidgetSighting.objects.create(
        site=site, origin="https://other.example", allowed=False, last_seen=at
    )
    html = unescape(signed_in(staff_agent.user).get("/sites/").content.decode())
    assert "widget seen on https://shop.example at 14:02" in html
    assert "https://www.shop.example: not seen yet" in html
    assert "refused from https://other.example (not an allowed origin)" in html
    assert "Allow https://other.example" in html and f"/sites/{site.pk}/settings/" in html
    assert 'data-copy="snippet-' in html
    plain = unescape(signed_in(make_agent("carol").user).get("/sites/").content.decode())
    assert "refused from https://other.example" in plain
    assert "Allow https://other.example" not in plain and "/settings/" not in plain


def test_allowing_a_refused_origin_in_one_click(site: Site, staff_agent: Agent) -> None:
    client = signed_in(staff_agent.user)
    response = client.post(f"/sites/{site.pk}/allow-origin/", {"origin": "HTTPS://Other.Example"})
    assert response.status_code == 302 and response["Location"] == f"/sites/#site-{site.pk}"
    site.refresh_from_db()
    assert site.origin_list == ["https://shop.example", "https://other.example"]
    client.post(f"/sites/{site.pk}/allow-origin/", {"origin": "https://other.example"})
    site.refresh_from_db()
    assert site.origin_list == ["https://shop.example", "https://other.example"]  # once
    refused = client.post(f"/sites/{site.pk}/allow-origin/", {"origin": "other.example/x"})
    assert "must start with http://" in unescape(client.get(refused["Location"]).content.decode())
    site.refresh_from_db()
    assert len(site.origin_list) == 2


def test_the_dashboard_speaks_the_agents_browser_language(site: Site, staff_agent: Agent) -> None:
    client = signed_in(staff_agent.user)
    german = client.get("/sites/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    html = unescape(german.content.decode())
    assert '<html lang="de">' in html
    assert "Widget einbinden" in html and "Kopieren" in html and "Abmelden" in html
    arabic = client.get(
        f"/sites/{site.pk}/settings/", headers={"Accept-Language": "ar"}
    ).content.decode()
    assert '<html lang="ar" dir="rtl">' in arabic and "حفظ الإعدادات" in arabic
    english = client.get("/sites/", headers={"Accept-Language": "ja"}).content.decode()
    assert "Install the widget" in english


def test_every_dashboard_translation_is_filled_in() -> None:
    from pathlib import Path

    locale = Path(__file__).resolve().parents[2] / "locale"
    for language in ("de", "fr", "es", "pt", "ar"):
        po = (locale / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
        assert '\nmsgstr ""\n\n' not in po, language  # an empty translation
        mo = locale / language / "LC_MESSAGES" / "django.mo"
        assert mo.stat().st_size > 1000, f"{language}: run manage.py compilemessages"
