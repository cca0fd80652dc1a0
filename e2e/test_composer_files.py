"""Files, images and emoji in the agent's composer (issue #12), in Chromium against daphne:
the attach button with upload progress, paste and drop, the image viewer, a refused file,
removing an upload, and the emoji picker."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, FilePayload, Page, Route, expect

from chat import services
from chat.attachments.models import Attachment
from chat.models import Agent, Conversation, Message, Visitor
from chat.tokens import visitor_token_issue
from e2e.server import DaphneServer
from e2e.test_workspace import LAPTOP, SLOW, sign_in
from e2e.test_workspace_audit import serious_violations
from e2e.visitor_client import ScriptedVisitor

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def file(name: str, data: bytes, mime: str = "image/png") -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": data}


def png_bytes(size: tuple[int, int] = (64, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def problems() -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    assert seen == []


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[DaphneServer]:
    """Files go to this test's own directory."""
    daphne = DaphneServer(extra_env={"DJANGO_MEDIA_ROOT": str(tmp_path / "media")}).start()
    yield daphne
    daphne.stop()


@pytest.fixture
def conversation(server: DaphneServer) -> Conversation:
    site = services.site_upsert(name="Shop", key="shop", origins=[server.url])
    services.agent_upsert(
        username="alice", password="pw-alice", site_keys=["shop"], display_name="Alice"
    )
    Agent.objects.update(availability="online")
    conversation = Conversation.objects.create(
        public_id="files-0001", site=site, visitor=Visitor.objects.create(site=site)
    )
    Message.objects.create(conversation=conversation, sender="visitor", body="My problem")
    return conversation


def open_conversation(browser: Browser, server: DaphneServer, problems: list[str]) -> Page:
    page = sign_in(browser, server, problems, "alice")
    page.goto(f"{server.url}/conversations/files-0001/")
    expect(page.locator("body")).to_have_attribute("data-connection", "online")
    return page


def test_an_image_attached_by_the_button_shows_progress_then_goes_with_the_reply(
    browser: Browser, server: DaphneServer, conversation: Conversation, problems: list[str]
) -> None:
    visitor = ScriptedVisitor(server.ws_url, "files-0001", "shop")
    visitor.token = visitor_token_issue(
        site_id=conversation.site_id, visitor_id=conversation.visitor_id
    )
    visitor.open()
    page = open_conversation(browser, server, problems)
    held: list[Route] = []
    page.route("**/conversations/files-0001/attachments/", lambda route: held.append(route))

    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach files").click()
    chooser.value.set_files(files=[file("photo.png", png_bytes())])
    chips = page.get_by_role("list", name="Files to send")
    expect(chips.get_by_role("listitem")).to_contain_text("photo.png")
    expect(chips.get_by_role("progressbar", name="Upload progress")).to_be_visible()
    send = page.get_by_role("button", name="Send", exact=True)
    expect(send).to_be_disabled()  # while the file is on its way
    reply = page.get_by_role("textbox", name="Reply")
    reply.fill("Here is the screenshot you asked for")
    reply.press("Enter")  # not yet
    expect(page.get_by_role("status").filter(has_text="finished uploading")).to_be_visible()

    for _ in range(SLOW // 50):
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()
    expect(chips.get_by_role("button", name="Remove")).to_be_visible()
    expect(chips.get_by_role("progressbar")).to_have_count(0)
    expect(send).to_be_enabled()
    assert not Message.objects.filter(sender="agent").exists()

    reply.press("Enter")
    transcript = page.get_by_role("log", name="Transcript")
    thumbnail = transcript.get_by_role("img", name="photo.png")
    expect(thumbnail).to_be_visible()
    expect(transcript).to_contain_text("Here is the screenshot you asked for")
    expect(chips.get_by_role("listitem")).to_have_count(0)  # the fresh composer has none
    message = Message.objects.get(body="Here is the screenshot you asked for")
    assert [a.original_name for a in message.attachments.all()] == ["photo.png"]

    # The visitor receives it as a payload (docs/protocol.md).
    frame = visitor.wait_for(lambda f: f["type"] == "chat.message" and f["sender"] == "agent")
    assert [a["name"] for a in frame["attachments"]] == ["photo.png"]

    # The thumbnail opens the full image in the viewer; Escape closes it, focus comes back.
    page.get_by_role("link", name="photo.png").click()
    viewer = page.get_by_role("dialog", name="photo.png")
    expect(viewer).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('[data-viewer-image]').naturalWidth === 64"
    )
    download = viewer.get_by_role("link", name="Download")
    expect(download).to_have_attribute("href", f"/attachments/{message.attachments.get().pk}/")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(page.get_by_role("link", name="photo.png")).to_be_focused()


def test_pasted_and_dropped_files_go_without_text_and_emoji_insert_at_the_caret(
    browser: Browser, server: DaphneServer, conversation: Conversation, problems: list[str]
) -> None:
    page = open_conversation(browser, server, problems)
    reply = page.get_by_role("textbox", name="Reply")
    png = base64.b64encode(png_bytes((30, 30))).decode()
    # A screenshot on the clipboard (no text), pasted into the composer.
    reply.evaluate(
        """(textarea, png) => {
            const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], "image.png", {type: "image/png"}));
            textarea.dispatchEvent(new ClipboardEvent("paste",
                {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        png,
    )
    # A text file dropped onto the transcript.
    page.get_by_role("log", name="Transcript").evaluate(
        """(log) => {
            const data = new DataTransfer();
            data.items.add(new File(["Order 1234, the parcel never came"], "notes.txt",
                {type: "text/plain"}));
            for (const type of ["dragenter", "dragover", "drop"]) {
                log.dispatchEvent(new DragEvent(type,
                    {dataTransfer: data, bubbles: true, cancelable: true}));
            }
        }"""
    )
    chips = page.get_by_role("list", name="Files to send")
    expect(chips.get_by_role("button", name="Remove")).to_have_count(2)
    expect(chips).to_contain_text("screenshot-")
    expect(chips).to_contain_text("notes.txt")
    expect(page.locator("section.conversation")).not_to_have_class("dropping")

    # Emoji: typed text, then one chosen from the picker, inserted at the caret.
    reply.fill("Thanks ")
    page.get_by_role("button", name="Emoji").click()
    page.get_by_role("group", name="Emoji").get_by_role("button", name="👍").click()
    expect(reply).to_have_value("Thanks 👍")
    expect(page.get_by_role("group", name="Emoji")).to_be_hidden()
    expect(reply).to_be_focused()
    reply.fill("")  # files alone make a message

    page.get_by_role("button", name="Send", exact=True).click()
    transcript = page.get_by_role("log", name="Transcript")
    expect(transcript.get_by_role("img", name="screenshot-")).to_be_visible()
    expect(transcript.get_by_role("link", name="notes.txt")).to_be_visible()
    message = Message.objects.get(sender="agent")
    assert message.body == ""
    assert sorted(a.kind for a in message.attachments.all()) == ["png", "txt"]


def test_a_refused_file_shows_its_error_and_a_removed_upload_is_deleted(
    browser: Browser, server: DaphneServer, conversation: Conversation, problems: list[str]
) -> None:
    page = open_conversation(browser, server, problems)
    chooser_input = page.locator("[data-attach-input]")
    chooser_input.set_input_files(files=[file("invoice.png", HTML)])
    chips = page.get_by_role("list", name="Files to send")
    refused = chips.get_by_role("listitem").filter(has_text="invoice.png")
    expect(refused).to_contain_text("HTML, SVG and XML documents are not accepted here.")
    expect(page.get_by_role("status").filter(has_text="invoice.png")).to_be_visible()
    page.get_by_role("button", name="Send", exact=True).click()  # no text, no file: nothing
    assert Attachment.objects.count() == 0
    chips.get_by_role("button", name="Dismiss").click()
    expect(chips.get_by_role("listitem")).to_have_count(0)

    chooser_input.set_input_files(files=[file("photo.png", png_bytes())])
    expect(chips.get_by_role("button", name="Remove")).to_be_visible()
    assert Attachment.objects.count() == 1
    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        chips.get_by_role("button", name="Remove").click()
    assert deleted.value.status == 204
    assert Attachment.objects.count() == 0
    page.get_by_role("textbox", name="Reply").fill("No file after all")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("log", name="Transcript")).to_contain_text("No file after all")
    assert Message.objects.filter(sender="agent").count() == 1
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_chips_emoji_picker_and_viewer_pass_an_accessibility_audit(
    browser: Browser, server: DaphneServer, conversation: Conversation, color_scheme: str
) -> None:
    # axe-core is injected, which the dashboard's CSP would refuse (as it should).
    context = browser.new_context(
        viewport=LAPTOP, color_scheme="dark" if color_scheme == "dark" else "light", bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(SLOW)
    page.goto(f"{server.url}/conversations/files-0001/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body")).to_have_attribute("data-connection", "online")
    page.locator("[data-attach-input]").set_input_files(
        files=[file("photo.png", png_bytes()), file("page.png", HTML)]
    )
    chips = page.get_by_role("list", name="Files to send")
    expect(chips.get_by_role("button", name="Remove")).to_be_visible()
    expect(chips.get_by_role("button", name="Dismiss")).to_be_visible()
    page.get_by_role("button", name="Emoji").click()
    expect(page.get_by_role("group", name="Emoji")).to_be_visible()
    assert serious_violations(page) == [], "composer"

    page.keyboard.press("Escape")
    expect(page.get_by_role("group", name="Emoji")).to_be_hidden()
    expect(page.get_by_role("button", name="Emoji")).to_be_focused()
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_role("log", name="Transcript").get_by_role("link", name="photo.png").click()
    expect(page.get_by_role("dialog", name="photo.png")).to_be_visible()
    assert serious_violations(page) == [], "image viewer"
    context.close()
