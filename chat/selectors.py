"""Reads that more than one caller needs. The waiting pool is always a query."""

from __future__ import annotations

import logging
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from chat.languages import default as default_language
from chat.languages import effective_language
from chat.models import (
    Agent,
    CannedResponse,
    Conversation,
    Label,
    Message,
    Presence,
    Site,
    Visitor,
)

logger = logging.getLogger(__name__)

WIDGET_KEY = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")

POOL_WINDOW = 100


@dataclass(frozen=True)
class Team:
    """A site's agents, for the dashboard's team list (``is_available`` as announced)."""

    site_id: int
    site_name: str
    members: list[Agent]


TRANSCRIPT_WINDOW = 300


def site_by_widget_key(*, key: str) -> Site | None:
    """The active site with this key; None for any other text (NUL bytes included)."""
    if not WIDGET_KEY.match(key):
        return None
    return Site.objects.filter(widget_key=key, is_active=True).first()


def site_origin_allowed(*, site: Site, origin: str | None) -> bool:
    """Browsers always send Origin; a client without one (a script) is not a browser."""
    if origin is None:
        return True
    return origin.rstrip("/") in site.origin_list


def agent_for_user(*, user: object) -> Agent | None:
    """The agent profile of an active, signed-in user (scope["user"] or request.user)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    user_id: int = getattr(user, "pk", 0)
    return Agent.objects.filter(user_id=user_id).select_related("user").first()


def agent_site_ids(*, agent: Agent) -> list[int]:
    return list(agent.sites.filter(is_active=True).values_list("id", flat=True))


def waiting_conversations(*, site_ids: Iterable[int]) -> QuerySet[Conversation]:
    """The pool: waiting conversations of these sites, longest waiting first."""
    return (
        Conversation.objects.filter(site_id__in=list(site_ids), status=Conversation.Status.WAITING)
        .select_related("visitor", "site")
        .order_by("waiting_since", "id")
    )


def waiting_counts(*, site_ids: Iterable[int]) -> dict[int, int]:
    ids = list(site_ids)
    rows = (
        Conversation.objects.filter(site_id__in=ids, status=Conversation.Status.WAITING)
        .values("site_id")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(ids, 0)
    counts.update({row["site_id"]: row["n"] for row in rows})
    return counts


def with_agent_unread(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Annotate ``unread``: visitor messages after the agents' read marker (a column kept
    by the services, not a count)."""
    return qs.annotate(unread=F("agent_unread"))


def agent_open_conversations(*, agent: Agent) -> QuerySet[Conversation]:
    """The agent's own open conversations, most recently active first."""
    qs = (
        Conversation.objects.filter(assignee=agent, status=Conversation.Status.OPEN)
        .select_related("visitor", "site")
        .order_by("-last_message_at", "-id")
    )
    return with_agent_unread(qs)


def with_row_labels(conversations: list[Conversation]) -> list[Conversation]:
    """Give each conversation its ``row_labels`` (by name), for the chips of its row in
    the live lists: one query for all of them."""
    if conversations:
        links = (
            Conversation.labels.through.objects.filter(
                conversation_id__in=[c.pk for c in conversations]
            )
            .select_related("label")
            .order_by("label__name", "label_id")
        )
        found: dict[int, list[Label]] = {}
        for link in links:
            found.setdefault(link.conversation_id, []).append(link.label)
        for conversation in conversations:
            conversation.row_labels = found.get(conversation.pk, [])
    return conversations


def conversation_for_agent(*, agent: Agent, public_id: str) -> Conversation | None:
    """A conversation of one of the agent's sites, or None."""
    return (
        Conversation.objects.filter(public_id=public_id, site__agents=agent)
        .select_related("visitor", "site", "assignee__user")
        .first()
    )


def messages_after(
    *, conversation_id: int, after_id: int, include_notes: bool, limit: int = TRANSCRIPT_WINDOW
) -> list[Message]:
    """Messages of a conversation after ``after_id``, in order."""
    (page,) = messages_after_many(
        cursors=[(conversation_id, after_id)], include_notes=include_notes, limit=limit
    )
    return page


def messages_after_many(
    *, cursors: Sequence[tuple[int, int]], include_notes: bool, limit: int = TRANSCRIPT_WINDOW
) -> list[list[Message]]:
    """:func:`messages_after` for several (conversation id, after id) at once, a page of at
    most ``limit`` each: one query (and one for their files) for any number."""
    lowest: dict[int, int] = {}
    for conversation_id, after_id in cursors:
        lowest[conversation_id] = min(after_id, lowest.get(conversation_id, after_id))
    if not lowest:
        return []
    where = Q()
    for conversation_id, after_id in lowest.items():
        where |= Q(conversation_id=conversation_id, id__gt=after_id)
    qs = Message.objects.filter(where)
    if not include_notes:
        qs = qs.exclude(sender=Message.Sender.NOTE)
    qs = qs.select_related("agent__user").order_by("conversation_id", "id")
    # One conversation: the page limit in SQL. Several: each is cut to its page below (a
    # socket far behind reads its whole gap once, then gets it a page at a time).
    rows = list(qs[:limit] if len(cursors) == 1 else qs)
    by_conversation: dict[int, list[Message]] = {}
    for message in rows:
        by_conversation.setdefault(message.conversation_id, []).append(message)
    pages = [
        [m for m in by_conversation.get(conversation_id, []) if m.pk > after_id][:limit]
        for conversation_id, after_id in cursors
    ]
    with_attachments(list({m.pk: m for page in pages for m in page}.values()))
    return pages


def transcript_tail(*, conversation_id: int, limit: int = TRANSCRIPT_WINDOW) -> list[Message]:
    """The last ``limit`` messages (notes included) in order, for the agent view."""
    rows = list(
        Message.objects.filter(conversation_id=conversation_id)
        .select_related("agent__user")
        .order_by("-id")[:limit]
    )
    rows.reverse()
    return with_attachments(rows)


def with_attachments(messages: list[Message]) -> list[Message]:
    """Give each message its ``attachment_list``: one query for all of them."""
    from chat.attachments.selectors import attachments_for_messages

    if messages:
        found = attachments_for_messages(message_ids=[m.pk for m in messages])
        for message in messages:
            message.attachment_list = found.get(message.pk, [])
    return messages


def site_teams(*, site_ids: Iterable[int]) -> list[Team]:
    """The active agents of each site, available first. Two queries."""
    ids = list(site_ids)
    sites = dict(Site.objects.filter(pk__in=ids).values_list("pk", "name"))
    links = (
        Agent.sites.through.objects.filter(site_id__in=ids, agent__user__is_active=True)
        .select_related("agent__user")
        .order_by("-agent__is_available", "agent__display_name", "agent__user__username")
    )
    members: dict[int, list[Agent]] = {site_id: [] for site_id in sites}
    for link in links:
        members[link.site_id].append(link.agent)
    return [Team(site_id=pk, site_name=sites[pk], members=members[pk]) for pk in sorted(sites)]


@dataclass(frozen=True)
class RosterRow:
    """One agent on a site's Team page: their sites, and their capacity override."""

    agent: Agent
    site_ids: frozenset[int]
    capacity: int | None  # None: each site's default


def site_roster(*, site: Site) -> list[RosterRow]:
    """Everyone who serves the site, deactivated agents last, for its admins. Two queries."""
    agents = list(
        Agent.objects.filter(sites=site)
        .select_related("user", "service_capacity")
        .order_by("-user__is_active", "display_name", "user__username")
    )
    served: dict[int, set[int]] = {agent.pk: set() for agent in agents}
    links = Agent.sites.through.objects.filter(agent_id__in=list(served))
    for agent_id, site_id in links.values_list("agent_id", "site_id"):
        served[agent_id].add(site_id)
    rows = []
    for agent in agents:
        override = getattr(agent, "service_capacity", None)
        capacity = override.capacity if override is not None else None
        rows.append(RosterRow(agent=agent, site_ids=frozenset(served[agent.pk]), capacity=capacity))
    return rows


def conversation_by_public_id(*, public_id: str) -> Conversation | None:
    return (
        Conversation.objects.filter(public_id=public_id)
        .select_related("visitor", "site", "assignee__user")
        .first()
    )


def socket_targets(
    requests: Sequence[tuple[str, str]],
) -> list[tuple[Site | None, Conversation | None]]:
    """For each (widget key, conversation public id) of a new visitor socket: the active
    site of the key, and the conversation of the id if it exists (of that site or not:
    the caller decides). Two queries for any number of sockets."""
    keys = {key for key, _ in requests if WIDGET_KEY.match(key)}
    sites = {s.widget_key: s for s in Site.objects.filter(widget_key__in=keys, is_active=True)}
    ids = {public_id for key, public_id in requests if key in sites}
    conversations = {
        c.public_id: c
        for c in Conversation.objects.filter(public_id__in=ids).select_related(
            "visitor", "site", "assignee__user"
        )
    }
    answers: list[tuple[Site | None, Conversation | None]] = []
    for key, public_id in requests:
        site = sites.get(key)
        answers.append((site, conversations.get(public_id) if site is not None else None))
    return answers


def conversations_by_pk(*, pks: Iterable[int]) -> list[Conversation]:
    """These conversations with their assignee (status frames). One query, or none."""
    ids = list(pks)
    if not ids:
        return []
    return list(Conversation.objects.filter(pk__in=ids).select_related("assignee__user"))


def visitor_of_site(*, visitor_id: uuid.UUID, site: Site) -> Visitor | None:
    return Visitor.objects.filter(pk=visitor_id, site=site).first()


def conversation_cursors(*, conversation_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Each conversation's newest message id, and newest one the visitor sees."""
    ids = list(conversation_ids)
    found: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), 500):
        rows = Conversation.objects.filter(pk__in=ids[start : start + 500]).values_list(
            "pk", "last_message_id", "last_public_message_id"
        )
        found.update({pk: (last, public) for pk, last, public in rows})
    return found


def visitor_other_conversations(*, visitor: Visitor, exclude_id: int) -> QuerySet[Conversation]:
    return visitor.conversations.exclude(id=exclude_id).order_by("-created_at")[:10]


def visitor_latest_conversation(*, visitor: Visitor) -> Conversation | None:
    return visitor.conversations.order_by("-created_at", "-id").first()


def available_agents(*, now: datetime | None = None) -> QuerySet[Agent]:
    """The one definition of "this agent can answer now": their preference is online,
    their account active, a dashboard socket holds a live presence lease, and they are
    not idle past CHAT_AGENT_IDLE_AWAY_SECONDS."""
    now = now or timezone.now()
    live = Presence.objects.filter(agent=OuterRef("pk"), expires_at__gt=now)
    qs = Agent.objects.filter(
        Exists(live), availability=Agent.Availability.ONLINE, user__is_active=True
    )
    idle = settings.CHAT_AGENT_IDLE_AWAY_SECONDS
    if idle > 0:
        qs = qs.filter(last_active__gte=now - timedelta(seconds=idle))
    return qs


def agent_is_available(*, agent_id: int | None) -> bool:
    return agent_id is not None and available_agents().filter(pk=agent_id).exists()


def online_agents(*, site_id: int) -> QuerySet[Agent]:
    """Available agents of a site (transfer targets, the widget's "we're online")."""
    return available_agents().filter(sites__id=site_id).select_related("user")


def site_has_online_agent(*, site_id: int) -> bool:
    return online_agents(site_id=site_id).exists()


def visitor_present(*, visitor_id: uuid.UUID) -> bool:
    """Whether a widget socket of this visitor holds a live lease (truth, not the flag)."""
    return Presence.objects.filter(visitor_id=visitor_id, expires_at__gt=timezone.now()).exists()


def visitor_live_conversations(*, visitor_id: uuid.UUID) -> list[Conversation]:
    """The visitor's unresolved conversations: where agents see them online or not."""
    return visitors_live_conversations(visitor_ids=[visitor_id])


def visitors_live_conversations(*, visitor_ids: Sequence[uuid.UUID]) -> list[Conversation]:
    """The unresolved conversations of these visitors, the newest five of each. One
    query."""
    if not visitor_ids:
        return []
    rows = (
        Conversation.objects.filter(visitor_id__in=list(visitor_ids))
        .exclude(status=Conversation.Status.RESOLVED)
        .select_related("visitor", "site", "assignee__user")
        .order_by("visitor_id", "-id")
    )
    kept: list[Conversation] = []
    per_visitor: Counter[uuid.UUID] = Counter()
    for conversation in rows:
        per_visitor[conversation.visitor_id] += 1
        if per_visitor[conversation.visitor_id] <= 5:
            kept.append(conversation)
    return kept


def canned_responses(*, site_ids: Iterable[int]) -> QuerySet[CannedResponse]:
    """The shared responses of these sites: each site's own and those for every site.
    Never an agent's personal ones."""
    return CannedResponse.objects.filter(
        Q(site__isnull=True) | Q(site_id__in=list(site_ids)), agent__isnull=True
    )


def agent_canned_responses(*, agent: Agent) -> QuerySet[CannedResponse]:
    """The agent's personal responses: theirs alone, on every site they serve."""
    return CannedResponse.objects.filter(agent=agent)


@dataclass(frozen=True)
class CannedMenu:
    """The composer's "/" menu for one agent on one site, each part by shortcut."""

    personal: list[CannedResponse]
    shared: list[CannedResponse]


def canned_menu(*, agent: Agent, site_id: int) -> CannedMenu:
    """The agent's own responses, and the site's and every site's. One query, however
    many there are."""
    shared = Q(agent__isnull=True) & (Q(site__isnull=True) | Q(site_id=site_id))
    rows = list(CannedResponse.objects.filter(Q(agent=agent) | shared).order_by("shortcut"))
    return CannedMenu(
        personal=[row for row in rows if row.agent_id == agent.pk],
        shared=[row for row in rows if row.agent_id is None],
    )


def transcript_search(*, agent: Agent, query: str, status: str = "") -> QuerySet[Conversation]:
    qs = Conversation.objects.filter(site__agents=agent).select_related(
        "visitor", "site", "assignee__user"
    )
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(
            Q(messages__body__icontains=query)
            | Q(visitor__name__icontains=query)
            | Q(visitor__email__icontains=query)
        ).distinct()
    return qs.order_by("-last_message_at", "-id")


# --- inbox views: Waiting, Mine, All open, Resolved, filtered and paginated -------------

InboxView = Literal["waiting", "mine", "open", "resolved"]
INBOX_VIEWS: tuple[InboxView, ...] = ("waiting", "mine", "open", "resolved")
INBOX_PAGE_SIZE = 25


@dataclass(frozen=True)
class InboxFilters:
    """Narrowing shared by every view. Ids must already be checked against the agent's
    sites (the view's form does): these are applied as given."""

    site_id: int | None = None
    label_id: int | None = None
    assignee_id: int | None = None
    query: str = ""


@dataclass(frozen=True)
class InboxPage:
    """One page of a view: its rows (visitor, site, assignee and labels loaded)."""

    rows: list[Conversation]
    number: int
    num_pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def _inbox_filtered(*, site_ids: Iterable[int], filters: InboxFilters) -> QuerySet[Conversation]:
    qs = Conversation.objects.filter(site_id__in=list(site_ids))
    if filters.site_id is not None:
        qs = qs.filter(site_id=filters.site_id)
    if filters.label_id is not None:
        qs = qs.filter(labels__id=filters.label_id)  # at most one row per conversation
    if filters.assignee_id is not None:
        qs = qs.filter(assignee_id=filters.assignee_id)
    if filters.query:
        # EXISTS rather than a join: no DISTINCT, and it stops at the first match.
        said = Message.objects.filter(conversation=OuterRef("pk"), body__icontains=filters.query)
        qs = qs.filter(
            Q(visitor__name__icontains=filters.query)
            | Q(visitor__email__icontains=filters.query)
            | Exists(said)
        )
    return qs


def _inbox_view_q(*, agent: Agent, view: InboxView) -> Q:
    if view == "waiting":
        return Q(status=Conversation.Status.WAITING)
    if view == "mine":
        return Q(status=Conversation.Status.OPEN, assignee=agent)
    if view == "open":
        return Q(status=Conversation.Status.OPEN)
    return Q(status=Conversation.Status.RESOLVED)


INBOX_VIEW_ORDER: dict[InboxView, tuple[str, ...]] = {
    # Each leads with the columns of an index (conv_pool_idx, conv_agent_idx).
    "waiting": ("waiting_since", "id"),
    "mine": ("-last_message_at", "-id"),
    "open": ("-last_message_at", "-id"),
    "resolved": ("-resolved_at", "-id"),
}


def inbox_view_counts(
    *, agent: Agent, site_ids: Iterable[int], filters: InboxFilters
) -> dict[InboxView, int]:
    """How many conversations each view holds under these filters. One query."""
    qs = _inbox_filtered(site_ids=site_ids, filters=filters)
    totals = qs.aggregate(
        **{view: Count("pk", filter=_inbox_view_q(agent=agent, view=view)) for view in INBOX_VIEWS}
    )
    return {view: int(totals[view] or 0) for view in INBOX_VIEWS}


def inbox_view_page(
    *,
    agent: Agent,
    site_ids: Iterable[int],
    view: InboxView,
    filters: InboxFilters,
    count: int,
    page: int,
    per_page: int = INBOX_PAGE_SIZE,
) -> InboxPage:
    """One page of a view, ``count`` rows in all (from :func:`inbox_view_counts`, so the
    pager costs no second count). Two queries: the rows, their labels. An out-of-range
    ``page`` gives the nearest page."""
    num_pages = max(1, -(-count // per_page))
    number = min(max(1, page), num_pages)
    start = (number - 1) * per_page
    qs = (
        _inbox_filtered(site_ids=site_ids, filters=filters)
        .filter(_inbox_view_q(agent=agent, view=view))
        .select_related("visitor", "site", "assignee__user")
        .prefetch_related("labels")
        .order_by(*INBOX_VIEW_ORDER[view])
    )
    rows = list(qs[start : start + per_page])
    return InboxPage(rows=rows, number=number, num_pages=num_pages, count=count)


def inbox_filter_choices(*, site_ids: Iterable[int]) -> tuple[list[Site], list[Label], list[Agent]]:
    """What the filters offer: the sites, their labels, their active agents. Three queries."""
    ids = list(site_ids)
    sites = list(Site.objects.filter(pk__in=ids).order_by("name"))
    labels = list(Label.objects.filter(site_id__in=ids).select_related("site").order_by("name"))
    agents = list(
        Agent.objects.filter(sites__id__in=ids, user__is_active=True)
        .select_related("user")
        .distinct()
        .order_by("display_name", "user__username")
    )
    return sites, labels, agents


SITE_LANGUAGES_KEY = "chat:site-languages:{}"
# A safety net: services and signals refresh the cached sets whenever an agent's language
# or a site's agents change, so a set is at most this old if something bypassed them.
SITE_LANGUAGES_TTL = 300


def site_languages(*, site_ids: Iterable[int]) -> dict[int, list[str]]:
    """The effective languages of each site's agents (chat.languages), sorted: the
    languages agent-facing broadcasts are rendered in, once each.

    Read from the shared cache, kept fresh by :func:`site_languages_refresh`; a miss (or
    a cache that is down) costs one indexed query. A site without agents gets the default
    language, so a broadcast is never rendered zero times.
    """
    ids = list(dict.fromkeys(site_ids))
    keys = {SITE_LANGUAGES_KEY.format(site_id): site_id for site_id in ids}
    try:
        found: dict[str, list[str]] = cache.get_many(list(keys))
    except Exception:  # the shared cache (Redis) is down: ask the database
        logger.warning("site-language cache unreachable", exc_info=True)
        return _site_languages_query(site_ids=ids)
    result = {keys[key]: value for key, value in found.items()}
    missing = [site_id for site_id in ids if site_id not in result]
    if missing:
        result.update(site_languages_refresh(site_ids=missing))
    return result


def site_languages_refresh(*, site_ids: Iterable[int]) -> dict[int, list[str]]:
    """Recompute the sets from the database (as this transaction sees it) and cache them.
    Callers that change a language or who serves a site call it after their write."""
    fresh = _site_languages_query(site_ids=list(site_ids))
    try:
        cache.set_many(
            {SITE_LANGUAGES_KEY.format(pk): value for pk, value in fresh.items()},
            timeout=SITE_LANGUAGES_TTL,
        )
    except Exception:
        logger.warning("site-language cache unreachable", exc_info=True)
    return fresh


def _site_languages_query(*, site_ids: list[int]) -> dict[int, list[str]]:
    rows = (
        Agent.sites.through.objects.filter(site_id__in=site_ids)
        .values_list("site_id", "agent__language", "agent__browser_language")
        .distinct()
    )
    found: dict[int, set[str]] = {site_id: set() for site_id in site_ids}
    for site_id, preference, browser in rows:
        found[site_id].add(effective_language(preference=preference, browser=browser))
    return {site_id: sorted(codes or {default_language()}) for site_id, codes in found.items()}


def conversation_labels(*, conversation: Conversation) -> tuple[list[Label], list[Label]]:
    """The conversation's labels, and its site's others (to add). Two queries."""
    site_labels = list(Label.objects.filter(site_id=conversation.site_id).order_by("name"))
    applied = set(
        Conversation.labels.through.objects.filter(conversation_id=conversation.pk).values_list(
            "label_id", flat=True
        )
    )
    return (
        [label for label in site_labels if label.pk in applied],
        [label for label in site_labels if label.pk not in applied],
    )
