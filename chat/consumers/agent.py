"""Agent sockets, session-authenticated, speaking HTML fragments for the htmx ws extension.

- ``ws/chat/agent/<conversation_id>/``: one conversation's transcript and its actions.
- ``ws/chat/inbox/``: the dashboard's live lists (waiting pool, my conversations).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from django.utils import timezone, translation

from chat import groups, panels, selectors, services
from chat.broadcast import AgentHtmlEvent, AgentLanguageEvent, AgentViewersEvent
from chat.consumers import batched
from chat.consumers.base import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_UNAUTHORIZED, ChatSocket, db
from chat.models import Agent, Conversation, Message
from chat.servicelevels import viewing
from chat.services import ChatError, MessagePost


def form_list(value: object) -> object:
    """htmx sends a form field given once as a string, given several times as a list."""
    return [value] if isinstance(value, str) else value


class AgentSocket(ChatSocket):
    """Refuses anyone but an active agent from an allowed origin, before sending anything.

    An accepted socket holds a presence lease: the agent is available while one of
    their dashboard sockets lives (and their preference is online, and they are not idle).
    """

    agent: Agent | None = None
    holds_lease = True
    # The effective language whose groups this socket joined (chat.languages).
    language = ""

    async def authorise(self) -> Agent | None:
        if not self.scope.get("origin_allowed", False):
            await self.refuse(CLOSE_FORBIDDEN)
            return None
        agent = await db(selectors.agent_for_user)(user=self.scope.get("user"))
        if agent is None:
            await self.refuse(CLOSE_UNAUTHORIZED)
            return None
        self.agent = agent
        return agent

    async def take_lease(self) -> None:
        assert self.agent is not None
        await db(services.presence_lease_open)(
            channel_name=self.channel_name, agent_id=self.agent.pk
        )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await super().receive(text_data=text_data, bytes_data=bytes_data)
        await self.active()

    async def active(self) -> None:
        """Someone is at the dashboard. Written at most once a minute (idle auto-away)."""
        agent = self.agent
        if agent is None or self.closed:
            return
        if agent.last_active is None or timezone.now() - agent.last_active > timedelta(minutes=1):
            await db(services.agent_activity)(agent=agent)

    def control_groups(self, agent: Agent) -> list[str]:
        """Groups that can close this socket: the agent's, and its browser session's."""
        names = [groups.agent_control_group(agent.pk)]
        session = self.scope.get("session")
        if session is not None and session.session_key:
            names.append(groups.session_group(session.session_key))
        return names

    async def send_error(self, code: str, message: str) -> None:
        await self.send(
            text_data=panels.render_flash(
                code=code, message=message, language=self.language or None
            )
        )

    def error_text(self, exc: ChatError) -> str:
        with translation.override(self.language or None):
            return exc.translated()

    async def agent_html(self, event: AgentHtmlEvent) -> None:
        if event.get("skip") == self.channel_name:
            return
        await self.send(text_data=event["html"])

    def language_groups(self) -> list[str]:
        """This socket's groups that carry HTML in ``self.language``."""
        return []

    async def join_in_language(self) -> None:
        assert self.agent is not None
        self.language = self.agent.effective_language
        await self.join(*self.language_groups())

    async def agent_language(self, event: AgentLanguageEvent) -> None:
        """The agent chose another language (or their browser did): move to its groups,
        then redraw every panel in it."""
        agent = self.agent
        if agent is None or self.closed:
            return
        agent.language, agent.browser_language = event["preference"], event["browser"]
        if agent.effective_language == self.language:
            return
        for name in self.language_groups():
            await self.leave(name)
        await self.join_in_language()
        await self.resync()


class InboxConsumer(AgentSocket):
    handlers: ClassVar[dict[str, str]] = {
        "availability": "on_availability",
        "activity": "on_activity",
    }

    async def connect(self) -> None:
        agent = await self.authorise()
        if agent is None:
            return
        await self.accept()
        self.site_ids = await db(selectors.agent_site_ids)(agent=agent)
        await self.join_in_language()
        await self.join(*self.control_groups(agent))
        # Joined first, then drawn: a change in between arrives after the fresh copy.
        await self.resync()
        await self.active()
        await self.take_lease()

    def language_groups(self) -> list[str]:
        assert self.agent is not None
        language = self.language
        return [
            *(groups.site_pool_group(site_id, language=language) for site_id in self.site_ids),
            groups.agent_group(self.agent.pk, language=language),
        ]

    async def resync(self) -> None:
        assert self.agent is not None
        await self.send(text_data=await db(panels.render_inbox_panels)(agent=self.agent))

    async def on_availability(self, content: dict[str, Any]) -> None:
        assert self.agent is not None
        await db(services.agent_availability_set)(
            agent=self.agent, availability=content.get("availability")
        )

    async def on_activity(self, content: dict[str, Any]) -> None:
        """Input at the dashboard (sent at most once a minute); receive() records it."""


class AgentConversationConsumer(AgentSocket):
    handlers: ClassVar[dict[str, str]] = {
        "reply": "on_reply",
        "note": "on_note",
        "typing": "on_typing",
        "claim": "on_claim",
        "resolve": "on_resolve",
        "reopen": "on_reopen",
        "transfer": "on_transfer",
        "read": "on_read",
        "label_add": "on_label_add",
        "label_remove": "on_label_remove",
    }

    async def connect(self) -> None:
        self.drawn: set[int] = set()
        # Messages up to ``delivered`` are all on the agent's screen.
        self.delivered = 0
        agent = await self.authorise()
        if agent is None:
            return
        public_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        conversation = await db(selectors.conversation_for_agent)(agent=agent, public_id=public_id)
        if conversation is None:
            await self.refuse(CLOSE_NOT_FOUND)
            return
        self.conversation: Conversation = conversation
        await self.accept()
        await self.join_in_language()
        await self.join(*self.control_groups(agent))
        await self.resync()
        await self.take_lease()
        # After the lease: a view counts while the socket's lease lives.
        await db(viewing.conversation_view_open)(
            channel_name=self.channel_name, conversation=conversation, agent=agent
        )
        await db(services.agent_mark_read)(conversation_id=conversation.pk, agent=agent)

    def cursor(self) -> tuple[int, int, bool] | None:
        return (self.conversation.pk, self.delivered, True)

    def language_groups(self) -> list[str]:
        return [groups.conversation_agents_group(self.conversation.pk, language=self.language)]

    async def resync(self) -> None:
        """A fresh copy of every panel; live frames of messages it drew are skipped."""
        assert self.agent is not None
        html, self.drawn = await db(panels.render_conversation_panels)(
            agent=self.agent, conversation=self.conversation
        )
        self.delivered = max(self.drawn, default=0)
        await self.send(text_data=html)

    async def agent_html(self, event: AgentHtmlEvent) -> None:
        message_id = event.get("message_id")
        if message_id is not None:
            if message_id in self.drawn:
                return
            prev_id = event.get("prev_id")
            if prev_id is not None and prev_id > self.delivered:
                # A message before this one never reached us: redraw from the database.
                await self.resync()
                return
            self.drawn.add(message_id)
            if prev_id is not None:
                self.delivered = max(self.delivered, message_id)
        await super().agent_html(event)

    async def agent_viewers(self, event: AgentViewersEvent) -> None:
        """Who else has this conversation open: this agent's own copy of the list."""
        assert self.agent is not None
        html = event["html_by_agent"].get(str(self.agent.pk))
        if html is not None:
            await self.send(text_data=html)

    async def _post(self, sender: str, content: dict[str, Any]) -> None:
        assert self.agent is not None
        await batched.messages(
            MessagePost(
                conversation_id=self.conversation.pk,
                sender=sender,
                body=content.get("body"),
                client_id=content.get("client_id", ""),
                agent=self.agent,
                attachments=form_list(content.get("attachments")),
            )
        )
        # Stored (or a retry of a stored one): hand this socket a fresh, empty form.
        await self.send(
            text_data=await db(panels.render_composer)(
                agent=self.agent, conversation=self.conversation
            )
        )

    async def on_reply(self, content: dict[str, Any]) -> None:
        await self._post(Message.Sender.AGENT, content)

    async def on_note(self, content: dict[str, Any]) -> None:
        await self._post(Message.Sender.NOTE, content)

    async def on_typing(self, content: dict[str, Any]) -> None:
        if not self.typing.allow():
            return
        await db(services.typing_notify)(
            conversation=self.conversation,
            sender=Message.Sender.AGENT,
            agent=self.agent,
            skip=self.channel_name,
        )

    async def on_claim(self, content: dict[str, Any]) -> None:
        assert self.agent is not None
        await db(services.conversation_claim)(
            conversation_id=self.conversation.pk, agent=self.agent
        )

    async def on_resolve(self, content: dict[str, Any]) -> None:
        assert self.agent is not None
        await db(services.conversation_resolve)(
            conversation_id=self.conversation.pk, agent=self.agent
        )

    async def on_reopen(self, content: dict[str, Any]) -> None:
        assert self.agent is not None
        await db(services.conversation_reopen)(
            conversation_id=self.conversation.pk, agent=self.agent
        )

    async def on_transfer(self, content: dict[str, Any]) -> None:
        assert self.agent is not None
        await db(services.conversation_transfer)(
            conversation_id=self.conversation.pk,
            agent=self.agent,
            to_agent_id=content.get("agent_id"),
        )

    async def on_read(self, content: dict[str, Any]) -> None:
        assert self.agent is not None
        await db(services.agent_mark_read)(conversation_id=self.conversation.pk, agent=self.agent)

    async def on_label_add(self, content: dict[str, Any]) -> None:
        assert self.agent is not None
        await db(services.conversation_label_add)(
            conversation_id=self.conversation.pk,
            agent=self.agent,
            label_id=content.get("label_id"),
        )

    async def on_label_remove(self, content: dict[str, Any]) -> None:
        assert self.agent is not None
        await db(services.conversation_label_remove)(
            conversation_id=self.conversation.pk,
            agent=self.agent,
            label_id=content.get("label_id"),
        )


__all__ = ["AgentConversationConsumer", "InboxConsumer"]
