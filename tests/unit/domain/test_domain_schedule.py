"""Schedule math: when a user's push fires, across zones, weekdays, DST changes and pauses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.player import End
from bot.domain.schedule import (
    Due,
    Pause,
    PauseChoice,
    closes_day,
    day_over,
    local_fire_time,
    next_due,
    pause_until,
    rest_day_check,
    snooze,
    within_window,
)

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham"]
EVERY_DAY = frozenset(range(7))
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(
    zone: str, year: int, month: int, day: int, hour: int, minute: int, *, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold)


# --------------------------------------------------------------------------- local_fire_time
# The 2026 transitions, as zoneinfo reports them:
#   London     29 Mar 01:00 GMT → 02:00 BST    25 Oct 02:00 BST → 01:00 GMT
#   New York    8 Mar 02:00 EST → 03:00 EDT     1 Nov 02:00 EDT → 01:00 EST
#   Sydney      4 Oct 02:00 → 03:00 (+11)       5 Apr 03:00 (+11) → 02:00 (+10)
#   Chatham    27 Sep 02:45 → 03:45 (+13:45)    5 Apr 03:45 (+13:45) → 02:45 (+12:45)
#   Kolkata    no DST: +05:30 all year


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        # ordinary days: the offset of the season
        ("Europe/London", date(2026, 1, 12), time(8, 0), utc(2026, 1, 12, 8, 0)),
        ("Europe/London", date(2026, 7, 13), time(8, 0), utc(2026, 7, 13, 7, 0)),
        ("America/New_York", date(2026, 1, 12), time(7, 0), utc(2026, 1, 12, 12, 0)),
        ("America/New_York", date(2026, 7, 13), time(7, 0), utc(2026, 7, 13, 11, 0)),
        ("Australia/Sydney", date(2026, 1, 12), time(7, 0), utc(2026, 1, 11, 20, 0)),
        ("Australia/Sydney", date(2026, 7, 13), time(7, 0), utc(2026, 7, 12, 21, 0)),
        ("Asia/Kolkata", date(2026, 1, 12), time(7, 0), utc(2026, 1, 12, 1, 30)),
        ("Asia/Kolkata", date(2026, 7, 13), time(7, 0), utc(2026, 7, 13, 1, 30)),
        ("Pacific/Chatham", date(2026, 1, 12), time(7, 0), utc(2026, 1, 11, 17, 15)),
        ("Pacific/Chatham", date(2026, 7, 13), time(7, 0), utc(2026, 7, 12, 18, 15)),
        # spring forward: a skipped time fires when the clocks jump
        ("Europe/London", date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1, 0)),
        ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", date(2026, 3, 8), time(2, 59), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", date(2026, 3, 8), time(3, 0), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", date(2026, 3, 8), time(1, 59), utc(2026, 3, 8, 6, 59)),
        ("Australia/Sydney", date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16, 0)),
        ("Pacific/Chatham", date(2026, 9, 27), time(3, 0), utc(2026, 9, 26, 14, 0)),
        ("Pacific/Chatham", date(2026, 9, 27), time(3, 45), utc(2026, 9, 26, 14, 0)),
        # spring-forward day, outside the gap: the new offset
        ("America/New_York", date(2026, 3, 8), time(7, 0), utc(2026, 3, 8, 11, 0)),
        ("Pacific/Chatham", date(2026, 9, 27), time(7, 0), utc(2026, 9, 26, 17, 15)),
        # fall back: a repeated time fires once, the first time (summer offset)
        ("Europe/London", date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30)),
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        ("Australia/Sydney", date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30)),
        ("Pacific/Chatham", date(2026, 4, 5), time(3, 0), utc(2026, 4, 4, 13, 15)),
        # fall-back day, outside the repeat: the winter offset
        ("America/New_York", date(2026, 11, 1), time(7, 0), utc(2026, 11, 1, 12, 0)),
        ("Australia/Sydney", date(2026, 4, 5), time(7, 0), utc(2026, 4, 4, 21, 0)),
    ],
)
def test_local_fire_time(zone: str, day: date, at: time, expected: datetime) -> None:
    fired = local_fire_time(day, at, ZoneInfo(zone))
    assert fired == expected
    assert fired.tzinfo is UTC


def test_skipped_time_fires_at_the_first_wall_minute_after_it() -> None:
    fired = local_fire_time(date(2026, 3, 8), time(2, 30), ZoneInfo("America/New_York"))
    wall = fired.astimezone(ZoneInfo("America/New_York"))
    assert (wall.date(), wall.time(), wall.tzname()) == (date(2026, 3, 8), time(3, 0), "EDT")


def test_local_fire_time_wants_a_naive_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_fire_time(date(2026, 1, 1), time(7, 0, tzinfo=UTC), ZoneInfo("Europe/London"))


@pytest.mark.parametrize("day", [date(2026, 3, 8), date(2026, 11, 1), date(2026, 6, 1)])
def test_kolkata_has_no_transition(day: date) -> None:
    tz = ZoneInfo("Asia/Kolkata")
    for hour in range(24):
        fired = local_fire_time(day, time(hour, 0), tz)
        assert fired.astimezone(tz).time() == time(hour, 0)


# --------------------------------------------------------------------------- next_due


def due(zone: str, year: int, month: int, day: int, hour: int, minute: int) -> Due:
    wall = local(zone, year, month, day, hour, minute)
    return Due(local_date=wall.date(), due_utc=wall.astimezone(UTC))


@pytest.mark.parametrize(
    ("now", "kwargs", "expected"),
    [
        # 2026-11-16 is a Monday. Before today's push on a chosen day: today.
        (
            local("Europe/London", 2026, 11, 16, 6, 0),
            {"days": frozenset({MON, WED, FRI})},
            due("Europe/London", 2026, 11, 16, 7, 30),
        ),
        # After it: the next chosen day.
        (
            local("Europe/London", 2026, 11, 16, 8, 0),
            {"days": frozenset({MON, WED, FRI})},
            due("Europe/London", 2026, 11, 18, 7, 30),
        ),
        # Exactly at it: not again (strictly after now).
        (
            local("Europe/London", 2026, 11, 16, 7, 30),
            {"days": frozenset({MON, WED, FRI})},
            due("Europe/London", 2026, 11, 18, 7, 30),
        ),
        # Friday after the push: wraps to Monday.
        (
            local("Europe/London", 2026, 11, 20, 9, 0),
            {"days": frozenset({MON, WED, FRI})},
            due("Europe/London", 2026, 11, 23, 7, 30),
        ),
        # Only one weekday, already past this week: a week later.
        (
            local("Europe/London", 2026, 11, 18, 9, 0),
            {"days": frozenset({WED})},
            due("Europe/London", 2026, 11, 25, 7, 30),
        ),
        # Already pushed for today (recorded), even though the time is still ahead.
        (
            local("Europe/London", 2026, 11, 16, 6, 0),
            {"days": EVERY_DAY, "last_local_date": date(2026, 11, 16)},
            due("Europe/London", 2026, 11, 17, 7, 30),
        ),
        # An older record does not hold today back.
        (
            local("Europe/London", 2026, 11, 16, 6, 0),
            {"days": EVERY_DAY, "last_local_date": date(2026, 11, 15)},
            due("Europe/London", 2026, 11, 16, 7, 30),
        ),
        # Today's routine is behind her (done at 06:00): today's push goes with it.
        (
            local("Europe/London", 2026, 11, 16, 6, 0),
            {"days": EVERY_DAY, "last_over": date(2026, 11, 16)},
            due("Europe/London", 2026, 11, 17, 7, 30),
        ),
        # ... on to the next chosen day, not merely the next date.
        (
            local("Europe/London", 2026, 11, 16, 6, 0),
            {"days": frozenset({MON, WED, FRI}), "last_over": date(2026, 11, 16)},
            due("Europe/London", 2026, 11, 18, 7, 30),
        ),
        # Yesterday's routine leaves today alone.
        (
            local("Europe/London", 2026, 11, 16, 6, 0),
            {"days": EVERY_DAY, "last_over": date(2026, 11, 15)},
            due("Europe/London", 2026, 11, 16, 7, 30),
        ),
        # Pushed up to yesterday, today over: the later of the two counts.
        (
            local("Europe/London", 2026, 11, 16, 6, 0),
            {
                "days": EVERY_DAY,
                "last_local_date": date(2026, 11, 15),
                "last_over": date(2026, 11, 16),
            },
            due("Europe/London", 2026, 11, 17, 7, 30),
        ),
        # The day is the user's: Monday 06:00 in Kolkata is Sunday 00:30 UTC.
        (
            local("Asia/Kolkata", 2026, 11, 16, 6, 0),
            {"tz": "Asia/Kolkata", "days": EVERY_DAY, "last_over": date(2026, 11, 16)},
            due("Asia/Kolkata", 2026, 11, 17, 7, 30),
        ),
        # Paused until tomorrow 07:00: today's push is skipped, tomorrow's 07:30 counts.
        (
            local("Europe/London", 2026, 11, 16, 6, 0),
            {"days": EVERY_DAY, "paused_until": local("Europe/London", 2026, 11, 17, 7, 0)},
            due("Europe/London", 2026, 11, 17, 7, 30),
        ),
        # A pause ending exactly at a fire time lets that push through.
        (
            local("Europe/London", 2026, 11, 16, 6, 0),
            {"days": EVERY_DAY, "paused_until": local("Europe/London", 2026, 11, 17, 7, 30)},
            due("Europe/London", 2026, 11, 17, 7, 30),
        ),
        # A pause already over changes nothing.
        (
            local("Europe/London", 2026, 11, 16, 6, 0),
            {"days": EVERY_DAY, "paused_until": local("Europe/London", 2026, 11, 1, 0, 0)},
            due("Europe/London", 2026, 11, 16, 7, 30),
        ),
        # Weekdays are the user's: 2026-06-01 20:00 UTC is Tuesday 08:45 in Chatham.
        (
            utc(2026, 6, 1, 20, 0),
            {"tz": "Pacific/Chatham", "days": frozenset({TUE})},
            due("Pacific/Chatham", 2026, 6, 9, 7, 30),  # 07:30 has passed there: next week
        ),
        (
            utc(2026, 6, 1, 20, 0),
            {"tz": "Pacific/Chatham", "days": frozenset({TUE}), "at": time(9, 0)},
            due("Pacific/Chatham", 2026, 6, 2, 9, 0),
        ),
        # ... and Monday 01:30 in Kolkata is still Sunday 20:00 UTC.
        (
            utc(2026, 11, 15, 20, 0),
            {"tz": "Asia/Kolkata", "days": frozenset({MON})},
            due("Asia/Kolkata", 2026, 11, 16, 7, 30),
        ),
        # DST days keep the wall time.
        (
            local("America/New_York", 2026, 3, 7, 9, 0),
            {"tz": "America/New_York", "days": EVERY_DAY},
            due("America/New_York", 2026, 3, 8, 7, 30),
        ),
        (
            local("America/New_York", 2026, 3, 7, 9, 0),
            {"tz": "America/New_York", "days": EVERY_DAY, "at": time(2, 30)},
            Due(date(2026, 3, 8), utc(2026, 3, 8, 7, 0)),
        ),
        (
            local("Australia/Sydney", 2026, 10, 3, 9, 0),
            {"tz": "Australia/Sydney", "days": EVERY_DAY},
            due("Australia/Sydney", 2026, 10, 4, 7, 30),
        ),
        (
            local("Pacific/Chatham", 2026, 4, 4, 9, 0),
            {"tz": "Pacific/Chatham", "days": EVERY_DAY},
            due("Pacific/Chatham", 2026, 4, 5, 7, 30),
        ),
        # A repeated hour fires once: after the first 01:30, the next is the following day.
        (
            local("America/New_York", 2026, 11, 1, 1, 30),
            {"tz": "America/New_York", "days": EVERY_DAY, "at": time(1, 30)},
            due("America/New_York", 2026, 11, 2, 1, 30),
        ),
        (
            local("America/New_York", 2026, 11, 1, 1, 15, fold=1),
            {"tz": "America/New_York", "days": EVERY_DAY, "at": time(1, 30)},
            due("America/New_York", 2026, 11, 2, 1, 30),
        ),
    ],
)
def test_next_due(now: datetime, kwargs: dict[str, object], expected: Due) -> None:
    arguments: dict[str, object] = {"tz": "Europe/London", "at": time(7, 30), **kwargs}
    assert next_due(now.astimezone(UTC), **arguments) == expected  # type: ignore[arg-type]


def test_next_due_without_days_is_none() -> None:
    assert next_due(utc(2026, 1, 1), tz="Europe/London", days=frozenset(), at=time(7)) is None


def test_next_due_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="weekdays"):
        next_due(utc(2026, 1, 1), tz="Europe/London", days=frozenset({7}), at=time(7))
    with pytest.raises(ValueError, match="aware"):
        next_due(datetime(2026, 1, 1), tz="Europe/London", days=EVERY_DAY, at=time(7))
    with pytest.raises(ValueError, match="aware"):
        next_due(
            utc(2026, 1, 1),
            tz="Europe/London",
            days=EVERY_DAY,
            at=time(7),
            paused_until=datetime(2026, 1, 2),
        )


def _exists(day: date, at: time, zone: ZoneInfo) -> bool:
    wall = datetime.combine(day, at, tzinfo=zone)
    return wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None)


@settings(max_examples=150, deadline=None)
@given(
    now=st.datetimes(datetime(2025, 1, 1), datetime(2028, 1, 1), timezones=st.just(UTC)),
    zone_name=st.sampled_from(ZONES),
    days=st.frozensets(st.integers(0, 6), min_size=1),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    last_back=st.none() | st.integers(-3, 3),
    over_back=st.none() | st.integers(-3, 1),
    pause_hours=st.none() | st.integers(-48, 24 * 10),
)
def test_next_due_properties(
    now: datetime,
    zone_name: str,
    days: frozenset[int],
    at: time,
    last_back: int | None,
    over_back: int | None,
    pause_hours: int | None,
) -> None:
    zone = ZoneInfo(zone_name)
    today = now.astimezone(zone).date()
    last = None if last_back is None else today + timedelta(days=last_back)
    over = None if over_back is None else today + timedelta(days=over_back)
    paused = None if pause_hours is None else now + timedelta(hours=pause_hours)
    result = next_due(
        now,
        tz=zone_name,
        days=days,
        at=at,
        paused_until=paused,
        last_local_date=last,
        last_over=over,
    )
    assert result is not None
    assert result.due_utc > now
    assert result.due_utc.tzinfo is UTC
    assert result.local_date.weekday() in days
    assert last is None or result.local_date > last
    assert not day_over(result.local_date, over)
    assert paused is None or result.due_utc >= paused
    wall = result.due_utc.astimezone(zone)
    assert wall.date() == result.local_date
    if _exists(result.local_date, at, zone):
        assert wall.time() == at
    else:  # skipped by a spring-forward change: fires as the clocks jump, within the hour
        assert wall.time() > at
        assert wall - timedelta(hours=1) <= datetime.combine(result.local_date, at, tzinfo=zone)
    # It is the earliest: no chosen date before it would have qualified.
    day = today - timedelta(days=1)
    while day < result.local_date:
        fire = local_fire_time(day, at, zone)
        qualifies = (
            day.weekday() in days
            and (last is None or day > last)
            and not day_over(day, over)
            and fire > now
            and (paused is None or fire >= paused)
        )
        assert not qualifies, day
        day += timedelta(days=1)


# --------------------------------------------------------------------------- the day is over


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        (End.DONE, True),
        (End.STOPPED, True),
        # "Not today" is the person's word for the day, like "Skip today" under a push.
        (End.DECLINED, True),
        # The safety screen decides what comes next; an expired routine's day has passed.
        (End.SAFETY, False),
        (End.EXPIRED, False),
        ("open", False),
    ],
)
def test_closes_day(end: str, expected: bool) -> None:
    assert closes_day(end) is expected


@pytest.mark.parametrize(
    ("local_date", "last_over", "expected"),
    [
        (date(2026, 11, 21), None, False),  # no routine behind her yet
        (date(2026, 11, 21), date(2026, 11, 20), False),  # yesterday's leaves today open
        (date(2026, 11, 21), date(2026, 11, 21), True),  # today's is done: no push, no nudge
        # A late push for yesterday is no use once today's routine is done.
        (date(2026, 11, 20), date(2026, 11, 21), True),
    ],
)
def test_day_over(local_date: date, last_over: date | None, expected: bool) -> None:
    assert day_over(local_date, last_over) is expected


# --------------------------------------------------------------------------- snooze, window


def test_snooze_is_absolute_time_even_across_a_dst_jump() -> None:
    before_jump = local("America/New_York", 2026, 3, 8, 1, 55).astimezone(UTC)
    back = snooze(before_jump, 10)
    assert back == before_jump + timedelta(minutes=10)
    assert back.astimezone(ZoneInfo("America/New_York")).time() == time(3, 5)


@pytest.mark.parametrize("minutes", [0, -5, 24 * 60 + 1])
def test_snooze_rejects_silly_delays(minutes: int) -> None:
    with pytest.raises(ValueError, match="snooze"):
        snooze(utc(2026, 1, 1), minutes)


def test_snooze_accepts_a_full_day() -> None:
    assert snooze(utc(2026, 1, 1), 24 * 60) == utc(2026, 1, 2)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 1, 1, 7, 59), False),  # not due yet
        (utc(2026, 1, 1, 8, 0), True),
        (utc(2026, 1, 1, 9, 0), True),  # late after a restart, still useful
        (utc(2026, 1, 1, 10, 0), True),  # the window's edge
        (utc(2026, 1, 1, 10, 1), False),  # too late: skip, do not push at lunchtime
    ],
)
def test_within_window(now: datetime, expected: bool) -> None:
    assert within_window(utc(2026, 1, 1, 8, 0), now, timedelta(hours=2)) is expected


def test_within_window_rejects_a_negative_window() -> None:
    with pytest.raises(ValueError, match="window"):
        within_window(utc(2026, 1, 1), utc(2026, 1, 1), timedelta(minutes=-1))


# --------------------------------------------------------------------------- pauses


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("day", local("Europe/London", 2026, 11, 17, 9, 15)),
        ("3days", local("Europe/London", 2026, 11, 19, 9, 15)),
        ("week", local("Europe/London", 2026, 11, 23, 9, 15)),
        (PauseChoice.WEEK, local("Europe/London", 2026, 11, 23, 9, 15)),
    ],
)
def test_pause_until(choice: PauseChoice, expected: datetime) -> None:
    now = local("Europe/London", 2026, 11, 16, 9, 15).astimezone(UTC)
    pause = pause_until(now, choice, "Europe/London")
    assert pause.until == expected
    assert not pause.indefinite
    assert pause.active(now)
    assert pause.active(expected - timedelta(seconds=1))
    assert not pause.active(expected)


def test_indefinite_pause_lasts_until_resumed() -> None:
    pause = pause_until(utc(2026, 1, 1), PauseChoice.INDEFINITE, "Europe/London")
    assert pause == Pause(until=None)
    assert pause.indefinite
    assert pause.active(utc(2099, 1, 1))


def test_pause_rejects_an_unknown_choice() -> None:
    with pytest.raises(ValueError, match="fortnight"):
        pause_until(utc(2026, 1, 1), "fortnight", "Europe/London")  # type: ignore[arg-type]


def test_a_day_pause_across_spring_forward_skips_exactly_one_push() -> None:
    # 07:30 on the Saturday before New York springs forward; pushes daily at 08:00.
    now = local("America/New_York", 2026, 3, 7, 7, 30).astimezone(UTC)
    pause = pause_until(now, PauseChoice.DAY, "America/New_York")
    assert pause.until == local("America/New_York", 2026, 3, 8, 7, 30)
    assert pause.until is not None and pause.until - now == timedelta(hours=23)
    kwargs = {"tz": "America/New_York", "days": EVERY_DAY, "at": time(8, 0)}
    assert next_due(now, **kwargs).local_date == date(2026, 3, 7)  # type: ignore[arg-type,union-attr]
    paused = next_due(now, paused_until=pause.until, **kwargs)  # type: ignore[arg-type]
    assert paused == due("America/New_York", 2026, 3, 8, 8, 0)


@settings(max_examples=150, deadline=None)
@given(
    now=st.datetimes(datetime(2025, 1, 1), datetime(2028, 1, 1), timezones=st.just(UTC)),
    zone_name=st.sampled_from(ZONES),
    at=st.times(time(4, 0), time(11, 59)).map(lambda t: t.replace(second=0, microsecond=0)),
    choice=st.sampled_from([PauseChoice.DAY, PauseChoice.THREE_DAYS, PauseChoice.WEEK]),
)
def test_pause_of_n_days_skips_exactly_n_daily_morning_pushes(
    now: datetime, zone_name: str, at: time, choice: PauseChoice
) -> None:
    n = {PauseChoice.DAY: 1, PauseChoice.THREE_DAYS: 3, PauseChoice.WEEK: 7}[choice]
    if now.astimezone(ZoneInfo(zone_name)).time().replace(second=0, microsecond=0) == at:
        return  # pausing in the very minute of a push: that push is the one being sent
    pause = pause_until(now, choice, zone_name)
    unpaused = []
    cursor = now
    for _ in range(n + 1):
        step = next_due(cursor, tz=zone_name, days=EVERY_DAY, at=at)
        assert step is not None
        unpaused.append(step)
        cursor = step.due_utc
    paused = next_due(now, tz=zone_name, days=EVERY_DAY, at=at, paused_until=pause.until)
    assert paused == unpaused[n]


# --------------------------------------------------------------------------- rest_day_check
# 2026-11-16 is a Monday; the user's mornings are Mon, Wed, Fri at 07:30 unless said.


@pytest.mark.parametrize(
    ("now", "after", "days", "expected"),
    [
        # A sore Monday evening: Tuesday is a rest day, asked at the usual time.
        (
            local("Europe/London", 2026, 11, 16, 19, 0),
            date(2026, 11, 16),
            frozenset({MON, WED, FRI}),
            due("Europe/London", 2026, 11, 17, 7, 30),
        ),
        # A routine played on the rest day itself: Wednesday's push asks, nothing extra.
        (
            local("Europe/London", 2026, 11, 17, 19, 0),
            date(2026, 11, 17),
            frozenset({MON, WED, FRI}),
            None,
        ),
        # Played late Sunday, ended after midnight: still that Monday morning.
        (
            local("Europe/London", 2026, 11, 16, 0, 30),
            date(2026, 11, 15),
            frozenset({WED}),
            due("Europe/London", 2026, 11, 16, 7, 30),
        ),
        # A hurt reported before Tuesday's usual time about Monday's routine: Tuesday.
        (
            local("Europe/London", 2026, 11, 17, 5, 0),
            date(2026, 11, 16),
            frozenset({MON}),
            due("Europe/London", 2026, 11, 17, 7, 30),
        ),
        # The same report after Tuesday's time: Wednesday, unless Wednesday has its push.
        (
            local("Europe/London", 2026, 11, 17, 20, 0),
            date(2026, 11, 16),
            frozenset({MON}),
            due("Europe/London", 2026, 11, 18, 7, 30),
        ),
        (
            local("Europe/London", 2026, 11, 17, 20, 0),
            date(2026, 11, 16),
            frozenset({MON, WED}),
            None,
        ),
        # Exactly at Tuesday's time counts as gone (the tick may have passed it).
        (
            local("Europe/London", 2026, 11, 17, 7, 30),
            date(2026, 11, 16),
            frozenset({MON}),
            due("Europe/London", 2026, 11, 18, 7, 30),
        ),
    ],
)
def test_rest_day_check(
    now: datetime, after: date, days: frozenset[int], expected: Due | None
) -> None:
    at = time(7, 30)
    assert (
        rest_day_check(now.astimezone(UTC), tz="Europe/London", days=days, at=at, after=after)
        == expected
    )


def test_rest_day_check_at_a_skipped_time_fires_when_the_clocks_jump() -> None:
    # New York springs forward on Sunday 8 March 2026 at 02:00; 02:30 does not exist.
    checked = rest_day_check(
        utc(2026, 3, 7, 23),
        tz="America/New_York",
        days=frozenset({MON}),
        at=time(2, 30),
        after=date(2026, 3, 7),
    )
    assert checked == Due(local_date=date(2026, 3, 8), due_utc=utc(2026, 3, 8, 7))


def test_rest_day_check_wants_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        rest_day_check(
            datetime(2026, 11, 16, 19),
            tz="UTC",
            days=EVERY_DAY,
            at=time(7),
            after=date(2026, 11, 16),
        )


@settings(max_examples=300, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    back=st.integers(min_value=0, max_value=4),
    zone=st.sampled_from(ZONES),
    days=st.frozensets(st.integers(0, 6), max_size=6),
    at=st.times(),
)
def test_rest_day_check_properties(
    now: datetime, back: int, zone: str, days: frozenset[int], at: time
) -> None:
    now_utc = now.replace(tzinfo=UTC)
    after = now_utc.astimezone(ZoneInfo(zone)).date() - timedelta(days=back)
    checked = rest_day_check(now_utc, tz=zone, days=days, at=at, after=after)
    # The first date after `after` whose usual time is still ahead decides.
    day = after + timedelta(days=1)
    while local_fire_time(day, at.replace(tzinfo=None), ZoneInfo(zone)) <= now_utc:
        day += timedelta(days=1)
    if day.weekday() in days:
        assert checked is None
    else:
        assert checked is not None
        assert checked.local_date == day
        assert checked.due_utc > now_utc
