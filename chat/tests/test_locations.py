"""chat.locations: a place from the browser's time zone and language."""

from __future__ import annotations

import pytest
from django.test import Client

from chat.locations import visitor_location
from chat.models import Agent, Conversation, Site, Visitor


@pytest.mark.parametrize(
    ("time_zone", "language", "place"),
    [
        ("Europe/Berlin", "de-DE", "Berlin, Germany"),
        ("Europe/Berlin", "de", "Berlin, Germany"),
        ("Europe/Berlin", "en-US", "Berlin, Germany"),  # English is spoken everywhere
        ("Europe/Berlin", "nb-NO", "Norway"),  # Norway keeps Berlin's clock
        ("America/New_York", "en-US", "New York, United States"),
        ("America/Argentina/Buenos_Aires", "es-419", "Buenos Aires, Argentina"),
        ("Europe/London", "en-GB", "London, United Kingdom"),
        ("Asia/Kolkata", "hi-IN", "Kolkata, India"),
        ("UTC", "de-DE", ""),
        ("Etc/GMT+2", "fr-FR", ""),
        ("", "de-DE", ""),
        ("Europe/../../etc/passwd", "en", ""),
    ],
)
def test_place_from_time_zone_and_language(time_zone: str, language: str, place: str) -> None:
    assert visitor_location(time_zone=time_zone, language=language) == place


def test_the_visitor_panel_shows_the_place(agent: Agent, site: Site) -> None:
    visitor = Visitor.objects.create(site=site, time_zone="Europe/Berlin", language="de-DE")
    Conversation.objects.create(public_id="place-0001", site=site, visitor=visitor)
    client = Client()
    client.force_login(agent.user)

    html = client.get("/conversations/place-0001/").content.decode()

    assert "<dt>Location</dt>" in html and ">Berlin, Germany</dd>" in html
