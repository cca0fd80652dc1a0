"""The seed tutorial's chat_client.py, taken from the tutorial text, against a real server."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from chat.models import Conversation
from chat.services import site_upsert
from e2e.server import DaphneServer

SEED_CLIENT = Path(__file__).resolve().parent / "seed_chat_client.py"


def test_seed_visitor_client_works_unchanged(server: DaphneServer, tmp_path: Path) -> None:
    site_upsert(name="Demo", key="demo", origins=[])
    source = SEED_CLIENT.read_text()
    assert '"ws://localhost:8000/ws/chat"' in source
    # Only its hard-coded address changes: the test server is not on port 8000.
    source = source.replace('"ws://localhost:8000/ws/chat"', f'"{server.ws_url}/ws/chat"')
    script = tmp_path / "chat_client.py"
    script.write_text(source)
    client = subprocess.Popen(
        [sys.executable, "-u", str(script), "--role", "visitor"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert client.stdout is not None and client.stdin is not None
        assert "connected" in client.stdout.readline()
        client.stdin.write("hi from the seed client\n")
        client.stdin.flush()
        deadline = time.monotonic() + 10
        echoed = ""
        while time.monotonic() < deadline and "hi from the seed client" not in echoed:
            echoed = client.stdout.readline()
        assert re.search(
            r"'type': 'chat.message', 'sender': 'visitor', 'message': 'hi from the seed client'",
            echoed,
        )
    finally:
        client.kill()
        client.wait(5)
    conversation = Conversation.objects.get(public_id="test_conv_id")
    assert conversation.status == "waiting" and conversation.site.widget_key == "demo"
