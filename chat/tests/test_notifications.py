"""chat.notifications: per-event choices under the two switches."""

from __future__ import annotations

import pytest

from chat import notifications
from chat.models import Agent
from chat.services import ChatError


def test_events_never_chosen_use_both_ways_less_the_switches_that_are_off() -> None:
    agent = Agent(notify_sound=True, notify_desktop=False, notify_events={"message": ["desktop"]})

    assert notifications.event_ways(agent) == {
        "waiting": ["sound", "desktop"],
        "message": ["desktop"],
        "assigned": ["sound", "desktop"],
    }
    assert notifications.effective_ways(agent) == {
        "waiting": ["sound"],
        "message": [],
        "assigned": ["sound"],
    }


def test_choices_are_stored_complete_and_in_order() -> None:
    checked = notifications.check_notify_events({"assigned": ["desktop", "sound"], "waiting": []})
    assert checked == {
        "waiting": [],
        "message": ["sound", "desktop"],
        "assigned": ["sound", "desktop"],
    }


@pytest.mark.parametrize("value", [{"typing": ["sound"]}, {"waiting": ["pager"]}])
def test_unknown_events_and_ways_are_refused(value: dict[str, list[str]]) -> None:
    with pytest.raises(ChatError) as refused:
        notifications.check_notify_events(value)
    assert refused.value.code == "invalid"
