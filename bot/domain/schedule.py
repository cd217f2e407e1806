"""Schedule math for the daily push: pure, UTC in and out, correct across DST changes.

A user picks weekdays and a wall-clock time in their IANA zone. Each chosen local date has
one fire time; the services layer stores the next one as a row and records a push once per
user and local date, so this module only has to answer "which local date next, and when".

The day is over once its routine is behind the person (done, stopped, or declined with "not
today"): that local date gets no push and no reminder, and the next due morning is a later one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.player import End

__all__ = [
    "DAY_OVER_ENDS",
    "Due",
    "Pause",
    "PauseChoice",
    "closes_day",
    "day_over",
    "local_fire_time",
    "next_due",
    "pause_until",
    "rest_day_check",
    "snooze",
    "within_window",
]

_SEARCH_DAYS = 16  # one day back, a full week, plus slack: a chosen weekday is always inside
_MAX_SNOOZE = timedelta(days=1)

# Routine ends that put their local date behind the person: they did it, stopped it, or said
# "not today". A safety stop does not (the safety screen decides what comes next), and a routine
# only expires once its day has passed.
DAY_OVER_ENDS = frozenset({End.DONE, End.STOPPED, End.DECLINED})


@dataclass(frozen=True, slots=True)
class Due:
    """The next push: the user's local date it belongs to and the UTC instant to send it."""

    local_date: date
    due_utc: datetime


class PauseChoice(StrEnum):
    """How long a user asked to pause their pushes."""

    DAY = "day"
    THREE_DAYS = "3days"
    WEEK = "week"
    INDEFINITE = "indefinite"


_PAUSE_DAYS = {PauseChoice.DAY: 1, PauseChoice.THREE_DAYS: 3, PauseChoice.WEEK: 7}


@dataclass(frozen=True, slots=True)
class Pause:
    """Pushes held until `until` (aware UTC); `until=None` holds them until the user resumes."""

    until: datetime | None

    @property
    def indefinite(self) -> bool:
        """True when only an explicit resume ends the pause."""
        return self.until is None

    def active(self, now_utc: datetime) -> bool:
        """Whether pushes are still held at `now_utc`."""
        _require_aware("now_utc", now_utc)
        return self.until is None or now_utc < self.until


def _require_aware(name: str, value: datetime) -> None:
    """Naive datetimes are a bug here: every instant in this module is absolute."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _exists(wall: datetime) -> bool:
    """Whether an aware wall-clock reading really occurs (it does not inside a DST gap)."""
    round_trip = wall.astimezone(UTC).astimezone(wall.tzinfo)
    return round_trip.replace(tzinfo=None) == wall.replace(tzinfo=None)


def local_fire_time(local_date: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `at` on `local_date` in `tz`.

    A time skipped by a spring-forward change fires when the clocks jump (02:30 on the New
    York spring day → 03:00 EDT); a time that happens twice fires once, the first time.
    """
    if at.tzinfo is not None:
        raise ValueError("at must be a naive wall-clock time")
    wall = datetime.combine(local_date, at.replace(fold=0), tzinfo=tz)
    if _exists(wall):
        return wall.astimezone(UTC)
    # Inside a gap, fold=0 reads the wall time with the old offset and fold=1 with the new
    # one; the jump lies between those two instants. Find it to the second.
    old_reading = wall.replace(fold=1).astimezone(UTC)
    new_reading = wall.astimezone(UTC)
    lo, hi = min(old_reading, new_reading), max(old_reading, new_reading)
    new_offset = hi.astimezone(tz).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + timedelta(seconds=(hi - lo).total_seconds() // 2)
        if mid.astimezone(tz).utcoffset() == new_offset:
            hi = mid
        else:
            lo = mid
    return hi


def closes_day(end: str) -> bool:
    """Whether a routine that ended this way puts its local date behind the person."""
    return end in DAY_OVER_ENDS


def day_over(local_date: date, last_over: date | None) -> bool:
    """Whether a push or reminder for `local_date` must not go out, the day being behind them.

    `last_over` is the newest local date of a routine that ended in DAY_OVER_ENDS. That date is
    over, and so is every earlier one: a push for yesterday sent late is no use once today's
    routine is done.
    """
    return last_over is not None and local_date <= last_over


def next_due(
    now_utc: datetime,
    *,
    tz: str,
    days: frozenset[int],
    at: time,
    paused_until: datetime | None = None,
    last_local_date: date | None = None,
    last_over: date | None = None,
) -> Due | None:
    """The next push after `now_utc`, or None if no weekday is chosen.

    The answer is the earliest local date that is a chosen weekday (0=Monday) whose fire
    time is strictly after `now_utc`, later than `last_local_date` (a date already pushed
    is never returned again, even if its time comes round again after a zone change), not
    over (later than `last_over`, see `day_over`: a routine done at 06:00 takes that day's
    07:00 push with it), and whose fire time is at or after `paused_until`. An indefinite
    pause (`Pause(None)`) has no next push: do not call this while one is active.
    """
    _require_aware("now_utc", now_utc)
    if paused_until is not None:
        _require_aware("paused_until", paused_until)
    if not days:
        return None
    if not days <= frozenset(range(7)):
        raise ValueError(f"weekdays must be 0..6, got {sorted(days)}")
    zone = ZoneInfo(tz)
    floor = max(now_utc, paused_until) if paused_until is not None else now_utc
    # A date's fire time falls on that local date, so nothing before the floor's local
    # date can qualify; start one day earlier to be safe around midnight gaps.
    start = floor.astimezone(zone).date() - timedelta(days=1)
    for settled in (last_local_date, last_over):
        if settled is not None:
            start = max(start, settled + timedelta(days=1))
    for offset in range(_SEARCH_DAYS):
        local_date = start + timedelta(days=offset)
        if local_date.weekday() not in days:
            continue
        fire = local_fire_time(local_date, at, zone)
        if fire > now_utc and (paused_until is None or fire >= paused_until):
            return Due(local_date=local_date, due_utc=fire)
    raise AssertionError("a chosen weekday always falls within the search window")


def rest_day_check(
    now_utc: datetime, *, tz: str, days: frozenset[int], at: time, after: date
) -> Due | None:
    """When to ask "How is your back this morning?" after a sore routine on local date `after`.

    At the usual time on the first local date after `after` whose time is still ahead of
    `now_utc` (a hurt reported days later is asked about the next morning). None when that
    date is a chosen weekday: its morning push asks the question itself.
    """
    _require_aware("now_utc", now_utc)
    zone = ZoneInfo(tz)
    local_date = max(after + timedelta(days=1), now_utc.astimezone(zone).date())
    fire = local_fire_time(local_date, at, zone)
    if fire <= now_utc:
        # Today's time has gone; tomorrow's is always ahead.
        local_date += timedelta(days=1)
        fire = local_fire_time(local_date, at, zone)
    if local_date.weekday() in days:
        return None
    return Due(local_date=local_date, due_utc=fire)


def snooze(now_utc: datetime, minutes: int) -> datetime:
    """When a push snoozed for `minutes` (1 minute to 1 day) comes back, in UTC."""
    _require_aware("now_utc", now_utc)
    delay = timedelta(minutes=minutes)
    if not timedelta(0) < delay <= _MAX_SNOOZE:
        raise ValueError(f"snooze must be between 1 minute and 1 day, got {minutes} minutes")
    return (now_utc + delay).astimezone(UTC)


def within_window(due_utc: datetime, now_utc: datetime, window: timedelta) -> bool:
    """Whether a push due at `due_utc` may still be sent at `now_utc`.

    True from the due instant until `window` after it (a late push after a restart is
    still welcome); False before it is due and once it is too late to be useful.
    """
    _require_aware("due_utc", due_utc)
    _require_aware("now_utc", now_utc)
    if window < timedelta(0):
        raise ValueError("window must not be negative")
    return due_utc <= now_utc <= due_utc + window


def pause_until(now_utc: datetime, choice: PauseChoice, tz: str) -> Pause:
    """The pause a user's choice means, counted in their local days.

    "day", "3days" and "week" hold pushes until the same wall-clock time 1, 3 or 7 local
    days later (24 h per day except across a DST change, so "a day" skips exactly the next
    daily push whatever the clocks do); "indefinite" holds them until the user resumes.
    """
    _require_aware("now_utc", now_utc)
    choice = PauseChoice(choice)
    if choice is PauseChoice.INDEFINITE:
        return Pause(until=None)
    zone = ZoneInfo(tz)
    local_now = now_utc.astimezone(zone)
    target = local_now.date() + timedelta(days=_PAUSE_DAYS[choice])
    return Pause(until=local_fire_time(target, local_now.time(), zone))
