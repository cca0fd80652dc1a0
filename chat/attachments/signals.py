"""Stored files follow their rows.

A receiver rather than a service because rows go by cascade from code that does not
know about attachments: erasing a visitor, a retention sweep, deleting a conversation
or a message in the admin. Each of those deletes the files too, once it has committed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from chat.attachments.models import Attachment
from chat.attachments.storage import stored_files_delete


@receiver(post_delete, sender=Attachment)
def delete_files_after_commit(sender: Any, instance: Attachment, **kwargs: Any) -> None:
    names = [f.name for f in (instance.file, instance.thumbnail) if f.name]
    storage = instance.file.storage
    # After the commit: a rolled-back delete keeps its row, so it must keep its files.
    transaction.on_commit(lambda: stored_files_delete(storage=storage, names=names), robust=True)
