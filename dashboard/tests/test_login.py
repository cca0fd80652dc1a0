"""Sign-in throttling (django-axes): lockout per address and per user name."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from chat.models import Agent

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str, ip: str = "10.1.1.1") -> int:
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    return response.status_code


def test_wrong_passwords_lock_the_user_out_with_a_clear_message(
    agent: Agent, settings: object
) -> None:
    client = Client()
    assert [sign_in(client, "alice", "wrong") for _ in range(9)] == [200] * 9  # the form again
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Locked: even the right password is refused, from this address or another one.
    assert sign_in(client, "alice", "pw-alice") == 429
    assert sign_in(Client(), "alice", "pw-alice", ip="10.2.2.2") == 429


def test_one_address_trying_many_names_is_locked_out(agent: Agent) -> None:
    client = Client()
    for n in range(10):
        sign_in(client, f"guess{n}", "wrong", ip="10.3.3.3")
    assert sign_in(client, "alice", "pw-alice", ip="10.3.3.3") == 429
    # Others are not punished for one address's guesses.
    assert sign_in(Client(), "alice", "pw-alice", ip="10.4.4.4") == 302


def test_an_admin_can_unlock(agent: Agent) -> None:
    client = Client()
    for _ in range(10):
        sign_in(client, "alice", "wrong")
    assert sign_in(Client(), "alice", "pw-alice", ip="10.5.5.5") == 429
    call_command("axes_reset_username", "alice")
    call_command("axes_reset_ip", "10.1.1.1")
    assert sign_in(Client(), "alice", "pw-alice", ip="10.5.5.5") == 302
