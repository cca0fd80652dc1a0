"""One outbound webhook POST, with the SSRF check on the address actually connected to.

The standard library's http.client, not urllib: it never follows redirects, and it lets
the connection go to the address we checked (the name is resolved once, checked, and
that address is dialled; TLS still verifies the certificate against the host name).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from chat.webhooks.urlsafety import UnsafeURL, resolve_safely, split_url

ERROR_MAX = 500


@dataclass(frozen=True)
class PostResult:
    succeeded: bool
    response_code: int | None
    duration_ms: int
    error: str


def _connection(scheme: str, host: str, port: int, address: str) -> http.client.HTTPConnection:
    connect_timeout = float(settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS)
    read_timeout = float(settings.WEBHOOK_READ_TIMEOUT_SECONDS)

    def dial(
        _address: tuple[str, int], _timeout: object = None, source: object = None
    ) -> socket.socket:
        sock = socket.create_connection((address, port), timeout=connect_timeout)
        sock.settimeout(read_timeout)
        return sock

    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = http.client.HTTPSConnection(
            host, port, timeout=read_timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=read_timeout)
    connection._create_connection = dial  # type: ignore[attr-defined]  # dial the checked address
    return connection


def post(*, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
    """POST ``body``; succeeded only for a 2xx answer. Never raises for network trouble:
    the reason is in ``error`` (truncated), for the delivery log."""
    started = time.monotonic()

    def result(succeeded: bool, code: int | None, error: str) -> PostResult:
        duration = int((time.monotonic() - started) * 1000)
        return PostResult(succeeded, code, duration, error[:ERROR_MAX])

    try:
        scheme, host, port = split_url(url)
        address = resolve_safely(host, port)[0]
    except UnsafeURL as exc:
        return result(False, None, f"refused: {exc}")
    target = urlsplit(url.strip())
    path = (target.path or "/") + (f"?{target.query}" if target.query else "")
    connection = _connection(scheme, host, port, address)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(ERROR_MAX).decode("utf-8", "replace")
        code = response.status
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # ValueError: what http.client raises for a URL or header it cannot encode.
        return result(False, None, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
    if 200 <= code < 300:
        return result(True, code, "")
    if 300 <= code < 400:
        location = response.getheader("Location", "")
        return result(False, code, f"redirect to {location!r} not followed")
    return result(False, code, f"HTTP {code}: {excerpt}")
