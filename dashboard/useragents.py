"""Browser and OS from a User-Agent header, for the visitor panel ("Chrome 131 on Windows 10")."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse

# Devices worth naming: a phone or tablet model tells an agent more than "Android".
GENERIC_DEVICES = {"Other", "Mac", "Generic Smartphone", "Generic Tablet", "K", "Spider"}


def _version(major: str | None, minor: str | None) -> str:
    if not major:
        return ""
    return f" {major}.{minor}" if minor and minor != "0" else f" {major}"


@lru_cache(maxsize=1024)
def describe(user_agent: str) -> str:
    """A short readable summary, or "" when there is nothing to say. Cached: a visitor's
    panel is redrawn on every reconnect and their header does not change."""
    if not user_agent.strip():
        return ""
    result = parse(user_agent[:1000])
    parts = []
    if result.user_agent is not None and result.user_agent.family != "Other":
        parts.append(result.user_agent.family + _version(result.user_agent.major, None))
    if result.os is not None and result.os.family != "Other":
        os_name = result.os.family + _version(result.os.major, result.os.minor)
        parts.append(("on " if parts else "") + os_name)
    text = " ".join(parts)
    device = result.device
    if text and device is not None and device.family not in GENERIC_DEVICES:
        text += f" ({device.family})"
    return text
