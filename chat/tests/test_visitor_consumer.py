"""The visitor socket, over real channels sockets (WebsocketCommunicator)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from chat.models import Conversation, Message, Site
from conftest import receive_until, visitor_socket

pytestmark = pytest.mark.django_db(transaction=True)


def chat(text: str, client_id: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"message": text}
    if client_id:
        content["client_id"] = client_id
    return {"type": "chat.message", "content": content}


async def start(public_id: str, **kwargs: Any) -> Any:
    communicator = await visitor_socket(public_id, **kwargs)
    connected, code = await communicator.connect()
    assert connected, code
    return communicator


async def test_seed_client_protocol_creates_a_waiting_conversation_in_the_default_site(
    site: Site, settings: Any
) -> None:
    settings.CHAT_DEFAULT_SITE = "shop"
    # The seed tutorial's client: no site, no Origin header, no hello.
    ws = await start("test_conv_id", site_key=None, origin=None)
    await ws.send_json_to({"type": "chat.message", "content": {"message": "hi"}})
    echo = await receive_until(ws, lambda f: f["type"] == "chat.message")
    assert echo["sender"] == "visitor" and echo["message"] == "hi" and echo["id"] > 0
    conversation = await Conversation.objects.select_related("site").aget(public_id="test_conv_id")
    assert conversation.status == "waiting" and conversation.site_id == site.pk
    await ws.disconnect()


async def test_session_token_reopens_the_conversation_and_replays_what_was_missed(
    site: Site,
) -> None:
    ws = await start("resume-001")
    await ws.send_json_to(chat("first", "c1"))
    session = await receive_until(ws, lambda f: f["type"] == "session")
    first = await receive_until(ws, lambda f: f["type"] == "chat.message")
    await ws.disconnect()

    conversation = await Conversation.objects.aget(public_id="resume-001")
    from chat import services

    await sync_to_async(services.message_post)(
        conversation_id=conversation.pk, sender="visitor", body="second"
    )
    await sync_to_async(services.message_post)(
        conversation_id=conversation.pk, sender="visitor", body="third"
    )

    again = await start("resume-001")
    await again.send_json_to(
        {"type": "hello", "content": {"token": session["token"], "last_seen_id": first["id"]}}
    )
    replayed = []
    while len(replayed) < 2:
        frame = json.loads(await again.receive_from(timeout=3))
        if frame["type"] == "chat.message":
            replayed.append(frame["message"])
    assert replayed == ["second", "third"]
    assert await again.receive_nothing(timeout=0.3)
    await again.disconnect()


async def test_existing_conversation_without_token_is_refused_and_hears_nothing(site: Site) -> None:
    owner = await start("private-01")
    await owner.send_json_to(chat("my secret"))
    await receive_until(owner, lambda f: f["type"] == "chat.message")

    intruder = await start("private-01")
    await intruder.send_json_to(chat("let me in"))
    error = await receive_until(intruder, lambda f: f["type"] == "error")
    assert error["code"] == "auth_required"
    assert (await intruder.receive_output(timeout=1))["type"] == "websocket.close"
    assert await Message.objects.filter(body="let me in").aexists() is False
    await owner.disconnect()


async def test_a_token_for_another_visitor_or_site_does_not_open_a_conversation(
    site: Site, other_site: Site
) -> None:
    owner = await start("owned-0001")
    await owner.send_json_to(chat("mine"))
    await receive_until(owner, lambda f: f["type"] == "chat.message")
    stranger = await start("strange-01")
    await stranger.send_json_to(chat("hello"))
    stranger_session = await receive_until(stranger, lambda f: f["type"] == "session")

    thief = await start("owned-0001")
    await thief.send_json_to({"type": "hello", "content": {"token": stranger_session["token"]}})
    error = await receive_until(thief, lambda f: f["type"] == "error")
    assert error["code"] == "forbidden"

    elsewhere = await start("owned-0001", site_key="other", origin="https://other.example")
    await elsewhere.send_json_to({"type": "hello", "content": {"token": stranger_session["token"]}})
    error = await receive_until(elsewhere, lambda f: f["type"] == "error")
    assert error["code"] == "invalid_token"
    for ws in (owner, stranger):
        await ws.disconnect()


async def test_origin_not_allowed_for_the_site_is_refused(site: Site) -> None:
    ws = await visitor_socket("origin-001", origin="https://evil.example")
    connected, _ = await ws.connect()
    assert connected  # accepted, then closed with a code browsers do not retry
    closing = await ws.receive_output(timeout=1)
    assert closing == {"type": "websocket.close", "code": 4403}


async def test_unknown_site_is_refused(db: None) -> None:
    ws = await visitor_socket("nosite-001", site_key="nope", origin=None)
    await ws.connect()
    assert await ws.receive_output(timeout=1) == {"type": "websocket.close", "code": 4404}


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid"),
        ('{"no": "type"}', "invalid"),
        ('{"type": "launch.rockets"}', "unknown_type"),
        ('{"type": "chat.message", "content": "text"}', "invalid"),
        ('{"type": "chat.message", "content": {"message": 42}}', "invalid"),
        ('{"type": "chat.message", "content": {}}', "invalid"),
        (json.dumps({"type": "chat.message", "content": {"message": "x" * 5001}}), "too_long"),
        ('{"type": "identify", "content": {"email": "not-an-email"}}', "invalid_email"),
    ],
)
async def test_bad_input_gets_an_error_frame_stores_nothing_and_the_socket_lives(
    site: Site, frame: str, code: str
) -> None:
    ws = await start("badinput-1")
    await ws.send_to(text_data=frame)
    error = await receive_until(ws, lambda f: f["type"] == "error")
    assert error["code"] == code and error["message"]
    await ws.send_json_to(chat("still here"))
    echo = await receive_until(ws, lambda f: f["type"] == "chat.message")
    assert echo["message"] == "still here"
    assert await Message.objects.acount() == 1
    assert await Conversation.objects.acount() == 1
    await ws.disconnect()


async def test_binary_frame_is_refused(site: Site) -> None:
    ws = await start("binary-001")
    await ws.send_to(bytes_data=b"\x00\x01")
    error = await receive_until(ws, lambda f: f["type"] == "error")
    assert error["code"] == "binary_not_supported"
    await ws.disconnect()


async def test_flooding_socket_is_warned_then_closed_and_others_are_unaffected(
    site: Site, settings: Any
) -> None:
    settings.CHAT_RATE_BURST = 3
    settings.CHAT_RATE_PER_SECOND = 0.1
    settings.CHAT_RATE_STRIKES = 3
    calm = await start("calm-00001")
    flood = await start("flood-0001")
    for _ in range(8):
        await flood.send_json_to({"type": "typing"})
    frames = []
    while True:
        output = await flood.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            # 4429, which the widget treats as "wait a minute": daphne refuses 1008 from
            # an application and the browser would have seen 1011 and retried at once.
            assert output["code"] == 4429
            break
        frames.append(json.loads(output["text"]))
    errors = [f["code"] for f in frames if f["type"] == "error"]
    assert errors == ["rate_limited", "rate_limited", "rate_limited"]
    assert "minute" in frames[-1]["message"]
    await calm.send_json_to(chat("fine"))
    assert (await receive_until(calm, lambda f: f["type"] == "chat.message"))["message"] == "fine"
    await calm.disconnect()


async def test_duplicate_client_id_is_stored_once_and_sender_gets_the_original(site: Site) -> None:
    ws = await start("dupe-00001")
    await ws.send_json_to(chat("once", "same-id"))
    original = await receive_until(ws, lambda f: f["type"] == "chat.message")
    await ws.send_json_to(chat("once", "same-id"))
    again = await receive_until(ws, lambda f: f["type"] == "chat.message")
    assert again["id"] == original["id"] and again["client_id"] == "same-id"
    assert await Message.objects.filter(client_id="same-id").acount() == 1
    await ws.disconnect()


async def test_invalid_conversation_id_is_refused(db: None) -> None:
    ws = await visitor_socket("short", origin=None)
    await ws.connect()
    assert await ws.receive_output(timeout=1) == {"type": "websocket.close", "code": 4400}


async def test_verified_identify_brings_history_and_forged_hash_is_rejected(site: Site) -> None:
    from chat.tokens import identity_hash

    first = await start("device-a-1")
    await first.send_json_to(chat("from my laptop"))
    await receive_until(first, lambda f: f["type"] == "chat.message")
    good = identity_hash(secret=site.identity_secret, user_id="user-42")
    await first.send_json_to(
        {"type": "identify", "content": {"user_id": "user-42", "user_hash": good, "name": "Ann"}}
    )
    assert (await receive_until(first, lambda f: f["type"] == "identified"))["verified"] is True
    await first.disconnect()

    forged = await start("device-b-0")
    await forged.send_json_to(
        {"type": "identify", "content": {"user_id": "user-42", "user_hash": "0" * 64}}
    )
    assert (await receive_until(forged, lambda f: f["type"] == "error"))[
        "code"
    ] == "identity_rejected"
    await forged.disconnect()

    phone = await start("device-b-1")
    await phone.send_json_to(
        {"type": "identify", "content": {"user_id": "user-42", "user_hash": good}}
    )
    identified = await receive_until(phone, lambda f: f["type"] == "identified")
    assert identified["conversation_id"] == "device-a-1"
    await phone.disconnect()

    resumed = await start("device-a-1")
    await resumed.send_json_to({"type": "hello", "content": {"token": identified["token"]}})
    history = await receive_until(resumed, lambda f: f["type"] == "chat.message")
    assert history["message"] == "from my laptop"
    await resumed.disconnect()


async def test_frame_over_the_size_limit_is_refused_unparsed(site: Site, settings: Any) -> None:
    settings.CHAT_FRAME_MAX_BYTES = 1000
    ws = await start("toolarge-1")
    await ws.send_to(
        text_data=json.dumps({"type": "chat.message", "content": {"message": "x" * 2000}})
    )
    assert (await receive_until(ws, lambda f: f["type"] == "error"))["code"] == "too_large"
    assert await Message.objects.acount() == 0
    await ws.disconnect()


async def test_hello_gives_a_token_before_the_first_message(site: Site) -> None:
    ws = await start("early-tok1")
    await ws.send_json_to({"type": "hello", "content": {}})
    session = await receive_until(ws, lambda f: f["type"] == "session")
    assert session["token"]
    await ws.send_json_to(chat("first words", "c-1"))
    await ws.disconnect()  # dropped before the echo could be read
    again = await start("early-tok1")
    await again.send_json_to({"type": "hello", "content": {"token": session["token"]}})
    echo = await receive_until(again, lambda f: f["type"] == "chat.message")
    assert echo["message"] == "first words"
    await again.disconnect()


async def test_a_long_absence_replays_every_missed_message(site: Site, settings: Any) -> None:
    from chat import services

    settings.CHAT_VISITOR_MESSAGES_PER_MINUTE = 1000

    ws = await start("longgap-01")
    await ws.send_json_to(chat("start"))
    session = await receive_until(ws, lambda f: f["type"] == "session")
    await ws.disconnect()
    conversation = await Conversation.objects.aget(public_id="longgap-01")
    for n in range(354):
        await sync_to_async(services.message_post)(
            conversation_id=conversation.pk, sender="visitor", body=f"line {n}"
        )
    again = await start("longgap-01")
    await again.send_json_to({"type": "hello", "content": {"token": session["token"]}})
    bodies = []
    while len(bodies) < 355:
        frame = json.loads(await again.receive_from(timeout=5))
        if frame["type"] == "chat.message":
            bodies.append(frame["message"])
    assert bodies[0] == "start" and bodies[-1] == "line 353" and len(set(bodies)) == 355
    assert await again.receive_nothing(timeout=0.3)
    await again.disconnect()
