"""Reads for the webhook pages: who may manage which site's endpoints, and the log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from chat.models import Site
from chat.webhooks.models import Delivery, Endpoint


def manageable_sites(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Site]:
    """Superusers manage every site; staff agents the sites they serve; others none."""
    if not user.is_authenticated or not user.is_active:
        return Site.objects.none()
    if getattr(user, "is_superuser", False):
        return Site.objects.all()
    if not getattr(user, "is_staff", False):
        return Site.objects.none()
    return Site.objects.filter(agents__user_id=user.pk)


def may_manage_webhooks(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(getattr(user, "is_superuser", False) or getattr(user, "is_staff", False))


def manageable_endpoints(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(site__in=manageable_sites(user=user)).select_related("site")


def recent_deliveries(*, endpoint: Endpoint, limit: int = 50) -> list[Delivery]:
    return list(
        Delivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("log")
        .order_by("-pk")[:limit]
    )
