from __future__ import annotations

from django.conf import settings

from chat.models import Site


def embed_snippet(*, site: Site, server: str | None = None) -> str:
    """The one tag a site owner pastes before ``</body>``."""
    base = (server or settings.CHAT_PUBLIC_URL).rstrip("/")
    return (
        f'<script src="{base}/static/chat/widget.js" data-site="{site.widget_key}" defer></script>'
    )
