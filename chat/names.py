"""Friendly names for anonymous visitors: a colour and an animal, stable per visitor id.

Pure (no database, no settings), so the dashboard, exports and tests agree on a name.
"""

from __future__ import annotations

import hashlib

COLOURS = (
    "Amber", "Azure", "Coral", "Crimson", "Golden", "Indigo", "Jade", "Lavender", "Lime",
    "Magenta", "Olive", "Orange", "Peach", "Plum", "Rose", "Ruby", "Saffron", "Sage",
    "Scarlet", "Silver", "Teal", "Turquoise", "Violet", "Cobalt",
)  # fmt: skip
ANIMALS = (
    "Badger", "Beaver", "Bison", "Crane", "Dolphin", "Falcon", "Fox", "Gecko", "Hare",
    "Heron", "Ibis", "Koala", "Lemur", "Lynx", "Marten", "Otter", "Owl", "Panda", "Puffin",
    "Quokka", "Raven", "Seal", "Stoat", "Tapir", "Tiger", "Walrus", "Wombat", "Yak",
)  # fmt: skip
# Avatar hues per colour name: the avatar and the name agree ("Teal Otter" is teal).
HUES = {name: (index * 360) // len(COLOURS) for index, name in enumerate(COLOURS)}


def _digest(visitor_id: str) -> int:
    return int.from_bytes(hashlib.sha256(visitor_id.encode()).digest()[:8], "big")


def friendly_name(visitor_id: str) -> str:
    """ "Teal Otter": the same for the same id, in every process (not Python's hash())."""
    n = _digest(visitor_id)
    return f"{COLOURS[n % len(COLOURS)]} {ANIMALS[(n // len(COLOURS)) % len(ANIMALS)]}"


def friendly_hue(visitor_id: str) -> int:
    """The avatar's hue (0-359) for the colour in :func:`friendly_name`."""
    return HUES[COLOURS[_digest(visitor_id) % len(COLOURS)]]
