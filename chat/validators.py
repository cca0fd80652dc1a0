"""A site's allowed origins: what a browser sends in its ``Origin`` header, one per line.

The widget is refused silently (no CORS header, socket closed with 4403) when the page's
origin is not listed exactly, so anything that can never match is refused when it is
saved, with the reason.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_PORTS = {"http": 80, "https": 443}
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_RE = re.compile(rf"{LABEL}(?:\.{LABEL})*")


def example() -> str:
    return _("an origin is scheme://host[:port], e.g. https://shop.example.com")


def normalise_origin(origin: str) -> str:
    """The form a browser sends: lower-case scheme and host, punycode, no default port,
    no trailing slash. Raises ValidationError (one message) when it is not an origin."""
    shown = text = origin.strip()
    if text.endswith("/") and not text.endswith("://"):
        text = text[:-1]

    def refuse(reason: str, code: str) -> ValidationError:
        return ValidationError(
            _('"%(origin)s": %(reason)s') % {"origin": shown, "reason": reason}, code=code
        )

    if "*" in text:
        raise refuse(_("wildcards are not supported; list each origin"), "wildcard")
    if not re.match(r"https?://", text, re.IGNORECASE):
        raise refuse(
            _("must start with http:// or https:// (%(example)s)") % {"example": example()},
            "scheme",
        )
    try:
        parts = urlsplit(text)
    except ValueError:
        raise refuse(_("the host is not valid"), "host") from None
    if "@" in parts.netloc:
        raise refuse(_("must not contain a user name or password"), "userinfo")
    if parts.path or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise refuse(
            _("must not have a path, query or fragment (%(example)s)") % {"example": example()},
            "path",
        )
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise refuse(_("the port must be a number from 1 to 65535"), "port")
    host = parts.hostname or ""
    if ":" in host:
        try:
            address = ipaddress.IPv6Address(host)
            if address.scope_id:  # browsers never send a zone in an origin
                raise ValueError(host)
            host = f"[{address.compressed}]"
        except ValueError:
            raise refuse(_("the host is not valid"), "host") from None
    else:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = ""
        if HOST_RE.fullmatch(host) is None:
            raise refuse(_("the host is not valid"), "host")
    scheme = parts.scheme.lower()
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def validate_origin_list(value: str) -> None:
    """Each non-blank line must be one origin, listed once. All problems are reported,
    one message per bad line."""
    errors: list[ValidationError] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(value.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            origin = normalise_origin(line)
        except ValidationError as error:
            errors.extend(
                ValidationError(
                    _("Line %(number)s, %(message)s") % {"number": number, "message": message},
                    code=error.code,
                )
                for message in error.messages
            )
            continue
        if origin in seen:
            errors.append(
                ValidationError(
                    _('Line %(number)s, "%(origin)s": listed twice (same as line %(first)s)')
                    % {"number": number, "origin": line.strip(), "first": seen[origin]},
                    code="duplicate",
                )
            )
        else:
            seen[origin] = number
    if errors:
        raise ValidationError(errors)
