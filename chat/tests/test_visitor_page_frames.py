"""The visitor socket's ``page`` frame and identify's ``attributes``, end to end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from chat.models import Agent, Site, Visitor
from conftest import (
    agent_socket,
    receive_html_until,
    receive_until,
    session_cookie_for,
    visitor_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def started(public_id: str) -> Any:
    ws = await visitor_socket(public_id)
    ok, code = await ws.connect()
    assert ok, code
    return ws


def page(url: str, title: str = "") -> dict[str, Any]:
    return {"type": "page", "content": {"url": url, "title": title}}


async def test_pages_reach_the_panel_and_more_than_one_a_second_are_ignored(
    site: Site, make_agent: Callable[..., Agent]
) -> None:
    ws = await started("pages-0001")
    await ws.send_json_to(page("https://shop.example/"))  # before hello: refused
    assert (await receive_until(ws, lambda f: f["type"] == "error"))["code"] == "hello_first"
    await ws.send_json_to({"type": "chat.message", "content": {"message": "hi"}})
    await receive_until(ws, lambda f: f["type"] == "chat.message")
    agent = await sync_to_async(make_agent)("alice")
    watcher = await agent_socket(
        "/ws/chat/agent/pages-0001/", cookie=await sync_to_async(session_cookie_for)(agent)
    )
    assert (await watcher.connect())[0]
    await receive_html_until(watcher, 'id="visitor-c', timeout=10)
    await ws.send_json_to(page("https://shop.example/shoes", "Shoes"))
    await ws.send_json_to(page("https://shop.example/hats", "Hats"))  # within the second
    html = await receive_html_until(watcher, 'id="visitor-c', timeout=10)
    assert ">Shoes</a>" in html and "Hats" not in html
    await ws.send_json_to(page("javascript:alert(1)"))
    assert (await receive_until(ws, lambda f: f["type"] == "error"))["code"] == "invalid_page"
    visitor = await Visitor.objects.aget()
    assert [p["url"] for p in visitor.pages] == ["https://shop.example/shoes"]
    for socket in (ws, watcher):
        await socket.disconnect()


async def test_identify_with_attributes_stores_them_and_bad_ones_get_an_error(
    site: Site,
) -> None:
    ws = await started("attrs-0001")
    await ws.send_json_to({"type": "hello", "content": {}})
    await receive_until(ws, lambda f: f["type"] == "session")
    await ws.send_json_to(
        {"type": "identify", "content": {"name": "Ann", "attributes": {"plan": ["pro"]}}}
    )
    error = await receive_until(ws, lambda f: f["type"] == "error")
    assert error["code"] == "invalid_attributes"
    await ws.send_json_to(
        {"type": "identify", "content": {"name": "Ann", "attributes": {"plan": "pro"}}}
    )
    await receive_until(ws, lambda f: f["type"] == "identified")
    visitor = await Visitor.objects.aget()
    assert visitor.name == "Ann" and visitor.attributes == {"plan": "pro"}
    await ws.disconnect()
