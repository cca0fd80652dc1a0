"""The embeddable widget stays small: before the visitor opens the chat, the script every page
loads (widget.js, styles included) and the config it loads, with the strings of one language,
at most 10 KB gzipped; the panel it fetches on first open (widget-panel.js) at most 12 KB."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from django.test import Client

from chat.models import Site
from chat.services import agent_upsert
from chat.widget_text import LANGUAGES

WIDGET_DIR = Path(__file__).resolve().parents[2] / "static" / "chat"
BUDGET_BYTES = 10 * 1024
PANEL_BUDGET_BYTES = 12 * 1024
EMOJI_BUDGET_BYTES = 2 * 1024


def gzipped(raw: bytes) -> int:
    return len(gzip.compress(raw, compresslevel=9))


def script_bytes() -> bytes:
    """What a page loads before the chat is opened: widget.js alone (its styles are inside).
    The only other file it names is the panel, which it loads on first open."""
    core = (WIDGET_DIR / "widget.js").read_bytes()
    named = set(re.findall(rb"/static/chat/[\w.-]+", core))
    assert named == {b"/static/chat/widget.js", b"/static/chat/widget-panel.js"}, named
    return core


def test_the_panel_loaded_on_first_open_is_at_most_12_kb_gzipped() -> None:
    """The panel holds everything for files (attach, upload, show, the viewer); the only
    file it names is the emoji picker, fetched on the first press of its button."""
    raw = (WIDGET_DIR / "widget-panel.js").read_bytes()
    named = set(re.findall(rb"/static/chat/[\w.-]+", raw))
    assert named == {b"/static/chat/widget-emoji.js"}, named
    panel = gzipped(raw)
    print(
        f"widget-panel.js (loaded on first open, attachments included) {panel} bytes "
        f"gzipped, budget {PANEL_BUDGET_BYTES}"
    )
    assert panel <= PANEL_BUDGET_BYTES


def test_the_emoji_picker_loaded_on_its_first_use_is_at_most_2_kb_gzipped() -> None:
    emoji = gzipped((WIDGET_DIR / "widget-emoji.js").read_bytes())
    print(f"widget-emoji.js (loaded when the emoji button is first pressed) {emoji} bytes gzipped")
    assert emoji <= EMOJI_BUDGET_BYTES


@pytest.mark.django_db
def test_widget_and_its_config_are_at_most_10_kb_gzipped_in_every_language(
    client: Client, site: Site
) -> None:
    # A site as an owner would fill it in: long texts of their own, a full team header.
    site.greeting = "Hello and welcome to our shop! Ask us anything about sizes or delivery."
    site.reply_time = "Usually replies within a few minutes"
    site.launcher_label = "Questions? Chat with us"
    site.save()
    for name in ("Alice Martin", "Bob", "Chloé Dubois"):
        agent_upsert(
            username=name.split()[0].lower(), password="x", site_keys=["shop"], display_name=name
        )
    script = gzipped(script_bytes())
    weights: dict[str, int] = {}
    for language in LANGUAGES:
        response = client.get(
            "/widget/shop/config.json",
            {"lang": language},
            headers={"Origin": "https://shop.example"},
        )
        assert response.status_code == 200 and response.json()["lang"] == language
        assert len(response.json()["team"]) == 3
        weights[language] = script + gzipped(response.content)
    smallest = min(weights, key=weights.__getitem__)
    largest = max(weights, key=weights.__getitem__)
    print(
        f"widget.js {script} bytes gzipped; with its config: {smallest} {weights[smallest]} "
        f"bytes (smallest), {largest} {weights[largest]} bytes (largest), "
        f"budget {BUDGET_BYTES}"
    )
    assert weights[largest] <= BUDGET_BYTES, (
        f"the widget before open is {weights[largest]} bytes gzipped in {largest!r}, "
        f"over the {BUDGET_BYTES}-byte budget"
    )
