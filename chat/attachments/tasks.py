"""The cleanup job, run by ``manage.py db_worker``; ``manage.py attachments_cleanup``
(from cron or a systemd timer, hourly or daily) enqueues it or runs it with --now."""

from __future__ import annotations

from django_tasks import task

from chat.attachments import services


@task()
def attachments_cleanup() -> int:
    """Delete uploads never sent with a message; how many."""
    return services.attachments_discard_unsent()
