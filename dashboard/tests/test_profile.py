from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.attachments.tests.conftest import HTML, jpeg_bytes
from chat.models import Agent

pytestmark = pytest.mark.django_db


def signed_in(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def test_the_header_links_to_the_profile_and_the_page_links_to_the_password_change(
    agent: Agent,
) -> None:
    client = signed_in(agent)
    inbox = client.get("/").content.decode()
    assert 'href="/profile/"' in inbox
    page = client.get("/profile/").content.decode()
    assert 'name="display_name"' in page and 'name="language"' in page
    assert 'href="/accounts/password/change/"' in page
    assert client.get("/accounts/password/change/").status_code == 200


def test_saving_the_profile_stores_language_and_notifications_and_speaks_it_at_once(
    agent: Agent,
) -> None:
    client = signed_in(agent)
    response = client.post(
        "/profile/",
        {"display_name": "  Alice B ", "language": "de", "notify_desktop": "on"},
        follow=True,
    )
    agent.refresh_from_db()
    assert (agent.display_name, agent.language) == ("Alice B", "de")
    assert (agent.notify_sound, agent.notify_desktop) == (False, True)
    html = unescape(response.content.decode())
    assert '<html lang="de"' in html and "Profil gespeichert." in html
    # The script reads the preferences from the page.
    assert 'data-notify-sound="0"' in html and 'data-notify-desktop="1"' in html


def test_an_unknown_language_is_refused_with_the_reason_and_nothing_is_saved(
    agent: Agent,
) -> None:
    client = signed_in(agent)
    response = client.post(
        "/profile/", {"display_name": "Mallory", "language": "xx", "notify_sound": "on"}
    )
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "xx is not one of the available choices" in html
    agent.refresh_from_db()
    assert (agent.display_name, agent.language) == ("Alice", "")


def test_following_the_browser_again_clears_the_preference(agent: Agent) -> None:
    Agent.objects.filter(pk=agent.pk).update(language="fr")
    client = signed_in(agent)
    client.post("/profile/", {"display_name": "Alice", "language": "", "notify_sound": "on"})
    agent.refresh_from_db()
    assert agent.language == "" and agent.notify_sound is True
    page = client.get("/profile/", headers={"Accept-Language": "es"}).content.decode()
    assert '<html lang="es"' in page


def test_each_event_has_its_own_ways_and_the_page_tells_the_script(agent: Agent) -> None:
    client = signed_in(agent)
    page = client.get("/profile/").content.decode()
    # Never chosen: every event both ways, under the switches (sound on, desktop off).
    assert 'data-notify-waiting="sound"' in page
    assert 'name="notify_assigned" value="desktop"' in page

    response = client.post(
        "/profile/",
        {
            "display_name": "Alice",
            "language": "",
            "notify_sound": "on",
            "notify_desktop": "on",
            "notify_waiting": ["sound", "desktop"],
            "notify_message": ["desktop"],
        },
        follow=True,
    )

    agent.refresh_from_db()
    assert agent.notify_events == {
        "waiting": ["sound", "desktop"],
        "message": ["desktop"],
        "assigned": [],
    }
    html = response.content.decode()
    assert 'data-notify-waiting="sound desktop"' in html
    assert 'data-notify-message="desktop"' in html
    assert 'data-notify-assigned=""' in html


def test_an_unknown_way_is_a_field_error(agent: Agent) -> None:
    response = signed_in(agent).post(
        "/profile/", {"display_name": "Alice", "language": "", "notify_waiting": ["pager"]}
    )
    assert response.status_code == 400
    assert "pager is not one of the available choices" in unescape(response.content.decode())


def test_a_picture_is_uploaded_shown_in_the_header_and_a_bad_one_is_refused(
    agent: Agent, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = signed_in(agent)
    photo = SimpleUploadedFile("me.jpg", jpeg_bytes((200, 200)), content_type="image/jpeg")
    client.post("/profile/", {"display_name": "Alice", "language": "", "avatar": photo})
    agent.refresh_from_db()
    assert agent.avatar.startswith("avatars/")
    inbox = client.get("/").content.decode()
    assert f'<img class="agent-avatar" src="/avatars/{agent.avatar[8:]}"' in inbox

    fake = SimpleUploadedFile("me.png", HTML, content_type="image/png")
    refused = client.post("/profile/", {"display_name": "Renamed", "language": "", "avatar": fake})
    assert refused.status_code == 400
    assert "Choose a PNG, JPEG, GIF or WebP image." in refused.content.decode()
    before = agent.avatar
    agent.refresh_from_db()
    assert (agent.avatar, agent.display_name) == (before, "Alice")  # nothing saved

    client.post("/profile/", {"display_name": "Alice", "language": "", "avatar_remove": "on"})
    agent.refresh_from_db()
    assert agent.avatar == ""
