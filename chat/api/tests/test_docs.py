"""docs/api.md names exactly the endpoints the OpenAPI schema has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


@pytest.mark.django_db
def test_every_endpoint_is_documented_and_every_documented_one_exists(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    served = {
        (
            method.upper(),
            path.removeprefix("/api/v1")
            .replace("{visitor_id}", "{uuid}")
            .replace("{public_id}", "{id}"),
        )
        for path, methods in schema["paths"].items()
        for method in methods
    }
    documented = set(
        re.findall(r"^\| `(GET|POST|PATCH|DELETE) (/[^`]*?)(?:\?[^`]*)?`", DOC.read_text(), re.M)
    )
    assert documented == served
