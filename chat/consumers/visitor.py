"""The visitor's socket: ``ws/chat/visitor/<conversation_id>/`` (JSON frames).

See docs/protocol.md. A new conversation id may be opened by anyone (the seed tutorial's
client does exactly that); an existing one only with its visitor's token, presented in
the first frame so it stays out of access logs.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, ClassVar
from urllib.parse import parse_qs

from django.conf import settings

from chat import groups, selectors, services
from chat.consumers.base import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHORIZED,
    ChatSocket,
    db,
)
from chat.events import message_payload, status_payload
from chat.models import Conversation, Message, Site, Visitor
from chat.security import scope_origin
from chat.services import ChatError
from chat.tokens import visitor_token_issue, visitor_token_verify


@db
def _load_site(key: str) -> Site | None:
    return selectors.site_by_widget_key(key=key)


@db
def _load_conversation(public_id: str) -> Conversation | None:
    return (
        Conversation.objects.filter(public_id=public_id)
        .select_related("visitor", "site", "assignee__user")
        .first()
    )


@db
def _load_visitor(visitor_id: uuid.UUID, site: Site) -> Visitor | None:
    return Visitor.objects.filter(pk=visitor_id, site=site).select_related("site").first()


@db
def _backlog(conversation_id: int, after_id: int) -> list[dict[str, Any]]:
    rows = selectors.messages_after(
        conversation_id=conversation_id, after_id=after_id, include_notes=False
    )
    return [message_payload(m) for m in rows]


@db
def _status(conversation_id: int) -> tuple[dict[str, Any], bool]:
    conversation = Conversation.objects.select_related("assignee__user").get(pk=conversation_id)
    return status_payload(conversation), selectors.site_has_online_agent(
        site_id=conversation.site_id
    )


class VisitorConsumer(ChatSocket):
    handlers: ClassVar[dict[str, str]] = {
        "hello": "on_hello",
        "chat.message": "on_message",
        "typing": "on_typing",
        "identify": "on_identify",
        "read": "on_read",
        "rate": "on_rate",
    }

    async def connect(self) -> None:
        self.public_id: str = self.scope["url_route"]["kwargs"]["conversation_id"]
        self.site: Site | None = None
        self.visitor: Visitor | None = None
        self.conversation: Conversation | None = None
        self.attached = False
        self.last_sent_id = 0
        self.sent_ids: set[int] = set()
        self.initial_seen = 0
        self.last_typing = 0.0
        self.context: dict[str, str] = {}
        self.auth_timer: asyncio.Task[None] | None = None
        try:
            services.check_public_id(self.public_id)
        except ChatError:
            await self.refuse(CLOSE_BAD_REQUEST)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        key = (query.get("site") or [settings.CHAT_DEFAULT_SITE])[0]
        self.site = await _load_site(key)
        if self.site is None:
            await self.refuse(CLOSE_NOT_FOUND)
            return
        if not selectors.site_origin_allowed(site=self.site, origin=scope_origin(self.scope)):
            await self.refuse(CLOSE_FORBIDDEN)
            return
        await self.accept()
        self.conversation = await _load_conversation(self.public_id)
        if self.conversation is not None:
            self.auth_timer = asyncio.create_task(self._expect_hello())

    async def _expect_hello(self) -> None:
        await asyncio.sleep(settings.CHAT_AUTH_TIMEOUT_SECONDS)
        if not self.attached and not self.closed:
            await self.send_error("auth_required", "This conversation needs its visitor token.")
            await self.close(code=CLOSE_UNAUTHORIZED)

    async def disconnect(self, code: int) -> None:
        if self.auth_timer is not None:
            self.auth_timer.cancel()
        try:
            if self.attached and self.visitor is not None and self.conversation is not None:
                await db(services.visitor_presence)(
                    visitor_id=self.visitor.pk, conversation_id=self.conversation.pk, delta=-1
                )
        finally:
            await super().disconnect(code)

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def deny(self, code: str, message: str, close_code: int) -> None:
        await self.send_error(code, message)
        await self.close(code=close_code)
        self.closed = True

    # --- inbound ----------------------------------------------------------------------

    async def on_hello(self, content: dict[str, Any]) -> None:
        assert self.site is not None
        if self.attached:
            raise ChatError("already_attached", "This socket has already said hello.")
        self.last_sent_id = services.check_message_id(content.get("last_seen_id", 0))
        # What the client already has (it said so): never sent again.
        self.initial_seen = self.last_sent_id
        self.context = services.check_visitor_context(content)
        token = content.get("token")
        if token:
            visitor_id = visitor_token_verify(token=str(token), site_id=self.site.pk)
            self.visitor = await _load_visitor(visitor_id, self.site) if visitor_id else None
            if self.visitor is None:
                if self.conversation is not None:
                    await self.deny(
                        "invalid_token", "That visitor token is not valid here.", CLOSE_FORBIDDEN
                    )
                    return
                raise ChatError(
                    "invalid_token", "That visitor token is not valid here; starting afresh."
                )
        if self.conversation is not None and (
            self.visitor is None or self.conversation.visitor_id != self.visitor.pk
        ):
            await self.deny(
                "forbidden", "This conversation belongs to someone else.", CLOSE_FORBIDDEN
            )
            return
        if self.visitor is not None and self.context:
            await db(services.visitor_context_update)(visitor=self.visitor, context=self.context)
        if self.conversation is not None:
            await self.attach(self.conversation)
        else:
            if self.visitor is None:
                # The token comes now, before the first message: if the socket drops right
                # after that message, the visitor can still come back to the conversation.
                self.visitor = await db(services.visitor_create)(
                    site=self.site, context=self.context
                )
            online = await db(selectors.site_has_online_agent)(site_id=self.site.pk)
            await self.send_json(
                {
                    "type": "session",
                    "conversation_id": self.public_id,
                    "agents_online": online,
                    "token": await self.token(),
                    "status": None,
                }
            )

    async def on_message(self, content: dict[str, Any]) -> None:
        if not self.attached:
            # The first message creates the conversation with it; attaching sends it back.
            await self.open_conversation(
                first_message=content.get("message"), client_id=content.get("client_id", "")
            )
            return
        assert self.conversation is not None
        result = await db(services.message_post)(
            conversation_id=self.conversation.pk,
            sender=Message.Sender.VISITOR,
            body=content.get("message"),
            client_id=content.get("client_id", ""),
        )
        if not result.created:
            # A retry: the sender gets the stored original back, nobody else hears of it.
            await self.send_json(message_payload(result.message))

    async def on_typing(self, content: dict[str, Any]) -> None:
        if not self.attached or self.conversation is None:
            return
        now = time.monotonic()
        if now - self.last_typing < settings.CHAT_TYPING_MIN_INTERVAL:
            return
        self.last_typing = now
        await db(services.typing_notify)(
            conversation=self.conversation,
            sender=Message.Sender.VISITOR,
            agent=None,
            skip=self.channel_name,
        )

    async def on_identify(self, content: dict[str, Any]) -> None:
        assert self.site is not None
        if self.conversation is not None and not self.attached:
            raise ChatError("auth_required", "Say hello with your visitor token first.")
        if self.visitor is None:
            self.visitor = await db(services.visitor_create)(site=self.site, context=self.context)
        previous = self.visitor.pk
        self.visitor = await db(services.visitor_identify)(
            conversation_id=self.conversation.pk if self.attached and self.conversation else None,
            visitor=self.visitor,
            payload=content,
        )
        history = None
        if self.visitor.pk != previous and not self.attached:
            # A verified user seen before: their latest conversation follows them here.
            latest = await db(selectors.visitor_latest_conversation)(visitor=self.visitor)
            history = latest.public_id if latest is not None else None
        await self.send_json(
            {
                "type": "identified",
                "name": self.visitor.name,
                "email": self.visitor.email,
                "verified": self.visitor.is_verified,
                "token": await self.token(),
                "conversation_id": history,
            }
        )

    async def on_read(self, content: dict[str, Any]) -> None:
        if not self.attached or self.conversation is None:
            raise ChatError("no_conversation", "Nothing to mark read yet.")
        await db(services.visitor_mark_read)(
            conversation_id=self.conversation.pk, last_seen_id=content.get("last_seen_id")
        )

    async def on_rate(self, content: dict[str, Any]) -> None:
        if not self.attached or self.conversation is None:
            raise ChatError("no_conversation", "Nothing to rate yet.")
        await db(services.conversation_rate)(
            conversation_id=self.conversation.pk, rating=content.get("rating")
        )

    # --- attaching ----------------------------------------------------------------------

    async def token(self) -> str | None:
        if self.visitor is None or self.site is None:
            return None
        return visitor_token_issue(site_id=self.site.pk, visitor_id=self.visitor.pk)

    async def open_conversation(self, *, first_message: object, client_id: object) -> None:
        """Attach to this socket's conversation, creating it if it does not exist yet."""
        assert self.site is not None
        if self.conversation is not None:
            await self.deny(
                "auth_required", "This conversation needs its visitor token.", CLOSE_UNAUTHORIZED
            )
            return
        client = self.scope.get("client") or ("unknown", 0)
        try:
            conversation = await db(services.conversation_start)(
                site=self.site,
                public_id=self.public_id,
                visitor=self.visitor,
                context=self.context,
                ip=str(client[0]),
                first_message=first_message,
                client_id=client_id,
            )
        except ChatError as exc:
            if exc.code == "conversation_taken":
                await self.deny(exc.code, exc.message, CLOSE_FORBIDDEN)
                return
            raise
        self.visitor = conversation.visitor
        await self.attach(conversation)

    async def attach(self, conversation: Conversation) -> None:
        """Join the conversation's groups, then send its state and everything unseen.

        Joining first and skipping live frames whose id was already sent means nothing
        falls between the backlog query and the live stream, and nothing arrives twice.
        """
        assert self.visitor is not None
        if self.auth_timer is not None:
            self.auth_timer.cancel()
        self.conversation = conversation
        self.attached = True
        await self.join(
            groups.conversation_visitor_group(conversation.pk),
            groups.site_visitors_group(conversation.site_id),
        )
        await db(services.visitor_presence)(
            visitor_id=self.visitor.pk, conversation_id=conversation.pk, delta=1
        )
        status, online = await _status(conversation.pk)
        await self.send_json(
            {
                "type": "session",
                "conversation_id": conversation.public_id,
                "agents_online": online,
                "token": await self.token(),
                "status": status["status"],
            }
        )
        await self.send_json(status)
        await self.send_backlog()

    async def heartbeat(self) -> None:
        if self.attached and self.visitor is not None:
            await db(services.visitor_heartbeat)(visitor_id=self.visitor.pk)

    async def resync(self) -> None:
        """The conversation's status, then every message after the last one sent."""
        if not self.attached or self.conversation is None:
            return
        status, _ = await _status(self.conversation.pk)
        await self.send_json(status)
        await self.send_backlog()

    async def send_backlog(self) -> None:
        """Every message after the last one sent, oldest first."""
        assert self.conversation is not None
        after = self.last_sent_id
        while True:  # page through: a long absence may have left more than one page
            page = await _backlog(self.conversation.pk, after)
            for payload in page:
                await self.send_message(payload)
            if len(page) < selectors.TRANSCRIPT_WINDOW:
                break
            after = page[-1]["id"]

    # --- group handlers -------------------------------------------------------------

    async def visitor_frame(self, event: dict[str, Any]) -> None:
        if event.get("skip") == self.channel_name:
            return
        if event.get("message_id") is not None:
            await self.send_message(event["payload"])
        else:
            await self.send_json(event["payload"])

    async def send_message(self, payload: dict[str, Any]) -> None:
        """Each message once per socket, even if the backlog and the live stream, or two
        processes' broadcasts arriving out of order, both bring it."""
        message_id = payload["id"]
        if message_id in self.sent_ids or message_id <= self.initial_seen:
            return
        self.sent_ids.add(message_id)
        self.last_sent_id = max(self.last_sent_id, message_id)
        await self.send_json(payload)
