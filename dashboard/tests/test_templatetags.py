from __future__ import annotations

import uuid

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from chat.models import Site, Visitor
from chat.names import ANIMALS, COLOURS, friendly_hue, friendly_name
from dashboard.templatetags.parley import initials, visitor_label


def test_friendly_name_is_a_colour_and_an_animal_stable_per_id() -> None:
    visitor_id = "0b8a2c5e-3f1d-4c8e-9a77-5a1f0f6c2d11"
    colour, animal = friendly_name(visitor_id).split()
    assert colour in COLOURS and animal in ANIMALS
    assert friendly_name(visitor_id) == friendly_name(visitor_id)
    # Spread: a hundred visitors do not share a handful of names.
    assert len({friendly_name(str(uuid.uuid4())) for _ in range(100)}) > 80
    assert 0 <= friendly_hue(visitor_id) < 360


def test_friendly_name_is_fixed_across_processes() -> None:
    """sha256, not hash(): the same visitor has the same name after a restart."""
    assert friendly_name("e2e-visitor") == "Saffron Beaver"


@pytest.mark.django_db
def test_visitor_label_prefers_what_they_gave(site: Site) -> None:
    anonymous = Visitor(site=site)
    assert visitor_label(anonymous) == friendly_name(str(anonymous.pk))
    assert visitor_label(Visitor(site=site, email="a@b.example")) == "a@b.example"
    assert visitor_label(Visitor(site=site, name="Ann", email="a@b.example")) == "Ann"
    assert initials("Teal Otter") == "TO" and initials("") == "?"


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [("dark", ' data-theme="dark"'), ("light", ' data-theme="light"'), ('x"><b', ""), (None, "")],
)
def test_theme_attr_only_renders_a_known_theme(cookie: str | None, expected: str) -> None:
    request = RequestFactory().get("/")
    if cookie is not None:
        request.COOKIES["parley_theme"] = cookie
    rendered = Template("{% load parley %}{% theme_attr %}").render(Context({"request": request}))
    assert rendered == expected
