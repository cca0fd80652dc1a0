"""Where webhooks may go: http(s) URLs whose host resolves only to public addresses.

A receiver's URL is chosen by a site's staff, but the request leaves from our servers:
without this check a URL could reach the cloud metadata service (169.254.169.254), the
database, or anything else on the private network (SSRF). The check runs when an
endpoint is saved and again, on the resolved address actually connected to, on every
attempt (DNS may change in between).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL may not be posted to; the message says why."""


def address_is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL without credentials; raises UnsafeURL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(_("This is not a valid URL.")) from exc
    if parts.scheme not in {"http", "https"}:
        raise UnsafeURL(_("Only http and https URLs are allowed."))
    if not parts.hostname:
        raise UnsafeURL(_("The URL has no host name."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL(_("Put no user name or password in the URL; requests are signed."))
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve_safely(host: str, port: int) -> list[str]:
    """The host's addresses, all of which may be connected to; raises UnsafeURL.

    Every address must be public: a name that resolves to one public and one private
    address would otherwise reach the private one on some attempts.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(_("The host name %(host)s does not resolve.") % {"host": host}) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeURL(_("The host name %(host)s does not resolve.") % {"host": host})
    if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        for raw in addresses:
            if not address_is_public(ipaddress.ip_address(raw.split("%")[0])):
                raise UnsafeURL(
                    _(
                        "%(host)s resolves to %(address)s, a private, loopback, link-local, "
                        "multicast or reserved address; webhooks may only reach public "
                        "addresses."
                    )
                    % {"host": host, "address": raw}
                )
    return addresses


def check_webhook_url(url: str) -> None:
    """Raise UnsafeURL unless ``url`` is http(s) and reaches only public addresses."""
    _, host, port = split_url(url)
    resolve_safely(host, port)


def validate_webhook_url(url: str) -> None:
    """Model and form validator: the same check, as a ValidationError."""
    try:
        check_webhook_url(url)
    except UnsafeURL as exc:
        raise ValidationError(str(exc), code="unsafe_url") from exc
