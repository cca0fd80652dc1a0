"""The dashboard in the agent's language: their preference, else their browser's."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from chat.models import Agent, Conversation, Message, Site, Visitor

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[2] / "locale"


@pytest.fixture
def conversation(site: Site) -> Conversation:
    visitor = Visitor.objects.create(site=site, name="Ada")
    conversation = Conversation.objects.create(
        public_id="lang-0001", site=site, visitor=visitor, waiting_since=timezone.now()
    )
    Message.objects.create(conversation=conversation, sender="visitor", body="Hallo?")
    return conversation


def signed_in(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def test_a_german_browser_gets_german_inbox_and_conversation_pages(
    agent: Agent, conversation: Conversation
) -> None:
    client = signed_in(agent)
    german = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    inbox = unescape(client.get("/", headers=german).content.decode())
    assert '<html lang="de">' in inbox
    assert "Wartende Gespräche" in inbox and "Meine Gespräche" in inbox and "Abmelden" in inbox
    page = unescape(client.get("/conversations/lang-0001/", headers=german).content.decode())
    assert "Übernehmen" in page and "Antwort an Besucher" in page and "Frühere Gespräche" in page
    assert "Claim</button>" not in page
    agent.refresh_from_db()
    assert agent.browser_language == "de"


def test_the_preference_wins_over_the_browser(agent: Agent, conversation: Conversation) -> None:
    Agent.objects.filter(pk=agent.pk).update(language="fr")
    client = signed_in(agent)
    page = client.get("/conversations/lang-0001/", headers={"Accept-Language": "de"})
    html = unescape(page.content.decode())
    assert '<html lang="fr">' in html and "Prendre" in html and "Übernehmen" not in html
    assert page["Content-Language"] == "fr"
    agent.refresh_from_db()
    assert agent.browser_language == "de"  # still recorded: it is what "follow" would mean


def test_the_browser_language_is_written_only_when_it_changes(agent: Agent) -> None:
    client = signed_in(agent)
    client.get("/", headers={"Accept-Language": "es"})

    def agent_updates(accept: str) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            client.get("/", headers={"Accept-Language": accept})
        return [
            q["sql"]
            for q in queries
            if re.match(r'UPDATE "chat_agent" SET "browser_language"', q["sql"])
        ]

    assert agent_updates("es-ES,es") == []
    assert len(agent_updates("pt")) == 1
    agent.refresh_from_db()
    assert agent.browser_language == "pt"
    # A language the dashboard does not speak falls back to the default, recorded as such.
    assert len(agent_updates("ja")) == 1
    agent.refresh_from_db()
    assert agent.browser_language == "en"


@pytest.mark.parametrize("path", ["/", "/conversations/lang-0001/", "/profile/", "/search/"])
def test_arabic_pages_are_right_to_left(
    agent: Agent, conversation: Conversation, path: str
) -> None:
    html = signed_in(agent).get(path, headers={"Accept-Language": "ar"}).content.decode()
    assert '<html lang="ar" dir="rtl"' in html


def test_the_staff_pages_are_translated_too(make_agent: Callable[..., Agent], site: Site) -> None:
    staff = make_agent("sam")
    staff.user.is_staff = True
    staff.user.save()
    client = signed_in(staff)
    german = {"Accept-Language": "de"}
    for path, words in [
        ("/settings/webhooks/", "Endpunkt hinzufügen"),
        ("/settings/api-tokens/", "Token erstellen"),
        ("/privacy/retention/", "Aufbewahrung"),
        ("/service-levels/", "Warteschlange"),
        ("/service-levels/reports/", "Erste Antwort"),
        (f"/service-levels/sites/{site.pk}/", "Wochenzeiten"),
    ]:
        response = client.get(path, headers=german)
        assert response.status_code == 200, path
        assert words in unescape(response.content.decode()), path


def po_entries(text: str) -> list[dict[str, str]]:
    entries = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fields: dict[str, str] = {}
        key = ""
        for line in lines:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            fields["flags"] = " ".join(line for line in lines if line.startswith("#,"))
            entries.append(fields)
    return entries


@pytest.mark.parametrize("language", ["de", "fr", "es", "pt", "ar"])
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    po = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = po_entries(po)
    assert len(entries) > 300
    for entry in entries:
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        sources = [entry["msgid"], entry.get("msgid_plural", "")]
        wanted = set(re.findall(r"%\(\w+\)[sd]", " ".join(sources)))
        for key, value in entry.items():
            if key.startswith("msgstr"):
                assert value, (key, entry["msgid"])
                assert set(re.findall(r"%\(\w+\)[sd]", value)) == wanted, (key, entry["msgid"])
    # The compiled catalogue says the same (compilemessages was run after the last edit).
    with translation.override(language):
        for entry in entries:
            if "msgid_plural" in entry:
                continue
            msgid, msgstr = unescape_po(entry["msgid"]), unescape_po(entry["msgstr"])
            context = entry.get("msgctxt")
            said = pgettext(unescape_po(context), msgid) if context else gettext(msgid)
            assert said == msgstr, msgid


def unescape_po(text: str) -> str:
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), text)


def test_a_refused_origin_is_explained_in_the_admins_language(
    make_agent: Callable[..., Agent], site: Site
) -> None:
    from dashboard.tests.test_site_settings import VALID

    admin = make_agent("sam")
    admin.user.is_staff = True
    admin.user.save()
    response = signed_in(admin).post(
        f"/sites/{site.pk}/settings/",
        {**VALID, "allowed_origins": "https://shop.example\nshop.example/path"},
        headers={"Accept-Language": "de"},
    )
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "Zeile 2, „shop.example/path“: muss mit http:// oder https:// beginnen" in html
