from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from chat import services
from chat.models import Conversation, Site, Visitor

_ids = itertools.count(1)


@pytest.fixture
def start() -> Callable[..., Conversation]:
    def make(site: Site, text: str = "hello", visitor: Visitor | None = None) -> Conversation:
        n = next(_ids)
        return services.conversation_start(
            site=site,
            public_id=f"priv-{n:06d}",
            visitor=visitor or Visitor.objects.create(site=site, name=f"V{n}"),
            context={},
            ip=f"10.1.{n // 250}.{n % 250}",
            first_message=text,
        )

    return make
