"""Channel-layer group names: the one answer to "who hears about this?".

Names are ASCII letters, digits and hyphens, as channels requires. Groups that carry
HTML for agents are per language (an agent's effective language, chat.languages): a
fragment is rendered once per language and each socket joins its agent's language.
Without ``language``, the default language's group.
"""

from __future__ import annotations

import hashlib

from chat import languages


def conversation_visitor_group(conversation_id: int) -> str:
    """The visitor's sockets on one conversation: JSON frames."""
    return f"conv-{conversation_id}-visitor"


def conversation_agents_group(conversation_id: int, *, language: str | None = None) -> str:
    """Agents watching one conversation's transcript: HTML fragments."""
    return f"conv-{conversation_id}-agents-{language or languages.default()}"


def site_pool_group(site_id: int, *, language: str | None = None) -> str:
    """Inbox sockets of every agent serving a site: waiting-pool fragments."""
    return f"site-{site_id}-pool-{language or languages.default()}"


def site_visitors_group(site_id: int) -> str:
    """Every attached visitor socket of a site: agent availability changes."""
    return f"site-{site_id}-visitors"


def agent_group(agent_id: int, *, language: str | None = None) -> str:
    """The inbox sockets of one agent: their own conversations, their availability."""
    return f"agent-{agent_id}-{language or languages.default()}"


def session_group(session_key: str) -> str:
    """Every agent socket opened with one browser session: closed when it signs out.
    Hashed, so session keys never appear in the channel layer."""
    return "session-" + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def agent_control_group(agent_id: int) -> str:
    """Every socket of one agent, of any kind: told to close on sign-out or deactivation."""
    return f"agent-{agent_id}-control"
