"""Account emails: the link that sets a password, for an invitation or a reset.

Built by the background worker (chat.tasks.email_account_link), in the recipient's
dashboard language. The link is Django's password-reset confirmation
(``password_reset_confirm``) with its token generator: it expires after
PASSWORD_RESET_TIMEOUT, and once used (the password hash is part of the token).
"""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from chat import languages
from chat.models import Agent

AccountLinkKind = Literal["invite", "reset"]


def password_link(*, user: object, base_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(getattr(user, "pk", "")))
    token = default_token_generator.make_token(user)  # type: ignore[arg-type]
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return base_url.rstrip("/") + path


def account_link_message(
    *, user_id: int, kind: AccountLinkKind, base_url: str, site_name: str = ""
) -> EmailMessage | None:
    """The email for an active user with an address; None for anyone else."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    email = getattr(user, "email", "")
    if user is None or not email:
        return None
    agent = Agent.objects.filter(user_id=user_id).first()
    language = agent.effective_language if agent is not None else languages.default()
    with translation.override(language):
        context = {
            "name": agent.name if agent is not None else user.get_username(),
            "username": user.get_username(),
            "link": password_link(user=user, base_url=base_url),
            "site_name": site_name,
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        }
        subject = render_to_string(f"registration/account_{kind}_subject.txt", context)
        body = render_to_string(f"registration/account_{kind}_email.txt", context)
    return EmailMessage(" ".join(subject.split()), body, None, [email])
