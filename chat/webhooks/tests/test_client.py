"""The outbound POST itself: TLS to the checked address, timeouts, redirects."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from chat.webhooks import client


class Slow(BaseHTTPRequestHandler):
    pause = 0.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(self.pause)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(server: ThreadingHTTPServer) -> Iterator[int]:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_port(certificate: tuple[Path, Path]) -> Iterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from serve(server)


def test_https_checks_the_certificate_against_the_host_name(
    tls_port: int, certificate: tuple[Path, Path], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    url = f"https://localhost:{tls_port}/hooks"
    refused = client.post(url=url, body=b"{}", headers={})
    assert not refused.succeeded and "CERTIFICATE_VERIFY_FAILED" in refused.error
    # Trusting the certificate: the name is verified although the checked address is dialled.
    trusted = ssl.create_default_context(cafile=str(certificate[0]))
    monkeypatch.setattr(client.ssl, "create_default_context", lambda: trusted)
    assert client.post(url=url, body=b"{}", headers={}).response_code == 204
    wrong_name = client.post(url=f"https://127.0.0.1:{tls_port}/", body=b"{}", headers={})
    assert not wrong_name.succeeded and "CERTIFICATE_VERIFY_FAILED" in wrong_name.error


def test_a_slow_receiver_times_out(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_READ_TIMEOUT_SECONDS = 0.3

    class Slower(Slow):
        pause = 1.0

    for port in serve(ThreadingHTTPServer(("127.0.0.1", 0), Slower)):
        started = time.monotonic()
        result = client.post(url=f"http://127.0.0.1:{port}/", body=b"{}", headers={})
        assert time.monotonic() - started < 0.9
        assert not result.succeeded and result.response_code is None
        assert "timed out" in result.error


def test_nothing_listening_is_a_failure_not_a_crash(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    result = client.post(url="http://127.0.0.1:9/", body=b"{}", headers={})
    assert not result.succeeded and result.error.startswith("ConnectionRefusedError")


def test_a_refused_address_is_not_contacted() -> None:
    result = client.post(url="http://169.254.169.254/latest/", body=b"{}", headers={})
    assert not result.succeeded and result.error.startswith("refused:")
