"""Reads for the privacy pages: which visitors and policies a user may act on."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count

from chat.models import Site, Visitor
from chat.privacy.models import RetentionPolicy
from chat.webhooks.selectors import manageable_sites


def visitor_for_user(
    *, user: AbstractBaseUser | AnonymousUser, visitor_id: uuid.UUID
) -> Visitor | None:
    """A visitor of a site the user manages (staff serving it, or a superuser)."""
    return (
        Visitor.objects.filter(pk=visitor_id, site__in=manageable_sites(user=user))
        .select_related("site")
        .annotate(n_conversations=Count("conversations"))
        .first()
    )


def retention_policies(*, user: AbstractBaseUser | AnonymousUser) -> list[RetentionPolicy]:
    """One policy per manageable site; unsaved (off) where none was ever set."""
    sites = list(manageable_sites(user=user).order_by("name"))
    saved = {p.site_id: p for p in RetentionPolicy.objects.filter(site__in=sites)}
    return [saved.get(s.pk) or RetentionPolicy(site=s) for s in sites]


def retention_policy_for(
    *, user: AbstractBaseUser | AnonymousUser, site_id: int
) -> RetentionPolicy | None:
    site = manageable_sites(user=user).filter(pk=site_id).first()
    if site is None:
        return None
    return RetentionPolicy.objects.filter(site=site).first() or RetentionPolicy(site=site)


__all__ = [
    "Site",
    "manageable_sites",
    "retention_policies",
    "retention_policy_for",
    "visitor_for_user",
]
