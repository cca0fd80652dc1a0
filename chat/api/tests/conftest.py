"""Tokens of two sites, conversations on each, and a JSON client."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from chat import services
from chat.api import services as api_services
from chat.models import Agent, Conversation, Site, Visitor

_ids = itertools.count(1)


@dataclass
class Api:
    client: Client
    headers: dict[str, str]

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def get(self, path: str, **headers: str) -> Any:
        return self.call("get", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.call("post", path, body if body is not None else {}, **headers)

    def patch(self, path: str, body: Any, **headers: str) -> Any:
        return self.call("patch", path, body, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.call("delete", path, **headers)


def bearer(token: str) -> Api:
    return Api(Client(), {"Authorization": f"Bearer {token}"})


@pytest.fixture
def token(site: Site) -> str:
    return api_services.token_create(site=site, name="CRM", user=None)[1]


@pytest.fixture
def api(token: str) -> Api:
    return bearer(token)


@pytest.fixture
def other_api(other_site: Site) -> Api:
    return bearer(api_services.token_create(site=other_site, name="Other", user=None)[1])


@pytest.fixture
def start() -> Callable[..., Conversation]:
    def make(site: Site, text: str = "hello", visitor: Visitor | None = None) -> Conversation:
        n = next(_ids)
        return services.conversation_start(
            site=site,
            public_id=f"conv-{n:06d}",
            visitor=visitor or Visitor.objects.create(site=site, name=f"V{n}"),
            context={},
            ip=f"10.0.{n // 250}.{n % 250}",
            first_message=text,
        )

    return make


@pytest.fixture
def other_agent(other_site: Site, make_agent: Callable[..., Agent]) -> Agent:
    return make_agent("olga", sites=[other_site])
