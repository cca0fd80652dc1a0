"""Writing and removing stored files through Django's storage API (file system or S3)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.files.storage import Storage

logger = logging.getLogger(__name__)


def stored_files_delete(*, storage: Storage, names: Iterable[str]) -> None:
    """Remove stored files; one that cannot be removed is logged, not raised (the row is
    gone already, and a leftover file is only disk space)."""
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.warning("could not delete stored attachment file %s", name, exc_info=True)
