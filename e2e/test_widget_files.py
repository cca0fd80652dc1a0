"""Files, emoji, links and visited pages in the visitor widget (issues #12 and #13), in
real Chromium, the widget on another origin than the server (as in test_widget.py)."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, FilePayload, Locator, Page, Route, expect

from chat.attachments.models import Attachment
from chat.models import Agent, Message, Site, Visitor
from chat.services import agent_upsert, site_upsert
from chat.tokens import visitor_token_issue
from conftest import give_presence
from e2e.host_page import strict_host_page
from e2e.server import DaphneServer
from e2e.test_widget import (
    Browsers,
    ScriptedSockets,
    eventually,
    open_chat,
    say,
    shop_url,
    stored_conversation_id,
)
from e2e.test_workspace_audit import serious_violations

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
MAX_BYTES = 200_000  # the server's file size limit in these tests


def file(name: str, data: bytes, mime: str = "image/png") -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": data}


def png_bytes(size: tuple[int, int] = (64, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[DaphneServer]:
    """Files go to this test's own directory."""
    daphne = DaphneServer(
        extra_env={
            "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
            "CHAT_ATTACHMENT_MAX_BYTES": str(MAX_BYTES),
        }
    ).start()
    yield daphne
    daphne.stop()


@pytest.fixture
def demo(server: DaphneServer) -> Site:
    """The demo shop's site, embeddable from the shop's origin, and one available agent."""
    site = site_upsert(name="Acme Socks", key="demo", origins=[f"http://localhost:{server.port}"])
    agent_upsert(username="alice", password="pw-alice", site_keys=["demo"], display_name="Alice")
    Agent.objects.update(availability="online")
    for agent in Agent.objects.all():
        give_presence(agent)
    return site


@pytest.fixture
def browsers(browser: Browser, server: DaphneServer, demo: Site) -> Iterator[Browsers]:
    opened = Browsers(browser, server)
    yield opened
    for context in opened.contexts:
        context.close()


def console_problems(page: Page) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.text} ({m.location.get('url', '')})")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def hold_uploads(page: Page, server: DaphneServer) -> list[Route]:
    """Uploads wait here until the test lets them through (progress is visible meanwhile)."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(f"{server.url}/widget/demo/attachments/", hold)
    return held


def wait_for(page: Page, routes: list[Route]) -> Route:
    for _ in range(100):
        if routes:
            return routes.pop(0)
        page.wait_for_timeout(50)
    raise AssertionError("no upload arrived")


def chips(dialog: Locator) -> Locator:
    return dialog.get_by_role("list", name="Files to send")


def _file_event(target: Locator, kind: str, name: str, data: bytes, mime: str) -> None:
    target.evaluate(
        """(element, [kind, name, mime, encoded]) => {
            const bytes = Uint8Array.from(atob(encoded), c => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], name, {type: mime}));
            const init = {bubbles: true, cancelable: true};
            if (kind === "paste") {
                element.dispatchEvent(new ClipboardEvent("paste", {...init, clipboardData: data}));
                return;
            }
            for (const type of ["dragenter", "dragover", "drop"]) {
                element.dispatchEvent(new DragEvent(type, {...init, dataTransfer: data}));
            }
        }""",
        [kind, name, mime, base64.b64encode(data).decode()],
    )


def paste_file(target: Locator, name: str, data: bytes, mime: str = "image/png") -> None:
    """A file on the clipboard (and no text), pasted into ``target``."""
    _file_event(target, "paste", name, data, mime)


def drop_file(target: Locator, name: str, data: bytes, mime: str = "image/png") -> None:
    """A file dragged from the desktop and dropped onto ``target``."""
    _file_event(target, "drop", name, data, mime)


def test_an_image_uploads_with_progress_goes_with_the_text_and_opens_in_the_viewer(
    browsers: Browsers, server: DaphneServer
) -> None:
    visitor = browsers.shop()
    problems = console_problems(visitor)
    dialog = open_chat(visitor)
    expect(dialog).to_contain_text("We're online")
    held = hold_uploads(visitor, server)

    with visitor.expect_file_chooser() as chooser:
        dialog.get_by_role("button", name="Attach files").click()
    chooser.value.set_files(files=[file("photo.png", png_bytes())])
    chip = chips(dialog).get_by_role("listitem")
    expect(chip).to_contain_text("photo.png")
    expect(chip.get_by_role("progressbar", name="Upload progress")).to_be_visible()
    box = dialog.get_by_role("textbox", name="Message")
    box.fill("Here is the screenshot")
    box.press("Enter")  # not while the file is on its way
    expect(dialog.get_by_role("alert")).to_have_text(
        "Wait until the files have finished uploading."
    )
    assert not Message.objects.exists()

    wait_for(visitor, held).continue_()
    expect(chip.get_by_role("button", name="Remove file")).to_be_visible()
    expect(chip.get_by_role("progressbar")).to_have_count(0)
    box.press("Enter")

    sent = dialog.get_by_role("log").locator(".m").filter(has_text="Here is the screenshot")
    expect(sent).to_contain_text("Sent")
    expect(chips(dialog).get_by_role("listitem")).to_have_count(0)
    thumbnail = sent.get_by_role("img", name="photo.png")
    expect(thumbnail).to_have_attribute("src", re.compile(r"^blob:http://localhost:"))
    visitor.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    message = Message.objects.get(sender="visitor")
    assert message.body == "Here is the screenshot"
    assert [a.original_name for a in message.attachments.all()] == ["photo.png"]

    # The agent sees it in the transcript.
    alice = browsers.agent("alice")
    alice.goto(f"{server.url}/conversations/{stored_conversation_id(visitor)}/")
    transcript = alice.get_by_role("log", name="Transcript")
    expect(transcript).to_contain_text("Here is the screenshot")
    expect(transcript.get_by_role("img", name="photo.png")).to_be_visible()

    # The full image in the panel's viewer; Escape closes it, not the chat.
    thumbnail.click()
    viewer = dialog.get_by_role("dialog", name="photo.png")
    expect(viewer).to_be_visible()
    visitor.wait_for_function(
        "img => img.src.startsWith('blob:') && img.naturalWidth === 64",
        arg=viewer.get_by_role("img").element_handle(),
    )
    visitor.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    expect(dialog).to_be_visible()
    expect(sent.get_by_role("button", name="photo.png")).to_be_focused()

    # After a reload the history brings the file back, fetched with the token again.
    visitor.reload()
    dialog = visitor.get_by_role("dialog", name="Chat")
    replayed = dialog.get_by_role("img", name="photo.png")
    expect(replayed).to_have_attribute("src", re.compile(r"^blob:"))
    assert problems == []


def test_refused_files_show_why_a_pasted_screenshot_is_attached_and_emoji_load_lazily(
    browsers: Browsers, server: DaphneServer
) -> None:
    visitor = browsers.shop()
    scripts: list[str] = []
    visitor.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    dialog = open_chat(visitor)
    expect(dialog).to_contain_text("We're online")
    chooser = dialog.locator("input[type=file]")

    # Refused by the server (HTML named .png), and by the widget at once (over the limit).
    chooser.set_input_files(files=[file("invoice.png", HTML)])
    refused = chips(dialog).get_by_role("listitem").filter(has_text="invoice.png")
    expect(refused).to_contain_text("This type of file cannot be sent.")
    expect(dialog.get_by_role("alert")).to_have_text("This type of file cannot be sent.")
    refused.get_by_role("button", name="Dismiss").click()
    chooser.set_input_files(files=[file("huge.png", b"\x89PNG" + bytes(MAX_BYTES))])
    expect(chips(dialog)).to_contain_text("This file is too large.")
    chips(dialog).get_by_role("button", name="Dismiss").click()
    chooser.set_input_files(files=[file("empty.txt", b"", "text/plain")])
    expect(chips(dialog)).to_contain_text("This file is empty.")
    chips(dialog).get_by_role("button", name="Dismiss").click()
    expect(chips(dialog).get_by_role("listitem")).to_have_count(0)
    assert Attachment.objects.count() == 0

    # A screenshot on the clipboard (no text), pasted into the message box.
    box = dialog.get_by_role("textbox", name="Message")
    paste_file(box, "image.png", png_bytes((30, 30)))
    pasted = chips(dialog).get_by_role("listitem")
    expect(pasted).to_contain_text(re.compile(r"screenshot-\d{4}-\d\d-\d\d-\d{6}\.png"))
    expect(pasted.get_by_role("button", name="Remove file")).to_be_visible()

    # The emoji picker: not fetched until its button is pressed; inserts at the caret.
    assert not [url for url in scripts if "widget-emoji" in url]
    box.fill("Hello world")
    box.evaluate("t => t.setSelectionRange(5, 5)")
    with visitor.expect_request(re.compile(r"/static/chat/widget-emoji\.js$")):
        dialog.get_by_role("button", name="Emoji").click()
    picker = dialog.get_by_role("group", name="Emoji")
    expect(picker.get_by_role("button").first).to_be_focused()
    visitor.keyboard.press("ArrowDown")  # a row of six further
    expect(picker.get_by_role("button").nth(6)).to_be_focused()
    visitor.keyboard.press("Escape")  # closes the picker, not the chat
    expect(picker).to_be_hidden()
    expect(dialog.get_by_role("button", name="Emoji")).to_be_focused()
    box.evaluate("t => t.setSelectionRange(5, 5)")
    dialog.get_by_role("button", name="Emoji").click()
    picker.get_by_role("button", name="👍").click()
    expect(box).to_have_value("Hello👍 world")
    expect(picker).to_be_hidden()
    expect(box).to_be_focused()
    assert len([url for url in scripts if "widget-emoji" in url]) == 1

    box.press("Enter")
    expect(
        dialog.get_by_role("log").locator(".m").filter(has_text="Hello👍 world")
    ).to_contain_text("Sent")
    message = Message.objects.get(sender="visitor")
    assert message.body == "Hello👍 world"
    [attachment] = message.attachments.all()
    assert re.fullmatch(r"screenshot-\d{4}-\d\d-\d\d-\d{6}\.png", attachment.original_name)
    assert attachment.width == 30


def test_a_pasted_screenshot_reaches_the_agent_who_opens_it(
    browsers: Browsers, server: DaphneServer
) -> None:
    """Issue #12's first flow in one piece: the visitor pastes a screenshot on the shop
    (another origin), the agent sees its thumbnail in the transcript and opens it."""
    visitor = browsers.shop()
    dialog = open_chat(visitor)
    expect(dialog).to_contain_text("We're online")
    box = dialog.get_by_role("textbox", name="Message")
    paste_file(box, "image.png", png_bytes((64, 40)))
    expect(chips(dialog).get_by_role("button", name="Remove file")).to_be_visible()
    box.press("Enter")
    expect(dialog.get_by_role("log").locator(".m").last).to_contain_text("Sent")

    alice = browsers.agent("alice")
    alice.goto(f"{server.url}/conversations/{stored_conversation_id(visitor)}/")
    transcript = alice.get_by_role("log", name="Transcript")
    thumbnail = transcript.get_by_role("img", name=re.compile(r"^screenshot-.*\.png$"))
    expect(thumbnail).to_be_visible()
    alice.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    thumbnail.click()
    viewer = alice.get_by_role("dialog", name=re.compile(r"^screenshot-.*\.png$"))
    expect(viewer).to_be_visible()
    alice.wait_for_function(
        "() => document.querySelector('[data-viewer-image]').naturalWidth === 64"
    )

    # A file whose name climbs directories (dropped, so the name is kept) is refused
    # with a reason, and nothing more is stored.
    stored = Attachment.objects.count()
    drop_file(dialog, "../../etc/evil.png", png_bytes((10, 10)))
    refused = chips(dialog).get_by_role("listitem").filter(has_text="evil.png")
    expect(refused.get_by_role("button", name="Dismiss")).to_be_visible()
    expect(dialog.get_by_role("alert")).to_have_text("This file name is not allowed.")
    assert Attachment.objects.count() == stored


def test_a_removed_upload_is_deleted_and_files_alone_make_a_message(
    browsers: Browsers, server: DaphneServer
) -> None:
    visitor = browsers.shop()
    dialog = open_chat(visitor)
    expect(dialog).to_contain_text("We're online")
    chooser = dialog.locator("input[type=file]")
    chooser.set_input_files(files=[file("photo.png", png_bytes())])
    expect(chips(dialog).get_by_role("button", name="Remove file")).to_be_visible()
    assert Attachment.objects.count() == 1
    with visitor.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        chips(dialog).get_by_role("button", name="Remove file").click()
    assert deleted.value.status == 204
    assert Attachment.objects.count() == 0

    # Dropped onto the panel, then sent with no text at all.
    drop_file(dialog, "notes.txt", b"Order 1234 never came", "text/plain")
    expect(chips(dialog).get_by_role("button", name="Remove file")).to_be_visible()
    dialog.get_by_role("button", name="Send").click()
    card = dialog.get_by_role("log").locator(".m.visitor")
    expect(card).to_contain_text("notes.txt")
    expect(card).to_contain_text("Sent")
    message = Message.objects.get(sender="visitor")
    assert message.body == ""
    assert [a.original_name for a in message.attachments.all()] == ["notes.txt"]


def test_an_agents_link_is_safe_and_their_pdf_downloads_in_the_widget(
    browsers: Browsers, server: DaphneServer
) -> None:
    visitor = browsers.shop()
    dialog = open_chat(visitor)
    expect(say(dialog, "Where is the size guide?")).to_contain_text("Sent")
    alice = browsers.agent("alice")
    alice.goto(f"{server.url}/conversations/{stored_conversation_id(visitor)}/")
    expect(alice.locator("body")).to_have_attribute("data-connection", "online")
    alice.locator("[data-attach-input]").set_input_files(
        files=[file("guide.pdf", PDF, "application/pdf")]
    )
    expect(
        alice.get_by_role("list", name="Files to send").get_by_role("button", name="Remove")
    ).to_be_visible()
    reply = alice.get_by_role("textbox", name="Reply")
    reply.fill(
        "The guide: https://example.com/guide?size=42.\n"
        "<b>Not bold</b> javascript:alert(1) <a href='https://evil.example'>x</a>"
    )
    reply.press("Enter")

    answer = dialog.get_by_role("log").locator(".m.agent").filter(has_text="The guide")
    expect(answer).to_be_visible()
    link = answer.get_by_role("link", name="https://example.com/guide?size=42")
    expect(link).to_have_attribute("href", "https://example.com/guide?size=42")
    expect(link).to_have_attribute("rel", "noopener nofollow ugc")
    expect(link).to_have_attribute("target", "_blank")
    # Only http(s) addresses become links, each one safe; the markup stays text.
    expect(answer.get_by_role("link")).to_have_count(2)
    other = answer.get_by_role("link", name="https://evil.example")
    expect(other).to_have_attribute("rel", "noopener nofollow ugc")
    expect(other).to_have_attribute("target", "_blank")
    assert answer.locator("b, script, a[href^='javascript']").count() == 0
    text = answer.locator(".tx").evaluate("p => p.textContent")
    assert text.endswith(
        ".\n<b>Not bold</b> javascript:alert(1) <a href='https://evil.example'>x</a>"
    )

    card = answer.locator(".fc")
    expect(card).to_contain_text("guide.pdf")
    expect(card).to_contain_text("PDF")
    with visitor.expect_download() as download:
        card.get_by_role("button", name="Download guide.pdf").click()
    assert download.value.suggested_filename == "guide.pdf"
    assert Path(download.value.path()).read_bytes() == PDF


def test_visited_pages_reach_the_visitor_record_with_the_history_api_intact(
    browsers: Browsers, server: DaphneServer
) -> None:
    visitor = browsers.shop()
    sent: list[str] = []
    visitor.on(
        "websocket",
        lambda ws: ws.on(
            "framesent",
            lambda payload: sent.append(str(payload)) if '"page"' in str(payload) else None,
        ),
    )
    dialog = open_chat(visitor)
    expect(say(dialog, "Just looking")).to_contain_text("Sent")
    record = Visitor.objects.get()
    shop = f"http://localhost:{server.port}"

    def last_page() -> tuple[str, str]:
        pages = Visitor.objects.get(pk=record.pk).pages
        return (pages[-1]["url"], pages[-1]["title"]) if pages else ("", "")

    eventually(lambda: last_page()[0] == shop_url(server))
    before = len(sent)  # a report on each attach (hello, then the first message's)

    # A single-page shop navigates; the wrapped pushState still returns and navigates.
    result = visitor.evaluate(
        """() => {
            const r = history.pushState({n: 1}, "", "/demo/shoes?server=x");
            document.title = "Shoes";
            return [r === undefined, location.pathname];
        }"""
    )
    assert result == [True, "/demo/shoes"]
    eventually(lambda: last_page() == (f"{shop}/demo/shoes?server=x", "Shoes"))
    # Several at once: one report (they go 1.5 s apart at most), the latest page.
    visitor.evaluate(
        """() => {
            history.replaceState(null, "", "/demo/socks?server=x");
            location.hash = "reviews";
        }"""
    )
    eventually(lambda: last_page()[0] == f"{shop}/demo/socks?server=x#reviews")
    visitor.go_back()  # popstate
    eventually(lambda: last_page()[0] == f"{shop}/demo/socks?server=x")
    urls = [p["url"] for p in Visitor.objects.get(pk=record.pk).pages]
    assert urls == [
        shop_url(server),
        f"{shop}/demo/shoes?server=x",
        f"{shop}/demo/socks?server=x#reviews",
        f"{shop}/demo/socks?server=x",
    ]
    visitor.wait_for_timeout(300)  # lets Playwright deliver the last framesent event
    assert len(sent) - before == 3, sent  # the replaceState and the hash change went as one
    expect(dialog).to_be_visible()


@pytest.fixture
def no_blob_shop(server: DaphneServer) -> Iterator[str]:
    """A shop whose Content-Security-Policy allows no images at all (no blob:)."""
    with strict_host_page(server, extra_policy="img-src 'none'") as origin:
        yield origin


def test_images_still_show_on_a_page_whose_policy_refuses_blob_images(
    browsers: Browsers, server: DaphneServer, no_blob_shop: str
) -> None:
    site_upsert(name="Strict shop", key="demo", origins=[no_blob_shop])
    visitor = browsers.page()
    visitor.goto(no_blob_shop + "/")
    dialog = open_chat(visitor)
    expect(dialog).to_contain_text("We're online")
    dialog.locator("input[type=file]").set_input_files(files=[file("photo.png", png_bytes())])
    expect(chips(dialog).get_by_role("button", name="Remove file")).to_be_visible()
    dialog.get_by_role("button", name="Send").click()
    drawn = dialog.get_by_role("log").get_by_role("img", name="photo.png")
    expect(drawn).to_have_js_property("tagName", "CANVAS")
    assert drawn.evaluate("c => [c.width, c.height]") == [64, 40]


def test_a_message_with_files_is_resent_with_the_same_ids_and_a_refused_one_is_not(
    browsers: Browsers, server: DaphneServer, demo: Site
) -> None:
    """Against a scripted socket (the uploads go to the real server): a dropped socket
    makes the widget resend the message with the same client_id and attachment ids; one
    whose files the server refuses says "Not sent" and is not sent again."""
    page = browsers.page()
    sockets = ScriptedSockets(page)
    page.goto(shop_url(server))
    dialog = open_chat(page)
    sockets.wait_for_count(1)
    visitor = Visitor.objects.create(site=demo)
    token = visitor_token_issue(site_id=demo.pk, visitor_id=visitor.pk)
    sockets.last().send(json.dumps({"type": "session", "token": token, "agents_online": True}))

    def messages(n: int) -> list[dict[str, Any]]:
        for _ in range(100):
            found = [f for f in sockets.received[n] if f["type"] == "chat.message"]
            if found:
                return found
            page.wait_for_timeout(50)
        return []

    chooser = dialog.locator("input[type=file]")
    chooser.set_input_files(files=[file("photo.png", png_bytes())])
    expect(chips(dialog).get_by_role("button", name="Remove file")).to_be_visible()
    [upload] = Attachment.objects.all()
    say(dialog, "With a file")
    [first] = messages(0)
    assert first["attachments"] == [str(upload.pk)] and first["message"] == "With a file"

    sockets.last().close(code=1012, reason="restart")
    sockets.wait_for_count(2)
    [again] = messages(1)
    assert again["client_id"] == first["client_id"]
    assert again["attachments"] == first["attachments"]
    sockets.last().send(
        json.dumps(
            {
                "type": "chat.message",
                "id": 1,
                "sender": "visitor",
                "message": "With a file",
                "client_id": first["client_id"],
                "created_at": "2026-01-01T10:00:00+00:00",
                "attachments": [],
            }
        )
    )
    expect(dialog.get_by_role("log").locator("[data-id='1']")).to_contain_text("Sent")

    # The server refuses the files of the next one: not resent on the next socket.
    chooser.set_input_files(files=[file("other.png", png_bytes((20, 20)))])
    expect(chips(dialog).get_by_role("button", name="Remove file")).to_be_visible()
    bubble = say(dialog, "Files already sent")
    refused = [m for m in messages(1) if m["message"] == "Files already sent"]
    assert refused and refused[0]["attachments"]
    sockets.last().send(
        json.dumps(
            {
                "type": "error",
                "code": "attachment_used",
                "message": "One of the files was already sent.",
            }
        )
    )
    expect(bubble).to_have_attribute("data-state", "failed")
    expect(bubble).to_contain_text("Not sent")
    expect(dialog.get_by_role("alert")).to_have_text("A file was already sent.")
    sockets.last().close(code=1012, reason="restart")
    sockets.wait_for_count(3)
    say(dialog, "Later")  # resends would have gone out with the hello, before this
    assert [m["message"] for m in messages(2)] == ["Later"]
    assert sockets.received[2][0]["type"] == "hello"


def test_chips_files_emoji_picker_and_viewer_pass_an_accessibility_audit(
    browsers: Browsers, server: DaphneServer
) -> None:
    visitor = browsers.shop()
    dialog = open_chat(visitor)
    expect(dialog).to_contain_text("We're online")
    chooser = dialog.locator("input[type=file]")
    chooser.set_input_files(
        files=[file("photo.png", png_bytes()), file("notes.txt", b"Order 1234", "text/plain")]
    )
    expect(chips(dialog).get_by_role("button", name="Remove file")).to_have_count(2)
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_role("log").locator(".m.visitor")).to_contain_text("Sent")
    chooser.set_input_files(files=[file("page.png", HTML), file("more.png", png_bytes())])
    expect(chips(dialog).get_by_role("button", name="Dismiss")).to_be_visible()
    expect(chips(dialog).get_by_role("button", name="Remove file")).to_be_visible()
    dialog.get_by_role("button", name="Emoji").click()
    expect(dialog.get_by_role("group", name="Emoji")).to_be_visible()
    assert serious_violations(visitor) == [], "composer"

    visitor.keyboard.press("Escape")
    dialog.get_by_role("log").get_by_role("img", name="photo.png").click()
    expect(dialog.get_by_role("dialog", name="photo.png")).to_be_visible()
    assert serious_violations(visitor) == [], "image viewer"
