"""The visitor's socket: ``ws/chat/visitor/<conversation_id>/`` (JSON frames).

See docs/protocol.md. A new conversation id may be opened by anyone (the seed tutorial's
client does exactly that); an existing one only with its visitor's token, presented in
the first frame so it stays out of access logs.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar
from urllib.parse import parse_qs

from django.conf import settings

from chat import groups, selectors, services
from chat.broadcast import VisitorFrameEvent
from chat.consumers import batched
from chat.consumers.base import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_HELLO_TIMEOUT,
    CLOSE_NOT_FOUND,
    CLOSE_TOO_MANY,
    CLOSE_UNAUTHORIZED,
    ChatSocket,
    Throttle,
    db,
)
from chat.events import message_payload
from chat.models import Conversation, Message, Site, Visitor
from chat.security import scope_origin
from chat.services import ChatError, ChatRefusal, MessagePost, VisitorSession
from chat.tokens import visitor_token_issue


class VisitorConsumer(ChatSocket):
    handlers: ClassVar[dict[str, str]] = {
        "hello": "on_hello",
        "chat.message": "on_message",
        "typing": "on_typing",
        "identify": "on_identify",
        "read": "on_read",
        "rate": "on_rate",
        "page": "on_page",
    }
    # One page report a second per socket; the others are ignored (created on first use).
    page_throttle: Throttle | None = None
    # Set in connect; defined here too, for a teardown after a failure before it.
    hello_timer: asyncio.TimerHandle | None = None
    ip: str | None = None

    async def connect(self) -> None:
        self.public_id: str = self.scope["url_route"]["kwargs"]["conversation_id"]
        self.site: Site | None = None
        self.visitor: Visitor | None = None
        self.conversation: Conversation | None = None
        self.greeted = False
        self.attached = False
        # Messages up to ``delivered`` have all been sent (or the client had them).
        self.delivered = 0
        self.sent_ids: set[int] = set()
        self.context: dict[str, str] = {}
        self.hello_timer = None
        client = self.scope.get("client") or ("unknown", 0)
        self.ip: str | None = None
        self.spoke = False
        try:
            services.check_public_id(self.public_id)
        except ChatError:
            await self.refuse(CLOSE_BAD_REQUEST)
            return
        if not self.keeper.visitor_ip_take(str(client[0])):
            await self.refuse(CLOSE_TOO_MANY)
            return
        self.ip = str(client[0])
        # Accepted before any database work: in a reconnect storm the handshake must not
        # wait behind the queue (daphne drops handshakes that take over 5 s). Refusals
        # below are closes with a code, as ever.
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        key = (query.get("site") or [settings.CHAT_DEFAULT_SITE])[0]
        # One hop for the site and the conversation, shared with sockets opening meanwhile.
        self.site, self.conversation = await batched.targets((key, self.public_id))
        if self.site is None:
            await self.close_with(CLOSE_NOT_FOUND)
            return
        if not selectors.site_origin_allowed(site=self.site, origin=scope_origin(self.scope)):
            await self.close_with(CLOSE_FORBIDDEN)
            return
        # A timer, not a sleeping task per socket: thousands of sockets idle in it.
        self.hello_timer = asyncio.get_running_loop().call_later(
            settings.CHAT_AUTH_TIMEOUT_SECONDS
            if self.conversation is not None
            else settings.CHAT_HELLO_TIMEOUT_SECONDS,
            self._hello_due,
        )

    async def close_with(self, code: int) -> None:
        await self.close(code=code)
        self.closed = True

    def heard(self) -> None:
        """A frame arrived: the socket is not silent. Its database work may still be
        queued (a storm): that is the server's delay, not the client's silence."""
        self.spoke = True
        if self.hello_timer is not None:
            self.hello_timer.cancel()
            self.hello_timer = None

    def _hello_due(self) -> None:
        """A socket that says nothing holds resources for nothing: close it. An existing
        conversation must be claimed by its token soon; a new one (the seed client does
        not say hello, it sends its first message) gets longer."""
        self.hello_timer = None
        if not self.spoke and not self.closed:
            self.silence = asyncio.create_task(self._close_silent())

    async def _close_silent(self) -> None:
        if self.conversation is not None:
            await self.deny(
                "auth_required", "This conversation needs its visitor token.", CLOSE_UNAUTHORIZED
            )
        else:
            await self.deny("hello_timeout", "Say hello first.", CLOSE_HELLO_TIMEOUT)

    def teardown(self) -> None:
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        if self.ip is not None:
            self.keeper.visitor_ip_release(self.ip)
            self.ip = None

    def cursor(self) -> tuple[int, int, bool] | None:
        if not self.attached or self.conversation is None:
            return None
        return (self.conversation.pk, self.delivered, False)

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def refusal(self, exc: ChatRefusal) -> None:
        close = CLOSE_TOO_MANY if exc.code == "rate_limited" else CLOSE_FORBIDDEN
        await self.deny(exc.code, exc.message, close)

    # --- inbound ----------------------------------------------------------------------

    async def on_hello(self, content: dict[str, Any]) -> None:
        assert self.site is not None
        self.heard()
        if self.greeted:
            raise ChatError("already_attached", "This socket has already said hello.")
        # What the client already has (it said so): never sent again.
        self.delivered = services.check_message_id(content.get("last_seen_id", 0))
        self.context = services.check_visitor_context(content)
        try:
            session = await batched.hellos(
                services.Hello(
                    site=self.site,
                    conversation=self.conversation,
                    token=content.get("token"),
                    context=self.context,
                    ip=self.ip or "unknown",
                    channel_name=self.channel_name,
                )
            )
        except ChatRefusal as exc:
            await self.refusal(exc)
            return
        self.greeted = True
        self.visitor = session.visitor
        if session.conversation is not None:
            await self.attached_to(session)
        else:
            # Not attached yet, but the widget shows whether anyone is there.
            await self.join(groups.site_visitors_group(self.site.pk))
            await self.send_session(session, status=None)

    async def on_message(self, content: dict[str, Any]) -> None:
        self.heard()
        if not self.attached:
            # The first message creates the conversation with it; attaching sends it back.
            await self.open_conversation(
                first_message=content.get("message"),
                client_id=content.get("client_id", ""),
                attachments=content.get("attachments"),
            )
            return
        assert self.conversation is not None
        result = await batched.messages(
            MessagePost(
                conversation_id=self.conversation.pk,
                sender=Message.Sender.VISITOR,
                body=content.get("message"),
                client_id=content.get("client_id", ""),
                attachments=content.get("attachments"),
            )
        )
        if not result.created:
            # A retry: the sender gets the stored original back, nobody else hears of it.
            await self.send_json(message_payload(result.message))

    async def on_typing(self, content: dict[str, Any]) -> None:
        if not self.attached or self.conversation is None or not self.typing.allow():
            return
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
            channel_name=self.channel_name if self.attached else None,
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
                "token": self.token(),
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
            conversation_id=self.conversation.pk,
            rating=content.get("rating"),
            comment=content.get("comment"),
        )

    async def on_page(self, content: dict[str, Any]) -> None:
        """The page the visitor is on (on load and on navigation): the visitor panel."""
        if self.visitor is None:
            raise ChatError("hello_first", "Say hello before reporting pages.")
        # Checked before the throttle: bad input always hears why.
        url, title = services.check_page(url=content.get("url"), title=content.get("title"))
        if self.page_throttle is None:
            self.page_throttle = Throttle(1.0)
        if not self.page_throttle.allow():
            return
        await db(services.visitor_page_record)(visitor_id=self.visitor.pk, url=url, title=title)

    # --- attaching ----------------------------------------------------------------------

    def token(self) -> str | None:
        if self.visitor is None or self.site is None:
            return None
        return visitor_token_issue(site_id=self.site.pk, visitor_id=self.visitor.pk)

    async def open_conversation(
        self, *, first_message: object, client_id: object, attachments: object = None
    ) -> None:
        """Create this socket's conversation with its first message, then attach."""
        assert self.site is not None
        if self.conversation is not None:
            await self.deny(
                "auth_required", "This conversation needs its visitor token.", CLOSE_UNAUTHORIZED
            )
            return
        try:
            conversation = await db(services.conversation_start)(
                site=self.site,
                public_id=self.public_id,
                visitor=self.visitor,
                context=self.context,
                ip=self.ip or "unknown",
                first_message=first_message,
                client_id=client_id,
                channel_name=self.channel_name,
                attachments=attachments,
            )
        except ChatError as exc:
            if exc.code == "conversation_taken":
                await self.deny(exc.code, exc.message, CLOSE_FORBIDDEN)
                return
            raise
        session = await db(services.visitor_attach)(
            channel_name=self.channel_name, conversation=conversation, lease_taken=True
        )
        await self.attached_to(session)

    async def attached_to(self, session: VisitorSession) -> None:
        """Join the conversation's groups, then send its state and everything unseen.

        Joining first and skipping live frames whose id was already sent means nothing
        falls between the backlog query and the live stream, and nothing arrives twice.
        """
        assert session.conversation is not None and session.visitor is not None
        conversation = session.conversation
        self.visitor = session.visitor
        self.conversation = conversation
        self.attached = True
        self.holds_lease = True
        await self.join(
            groups.conversation_visitor_group(conversation.pk),
            groups.site_visitors_group(conversation.site_id),
        )
        await self.send_session(session, status=session.status)
        # The status frame too is read after joining: an assignment committed between
        # the attach and the join would otherwise never reach this socket.
        await self.send_backlog(with_status=True)

    async def send_session(self, session: VisitorSession, *, status: dict[str, Any] | None) -> None:
        await self.send_json(
            {
                "type": "session",
                "conversation_id": self.public_id,
                "agents_online": session.agents_online,
                "token": self.token(),
                "status": status["status"] if status else None,
            }
        )

    async def resync(self) -> None:
        """The conversation's status, then every message after the last one in order."""
        if not self.attached or self.conversation is None:
            return
        await self.send_backlog(with_status=True)

    async def send_backlog(self, *, with_status: bool = False) -> None:
        """Every message after the last one delivered in order, oldest first; with the
        conversation's status frame first if asked."""
        assert self.conversation is not None
        while True:  # page through: a long absence may have left more than one page
            status, page = await batched.backlogs(
                (self.conversation.pk, self.delivered, with_status)
            )
            if status is not None:
                await self.send_json(status)
            with_status = False
            for payload in page:
                await self.send_message(payload, in_order=True)
            if len(page) < selectors.TRANSCRIPT_WINDOW:
                break

    # --- group handlers -------------------------------------------------------------

    async def visitor_frame(self, event: VisitorFrameEvent) -> None:
        if event.get("skip") == self.channel_name:
            return
        message_id = event.get("message_id")
        if message_id is None:
            await self.send_json(event["payload"])
            return
        prev_id = event.get("prev_id")
        if prev_id is not None and prev_id > self.delivered:
            # A message before this one never reached us (a full channel, an outage, two
            # processes' broadcasts out of order). It is committed: read it, and this one.
            await self.send_backlog()
            return
        await self.send_message(event["payload"], in_order=prev_id is not None)

    async def send_message(self, payload: dict[str, Any], *, in_order: bool) -> None:
        """Each message once per socket, even if the backlog and the live stream both
        bring it. ``in_order``: every earlier message has been delivered."""
        message_id = payload["id"]
        if message_id <= self.delivered:
            return
        if in_order:
            # Even for one already sent out of order: the cursor must pass it, or a page
            # of such messages would be fetched again and again.
            self.delivered = message_id
        if message_id in self.sent_ids:
            return
        self.sent_ids.add(message_id)
        await self.send_json(payload)
