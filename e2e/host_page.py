"""A customer's page on another origin, served with a Content-Security-Policy of its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from e2e.server import DaphneServer


@contextmanager
def strict_host_page(server: DaphneServer, *, extra_policy: str = "") -> Iterator[str]:
    """A shop page that loads the widget from ``server`` under a strict policy (no inline
    styles at all, plus ``extra_policy``), served by a tiny HTTP server on
    ``http://localhost:<port>``; yields that origin."""
    page = (
        '<!doctype html><html lang="en"><head><title>Strict shop</title></head>'
        "<body><h1>Strict shop</h1>"
        f'<script src="{server.url}/static/chat/widget.js" data-site="demo" defer></script>'
        "</body></html>"
    ).encode()
    policy = (
        f"default-src 'none'; script-src {server.url}; "
        f"connect-src {server.url} {server.ws_url}; style-src 'none'"
    ) + (f"; {extra_policy}" if extra_policy else "")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", policy)
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
