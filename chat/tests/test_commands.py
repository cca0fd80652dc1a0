from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from chat.models import Agent, Site

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_is_idempotent_and_prints_where_to_go(settings: object) -> None:
    first = run("demo")
    run("demo")
    assert Site.objects.filter(widget_key="demo").count() == 1
    agent = Agent.objects.get(user__username="demo")
    assert agent.user.check_password("demo") and not agent.user.is_staff
    assert agent.availability == "online"
    assert list(agent.sites.values_list("widget_key", flat=True)) == ["demo"]
    assert "sign in as demo / demo" in first and "http://localhost:8000/demo/" in first
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
