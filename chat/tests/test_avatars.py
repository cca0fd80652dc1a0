"""chat.services.avatars, the public picture view and the widget's team list."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from chat import services
from chat.attachments.tests.conftest import HTML, jpeg_bytes
from chat.models import Agent, Site
from chat.services import ChatError
from chat.services.avatars import avatar_url
from chat.widget_config import site_team


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def stored(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file())


def upload(agent: Agent, data: bytes) -> Agent:
    return services.agent_avatar_set(agent=agent, file=io.BytesIO(data), size=len(data))


def test_a_picture_is_stored_re_encoded_small_and_without_its_metadata(
    agent: Agent, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    photo = jpeg_bytes((1600, 800), orientation=6)  # a phone photo held upright
    with django_capture_on_commit_callbacks(execute=True):
        upload(agent, photo)

    agent.refresh_from_db()
    (path,) = stored(media)
    assert agent.avatar == f"avatars/{path.name}"
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert image.size == (160, 320)  # turned upright, at most 320 px
        assert not image.getexif() and "comment" not in image.info
    assert b"PhoneMaker" not in path.read_bytes()


def test_a_new_picture_replaces_the_old_file_after_commit_and_removing_goes_back_to_initials(
    agent: Agent, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        upload(agent, jpeg_bytes((100, 100)))
    (first,) = stored(media)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(agent, jpeg_bytes((120, 120)))
    assert first in stored(media)  # still there until the commit
    for callback in callbacks:
        callback()
    assert first not in stored(media) and len(stored(media)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.agent_avatar_remove(agent=agent)
    agent.refresh_from_db()
    assert (agent.avatar, stored(media)) == ("", [])


@pytest.mark.parametrize("data", [HTML, b"GIF89a" + b"\x00" * 40, b""])
def test_what_is_not_a_readable_image_is_refused_and_nothing_is_stored(
    agent: Agent, media: Path, data: bytes
) -> None:
    with pytest.raises(ChatError) as refused:
        upload(agent, data)
    assert refused.value.code == "type_refused"
    agent.refresh_from_db()
    assert (agent.avatar, stored(media)) == ("", [])


def test_a_file_over_the_size_limit_is_refused(agent: Agent, settings: Any) -> None:
    settings.CHAT_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ChatError) as refused:
        upload(agent, jpeg_bytes((100, 100)))
    assert refused.value.code == "too_large"


def test_the_picture_is_public_cacheable_and_in_the_widgets_team(agent: Agent, site: Site) -> None:
    upload(agent, jpeg_bytes((64, 64)))
    url = avatar_url(agent)

    response = Client().get(url)  # nobody signed in: visitors see it
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "immutable" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert site_team(site=site) == [{"i": "AL", "c": site_team(site=site)[0]["c"], "a": url}]

    agent.user.is_active = False
    agent.user.save()
    assert Client().get(url).status_code == 404  # not for a deactivated agent
    assert Client().get("/avatars/..%2Fsecret.jpg").status_code == 404


def test_deleting_the_agent_deletes_their_picture_after_commit(
    agent: Agent, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    upload(agent, jpeg_bytes((64, 64)))
    with django_capture_on_commit_callbacks(execute=True):
        agent.user.delete()
    assert stored(media) == []
