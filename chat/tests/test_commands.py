from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from chat.models import Agent, Site

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_is_idempotent_and_prints_where_to_go() -> None:
    first = run("demo")
    run("demo")
    assert Site.objects.filter(widget_key="demo").count() == 1
    agent = Agent.objects.get(user__username="demo")
    assert agent.user.check_password("demo") and not agent.user.is_staff
    assert agent.availability == "online"
    assert list(agent.sites.values_list("widget_key", flat=True)) == ["demo"]
    assert "sign in as demo / demo" in first and "http://localhost:8000/demo/" in first
    # The README's way to make an admin; a bare "python manage.py" has no Django or settings.
    assert "http://127.0.0.1:8000/admin/  (first: make manage ARGS=createsuperuser)" in first
    assert Site.objects.get(widget_key="demo").origin_list == [
        "http://localhost:8000",
        "http://127.0.0.1:8000",
    ]


def test_create_site_and_agent() -> None:
    out = run("create_site", "Acme", "--key", "acme", "--origin", "https://acme.example")
    assert 'data-site="acme"' in out
    run("create_agent", "alice", "--password", "s3cret-pw", "--site", "acme", "--name", "Alice")
    agent = Agent.objects.get(user__username="alice")
    assert agent.name == "Alice" and agent.user.check_password("s3cret-pw")
    assert list(agent.sites.values_list("widget_key", flat=True)) == ["acme"]


def test_create_agent_for_unknown_site_fails_clearly() -> None:
    with pytest.raises(CommandError, match="No site has the key"):
        run("create_agent", "bob", "--password", "pw", "--site", "nope")
    assert not User.objects.filter(username="bob").exists()


def test_demo_does_not_point_at_a_shop_page_that_is_not_served(settings: Any) -> None:
    settings.DEBUG = False
    settings.CHAT_DEMO_ENABLED = False
    out = run("demo")
    assert "/demo/" not in out
    assert "Demo shop: not served (set DJANGO_DEBUG=1 or CHAT_DEMO_ENABLED=1)" in out


def test_demo_lists_each_origin_once_whatever_the_public_url(settings: Any) -> None:
    settings.CHAT_PUBLIC_URL = "http://localhost:8000/chat/"
    run("demo", "--origin", "HTTPS://Shop.Example/")
    assert Site.objects.get(widget_key="demo").origin_list == [
        "http://localhost:8000",
        "https://shop.example",
    ]


def test_create_site_stores_origins_as_browsers_send_them() -> None:
    run("create_site", "Acme", "--key", "acme", "--origin", "HTTPS://Acme.Example/")
    run("create_site", "Acme", "--key", "acme", "--origin", "https://acme.example:443")
    assert Site.objects.get(widget_key="acme").origin_list == ["https://acme.example"]


def test_create_site_refuses_an_origin_that_can_never_match_and_saves_nothing() -> None:
    with pytest.raises(CommandError) as refused:
        run(
            "create_site",
            "Acme",
            "--key",
            "acme",
            "--origin",
            "https://acme.example",
            "--origin",
            "localhost:8791/shop",
            "--origin",
            "https://acme.example/",
        )
    assert str(refused.value).splitlines() == [
        "Refused --origin:",
        '  Line 2, "localhost:8791/shop": must start with http:// or https:// '
        "(an origin is scheme://host[:port], e.g. https://shop.example.com)",
        '  Line 3, "https://acme.example/": listed twice (same as line 1)',
    ]
    assert not Site.objects.filter(widget_key="acme").exists()
