"""Custom attributes through identify, and the pages a visitor visits: checks, storage,
the visitor panel agents see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chat import groups, services
from chat.models import Conversation, Site, Visitor
from chat.services import ChatError
from chat.services.visitor_context import check_visitor_attributes

pytestmark = pytest.mark.django_db

Sent = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def conversation(site: Site) -> Conversation:
    return Conversation.objects.create(
        public_id="context-01", site=site, visitor=Visitor.objects.create(site=site)
    )


def test_scalar_attributes_pass() -> None:
    value = {"plan": "pro", "seats": 12, "mrr": 99.5, "trial": False, "coupon": None}
    assert check_visitor_attributes(value) == value
    assert check_visitor_attributes({f"k{i}": i for i in range(30)})


@pytest.mark.parametrize(
    "bad",
    [
        ["plan"],
        "plan=pro",
        {f"k{i}": i for i in range(31)},
        {"x" * 51: 1},
        {"": 1},
        {"plan": {"nested": 1}},
        {"plan": ["a"]},
        {"plan": "x" * 501},
        {"plan": "a\x00b"},
        {"mrr": float("nan")},
    ],
)
def test_anything_else_is_refused_whole(bad: object) -> None:
    with pytest.raises(ChatError) as caught:
        check_visitor_attributes(bad)
    assert caught.value.code == "invalid_attributes"


def test_identify_stores_the_attributes_and_redraws_the_panel(
    conversation: Conversation, sent: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.visitor_identify(
            conversation_id=conversation.pk,
            visitor=conversation.visitor,
            payload={"name": "Ann", "attributes": {"plan": "pro", "seats": 12, "vip": True}},
        )
    visitor = Visitor.objects.get(pk=conversation.visitor_id)
    assert visitor.attributes == {"plan": "pro", "seats": 12, "vip": True}
    panel = next(
        event["html"]
        for group, event in sent
        if group == groups.conversation_agents_group(conversation.pk)
        and "visitor-c" in event.get("html", "")
    )
    assert '<dt>plan</dt><dd class="wrap">pro</dd>' in panel and "<dt>vip</dt>" in panel


def test_identify_with_bad_attributes_saves_nothing(conversation: Conversation) -> None:
    with pytest.raises(ChatError) as caught:
        services.visitor_identify(
            conversation_id=conversation.pk,
            visitor=conversation.visitor,
            payload={"name": "Ann", "attributes": {"plan": ["pro"]}},
        )
    assert caught.value.code == "invalid_attributes"
    visitor = Visitor.objects.get(pk=conversation.visitor_id)
    assert visitor.name == "" and visitor.attributes == {}


def test_pages_are_kept_newest_last_capped_and_the_panel_lists_them_newest_first(
    conversation: Conversation, sent: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    visitor_id = conversation.visitor_id
    for n in range(25):
        services.visitor_page_record(
            visitor_id=visitor_id, url=f"https://shop.example/p/{n}", title=f"Product {n}"
        )
    with django_capture_on_commit_callbacks(execute=True):
        pages = services.visitor_page_record(
            visitor_id=visitor_id, url="https://shop.example/p/24", title="  Product   24 "
        )  # the same page again: its time moves, no new entry
    assert len(pages) == 20 and pages[0]["url"] == "https://shop.example/p/5"
    assert pages[-1]["title"] == "Product 24"
    visitor = Visitor.objects.get(pk=visitor_id)
    assert visitor.page_url == "https://shop.example/p/24"
    assert [group for group, _ in sent] == [groups.conversation_agents_group(conversation.pk)]
    panel = sent[0][1]["html"]
    assert 'hx-swap-oob="true"' in panel
    assert panel.index("Product 24") < panel.index("Product 23") < panel.index("Product 5")
    assert "Product 4<" not in panel


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("javascript:alert(1)", ""),
        ("ftp://shop.example/", ""),
        ("https://shop.example/" + "x" * 1000, ""),
        ("not a url", ""),
        (None, ""),
        ("https://shop.example/", 42),
    ],
)
def test_bad_pages_are_refused(conversation: Conversation, url: object, title: object) -> None:
    with pytest.raises(ChatError) as caught:
        services.visitor_page_record(visitor_id=conversation.visitor_id, url=url, title=title)
    assert caught.value.code == "invalid_page"
    assert Visitor.objects.get(pk=conversation.visitor_id).pages == []


def test_a_long_title_is_cut_and_a_missing_one_is_empty(conversation: Conversation) -> None:
    pages = services.visitor_page_record(
        visitor_id=conversation.visitor_id, url="https://shop.example/a", title="t" * 300
    )
    assert len(pages[-1]["title"]) == 200
    pages = services.visitor_page_record(
        visitor_id=conversation.visitor_id, url="https://shop.example/b", title=None
    )
    assert pages[-1]["title"] == ""


def test_a_long_pause_starts_a_new_session(conversation: Conversation) -> None:
    visitor_id = conversation.visitor_id
    services.visitor_page_record(visitor_id=visitor_id, url="https://shop.example/a", title="A")
    earlier = (timezone.now() - timedelta(minutes=31)).isoformat()
    Visitor.objects.filter(pk=visitor_id).update(
        pages=[{"url": "https://shop.example/a", "title": "A", "at": earlier}]
    )
    pages = services.visitor_page_record(
        visitor_id=visitor_id, url="https://shop.example/b", title="B"
    )
    assert [p["title"] for p in pages] == ["B"]


def test_a_resolved_conversation_is_not_redrawn(
    conversation: Conversation, sent: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(status="resolved")
    with django_capture_on_commit_callbacks(execute=True):
        services.visitor_page_record(
            visitor_id=conversation.visitor_id, url="https://shop.example/", title="Home"
        )
    assert sent == []
