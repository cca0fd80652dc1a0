"""Every write of the chat domain, one module per concern.

``check_*`` functions validate input and permissions and raise :class:`ChatError`;
the other functions mutate, under a row lock on the conversation where ordering matters,
and schedule their broadcasts with :mod:`chat.events` to run after commit. Callers use
this package's names (``from chat import services``; ``services.message_post(...)``).
"""

from __future__ import annotations

from chat.services.agents import (
    agent_availability_set,
    agent_browser_language_record,
    agent_mark_read,
    agent_profile_update,
    agent_sockets_close,
    agent_upsert,
    session_sockets_close,
    site_languages_update,
    site_upsert,
    typing_notify,
)
from chat.services.canned import (
    canned_create,
    canned_delete,
    canned_update,
    check_personal_canned,
    personal_canned_create,
    personal_canned_delete,
    personal_canned_update,
)
from chat.services.checks import (
    VISITOR_CONTEXT_FIELDS,
    ChatError,
    ChatRefusal,
    check_agent_serves,
    check_body,
    check_client_id,
    check_message_id,
    check_new_conversation_allowed,
    check_new_visitor_allowed,
    check_public_id,
    check_visitor_context,
)
from chat.services.labels import (
    conversation_label_add,
    conversation_label_remove,
    label_create,
    label_delete,
    label_update,
)
from chat.services.messages import (
    MessagePost,
    PostResult,
    conversation_start,
    message_post,
    messages_post,
)
from chat.services.presence import (
    agent_activity,
    agent_presence_refresh,
    presence_lease_open,
    presence_leases_release,
    presence_leases_renew,
    presence_sweep,
    visitor_presence_refresh,
)
from chat.services.routing import (
    agent_release,
    conversation_claim,
    conversation_rate,
    conversation_reopen,
    conversation_resolve,
    conversation_transfer,
)
from chat.services.team import Invitation, agent_invite
from chat.services.visitor_context import check_page, visitor_page_record
from chat.services.visitors import (
    VisitorSession,
    visitor_attach,
    visitor_context_update,
    visitor_create,
    visitor_identify,
    visitor_mark_read,
    visitor_session_open,
)

__all__ = [
    "VISITOR_CONTEXT_FIELDS",
    "ChatError",
    "ChatRefusal",
    "Invitation",
    "MessagePost",
    "PostResult",
    "VisitorSession",
    "agent_activity",
    "agent_availability_set",
    "agent_browser_language_record",
    "agent_invite",
    "agent_mark_read",
    "agent_presence_refresh",
    "agent_profile_update",
    "agent_release",
    "agent_sockets_close",
    "agent_upsert",
    "canned_create",
    "canned_delete",
    "canned_update",
    "check_agent_serves",
    "check_body",
    "check_client_id",
    "check_message_id",
    "check_new_conversation_allowed",
    "check_new_visitor_allowed",
    "check_page",
    "check_personal_canned",
    "check_public_id",
    "check_visitor_context",
    "conversation_claim",
    "conversation_label_add",
    "conversation_label_remove",
    "conversation_rate",
    "conversation_reopen",
    "conversation_resolve",
    "conversation_start",
    "conversation_transfer",
    "label_create",
    "label_delete",
    "label_update",
    "message_post",
    "messages_post",
    "personal_canned_create",
    "personal_canned_delete",
    "personal_canned_update",
    "presence_lease_open",
    "presence_leases_release",
    "presence_leases_renew",
    "presence_sweep",
    "session_sockets_close",
    "site_languages_update",
    "site_upsert",
    "typing_notify",
    "visitor_attach",
    "visitor_context_update",
    "visitor_create",
    "visitor_identify",
    "visitor_mark_read",
    "visitor_page_record",
    "visitor_presence_refresh",
    "visitor_session_open",
]
