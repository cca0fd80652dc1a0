"""An agent's picture, from the profile to the dashboard's header and the widget's team
header on a customer's page (another origin, with a CSP that allows blob: images)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from chat.attachments.tests.conftest import jpeg_bytes
from chat.models import Site
from e2e.server import DaphneServer
from e2e.test_widget import demo, open_chat, shop_url
from e2e.test_workspace import sign_in

__all__ = ["demo"]  # a fixture, used by name


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[DaphneServer]:
    daphne = DaphneServer(extra_env={"DJANGO_MEDIA_ROOT": str(tmp_path / "media")}).start()
    yield daphne
    daphne.stop()


@pytest.fixture
def problems() -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    assert seen == []


def test_a_picture_uploaded_on_the_profile_shows_in_the_header_and_the_widget(
    browser: Browser, server: DaphneServer, demo: Site, problems: list[str], tmp_path: Path
) -> None:
    photo = tmp_path / "me.jpg"
    photo.write_bytes(jpeg_bytes((400, 300)))
    alice = sign_in(browser, server, problems, "alice")
    alice.goto(f"{server.url}/profile/")
    alice.get_by_label("Picture", exact=True).set_input_files(photo)
    alice.get_by_role("button", name="Save profile").click()
    expect(alice.get_by_text("Profile saved.")).to_be_visible()
    header = alice.locator(".topbar .who img")
    expect(header).to_be_visible()
    alice.wait_for_function("document.querySelector('.topbar .who img').naturalWidth > 0")
    assert header.evaluate("img => img.naturalWidth") == 320  # re-encoded, at most 320 px

    visitor = browser.new_context().new_page()
    visitor.goto(shop_url(server))
    dialog = open_chat(visitor)
    picture = dialog.locator(".tm img")
    expect(picture).to_have_count(1)
    assert picture.evaluate("img => img.src.startsWith('blob:') && img.naturalWidth") == 320
    visitor.context.close()
