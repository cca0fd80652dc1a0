"""The visitor widget in real Chromium, embedded on another origin than the server.

The shop page is served from http://localhost:<port>/demo/ and loads the widget from
http://127.0.0.1:<port>/static/chat/widget.js: the real cross-origin path (CORS for the
config, the Origin check on the socket).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, WebSocketRoute, expect

from chat.models import Agent, Conversation, Message, Site, Visitor
from chat.services import agent_upsert, site_upsert
from chat.tokens import identity_hash
from conftest import give_presence
from e2e.host_page import strict_host_page
from e2e.server import DaphneServer
from e2e.test_dashboard import sign_in

STORAGE_KEY = "parley:demo"
HOST_STYLES_JS = """() => ['body', 'header', 'main', 'h1', '.product', 'button', 'a'].map(sel => {
  const el = document.querySelector(sel);
  const cs = getComputedStyle(el);
  return [sel, cs.fontFamily, cs.fontSize, cs.color, cs.backgroundColor, cs.margin,
          cs.padding, cs.display, cs.position, cs.boxSizing, cs.lineHeight,
          el.getBoundingClientRect().toJSON()];
})"""


def shop_url(server: DaphneServer, path: str = "/demo/") -> str:
    return f"http://localhost:{server.port}{path}?server={server.url}"


@pytest.fixture
def demo(server: DaphneServer) -> Site:
    """The demo shop's site, embeddable from the shop's origin, and one (away) agent."""
    site = site_upsert(name="Acme Socks", key="demo", origins=[f"http://localhost:{server.port}"])
    agent_upsert(username="alice", password="pw-alice", site_keys=["demo"], display_name="Alice")
    return site


@pytest.fixture
def agents_online(demo: Site) -> None:
    """Every agent available, as if each had the dashboard open (a live presence lease).
    Setup only: the test process's channel layer has no listeners, so no broadcast."""
    Agent.objects.update(availability="online")
    for agent in Agent.objects.all():
        give_presence(agent)


class Browsers:
    """Fresh browser contexts (one per visitor or agent), all closed after the test so no
    widget keeps reconnecting to a server that is gone."""

    def __init__(self, browser: Browser, server: DaphneServer) -> None:
        self.browser = browser
        self.server = server
        self.contexts: list[BrowserContext] = []

    def page(self, **options: Any) -> Page:
        context = self.browser.new_context(**options)
        self.contexts.append(context)
        return context.new_page()

    def shop(self) -> Page:
        page = self.page()
        page.goto(shop_url(self.server))
        expect(page.get_by_role("button", name="Open chat")).to_be_visible()
        return page

    def agent(self, username: str) -> Page:
        page = sign_in(self.browser, self.server, username)
        self.contexts.append(page.context)
        return page


@pytest.fixture
def browsers(browser: Browser, server: DaphneServer) -> Iterator[Browsers]:
    opened = Browsers(browser, server)
    yield opened
    for context in opened.contexts:
        context.close()


def open_chat(page: Page) -> Locator:
    page.get_by_role("button", name="Open chat").click()
    dialog = page.get_by_role("dialog", name="Chat")
    expect(dialog).to_be_visible()
    return dialog


def say(dialog: Locator, text: str) -> Locator:
    """Type and send a message; returns its bubble in the transcript."""
    box = dialog.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    return bubble(dialog, text)


def bubble(dialog: Locator, text: str) -> Locator:
    return (
        dialog.get_by_role("log")
        .locator(".m")
        .filter(has=dialog.page.get_by_text(text, exact=True))
    )


def stored(page: Page) -> dict[str, Any] | None:
    raw = page.evaluate(f"() => localStorage.getItem({json.dumps(STORAGE_KEY)})")
    return json.loads(raw) if raw else None


def stored_conversation_id(page: Page) -> str:
    saved = stored(page)
    assert saved is not None, "nothing stored"
    return str(saved["c"])


def eventually(check: Callable[[], Any], timeout: float = 5) -> Any:
    """Poll the database (the server writes it from another process) until check() is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, "condition not met in time"
            return result
        time.sleep(0.1)


def assert_each_message_once(dialog: Locator, conversation: Conversation) -> None:
    log = dialog.get_by_role("log")
    bodies = list(conversation.messages.exclude(sender="note").values_list("body", flat=True))
    expect(log.locator(".m")).to_have_count(len(bodies))
    for body in bodies:
        expect(log.get_by_text(body, exact=True)).to_have_count(1)
    ids = log.locator(".m").evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(set(ids)) == len(ids) == len(bodies)


def test_visitor_and_agent_talk_through_the_widget(
    browsers: Browsers, server: DaphneServer, agents_online: None
) -> None:
    alice = browsers.agent("alice")
    visitor = browsers.shop()
    dialog = open_chat(visitor)
    expect(dialog).to_contain_text("Hi! How can we help?")
    expect(dialog).to_contain_text("We're online")

    first = say(dialog, "Do these socks come in blue?")
    expect(first).to_have_attribute("data-state", "sent")
    expect(first).to_contain_text("Sent")

    pool = alice.get_by_role("list", name="Waiting conversations").get_by_role("link")
    expect(pool).to_contain_text("Do these socks come in blue?")
    pool.first.click()
    expect(alice.get_by_role("log", name="Transcript")).to_contain_text(
        "Do these socks come in blue?"
    )
    expect(alice.locator("body")).to_have_attribute("data-connection", "online")
    alice.get_by_role("button", name="Claim").click()

    expect(dialog.get_by_text("Chatting with Alice")).to_be_visible()
    expect(dialog.get_by_role("log")).to_contain_text("Alice joined the conversation")
    expect(first).to_contain_text("Seen")  # the agent has the conversation open

    reply = alice.get_by_role("textbox", name="Reply")
    reply.fill("Yes, in navy and sky blue.")
    expect(dialog.get_by_text("Alice is typing…")).to_be_visible()
    reply.press("Enter")
    answer = bubble(dialog, "Yes, in navy and sky blue.")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("Alice")
    expect(dialog.get_by_text("Alice is typing…")).to_have_count(0)

    dialog.get_by_role("textbox", name="Message").press_sequentially("Great")
    expect(alice.get_by_text("is typing…")).to_be_visible()
    dialog.get_by_role("textbox", name="Message").press("Shift+Enter")
    dialog.get_by_role("textbox", name="Message").press_sequentially("thanks!")
    dialog.get_by_role("button", name="Send").click()
    expect(alice.get_by_role("log", name="Transcript")).to_contain_text("Great")
    expect(alice.get_by_role("log", name="Transcript")).to_contain_text("thanks!")
    latest = bubble(dialog, "Great\nthanks!")
    # Stored; the agent has the conversation open, so it may already read "Seen".
    expect(latest).to_contain_text(re.compile(r"Sent|Seen"))
    # The dashboard sends at most one read receipt a second and drops the rest (see the
    # report); opening the conversation again always marks everything read.
    alice.reload()
    expect(latest).to_contain_text("Seen")
    expect(first).to_contain_text("Seen")
    expect(answer).to_contain_text("Alice")  # read receipts mark only the visitor's messages
    assert Message.objects.filter(sender="visitor", body="Great\nthanks!").count() == 1

    alice.get_by_role("button", name="Resolve").click()
    expect(dialog.get_by_text("How was this conversation?")).to_be_visible()
    dialog.get_by_role("button", name="Rate 5 of 5").click()
    expect(dialog.get_by_text("Thanks for your feedback!")).to_be_visible()
    conversation = Conversation.objects.get()
    eventually(lambda: Conversation.objects.get(pk=conversation.pk).rating == 5)
    assert_each_message_once(dialog, conversation)


def test_the_conversation_continues_across_reloads_and_pages(
    browsers: Browsers, server: DaphneServer, demo: Site
) -> None:
    page = browsers.shop()
    dialog = open_chat(page)
    expect(say(dialog, "Where is my parcel?")).to_contain_text("Sent")
    saved = stored(page)
    assert saved is not None and re.fullmatch(r"[A-Za-z0-9_-]{8,64}", saved["c"]) and saved["t"]
    conversation = Conversation.objects.get(public_id=saved["c"])
    agent = Agent.objects.get()
    # An agent reply written while the visitor is between pages (no broadcast: it is only in
    # the database, so the widget can only show it by replaying the history).
    Message.objects.create(
        conversation=conversation, sender="agent", agent=agent, body="It left this morning."
    )

    page.reload()
    dialog = page.get_by_role("dialog", name="Chat")
    expect(dialog).to_be_visible()  # it was open: it stays open across pages
    expect(bubble(dialog, "It left this morning.")).to_be_visible()
    assert_each_message_once(dialog, conversation)
    expect(say(dialog, "Thank you")).to_contain_text("Sent")

    page.get_by_role("link", name="Another page of the shop").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    dialog = page.get_by_role("dialog", name="Chat")
    expect(bubble(dialog, "Thank you")).to_be_visible()
    assert_each_message_once(dialog, conversation)
    assert stored_conversation_id(page) == saved["c"]
    assert Conversation.objects.count() == 1

    # Closed, with a reply waiting: the launcher shows it as unread on the next page.
    dialog.get_by_role("textbox", name="Message").press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Open chat")).to_be_focused()
    Message.objects.create(
        conversation=conversation, sender="agent", agent=agent, body="Anything else?"
    )
    # Calls queued before the script loads (window.Parley as an array) are replayed.
    page.add_init_script(
        "window.__unread = []; window.Parley = [['on', 'unread', d => __unread.push(d.count)]]"
    )
    page.reload()
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_have_accessible_description("1 unread")
    assert page.evaluate("() => window.__unread") == [1]
    dialog = open_chat(page)
    expect(bubble(dialog, "Anything else?")).to_be_visible()
    expect(launcher).to_be_hidden()
    assert_each_message_once(dialog, conversation)


def test_reconnects_after_a_restart_without_losing_or_doubling_messages(
    browsers: Browsers, server: DaphneServer, demo: Site
) -> None:
    page = browsers.shop()
    dialog = open_chat(page)
    expect(say(dialog, "Before the restart")).to_contain_text("Sent")
    conversation = Conversation.objects.get()

    server.stop()
    expect(dialog.get_by_text("Connection lost. Reconnecting…")).to_be_visible(timeout=10000)
    offline = say(dialog, "Typed while the server was down")
    expect(offline).to_contain_text("Sending…")
    # Missed while disconnected: only the replay on reconnect can bring it.
    Message.objects.create(
        conversation=conversation,
        sender="agent",
        agent=Agent.objects.get(),
        body="Written during the outage",
    )
    server.start()

    # The widget retries with full-jitter backoff capped at 30 s (docs/protocol.md), and
    # every failed attempt while the server was down (the message typed meanwhile made
    # one more) raised the bound: the next attempt can come up to 30 s after the last.
    expect(offline).to_contain_text("Sent", timeout=45000)
    expect(bubble(dialog, "Written during the outage")).to_be_visible()
    expect(dialog.get_by_text("Connection lost. Reconnecting…")).to_have_count(0)
    expect(say(dialog, "After the restart")).to_contain_text("Sent")
    bodies = list(conversation.messages.order_by("id").values_list("body", flat=True))
    assert bodies == [
        "Before the restart",
        "Written during the outage",
        "Typed while the server was down",
        "After the restart",
    ]
    assert_each_message_once(dialog, conversation)
    order = (
        dialog.get_by_role("log")
        .locator(".m .tx")
        .evaluate_all("els => els.map(e => e.textContent)")
    )
    assert order == bodies


def test_a_hostile_stylesheet_neither_breaks_the_widget_nor_is_affected(
    browsers: Browsers, server: DaphneServer, agents_online: None
) -> None:
    # The host page's look without the widget, then with it: identical.
    bare = browsers.page()
    bare.route(re.compile(r"/static/chat/widget\.js"), lambda route: route.abort())
    bare.goto(shop_url(server))
    without = bare.evaluate(HOST_STYLES_JS)
    page = browsers.shop()
    assert page.evaluate(HOST_STYLES_JS) == without
    assert (
        page.evaluate("() => document.querySelectorAll('style, link[rel=stylesheet]').length") == 1
    )
    open_chat(page).get_by_role("button", name="Close chat").click()
    assert page.evaluate(HOST_STYLES_JS) == without

    page.add_style_tag(content="* { all: unset !important }")
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_be_visible()
    viewport = page.viewport_size
    assert viewport is not None
    box = launcher.bounding_box()
    assert box is not None and box["width"] == box["height"] == 56
    # 20 px from the corner (a scrollbar, if the browser draws one, may take some more).
    assert viewport["width"] - 40 <= box["x"] + box["width"] <= viewport["width"] - 20
    assert viewport["height"] - 40 <= box["y"] + box["height"] <= viewport["height"] - 20
    assert launcher.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(79, 70, 229)"

    # The page under and around the widget still takes clicks.
    host_at = "([x, y]) => document.elementFromPoint(x, y).tagName"
    assert (
        page.evaluate(host_at, [viewport["width"] - 48, viewport["height"] - 48]) == "PARLEY-CHAT"
    )
    assert (
        page.evaluate(host_at, [viewport["width"] - 120, viewport["height"] - 120]) != "PARLEY-CHAT"
    )
    page.get_by_role("button", name="Add to cart").first.click(timeout=3000)

    dialog = open_chat(page)
    panel = dialog.bounding_box()
    assert panel is not None and panel["width"] == 370
    assert dialog.evaluate("el => getComputedStyle(el).position") == "fixed"
    expect(say(dialog, "Styled by a stranger")).to_contain_text("Sent")
    expect(dialog.get_by_role("textbox", name="Message")).to_have_value("")
    assert Message.objects.filter(body="Styled by a stranger").count() == 1


def test_identify_with_a_valid_hash_verifies_and_follows_the_user_and_a_forged_one_is_refused(
    browsers: Browsers, server: DaphneServer, agents_online: None, demo: Site
) -> None:
    good = identity_hash(secret=demo.identity_secret, user_id="customer-42")
    identify = """(o) => {
        window.__ids = [];
        Parley.on('identified', d => __ids.push(d));
        Parley.identify(o);
    }"""

    laptop = browsers.shop()
    laptop.evaluate(
        identify,
        {"user_id": "customer-42", "name": "Ann", "email": "ann@example.com", "user_hash": good},
    )
    assert stored(laptop) is None  # nothing happens until the visitor opens the chat
    dialog = open_chat(laptop)
    expect(say(dialog, "Hello from my laptop")).to_contain_text("Sent")
    assert laptop.evaluate("() => __ids.map(d => d.verified)") == [True]
    conversation = Conversation.objects.select_related("visitor").get()
    visitor = conversation.visitor
    assert (visitor.external_id, visitor.is_verified, visitor.name, visitor.email) == (
        "customer-42",
        True,
        "Ann",
        "ann@example.com",
    )

    # The same customer on another device: the widget switches to their conversation.
    phone = browsers.shop()
    phone.evaluate(identify, {"user_id": "customer-42", "user_hash": good})
    dialog = open_chat(phone)
    expect(bubble(dialog, "Hello from my laptop")).to_be_visible()
    assert stored_conversation_id(phone) == conversation.public_id
    expect(say(dialog, "And now from my phone")).to_contain_text("Sent")
    assert_each_message_once(dialog, conversation)
    assert Conversation.objects.count() == 1

    # A forged hash: refused, shown, and the visitor stays anonymous.
    forger = browsers.shop()
    forger.evaluate(identify, {"user_id": "customer-42", "user_hash": "0" * 64})
    dialog = open_chat(forger)
    expect(dialog.get_by_role("alert")).to_have_text("We could not verify your account.")
    expect(say(dialog, "Let me in")).to_contain_text("Sent")
    assert forger.evaluate("() => __ids.length") == 0
    intruder = (
        Conversation.objects.select_related("visitor").get(messages__body="Let me in").visitor
    )
    assert (intruder.external_id, intruder.is_verified) == ("", False)
    assert Visitor.objects.filter(external_id="customer-42").count() == 1


def test_offline_the_widget_asks_for_an_email_and_saves_it(
    browsers: Browsers, server: DaphneServer, demo: Site
) -> None:
    page = browsers.shop()
    dialog = open_chat(page)
    expect(dialog.get_by_text(demo.offline_message)).to_be_visible()
    expect(dialog).to_contain_text("We're away")
    email = dialog.get_by_role("textbox", name="Email")
    expect(email).to_be_visible()

    email.fill("not-an-email")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_have_text("That email address is not valid.")
    dialog.get_by_role("textbox", name="Name").fill("Ann")
    email.fill("ann@example.com")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_text("We'll reply to ann@example.com if you're away.")).to_be_visible()
    expect(email).to_be_hidden()
    expect(say(dialog, "Please write back")).to_contain_text("Sent")

    conversation = Conversation.objects.select_related("visitor").get(
        public_id=stored_conversation_id(page)
    )
    assert (conversation.visitor.email, conversation.visitor.name) == ("ann@example.com", "Ann")

    # An agent comes online: the widget hears it and drops the offline notice.
    alice = browsers.agent("alice")
    alice.get_by_label("Status").select_option("online")
    expect(dialog.get_by_text(demo.offline_message)).to_be_hidden()
    expect(dialog).to_contain_text("Someone will be with you shortly")


def test_nothing_connects_or_is_stored_before_the_visitor_opens_the_chat(
    browsers: Browsers, server: DaphneServer, demo: Site
) -> None:
    page = browsers.page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(shop_url(server))
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert sockets == []
    assert page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]") == [
        0,
        0,
        "",
    ]

    # Opening connects; keyboard focus goes in and comes back out; still nothing stored.
    with page.expect_websocket() as opened:
        launcher.click()
    assert re.fullmatch(
        rf"ws://127\.0\.0\.1:{server.port}/ws/chat/visitor/[A-Za-z0-9_-]{{8,64}}/\?site=demo",
        opened.value.url,
    )
    dialog = page.get_by_role("dialog", name="Chat")
    expect(dialog.get_by_role("textbox", name="Message")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()
    assert page.evaluate("() => localStorage.length") == 0

    page.keyboard.press("Enter")
    expect(dialog.get_by_role("textbox", name="Message")).to_be_focused()
    expect(say(dialog, "Now I have a conversation")).to_contain_text("Sent")
    assert page.evaluate("() => Object.keys(localStorage)") == [STORAGE_KEY]
    assert Conversation.objects.filter(public_id=stored_conversation_id(page)).exists()


def test_the_panel_fills_a_small_phone_screen(
    browsers: Browsers, server: DaphneServer, demo: Site
) -> None:
    page = browsers.page(viewport={"width": 375, "height": 667})
    page.goto(shop_url(server))
    dialog = open_chat(page)
    assert dialog.bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 667}


@pytest.fixture
def strict_shop(server: DaphneServer) -> Iterator[str]:
    """A shop page under a strict Content-Security-Policy (no inline styles at all), served
    by a tiny HTTP server of its own on another origin."""
    with strict_host_page(server) as origin:
        yield origin


def test_works_under_a_strict_content_security_policy(
    browsers: Browsers, server: DaphneServer, strict_shop: str
) -> None:
    site_upsert(name="Strict shop", key="demo", origins=[strict_shop])
    page = browsers.page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    page.goto(strict_shop + "/")
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_be_visible()
    # Styled by a constructed stylesheet, which style-src 'none' does not block.
    assert launcher.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(79, 70, 229)"
    dialog = open_chat(page)
    expect(say(dialog, "Hello from a strict page")).to_contain_text("Sent")
    assert problems == []


def test_the_rating_prompt_is_in_view_after_a_long_conversation_is_resolved(
    browsers: Browsers, server: DaphneServer, agents_online: None
) -> None:
    visitor = browsers.shop()
    dialog = open_chat(visitor)
    expect(say(dialog, "Line 1 of a long conversation")).to_contain_text("Sent")
    conversation = Conversation.objects.get()
    alice = Agent.objects.get()
    for n in range(2, 41):
        Message.objects.create(
            conversation=conversation,
            sender="visitor" if n % 2 else "agent",
            agent=None if n % 2 else alice,
            body=f"Line {n} of a long conversation",
        )
    visitor.reload()  # the history comes back on the new page: a log far taller than the panel
    dialog = visitor.get_by_role("dialog", name="Chat")
    expect(bubble(dialog, "Line 40 of a long conversation")).to_be_visible()

    agent = browsers.agent("alice")
    agent.get_by_role("list", name="Waiting conversations").get_by_role("link").first.click()
    agent.get_by_role("button", name="Claim").click()
    expect(dialog.get_by_text("Chatting with Alice")).to_be_visible()
    agent.get_by_role("button", name="Resolve").click()

    prompt = dialog.get_by_text("How was this conversation?")
    five = dialog.get_by_role("button", name="Rate 5 of 5")
    expect(prompt).to_be_visible()
    # In view: inside the visible part of the panel's scrolled transcript, not below it.
    expect(prompt).to_be_in_viewport(ratio=1)
    expect(five).to_be_in_viewport(ratio=1)
    shown = dialog.locator(".b").bounding_box()
    for part in (prompt, five):
        box = part.bounding_box()
        assert shown is not None and box is not None
        assert shown["y"] <= box["y"] and box["y"] + box["height"] <= shown["y"] + shown["height"]
    five.click()
    expect(dialog.get_by_text("Thanks for your feedback!")).to_be_in_viewport()


# --- reconnection, against a scripted socket (Playwright's WebSocket routing) and a fake
# clock, so minutes of backoff take no time and each delay is checked to the millisecond.


class ScriptedSockets:
    """Every visitor socket the page opens, answered by the test instead of the server."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.opened: list[WebSocketRoute] = []
        self.received: list[list[dict[str, Any]]] = []
        page.route_web_socket(re.compile(r"/ws/chat/visitor/"), self.accept)

    def accept(self, socket: WebSocketRoute) -> None:
        frames: list[dict[str, Any]] = []
        socket.on_message(lambda text: frames.append(json.loads(text)))
        self.opened.append(socket)
        self.received.append(frames)

    def wait_for_count(self, count: int, timeout: float = 5) -> None:
        """Until exactly `count` sockets were opened (Playwright delivers events while it
        waits, so this waits in the page, not with time.sleep)."""
        deadline = time.monotonic() + timeout
        while len(self.opened) < count:
            assert time.monotonic() < deadline, f"{len(self.opened)} sockets, not {count}"
            self.page.wait_for_timeout(20)
        assert len(self.opened) == count

    def none_opens_during(self, ms: int) -> None:
        before = len(self.opened)
        self.page.clock.fast_forward(ms)
        self.page.wait_for_timeout(150)  # time for a socket the widget opened to show up
        assert len(self.opened) == before, f"reconnected within {ms} ms"

    def last(self) -> WebSocketRoute:
        return self.opened[-1]


@pytest.fixture
def scripted(browsers: Browsers, server: DaphneServer, demo: Site) -> ScriptedSockets:
    page = browsers.page()
    page.clock.install()
    # Math.random is the widget's only source of jitter: the test sets it.
    page.add_init_script("window.__random = 0.5; Math.random = () => window.__random;")
    sockets = ScriptedSockets(page)
    page.goto(shop_url(server))
    open_chat(page)
    sockets.wait_for_count(1)
    # From here the page's time moves only when the test moves it.
    page.clock.pause_at(time.time() + 10)
    return sockets


def test_a_4429_close_waits_a_minute_then_resends_and_other_refusals_stay_final(
    scripted: ScriptedSockets,
) -> None:
    page = scripted.page
    dialog = page.get_by_role("dialog", name="Chat")
    page.evaluate("() => { window.__random = 1; }")  # the longest jitter: 15 s
    scripted.last().close(code=4429, reason="too many")
    expect(
        dialog.get_by_text("You're sending messages too fast. We'll reconnect in a minute.")
    ).to_be_visible()

    # Neither sending nor the browser coming back online reconnects early.
    held = say(dialog, "Typed while held back")
    expect(held).to_contain_text("Sending…")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    scripted.none_opens_during(74_900)
    page.clock.fast_forward(200)  # 60 s + 15 s of jitter
    scripted.wait_for_count(2)
    page.wait_for_timeout(200)
    sent = [(f["type"], f.get("message")) for f in scripted.received[1]]
    assert sent[0] == ("hello", None)
    assert ("chat.message", "Typed while held back") in sent

    # Any other 44xx is final, as before: no retry, however long.
    scripted.last().close(code=4403, reason="forbidden")
    expect(dialog.get_by_text("The chat is not available on this page.")).to_be_visible()
    scripted.none_opens_during(600_000)


def test_reconnects_with_full_jitter_exponential_backoff(scripted: ScriptedSockets) -> None:
    page = scripted.page
    dialog = page.get_by_role("dialog", name="Chat")
    # random() = 0.5: half of min(30 s, 1 s * 2^attempt), never under 250 ms.
    for count, delay in enumerate([500, 1000, 2000, 4000, 8000, 15000, 15000], start=2):
        scripted.last().close(code=1011, reason="server error")
        expect(dialog.get_by_text("Connection lost. Reconnecting…")).to_be_visible()
        scripted.none_opens_during(delay - 10)
        page.clock.fast_forward(20)
        scripted.wait_for_count(count)

    # A socket the server took in (a status frame) starts the backoff over, and a zero
    # from random() still waits the 250 ms floor.
    scripted.last().send(json.dumps({"type": "status", "status": "waiting", "rating": None}))
    page.evaluate("() => { window.__random = 0; }")
    scripted.last().close(code=1011, reason="server error")
    scripted.none_opens_during(240)
    page.clock.fast_forward(20)
    scripted.wait_for_count(9)


def test_message_frames_with_prev_id_are_drawn_once(scripted: ScriptedSockets) -> None:
    dialog = scripted.page.get_by_role("dialog", name="Chat")
    socket = scripted.last()
    socket.send(json.dumps({"type": "status", "status": "open", "agent_name": "Alice"}))
    for frame_id, prev_id in [(7, 0), (9, 7), (7, 0), (9, 7)]:  # the last two: replays
        socket.send(
            json.dumps(
                {
                    "type": "chat.message",
                    "id": frame_id,
                    "prev_id": prev_id,
                    "sender": "agent",
                    "message": f"Message {frame_id}",
                    "client_id": None,
                    "created_at": "2025-01-01T12:00:00Z",
                    "agent_name": "Alice",
                }
            )
        )
    log = dialog.get_by_role("log")
    expect(log.locator(".m")).to_have_count(2)
    assert log.locator(".m").evaluate_all("els => els.map(e => e.dataset.id)") == ["7", "9"]
