"""The dashboard's languages (settings.LANGUAGES) and the one rule for an agent's.

An agent's effective language is their preference when set, else what their browser
asked for at their last page load, else the site default. Pages, socket panels and
broadcast fragments all use it, so an agent reads one language everywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_supported_language_variant


def supported() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def default() -> str:
    return get_supported_language_variant(settings.LANGUAGE_CODE)


def supported_or_empty(code: str) -> str:
    """``code`` (or its base, ``de-AT`` → ``de``) if the dashboard speaks it, else ""."""
    if not code:
        return ""
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return ""


def effective_language(*, preference: str, browser: str) -> str:
    return supported_or_empty(preference) or supported_or_empty(browser) or default()
