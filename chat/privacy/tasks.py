"""The retention job, run by ``manage.py db_worker``; ``manage.py retention_sweep``
(from cron or a systemd timer, daily) enqueues it."""

from __future__ import annotations

from django_tasks import task

from chat.privacy import services


@task()
def retention_run() -> dict[str, int]:
    """Apply every site's retention policy once; {site id: conversations deleted}."""
    return {str(site_id): n for site_id, n in services.retention_sweep().items()}
