"""Where a visitor probably is, from what their browser tells the widget: its time zone
("Europe/Berlin") and language ("de-DE"). No IP lookup, no third party.

The time zone names a city and, through the tz database's zone.tab and zone1970.tab
(read from the system's zoneinfo directories), the countries that keep its clock; the
language's region chooses among those countries. Country names are the tz database's
English ones. Without those tables (a system with no tz data), only the city is named.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from pathlib import Path

from django.utils.translation import gettext

# Area/City or Area/Region/City, as browsers report IANA names.
ZONE = re.compile(
    r"^(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)"
    r"(?:/[A-Za-z][A-Za-z0-9_+-]{0,30}){1,2}$"
)
# The region subtag of a language tag: two letters (de-DE, zh-Hant-TW); a numeric region
# (es-419) names no country.
REGION = re.compile(r"^[A-Za-z]{2}$")
# The tz database's names that read oddly in a sentence.
NAMES = {"GB": "United Kingdom", "KR": "South Korea", "KP": "North Korea", "US": "United States",
         "CD": "DR Congo", "CG": "Congo", "MM": "Myanmar", "SZ": "Eswatini", "WS": "Samoa",
         "AS": "American Samoa"}  # fmt: skip


def visitor_location(*, time_zone: str, language: str) -> str:
    """ "Berlin, Germany"; a country alone when the language's region is another country
    on the same clock (Europe/Berlin with nb-NO: "Norway"); the city alone without tz
    tables; "" when the time zone names no place (UTC, Etc/GMT+2, nonsense)."""
    if not ZONE.match(time_zone):
        return ""
    city = time_zone.rsplit("/", 1)[-1].replace("_", " ")
    own, clocks = _zone_countries().get(time_zone, ("", ()))
    region = _region(language)
    if region and region != own and region in clocks:
        return _country_name(region)
    if not own:
        return city
    return gettext("%(city)s, %(country)s") % {"city": city, "country": _country_name(own)}


def _region(language: str) -> str:
    for subtag in language.replace("_", "-").split("-")[1:]:
        if REGION.match(subtag):
            return subtag.upper()
    return ""


def _country_name(code: str) -> str:
    return NAMES.get(code) or _countries().get(code, code)


def _table(name: str) -> list[list[str]]:
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            return [line.split("\t") for line in lines if line and not line.startswith("#")]
    return []


@cache
def _zone_countries() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Zone -> (its own country in zone.tab, every country keeping its clock)."""
    own = {row[2]: row[0] for row in _table("zone.tab") if len(row) >= 3}
    shared = {row[2]: tuple(row[0].split(",")) for row in _table("zone1970.tab") if len(row) >= 3}
    zones = {}
    for zone in own.keys() | shared.keys():
        clocks = shared.get(zone, ()) + ((own[zone],) if zone in own else ())
        zones[zone] = (own.get(zone) or clocks[0], clocks)
    return zones


@cache
def _countries() -> dict[str, str]:
    return {row[0]: row[1] for row in _table("iso3166.tab") if len(row) >= 2}
