"""DOM ids shared by the page views and the broadcasts that update them."""

from __future__ import annotations

POOL_LIST = "pool-list"
MINE_LIST = "mine-list"


def pool_row_id(conversation_id: int) -> str:
    return f"pool-c{conversation_id}"


def mine_row_id(conversation_id: int) -> str:
    return f"mine-c{conversation_id}"


def assign_line_id(site_id: int) -> str:
    return f"assign-s{site_id}"


def pool_count_id(site_id: int) -> str:
    return f"pool-count-s{site_id}"


def transcript_list_id(conversation_id: int) -> str:
    return f"transcript-c{conversation_id}"


def message_id(message_pk: int) -> str:
    return f"m-{message_pk}"


def header_id(conversation_id: int) -> str:
    return f"header-c{conversation_id}"


def visitor_panel_id(conversation_id: int) -> str:
    return f"visitor-c{conversation_id}"


def typing_id(conversation_id: int) -> str:
    return f"typing-c{conversation_id}"


def viewers_id(conversation_id: int) -> str:
    return f"viewers-c{conversation_id}"


def seen_id(conversation_id: int) -> str:
    return f"seen-c{conversation_id}"


def team_list_id(site_id: int) -> str:
    return f"team-s{site_id}"


def labels_id(conversation_id: int) -> str:
    return f"labels-c{conversation_id}"


def view_row_id(conversation_id: int) -> str:
    return f"view-c{conversation_id}"


def canned_list_id(site_id: int) -> str:
    return f"canned-s{site_id}"


def canned_personal_id(agent_id: int) -> str:
    return f"canned-a{agent_id}"


def pool_summary_id(conversation_id: int) -> str:
    return f"pool-c{conversation_id}-summary"


def mine_summary_id(conversation_id: int) -> str:
    return f"mine-c{conversation_id}-summary"
