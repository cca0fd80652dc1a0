"""Auth events that must close an agent's open sockets at once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from chat.services import agent_sockets_close


@receiver(user_logged_out)
def close_sockets_on_logout(sender: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        agent_sockets_close(user_id=user.pk)


@receiver(post_save, sender=get_user_model())
def close_sockets_on_deactivation(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        agent_sockets_close(user_id=instance.pk)
