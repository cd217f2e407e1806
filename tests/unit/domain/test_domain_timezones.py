"""Offline time-zone lookup: from a shared location, a typed city, or a UTC offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.timezones import (
    MAX_CITY_MATCHES,
    is_valid_zone,
    offset_zone,
    zone_for_location,
    zones_for_city,
)

# --------------------------------------------------------------------------- location


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (51.5, -0.12, "Europe/London"),
        (40.71, -74.0, "America/New_York"),
        (-23.55, -46.63, "America/Sao_Paulo"),
        (22.57, 88.36, "Asia/Kolkata"),
        (12.97, 77.59, "Asia/Kolkata"),  # Bengaluru
        (-33.87, 151.21, "Australia/Sydney"),
        (-43.95, -176.55, "Pacific/Chatham"),
        (0.0, -30.0, "Etc/GMT+2"),  # mid-Atlantic: the nautical zone, two hours behind UTC
    ],
)
def test_zone_for_location(lat: float, lon: float, expected: str) -> None:
    assert zone_for_location(lat, lon) == expected


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (91.0, 0.0),
        (-91.0, 0.0),
        (0.0, 181.0),
        (0.0, -180.5),
        (float("nan"), 0.0),
        (0, float("inf")),
    ],
)
def test_zone_for_location_rejects_impossible_coordinates(lat: float, lon: float) -> None:
    assert zone_for_location(lat, lon) is None


@settings(max_examples=100, deadline=None)
@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180))
def test_zone_for_location_is_always_a_loadable_zone(lat: float, lon: float) -> None:
    zone = zone_for_location(lat, lon)
    assert zone is not None
    ZoneInfo(zone)


# --------------------------------------------------------------------------- cities


@pytest.mark.parametrize(
    ("text", "zone", "country"),
    [
        ("London", "Europe/London", "GB"),
        ("london", "Europe/London", "GB"),
        ("new york", "America/New_York", "US"),
        ("New York City", "America/New_York", "US"),
        ("São Paulo", "America/Sao_Paulo", "BR"),
        ("sao paulo", "America/Sao_Paulo", "BR"),
        ("SAO-PAULO", "America/Sao_Paulo", "BR"),
        ("Kolkata", "Asia/Kolkata", "IN"),
        ("Calcutta", "Asia/Kolkata", "IN"),  # an old name of a big city beats a small town
        ("Bengaluru", "Asia/Kolkata", "IN"),
        ("Bangalore", "Asia/Kolkata", "IN"),
        ("Sydney", "Australia/Sydney", "AU"),
        ("Chatham", "Europe/London", "GB"),  # Chatham, Kent is the biggest Chatham
        ("Zurich", "Europe/Zurich", "CH"),
        ("Москва", "Europe/Moscow", "RU"),
        ("  Kyiv ", "Europe/Kyiv", "UA"),
        ("Kiev", "Europe/Kyiv", "UA"),
        ("St Johns", "America/St_Johns", "CA"),
        ("Europe/Berlin", "Europe/Berlin", "DE"),
        ("europe/berlin", "Europe/Berlin", "DE"),
        ("America/New_York", "America/New_York", "US"),
        ("London, CA", "America/Toronto", "CA"),
        ("London UK", "Europe/London", "GB"),
        ("Sao Paulo, Brazil", "America/Sao_Paulo", "BR"),
    ],
)
def test_zones_for_city_best_match_first(text: str, zone: str, country: str) -> None:
    best = zones_for_city(text)[0]
    assert (best.zone, best.country_code) == (zone, country)


def test_city_matches_carry_what_a_chooser_shows() -> None:
    london = zones_for_city("London")
    assert [(m.name, m.country_code, m.zone) for m in london[:2]] == [
        ("London", "GB", "Europe/London"),
        ("London", "CA", "America/Toronto"),
    ]
    assert london[0].population is not None and london[0].population > 5_000_000


def test_a_city_of_that_very_name_beats_a_bigger_namesake_by_alias() -> None:
    # Parys (South Africa, ~70k) lists "Paris" as an alternate name; Paris, Texas is smaller
    # but really called Paris.
    names = [(m.name, m.country_code) for m in zones_for_city("Paris")]
    assert names[:2] == [("Paris", "FR"), ("Paris", "US")]
    assert ("Parys", "ZA") in names


def test_chatham_offers_the_chatham_islands_too() -> None:
    matches = zones_for_city("Chatham")
    assert "Pacific/Chatham" in [m.zone for m in matches]
    islands = next(m for m in matches if m.zone == "Pacific/Chatham")
    assert islands.name == "Chatham"
    assert islands.population is None  # found by its zone name, not as a city


def test_a_zone_name_is_not_repeated_when_its_city_is_listed() -> None:
    assert [m.zone for m in zones_for_city("Kolkata")] == ["Asia/Kolkata"]
    # Asia/Calcutta is an old alias of Asia/Kolkata: same clock, listed once.
    assert "Asia/Calcutta" not in [m.zone for m in zones_for_city("Calcutta")]


def test_zone_key_for_a_place_without_a_city_in_the_table() -> None:
    assert [(m.name, m.zone) for m in zones_for_city("Pacific/Chatham")] == [
        ("Chatham", "Pacific/Chatham")
    ]


def test_a_country_filter_keeps_only_that_country() -> None:
    assert {m.country_code for m in zones_for_city("London, CA")} == {"CA"}
    assert {m.country_code for m in zones_for_city("Paris, US")} == {"US"}


def test_at_most_five_matches() -> None:
    springfields = zones_for_city("Springfield")
    assert len(springfields) == MAX_CITY_MATCHES
    populations = [m.population or 0 for m in springfields]
    assert populations == sorted(populations, reverse=True)


@pytest.mark.parametrize("text", ["", "   ", "xyzzy", "Qwertyville", ",", "Europe/Atlantis", "12"])
def test_zones_for_city_finds_nothing(text: str) -> None:
    assert zones_for_city(text) == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_zones_for_city_never_raises_and_returns_loadable_zones(text: str) -> None:
    matches = zones_for_city(text)
    assert len(matches) <= MAX_CITY_MATCHES
    for match in matches:
        assert is_valid_zone(match.zone)


# --------------------------------------------------------------------------- offsets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UTC+2", "Etc/GMT-2"),  # POSIX signs are inverted in Etc/ names
        ("utc +2", "Etc/GMT-2"),
        ("GMT-5", "Etc/GMT+5"),
        ("+2", "Etc/GMT-2"),
        ("-3", "Etc/GMT+3"),
        ("−3", "Etc/GMT+3"),  # Unicode minus
        ("+14", "Etc/GMT-14"),
        ("-12", "Etc/GMT+12"),
        ("UTC+0", "Etc/UTC"),
        ("+0", "Etc/UTC"),
        ("UTC", "Etc/UTC"),
        ("+02:00", "Etc/GMT-2"),
        ("+5:30", "Asia/Kolkata"),
        ("UTC+05:30", "Asia/Kolkata"),
        ("+0530", "Asia/Kolkata"),
        ("+9:30", "Australia/Darwin"),
        ("+5:45", "Asia/Kathmandu"),
        ("+3:30", "Asia/Tehran"),
        ("-3:30", "America/St_Johns"),
        ("-2:30", "America/St_Johns"),  # Newfoundland in summer
        ("+12:45", "Pacific/Chatham"),
        ("+13:45", "Pacific/Chatham"),  # Chatham in summer
    ],
)
def test_offset_zone(text: str, expected: str) -> None:
    assert offset_zone(text) == expected


@pytest.mark.parametrize(
    "text", ["5:30", "7", "+15", "-13", "+5:20", "+5:60", "UTC+", "abc", "", "+1:2", "London"]
)
def test_offset_zone_rejects(text: str) -> None:
    assert offset_zone(text) is None


@pytest.mark.parametrize("hours", range(-12, 15))
def test_whole_hour_offsets_keep_that_offset_all_year(hours: int) -> None:
    zone = offset_zone(f"UTC{hours:+d}")
    assert zone is not None
    for month in (1, 7):
        instant = datetime(2026, month, 1, tzinfo=UTC)
        assert instant.astimezone(ZoneInfo(zone)).utcoffset() == timedelta(hours=hours)


ODD_OFFSETS = (
    "-9:30",
    "-3:30",
    "-2:30",
    "+3:30",
    "+4:30",
    "+5:30",
    "+5:45",
    "+6:30",
    "+8:45",
    "+9:30",
    "+10:30",
    "+12:45",
    "+13:45",
)


@pytest.mark.parametrize("text", ODD_OFFSETS)
def test_odd_offsets_map_to_a_zone_that_uses_them(text: str) -> None:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text[1:].split(":")
    wanted = sign * timedelta(hours=int(hours), minutes=int(minutes))
    zone = offset_zone(text)
    assert zone is not None
    tz = ZoneInfo(zone)
    offsets = {
        (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=d)).astimezone(tz).utcoffset()
        for d in range(0, 365, 7)
    }
    assert wanted in offsets


# --------------------------------------------------------------------------- validity


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Europe/Berlin", True),
        ("Pacific/Chatham", True),
        ("Etc/GMT-2", True),
        ("UTC", True),
        ("europe/berlin", False),
        ("Mars/Olympus_Mons", False),
        ("", False),
        ("../../etc/passwd", False),
        ("localtime", False),
        ("Factory", False),
    ],
)
def test_is_valid_zone(name: str, expected: bool) -> None:
    assert is_valid_zone(name) is expected
