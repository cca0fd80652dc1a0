"""Scale-out: two real daphne processes sharing one real Redis.

A private redis-server on a free port is started for these tests, so restarting it
cannot disturb anything else using the machine's Redis.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from chat.models import Agent, Conversation, Message
from chat.services import agent_upsert, site_upsert
from conftest import PrivateRedis, give_presence
from e2e.server import DaphneServer
from e2e.visitor_client import ScriptedVisitor

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def refresh_seconds() -> str:
    return "1"


@pytest.fixture
def two_servers(
    redis_server: PrivateRedis, refresh_seconds: str
) -> Iterator[tuple[DaphneServer, DaphneServer]]:
    env = {
        "REDIS_URL": redis_server.url,
        "CHAT_GROUP_REFRESH_SECONDS": refresh_seconds,
        # The drill sends more than a person would.
        "CHAT_VISITOR_MESSAGES_PER_MINUTE": "1000",
    }
    first = DaphneServer(extra_env=env).start()
    second = DaphneServer(extra_env=env).start()
    yield first, second
    first.stop()
    second.stop()


def agent_connection(server: DaphneServer, path: str, cookie: str) -> ClientConnection:
    return connect(
        f"{server.ws_url}{path}",
        additional_headers={"Cookie": cookie, "Origin": server.url},
        open_timeout=10,
    )


def receive_html_until(ws: ClientConnection, needle: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        html = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        assert isinstance(html, str)
        if needle in html:
            return html


@pytest.fixture
def agent_cookie(two_servers: tuple[DaphneServer, DaphneServer]) -> str:
    site_upsert(name="Shop", key="shop", origins=[])
    agent = agent_upsert(username="alice", password="pw", site_keys=["shop"], display_name="Alice")
    Agent.objects.update(availability="online")
    give_presence(agent)
    client = Client()
    client.force_login(Agent.objects.get().user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_visitor_on_one_process_and_agent_on_another_talk_live(
    two_servers: tuple[DaphneServer, DaphneServer], agent_cookie: str
) -> None:
    first, second = two_servers
    inbox = agent_connection(second, "/ws/chat/inbox/", agent_cookie)
    receive_html_until(inbox, 'id="pool-panel"')

    visitor = ScriptedVisitor(first.ws_url, "scale-conv-01", "shop").open()
    visitor.say("hello from process one")
    assert "hello from process one" in receive_html_until(inbox, "beforeend:#pool-list")

    # The pool is a query: both processes draw the same one.
    pages = []
    for server in (first, second):
        client = Client()
        client.force_login(Agent.objects.get().user)
        pages.append(
            __import__("urllib.request")
            .request.urlopen(
                __import__("urllib.request").request.Request(
                    f"{server.url}/", headers={"Cookie": agent_cookie}
                ),
                timeout=10,
            )
            .read()
            .decode()
        )
    assert all("hello from process one" in page for page in pages)

    room = agent_connection(second, "/ws/chat/agent/scale-conv-01/", agent_cookie)
    receive_html_until(room, "hello from process one")
    room.send(json.dumps({"type": "reply", "body": "hello from process two", "client_id": "r1"}))
    got = visitor.wait_for(lambda f: f["type"] == "chat.message" and f["sender"] == "agent")
    assert got["message"] == "hello from process two"
    for ws in (inbox, room):
        ws.close()
    visitor.close()


@pytest.mark.parametrize("refresh_seconds", ["600"])  # recovery, not the periodic refresh
def test_sockets_keep_receiving_across_a_redis_restart(
    redis_server: PrivateRedis, two_servers: tuple[DaphneServer, DaphneServer], agent_cookie: str
) -> None:
    first, second = two_servers
    visitor = ScriptedVisitor(first.ws_url, "redis-restart-1", "shop").open()
    visitor.say("before the restart")
    visitor.wait_for(lambda f: f["type"] == "chat.message")
    room = agent_connection(second, "/ws/chat/agent/redis-restart-1/", agent_cookie)
    receive_html_until(room, "before the restart")

    # Redis restarts empty: every group membership is gone. The sockets stay open and
    # re-join as soon as the layer reaches Redis again.
    redis_server.stop()
    time.sleep(1)
    redis_server.start()
    time.sleep(3)

    visitor.say("after the restart", client_id="after-1")
    assert "after the restart" in receive_html_until(room, "after the restart", timeout=15)
    room.send(json.dumps({"type": "reply", "body": "still listening", "client_id": "r2"}))
    got = visitor.wait_for(lambda f: f.get("message") == "still listening", timeout=15)
    assert got["sender"] == "agent"
    assert Conversation.objects.get(public_id="redis-restart-1").messages.count() == 3
    room.close()
    visitor.close()


def test_forgotten_memberships_are_renewed_by_long_lived_sockets(
    redis_server: PrivateRedis, two_servers: tuple[DaphneServer, DaphneServer], agent_cookie: str
) -> None:
    """What group_expiry does to a socket open for a day, done at once with FLUSHALL."""
    import redis

    first, second = two_servers
    visitor = ScriptedVisitor(first.ws_url, "expiry-conv-1", "shop").open()
    visitor.say("first")
    visitor.wait_for(lambda f: f["type"] == "chat.message")
    room = agent_connection(second, "/ws/chat/agent/expiry-conv-1/", agent_cookie)
    receive_html_until(room, "first")
    redis.Redis.from_url(redis_server.url).flushall()
    time.sleep(2.5)  # two refresh rounds (CHAT_GROUP_REFRESH_SECONDS=1)
    visitor.say("after expiry", client_id="x1")
    assert "after expiry" in receive_html_until(room, "after expiry")
    room.close()
    visitor.close()


MESSAGE_ID = re.compile(r'id="m-(\d+)"')


class TranscriptWatcher:
    """What an agent's transcript socket shows, as the browser would keep it: a redrawn
    panel replaces the list, an append adds to it. Counts appends of a message already
    shown (a duplicate on screen)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.shown: list[int] = []
        self.duplicates: list[int] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._pump, args=(ws,), daemon=True).start()

    def _pump(self, ws: ClientConnection) -> None:
        try:
            for html in ws:
                assert isinstance(html, str)
                ids = [int(n) for n in MESSAGE_ID.findall(html)]
                with self.lock:
                    if 'id="transcript-panel-' in html:
                        self.shown = ids
                    elif "beforeend:#transcript-c" in html:
                        for message_id in ids:
                            if message_id in self.shown:
                                self.duplicates.append(message_id)
                            else:
                                self.shown.append(message_id)
        except ConnectionClosed:
            pass


def keep_sending(stop: threading.Event, send: Any, label: str) -> None:
    n = 0
    while not stop.is_set():
        try:
            send(f"{label} {n}", f"{label}-{n}")
        except Exception:  # a send refused by a closing socket is the test's failure below
            return
        n += 1
        time.sleep(0.25)  # under the per-socket limit of 5 a second


@pytest.mark.parametrize("refresh_seconds", ["600"])  # recovery, not the periodic refresh
def test_redis_killed_and_restarted_empty_while_both_sides_talk_loses_nothing(
    redis_server: PrivateRedis, two_servers: tuple[DaphneServer, DaphneServer], agent_cookie: str
) -> None:
    """The drill: visitor on one process, agent on the other, both sending; Redis is
    killed with SIGKILL and comes back empty five seconds later. Afterwards each side
    holds every stored message it may see, exactly once."""
    first, second = two_servers
    visitor = ScriptedVisitor(first.ws_url, "drill-conv-1", "shop").open()
    visitor.say("opening", client_id="open-1")
    visitor.wait_for(lambda f: f["type"] == "chat.message")
    room = agent_connection(second, "/ws/chat/agent/drill-conv-1/", agent_cookie)
    watcher = TranscriptWatcher(room)
    conversation = Conversation.objects.get(public_id="drill-conv-1")

    def reply(body: str, client_id: str) -> None:
        room.send(json.dumps({"type": "reply", "body": body, "client_id": client_id}))

    stop = threading.Event()
    senders = [
        threading.Thread(target=keep_sending, args=(stop, visitor.say, "v"), daemon=True),
        threading.Thread(target=keep_sending, args=(stop, reply, "a"), daemon=True),
    ]
    for thread in senders:
        thread.start()
    time.sleep(2)
    redis_server.kill()
    time.sleep(5)
    redis_server.start()
    time.sleep(4)
    stop.set()
    for thread in senders:
        thread.join(5)

    def stored() -> list[int]:
        qs = Message.objects.filter(conversation=conversation).order_by("id")
        return list(qs.values_list("id", flat=True))

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        visitor.drain(timeout=0.5)
        got = [f["id"] for f in visitor.seen if f["type"] == "chat.message"]
        with watcher.lock:
            shown = list(watcher.shown)
        if set(got) == set(stored()) and shown == stored():
            break
    everything = stored()
    sent_during_outage = Message.objects.filter(conversation=conversation).count()
    assert sent_during_outage > 20  # both sides kept talking through it
    got = [f["id"] for f in visitor.seen if f["type"] == "chat.message"]
    missing = sorted(set(everything) - set(got))
    assert not missing, f"the visitor never got {missing} of {len(everything)} stored"
    assert len(got) == len(set(got)), "the visitor was sent a message twice"
    with watcher.lock:
        missing = sorted(set(everything) - set(watcher.shown))
        assert not missing, f"the agent never got {missing} of {len(everything)} stored"
        assert watcher.shown == everything, "the agent's transcript is out of order"
        assert watcher.duplicates == []
    room.close()
    visitor.close()
