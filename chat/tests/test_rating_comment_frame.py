"""The `rate` frame with a comment, over a real visitor socket."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from chat import services
from chat.models import Agent, Conversation, Site
from conftest import receive_until, visitor_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_rate_frame_takes_a_comment_and_answers_a_bad_one_with_an_error(
    site: Site, agent: Agent
) -> None:
    ws = await visitor_socket("rated-visitor-1")
    connected, _ = await ws.connect(timeout=10)
    assert connected
    await ws.send_json_to({"type": "chat.message", "message": "hello"})
    await receive_until(ws, lambda f: f["type"] == "chat.message")
    conversation = await Conversation.objects.aget(public_id="rated-visitor-1")
    await sync_to_async(services.conversation_resolve)(conversation_id=conversation.pk, agent=agent)
    await receive_until(ws, lambda f: f.get("status") == "resolved")

    await ws.send_json_to({"type": "rate", "rating": 4, "comment": "y" * 1001})
    error: dict[str, Any] = await receive_until(ws, lambda f: f["type"] == "error")
    assert error["code"] == "invalid_comment" and "1000" in error["message"]
    await conversation.arefresh_from_db()
    assert (conversation.rating, conversation.rating_comment) == (None, "")

    await ws.send_json_to({"type": "rate", "rating": 4})
    await receive_until(ws, lambda f: f["type"] == "status" and f["rating"] == 4)
    await ws.send_json_to({"type": "rate", "rating": 4, "comment": "Quick and kind."})
    await receive_until(ws, lambda f: f["type"] == "status" and f["rating"] == 4)
    await conversation.arefresh_from_db()
    assert (conversation.rating, conversation.rating_comment) == (4, "Quick and kind.")
    await ws.disconnect()
