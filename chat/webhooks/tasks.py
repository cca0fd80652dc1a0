"""The webhook jobs run by ``manage.py db_worker``. Thin: the work is in
:mod:`chat.webhooks.delivery`."""

from __future__ import annotations

from django_tasks import task

from chat.webhooks import delivery


@task()
def deliver_webhook(*, delivery_id: int) -> str:
    """Attempt one delivery if it is due and first in line; says what happened."""
    return delivery.delivery_run(delivery_id=delivery_id)


@task()
def mail_endpoint_paused(*, endpoint_id: int) -> str:
    """Tell the site's staff agents that an endpoint was paused."""
    return delivery.paused_endpoint_mail(endpoint_id=endpoint_id)
