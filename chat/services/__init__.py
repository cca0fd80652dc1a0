"""Every write of the chat domain, one module per concern.

``check_*`` functions validate input and permissions and raise :class:`ChatError`;
the other functions mutate, under a row lock on the conversation where ordering matters,
and schedule their broadcasts with :mod:`chat.events` to run after commit. Callers use
this package's names (``from chat import services``; ``services.message_post(...)``).
"""

from __future__ import annotations

from chat.services.agents import (
    agent_availability_set,
    agent_mark_read,
    agent_sockets_close,
    agent_upsert,
    session_sockets_close,
    site_upsert,
    typing_notify,
)
from chat.services.checks import (
    VISITOR_CONTEXT_FIELDS,
    ChatError,
    check_agent_serves,
    check_body,
    check_client_id,
    check_message_id,
    check_new_conversation_allowed,
    check_public_id,
    check_visitor_context,
)
from chat.services.messages import PostResult, conversation_start, message_post
from chat.services.routing import (
    agent_release,
    conversation_claim,
    conversation_rate,
    conversation_reopen,
    conversation_resolve,
    conversation_transfer,
)
from chat.services.visitors import (
    visitor_context_update,
    visitor_create,
    visitor_heartbeat,
    visitor_identify,
    visitor_mark_read,
    visitor_presence,
)

__all__ = [
    "VISITOR_CONTEXT_FIELDS",
    "ChatError",
    "PostResult",
    "agent_availability_set",
    "agent_mark_read",
    "agent_release",
    "agent_sockets_close",
    "agent_upsert",
    "check_agent_serves",
    "check_body",
    "check_client_id",
    "check_message_id",
    "check_new_conversation_allowed",
    "check_public_id",
    "check_visitor_context",
    "conversation_claim",
    "conversation_rate",
    "conversation_reopen",
    "conversation_resolve",
    "conversation_start",
    "conversation_transfer",
    "message_post",
    "session_sockets_close",
    "site_upsert",
    "typing_notify",
    "visitor_context_update",
    "visitor_create",
    "visitor_heartbeat",
    "visitor_identify",
    "visitor_mark_read",
    "visitor_presence",
]
