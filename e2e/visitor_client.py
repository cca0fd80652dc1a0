"""A scripted visitor speaking the JSON protocol over a real websocket (no browser)."""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect


class ScriptedVisitor:
    """Keeps every frame it receives; reconnects with its token and last seen id."""

    def __init__(self, ws_base: str, public_id: str, site_key: str) -> None:
        self.url = f"{ws_base}/ws/chat/visitor/{public_id}/?site={site_key}"
        self.frames: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.token: str | None = None
        self.last_id = 0
        self.ws: ClientConnection | None = None

    def open(self) -> ScriptedVisitor:
        self.ws = connect(self.url, open_timeout=10)
        if self.token:
            self.send("hello", token=self.token, last_seen_id=self.last_id)
        threading.Thread(target=self._pump, args=(self.ws,), daemon=True).start()
        return self

    def _pump(self, ws: ClientConnection) -> None:
        try:
            for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") == "session" and frame.get("token"):
                    self.token = frame["token"]
                if frame.get("type") == "chat.message":
                    self.last_id = max(self.last_id, frame["id"])
                self.frames.put(frame)
        except ConnectionClosed:
            pass

    def send(self, kind: str, **content: Any) -> None:
        assert self.ws is not None
        self.ws.send(json.dumps({"type": kind, "content": content}))

    def say(self, text: str, client_id: str | None = None) -> None:
        self.send("chat.message", message=text, **({"client_id": client_id} if client_id else {}))

    def wait_for(self, predicate: Any, timeout: float = 5) -> dict[str, Any]:
        while True:
            frame = self.frames.get(timeout=timeout)
            self.seen.append(frame)
            if predicate(frame):
                return frame

    def drain(self, timeout: float = 0.5) -> list[dict[str, Any]]:
        out = []
        try:
            while True:
                frame = self.frames.get(timeout=timeout)
                self.seen.append(frame)
                out.append(frame)
        except queue.Empty:
            return out

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
