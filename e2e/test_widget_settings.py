"""Site owners' settings and visitors' languages, in real Chromium against a real daphne.

Host pages are on other origins than the server (the demo shop on localhost, small pages
of their own), as a customer's site is.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from chat.models import Agent, Site
from e2e.server import DaphneServer
from e2e.test_widget import Browsers, browsers, demo, open_chat, say, shop_url

__all__ = ["browsers", "demo"]  # fixtures, used by name

HostPage = Callable[[str], str]


@pytest.fixture
def host_page(server: DaphneServer) -> Iterator[HostPage]:
    """Serve a page embedding the widget of a site key on a new origin; returns its URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(key: str) -> str:
        html = (
            '<!doctype html><html lang="en"><head><title>Another shop</title></head>'
            "<body><h1>Another shop</h1>"
            f'<script src="{server.url}/static/chat/widget.js" data-site="{key}" defer></script>'
            "</body></html>"
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://localhost:{httpd.server_address[1]}"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def site_admin(demo: Site) -> Agent:
    """Alice, staff: she may change the sites she serves."""
    alice = Agent.objects.select_related("user").get()
    alice.user.is_staff = True
    alice.user.save()
    return alice


def test_a_german_browser_gets_a_german_widget_on_a_site_that_follows_the_browser(
    browsers: Browsers, server: DaphneServer, demo: Site
) -> None:
    assert demo.language == "auto"
    page = browsers.page(locale="de-DE")
    page.goto(shop_url(server))
    launcher = page.get_by_role("button", name="Chat öffnen")
    expect(launcher).to_be_visible()
    launcher.click()
    dialog = page.get_by_role("dialog", name="Chat")
    expect(dialog).to_contain_text("Hallo! Wie können wir helfen?")  # the stock greeting
    expect(dialog).to_contain_text("Wir sind gerade nicht da")  # nobody online
    box = dialog.get_by_role("textbox", name="Nachricht")
    expect(box).to_have_attribute("placeholder", "Nachricht schreiben…")
    box.fill("Haben Sie diese Socken in Blau?")
    box.press("Enter")
    sent = dialog.get_by_role("log", name="Nachrichten").locator(".m").first
    # A timestamp, then the state, in German.
    expect(sent).to_contain_text(re.compile(r"\d{2}:\d{2} · Gesendet"))
    expect(dialog.get_by_role("button", name="Chat schließen")).to_be_visible()
    assert page.locator("parley-chat .w").get_attribute("lang") == "de"

    # The same site, an English browser: English (and a language we lack falls back to it).
    for locale, name in [("en-GB", "Open chat"), ("ja-JP", "Open chat")]:
        other = browsers.page(locale=locale)
        other.goto(shop_url(server))
        expect(other.get_by_role("button", name=name)).to_be_visible()


def test_arabic_lays_out_right_to_left(
    browsers: Browsers, server: DaphneServer, demo: Site
) -> None:
    demo.language = "ar"  # fixed by the site, whatever the browser says
    demo.save()
    page = browsers.page(locale="en-US")
    page.goto(shop_url(server))
    launcher = page.get_by_role("button", name="افتح المحادثة")
    expect(launcher).to_be_visible()
    launcher.click()
    dialog = page.get_by_role("dialog", name="المحادثة")
    expect(dialog).to_be_visible()
    wrap = page.locator("parley-chat .w")
    assert wrap.get_attribute("dir") == "rtl" and wrap.get_attribute("lang") == "ar"
    assert dialog.evaluate("el => getComputedStyle(el).direction") == "rtl"
    box = dialog.get_by_role("textbox", name="الرسالة")
    box.fill("مرحبا")
    box.press("Enter")
    mine = dialog.get_by_role("log").locator(".m").first
    expect(mine).to_contain_text("أُرسلت")
    # The visitor's own bubble sits at the end of the line: on the left, right to left.
    panel, bubble = dialog.bounding_box(), mine.bounding_box()
    assert panel is not None and bubble is not None
    assert bubble["x"] - panel["x"] < 40
    assert bubble["x"] + bubble["width"] < panel["x"] + panel["width"] - 40


def test_left_position_custom_colour_and_greeting_on_another_origin(
    browsers: Browsers, server: DaphneServer, demo: Site, host_page: HostPage
) -> None:
    origin = host_page("demo")
    demo.allowed_origins = origin
    demo.position = "left"
    demo.accent_color = "#e11d48"
    demo.greeting = "Welcome to Acme! Ask us about socks."
    demo.launcher_label = "Chat with us"
    demo.reply_time = "Usually replies within an hour"
    demo.save()
    page = browsers.page()
    page.goto(origin + "/")
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_be_visible()
    box = launcher.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert box["x"] == 20 and box["width"] > 56  # a pill with its label, on the left
    assert viewport["height"] - 40 <= box["y"] + box["height"] <= viewport["height"] - 20
    assert launcher.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(225, 29, 72)"
    launcher.click()
    dialog = page.get_by_role("dialog", name="Chat")
    expect(dialog).to_contain_text("Welcome to Acme! Ask us about socks.")
    expect(dialog).to_contain_text("Usually replies within an hour")
    expect(dialog.locator(".tm span")).to_have_text(["AL"])  # Alice's initials
    panel = dialog.bounding_box()
    assert panel is not None and panel["x"] == 20
    header = dialog.locator(".h")
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(225, 29, 72)"


def test_the_install_page_reports_where_the_widget_was_seen_and_refused(
    browsers: Browsers, server: DaphneServer, site_admin: Agent, host_page: HostPage
) -> None:
    shop = browsers.shop()  # http://localhost:<server port>, an allowed origin
    expect(shop.get_by_role("button", name="Open chat")).to_be_visible()
    stranger = host_page("demo")  # not allowed: the widget stays hidden there
    refused = browsers.page()
    with refused.expect_response(re.compile(r"/config\.json")) as answer:
        refused.goto(stranger + "/")
    assert answer.value.status == 403

    alice = browsers.agent("alice")
    alice.get_by_role("link", name="Install").click()
    status = alice.get_by_role("list", name="Install status of Acme Socks")
    expect(status).to_contain_text(
        re.compile(rf"widget seen on http://localhost:{server.port} at \d{{2}}:\d{{2}}")
    )
    expect(status).to_contain_text(f"refused from {stranger} (not an allowed origin)")
    snippet = alice.get_by_label("Snippet for Acme Socks")
    expect(snippet).to_have_value(re.compile(r'data-site="demo"'))
    alice.get_by_role("button", name="Copy").click()
    expect(alice.get_by_role("button", name="Copied")).to_be_visible()

    alice.get_by_role("button", name=f"Allow {stranger}").click()
    flash = alice.get_by_role("status").filter(has_text="may now embed")
    expect(flash).to_have_text(f"{stranger} may now embed the widget of Acme Socks.")
    expect(status).to_contain_text(f"{stranger}: not seen yet")
    assert stranger in Site.objects.get(widget_key="demo").origin_list
    refused.reload()
    expect(refused.get_by_role("button", name="Open chat")).to_be_visible()
    alice.reload()
    expect(status).to_contain_text(f"widget seen on {stranger} at")


def test_settings_refuse_invalid_origins_clearly_and_preview_unsaved_changes(
    browsers: Browsers, server: DaphneServer, site_admin: Agent
) -> None:
    alice = browsers.agent("alice")
    alice.get_by_role("link", name="Install").click()
    alice.get_by_role("link", name="Settings of Acme Socks").click()
    expect(alice.get_by_role("heading", name="Settings of Acme Socks")).to_be_visible()

    # The preview is the real widget, drawn with what is in the form, before saving.
    preview = alice.frame_locator("iframe[title='Widget preview']")
    expect(preview.get_by_role("dialog", name="Chat")).to_contain_text("Hi! How can we help?")
    alice.get_by_label("Greeting").fill("Good morning, sock lovers")
    alice.get_by_label("Accent colour").fill("#0f766e")
    expect(preview.get_by_role("dialog", name="Chat")).to_contain_text("Good morning, sock lovers")
    header = preview.locator(".h")
    expect(header).to_have_css("background-color", "rgb(15, 118, 110)")
    alice.get_by_label("Preview in").select_option("ar")
    expect(preview.get_by_role("dialog", name="المحادثة")).to_be_visible()

    origins = alice.get_by_label("Allowed origins")
    origins.fill(f"http://localhost:{server.port}\nlocalhost:8791/shop\nhttps://*.example.com")
    alice.get_by_role("button", name="Save settings").click()
    expect(alice.get_by_role("alert")).to_contain_text("The settings were not saved")
    expect(origins).to_have_attribute("aria-invalid", "true")
    errors = alice.locator("#id_allowed_origins_error")
    expect(errors).to_contain_text(
        'Line 2, "localhost:8791/shop": must start with http:// or https://'
    )
    expect(errors).to_contain_text(
        'Line 3, "https://*.example.com": wildcards are not supported; list each origin'
    )
    site = Site.objects.get(widget_key="demo")
    assert site.origin_list == [f"http://localhost:{server.port}"]
    assert site.greeting == "Hi! How can we help?"  # nothing saved

    origins.fill(f"http://localhost:{server.port}/\nHTTPS://Shop.Example")
    alice.get_by_role("button", name="Save settings").click()
    expect(alice.get_by_role("status").filter(has_text="Settings saved.")).to_be_visible()
    site.refresh_from_db()
    assert site.origin_list == [f"http://localhost:{server.port}", "https://shop.example"]
    assert site.greeting == "Good morning, sock lovers" and site.accent_color == "#0f766e"


def test_only_admins_reach_the_settings(
    browsers: Browsers, server: DaphneServer, demo: Site
) -> None:
    alice = browsers.agent("alice")  # an agent, not staff
    response = alice.goto(f"{server.url}/sites/{demo.pk}/settings/")
    assert response is not None and response.status == 403
    expect(alice.get_by_role("heading")).to_have_text("Only an administrator can change this site")


def test_sound_and_unread_count_on_a_reply_while_closed_and_the_ended_state(
    browsers: Browsers, server: DaphneServer, demo: Site
) -> None:
    page = browsers.page()
    page.add_init_script("window.__sounds = 0; window.Parley = [['on', 'sound', () => __sounds++]]")
    page.goto(shop_url(server))
    dialog = open_chat(page)
    expect(say(dialog, "Is anyone there?")).to_contain_text("Sent")
    dialog.get_by_role("button", name="Close chat").click()
    alice = browsers.agent("alice")
    alice.get_by_role("list", name="Waiting conversations").get_by_role("link").first.click()
    alice.get_by_role("button", name="Claim").click()
    reply = alice.get_by_role("textbox", name="Reply")
    reply.fill("Yes, hello!")
    reply.press("Enter")
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_have_accessible_description("1 unread")
    assert page.evaluate("() => window.__sounds") == 1

    page.evaluate("() => Parley.sound(false)")  # the page can turn it off
    # The composer is cleared when the reply comes back stored: type the next one after.
    expect(alice.get_by_role("log", name="Transcript")).to_contain_text("Yes, hello!")
    expect(reply).to_have_value("")
    reply.fill("Still there?")
    reply.press("Enter")
    expect(launcher).to_have_accessible_description("2 unread")
    assert page.evaluate("() => window.__sounds") == 1

    dialog = open_chat(page)
    agent_line = dialog.get_by_role("log").locator(".m.agent").first
    expect(agent_line).to_contain_text(re.compile(r"Alice · \d{2}:\d{2}"))
    alice.get_by_role("button", name="Resolve").click()
    expect(dialog.get_by_text("Conversation ended")).to_be_visible()
    expect(dialog.get_by_text("This conversation has ended.")).to_be_in_viewport()
    expect(dialog.get_by_role("button", name="Rate 4 of 5")).to_be_in_viewport()
    # The transcript stays readable above it.
    expect(dialog.get_by_role("log").get_by_text("Yes, hello!")).to_be_visible()
