"""Invitations and password resets: the mail is sent by the worker, the link sets a
password once, and the new agent can sign in."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from chat import services
from chat.models import Agent, Site

pytestmark = pytest.mark.django_db(transaction=True)  # the worker closes connections


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def signs_in(username: str, password: str) -> bool:
    """Through the sign-in form (django-axes wants a request, which Client.login lacks)."""
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def link_in(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", body)
    assert match, body
    return match.group(1)


def choose_password(link: str, password: str = "a-Long-new-passphrase-42") -> Client:
    client = Client()
    form = client.get(link, follow=True)  # the token moves into the session, then a form
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
        follow=True,
    )
    assert "Password saved" in done.content.decode()
    return client


@pytest.fixture
def admin_client(make_agent: Callable[..., Agent]) -> Client:
    boss = make_agent("boss")
    User.objects.filter(pk=boss.user.pk).update(is_staff=True)
    client = Client()
    client.force_login(boss.user)
    return client


def test_an_invited_agent_gets_a_link_chooses_a_password_and_signs_in(
    site: Site, admin_client: Client, mailoutbox: Any
) -> None:
    response = admin_client.post(
        f"/sites/{site.pk}/team/", {"email": "new@example.com", "display_name": "Nia"}
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.is_active and not user.has_usable_password()
    assert list(user.agent.sites.all()) == [site] and user.agent.display_name == "Nia"
    assert mailoutbox == []  # the worker sends it
    page = admin_client.get(f"/sites/{site.pk}/team/").content.decode()
    assert "invited, not joined yet" in page and "Send Nia the link again" in page
    run_worker()
    (mail,) = mailoutbox
    assert mail.to == ["new@example.com"] and "Shop" in mail.subject
    assert "Hello Nia," in mail.body and "new@example.com" in mail.body
    link = link_in(mail.body)
    choose_password(link)
    assert signs_in("new@example.com", "a-Long-new-passphrase-42")
    again = Client().get(link, follow=True).content.decode()
    assert "This link has expired or was already used." in again  # once only


def test_someone_who_already_has_an_account_is_added_without_mail(
    site: Site,
    other_site: Site,
    admin_client: Client,
    make_agent: Callable[..., Agent],
    mailoutbox: Any,
) -> None:
    carol = make_agent("carol", sites=[other_site])
    User.objects.filter(pk=carol.user.pk).update(email="carol@example.com")
    response = admin_client.post(
        f"/sites/{site.pk}/team/", {"email": "Carol@Example.com"}, follow=True
    )
    assert "carol@example.com now answers chats for Shop." in response.content.decode()
    assert set(carol.sites.all()) == {site, other_site}
    run_worker()
    assert mailoutbox == []
    again = admin_client.post(f"/sites/{site.pk}/team/", {"email": "carol@example.com"})
    assert again.status_code == 400 and "already on the team" in again.content.decode()


def test_bad_addresses_and_strangers_are_refused(
    site: Site, admin_client: Client, make_agent: Callable[..., Agent]
) -> None:
    response = admin_client.post(f"/sites/{site.pk}/team/", {"email": "not-an-address"})
    assert response.status_code == 400 and "Nobody was invited" in response.content.decode()
    plain = Client()
    plain.force_login(make_agent("dave").user)
    assert plain.post(f"/sites/{site.pk}/team/", {"email": "x@example.com"}).status_code == 403
    assert not User.objects.filter(email="x@example.com").exists()
    with pytest.raises(ValidationError) as caught:
        services.agent_invite(site=site, email="bad", display_name="", base_url="http://x")
    assert "email" in caught.value.message_dict


def test_forgot_password_mails_a_link_that_resets_it(
    site: Site, make_agent: Callable[..., Agent], mailoutbox: Any
) -> None:
    alice = make_agent("alice")
    User.objects.filter(pk=alice.user.pk).update(email="alice@example.com")
    login = Client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/reset/">Forgot password?</a>' in login
    client = Client()
    sent = client.post("/accounts/password/reset/", {"email": "ALICE@example.com"}, follow=True)
    assert "Check your email" in sent.content.decode()
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"}, follow=True)
    assert "Check your email" in unknown.content.decode()  # says the same either way
    run_worker()
    (mail,) = mailoutbox
    assert mail.to == ["alice@example.com"] and "Reset your Parley password" in mail.subject
    choose_password(link_in(mail.body), "another-Long-passphrase-7")
    assert signs_in("alice", "another-Long-passphrase-7")
    assert not signs_in("alice", "pw-alice")
