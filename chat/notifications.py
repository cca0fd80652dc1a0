"""How an agent is told of each event on their dashboard: the profile's choices, and what
the page gives static/dashboard/dashboard.js (data-notify-<event> on <body>).

Two switches (Agent.notify_sound, Agent.notify_desktop) turn a way off for every
event; Agent.notify_events chooses, per event, which ways it uses (an event it does not
name uses both, so agents who never chose keep today's behaviour).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, get_args

from django.utils.translation import gettext_noop

from chat.models import Agent
from chat.services.checks import ChatError

NotifyEvent = Literal["waiting", "message", "assigned"]
NotifyWay = Literal["sound", "desktop"]
EVENTS: tuple[NotifyEvent, ...] = get_args(NotifyEvent)
WAYS: tuple[NotifyWay, ...] = get_args(NotifyWay)


def event_ways(agent: Agent) -> dict[NotifyEvent, list[NotifyWay]]:
    """The ways chosen for each event, switches aside."""
    stored = agent.notify_events if isinstance(agent.notify_events, dict) else {}
    chosen: dict[NotifyEvent, list[NotifyWay]] = {}
    for event in EVENTS:
        ways = stored.get(event, WAYS)
        chosen[event] = [way for way in WAYS if isinstance(ways, list | tuple) and way in ways]
    return chosen


def effective_ways(agent: Agent) -> dict[NotifyEvent, list[NotifyWay]]:
    """What the dashboard does for each event: the choice, less the switches that are off."""
    on = {"sound": agent.notify_sound, "desktop": agent.notify_desktop}
    return {event: [w for w in ways if on[w]] for event, ways in event_ways(agent).items()}


def check_notify_events(value: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """The stored form of per-event choices: every event named, ways in a fixed order.
    An unknown event or way raises ChatError("invalid")."""
    if not set(value) <= set(EVENTS):
        raise ChatError("invalid", gettext_noop("Unknown notification event."))
    checked: dict[str, list[str]] = {}
    for event in EVENTS:
        ways = set(value.get(event, WAYS))
        if not ways <= set(WAYS):
            raise ChatError("invalid", gettext_noop("Notifications are by sound or desktop."))
        checked[event] = [way for way in WAYS if way in ways]
    return checked
