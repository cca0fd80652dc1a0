"""The receiver in docs/webhooks.md, run as written against the real worker."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from chat import services
from chat.models import Site, Visitor
from chat.webhooks import services as webhook_services
from chat.webhooks.models import Delivery, Endpoint
from chat.webhooks.signing import signature_header
from chat.webhooks.tests.conftest import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

DOC = Path(django_settings.BASE_DIR) / "docs" / "webhooks.md"


def receiver_snippet() -> str:
    section = DOC.read_text().split("## Verifying a request", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "docs/webhooks.md lost its receiver example"
    return found.group(1)


SECRET = "whsec_docs-example"


@pytest.fixture
def docs_receiver(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serves the documented handler; returns its URL and the events it handled."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    handled: list[dict[str, Any]] = []
    namespace: dict[str, Any] = {"__name__": "parley_receiver"}
    monkeypatch.setenv("PARLEY_WEBHOOK_SECRET", SECRET)
    exec(compile(receiver_snippet(), str(DOC), "exec"), namespace)
    namespace["handle_event"] = handled.append  # instead of the example's print
    server = ThreadingHTTPServer(("127.0.0.1", 0), namespace["ParleyWebhook"])
    server.RequestHandlerClass.log_message = lambda *a: None  # type: ignore[method-assign]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/parley", handled
    server.shutdown()
    server.server_close()


def post(url: str, body: bytes, signature: str) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Parley-Signature": signature}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_documented_receiver_verifies_and_dedupes(
    site: Site, docs_receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, handled = docs_receiver
    endpoint = webhook_services.endpoint_save(endpoint=Endpoint(site=site, url=url, secret=SECRET))
    services.conversation_start(
        site=site,
        public_id="conv-docs1",
        visitor=Visitor.objects.create(site=site),
        context={},
        ip="10.0.0.1",
        first_message="hello",
    )
    run_worker()
    assert [e["type"] for e in handled] == ["conversation.created", "message.created"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
    # Sent again: accepted (2xx), but handled once.
    webhook_services.delivery_resend(delivery=Delivery.objects.order_by("pk").first())  # type: ignore[arg-type]
    run_worker()
    assert len(handled) == 2
    assert Delivery.objects.order_by("pk").first().attempts == 2  # type: ignore[union-attr]
    # A forged or replayed request is refused.
    body = b'{"id":"x","type":"message.created","data":{}}'
    assert post(url, body, signature_header(secret="whsec_wrong", body=body)) == 400
    old = signature_header(secret=endpoint.secret, body=body, timestamp=1_700_000_000)
    assert post(url, body, old) == 400
    assert post(url, body, signature_header(secret=endpoint.secret, body=body)) == 204
    assert len(handled) == 3
