"""The visitor socket, over real channels sockets (WebsocketCommunicator)."""

from __future__ import annotations

import asyncio
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
    assert await intruder.receive_output(timeout=1) == {"type": "websocket.close", "code": 4401}
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
    assert await thief.receive_output(timeout=1) == {"type": "websocket.close", "code": 4403}

    elsewhere = await start("owned-0001", site_key="other", origin="https://other.example")
    await elsewhere.send_json_to({"type": "hello", "content": {"token": stranger_session["token"]}})
    error = await receive_until(elsewhere, lambda f: f["type"] == "error")
    assert error["code"] == "invalid_token"
    assert await elsewhere.receive_output(timeout=1) == {"type": "websocket.close", "code": 4403}
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
        # Nested deeper than the parser's stack, yet under the 64 KiB frame cap: it used to
        # raise RecursionError, close the socket with 1011 and leak its upkeep task.
        ("[" * 60000, "invalid_json"),
        # A lone surrogate (valid JSON, not valid Unicode) and NUL (PostgreSQL refuses it).
        ('{"type": "chat.message", "content": {"message": "\\ud800"}}', "invalid"),
        ('{"type": "chat.message", "content": {"message": "a\\u0000b"}}', "invalid"),
        ('{"type": "identify", "content": {"name": "\\udfff"}}', "invalid"),
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


# --- limits that hold across sockets ------------------------------------------------------


async def test_a_socket_that_never_speaks_is_closed(site: Site, settings: Any) -> None:
    settings.CHAT_HELLO_TIMEOUT_SECONDS = 0.2
    ws = await start("silent-001")
    error = await receive_until(ws, lambda f: f["type"] == "error")
    assert error["code"] == "hello_timeout"
    assert await ws.receive_output(timeout=1) == {"type": "websocket.close", "code": 4408}


async def test_sockets_per_ip_are_capped_and_a_closed_one_frees_its_place(
    site: Site, settings: Any
) -> None:
    settings.CHAT_VISITOR_SOCKETS_PER_IP = 2
    first, second = await start("ipcap-0001"), await start("ipcap-0002")
    third = await visitor_socket("ipcap-0003")
    assert (await third.connect())[0]
    assert await third.receive_output(timeout=1) == {"type": "websocket.close", "code": 4429}
    await first.disconnect()
    fourth = await start("ipcap-0004")
    await fourth.send_json_to(chat("room again"))
    assert (await receive_until(fourth, lambda f: f["type"] == "chat.message"))["id"] > 0
    for ws in (second, fourth):
        await ws.disconnect()


async def test_hello_only_sockets_cannot_mint_visitors_without_limit(
    site: Site, settings: Any
) -> None:
    from chat.models import Visitor

    settings.CHAT_NEW_VISITORS_PER_IP_HOUR = 2
    for n in range(2):
        ws = await start(f"mint-{n:05d}")
        await ws.send_json_to({"type": "hello", "content": {}})
        assert (await receive_until(ws, lambda f: f["type"] == "session"))["token"]
        await ws.disconnect()
    ws = await start("mint-00009")
    await ws.send_json_to({"type": "hello", "content": {}})
    error = await receive_until(ws, lambda f: f["type"] == "error")
    assert error["code"] == "rate_limited"
    assert await ws.receive_output(timeout=1) == {"type": "websocket.close", "code": 4429}
    assert await Visitor.objects.acount() == 2


async def test_one_visitor_on_many_sockets_shares_one_message_limit(
    site: Site, settings: Any
) -> None:
    settings.CHAT_VISITOR_MESSAGES_PER_MINUTE = 3
    first = await start("share-0001")
    await first.send_json_to(chat("one", "c1"))
    session = await receive_until(first, lambda f: f["type"] == "session")
    second = await start("share-0001")
    await second.send_json_to({"type": "hello", "content": {"token": session["token"]}})
    await receive_until(second, lambda f: f["type"] == "session")
    await first.send_json_to(chat("two", "c2"))
    await receive_until(first, lambda f: f.get("message") == "two")
    await second.send_json_to(chat("three", "c3"))
    await receive_until(second, lambda f: f.get("message") == "three")
    await second.send_json_to(chat("four", "c4"))
    error = await receive_until(second, lambda f: f["type"] == "error")
    assert error["code"] == "rate_limited"
    assert await Message.objects.acount() == 3
    for ws in (first, second):
        await ws.disconnect()


async def test_a_site_key_with_a_nul_byte_is_refused_cleanly(site: Site) -> None:
    ws = await visitor_socket("nulsite-01", site_key="%00", origin=None)
    await ws.connect()
    assert await ws.receive_output(timeout=1) == {"type": "websocket.close", "code": 4404}


# --- gap-free delivery --------------------------------------------------------------------


class Held(list[tuple[str, Any]]):
    """Broadcasts held back from the channel layer, to be replayed or lost."""

    def release(self) -> None:
        self.passing = True


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Held:
    """Broadcasts land here instead of the channel layer until ``held.release()``."""
    from chat import broadcast

    record = Held()
    record.passing = False
    real = broadcast.deliver

    def deliver(sends: list[tuple[str, Any]]) -> None:
        if record.passing:
            real(sends)
        else:
            record.extend(sends)

    monkeypatch.setattr(broadcast, "deliver", deliver)
    return record


async def attached_visitor(public_id: str) -> tuple[Any, Conversation, int]:
    ws = await start(public_id)
    await ws.send_json_to(chat("start", "c0"))
    first = await receive_until(ws, lambda f: f["type"] == "chat.message")
    conversation = await Conversation.objects.aget(public_id=public_id)
    return ws, conversation, first["id"]


async def post(conversation: Conversation, body: str) -> int:
    from chat import services

    result = await sync_to_async(services.message_post)(
        conversation_id=conversation.pk, sender="visitor", body=body
    )
    return result.message.pk


async def messages_until(ws: Any, last_id: int) -> list[int]:
    ids: list[int] = []
    while not ids or ids[-1] != last_id:
        frame = await receive_until(ws, lambda f: f["type"] == "chat.message")
        ids.append(frame["id"])
    return ids


async def test_a_lost_broadcast_is_noticed_by_the_next_message_and_filled(
    site: Site, held: Any
) -> None:
    from channels.layers import get_channel_layer

    ws, conversation, _ = await attached_visitor("lost-00001")
    held.release()  # (the session's own frames were delivered before the fixture held)
    held.clear()
    lost = await post_held(conversation, "lost in transit", held)
    assert any(event.get("message_id") == lost for _, event in held)  # it was broadcast...
    held.clear()  # ...and the broadcast is lost
    arrives = await post(conversation, "arrives")
    assert await messages_until(ws, arrives) == [lost, arrives]
    # Nothing doubled: the next message is the next frame of its kind.
    later = await post(conversation, "later")
    assert await messages_until(ws, later) == [later]
    assert get_channel_layer() is not None
    await ws.disconnect()


async def post_held(conversation: Conversation, body: str, held: Any) -> int:
    """Post while broadcasts are held (they land in ``held``), then let them through."""
    from chat import broadcast

    real = broadcast.deliver
    broadcast.deliver = held.extend  # type: ignore[assignment]
    try:
        return await post(conversation, body)
    finally:
        broadcast.deliver = real  # type: ignore[assignment]


async def test_broadcasts_out_of_order_arrive_once_and_in_order(site: Site, held: Any) -> None:
    from channels.layers import get_channel_layer

    ws, conversation, _ = await attached_visitor("order-0001")
    held.release()
    held.clear()
    a = await post_held(conversation, "a", held)
    b = await post_held(conversation, "b", held)
    sends = list(held)
    held.clear()
    layer = get_channel_layer()
    # Two processes committed a then b; b's broadcast overtakes a's on the way.
    b_sends = [(g, e) for g, e in sends if e.get("message_id") == b]
    a_sends = [(g, e) for g, e in sends if e.get("message_id") == a]
    for group, event in b_sends + a_sends:
        await layer.group_send(group, event)
    assert await messages_until(ws, b) == [a, b]
    c = await post(conversation, "c")
    assert await messages_until(ws, c) == [c]  # the late copy of a was dropped
    await ws.disconnect()


async def test_a_full_channel_turns_into_a_resync_not_a_silent_drop(
    site: Site, held: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from channels.layers import get_channel_layer

    ws, conversation, _ = await attached_visitor("full-00001")
    held.release()
    held.clear()
    ids = [await post_held(conversation, f"burst {n}", held) for n in range(12)]
    sends = [(g, e) for g, e in held if g.endswith("-visitor")]
    held.clear()
    layer = get_channel_layer()
    monkeypatch.setattr(layer, "capacity", 3)
    # A slow reader: twelve frames land before it reads one; nine do not fit.
    for group, event in sends:
        await layer.group_send(group, event)
    assert await messages_until(ws, ids[-1]) == ids
    after = await post(conversation, "after the burst")
    assert await messages_until(ws, after) == [after]
    await ws.disconnect()


async def test_an_expired_token_is_refused_and_each_attach_rotates_it(
    site: Site, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from chat import tokens

    ws = await start("rotate-001")
    await ws.send_json_to(chat("hi"))
    session = await receive_until(ws, lambda f: f["type"] == "session")
    await ws.disconnect()
    issued = session["token"]
    assert tokens.visitor_token_verify(token=issued, site_id=site.pk) is not None

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 30)  # a reconnect 30 s later
    again = await start("rotate-001")
    await again.send_json_to({"type": "hello", "content": {"token": issued}})
    rotated = (await receive_until(again, lambda f: f["type"] == "session"))["token"]
    assert rotated != issued
    assert tokens.visitor_token_verify(token=rotated, site_id=site.pk) is not None
    await again.disconnect()

    settings.CHAT_VISITOR_TOKEN_MAX_AGE_DAYS = 10 / 86400  # ten seconds
    late = await start("rotate-001")
    await late.send_json_to({"type": "hello", "content": {"token": issued}})
    error = await receive_until(late, lambda f: f["type"] == "error")
    assert error["code"] == "invalid_token"
    assert await late.receive_output(timeout=1) == {"type": "websocket.close", "code": 4403}


async def test_a_reconnect_storm_resyncs_every_socket_and_loses_none(
    site: Site, settings: Any
) -> None:
    """Every visitor of a process comes back at once (the server restarted): each gets
    exactly what it missed, whatever order the attaches are served in."""
    from chat import services

    settings.CHAT_NEW_CONVERSATIONS_PER_IP_HOUR = 1000
    settings.CHAT_SITE_NEW_CONVERSATIONS_PER_MINUTE = 1000
    n = 40
    sessions = []
    for i in range(n):
        ws = await start(f"storm-{i:05d}")
        await ws.send_json_to(chat(f"hello {i}"))
        session = await receive_until(ws, lambda f: f["type"] == "session")
        first = await receive_until(ws, lambda f: f["type"] == "chat.message")
        sessions.append((session["token"], first["id"]))
        await ws.disconnect()
    missed = {}
    for i in range(n):
        conversation = await Conversation.objects.aget(public_id=f"storm-{i:05d}")
        result = await sync_to_async(services.message_post)(
            conversation_id=conversation.pk, sender="visitor", body=f"while away {i}"
        )
        missed[i] = result.message.pk

    async def come_back(i: int) -> list[int]:
        token, last_seen = sessions[i]
        ws = await start(f"storm-{i:05d}")
        await ws.send_json_to(
            {"type": "hello", "content": {"token": token, "last_seen_id": last_seen}}
        )
        got = [(await receive_until(ws, lambda f: f["type"] == "chat.message"))["id"]]
        later = await sync_to_async(services.message_post)(
            conversation_id=(await Conversation.objects.aget(public_id=f"storm-{i:05d}")).pk,
            sender="visitor",
            body=f"back {i}",
        )
        got.append((await receive_until(ws, lambda f: f["type"] == "chat.message"))["id"])
        await ws.disconnect()
        assert got[1] == later.message.pk  # the next message after the missed one, no repeat
        return got

    results = await asyncio.gather(*(come_back(i) for i in range(n)))
    assert [got[0] for got in results] == [missed[i] for i in range(n)]


async def test_a_hello_slowed_by_a_busy_database_is_not_closed_as_silent(
    site: Site, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a reconnect storm the hello's database work queues: that is the server's delay,
    not the client's silence. (It was closed with 4401 and the widget gave up.)"""
    import time as time_module

    from chat import services

    first = await start("slowhello1")
    await first.send_json_to(chat("hi"))
    token = (await receive_until(first, lambda f: f["type"] == "session"))["token"]
    await first.disconnect()
    settings.CHAT_AUTH_TIMEOUT_SECONDS = 0.2
    real = services.visitor_sessions_open

    def slow(hellos: Any) -> Any:
        time_module.sleep(0.6)  # the queue
        return real(hellos)

    monkeypatch.setattr(services, "visitor_sessions_open", slow)
    again = await start("slowhello1")
    await again.send_json_to({"type": "hello", "content": {"token": token}})
    session = await receive_until(again, lambda f: f["type"] == "session", timeout=5)
    assert session["conversation_id"] == "slowhello1"
    assert (await receive_until(again, lambda f: f["type"] == "chat.message"))["message"] == "hi"
    await again.disconnect()


async def test_an_assignment_between_attach_and_join_still_reaches_the_visitor(
    site: Site, agent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status a socket starts from is read after it joined its groups: a claim that
    commits in between (its broadcast goes to a group the socket is not in yet) is not
    missed. It was: the widget showed "waiting" until the next change."""
    from chat import services
    from chat.consumers.visitor import VisitorConsumer

    real_join = VisitorConsumer.join
    claimed: list[int] = []

    async def join_late(self: VisitorConsumer, *names: str) -> None:
        if self.conversation is not None and not claimed:
            claimed.append(self.conversation.pk)
            await sync_to_async(services.conversation_claim)(
                conversation_id=self.conversation.pk, agent=agent
            )
        await real_join(self, *names)

    monkeypatch.setattr(VisitorConsumer, "join", join_late)
    ws = await start("late-join-0001")
    await ws.send_json_to(chat("hi", "c1"))
    session = await receive_until(ws, lambda f: f["type"] == "session")
    assert session["status"] == "waiting"  # as it was when the socket attached
    status = await receive_until(ws, lambda f: f["type"] == "status")
    assert status["status"] == "open" and status["agent_name"] == agent.name
    assert claimed
    await ws.disconnect()
