"""Progress as numbers: the chart's series, streaks, the change since the first week, and the
weekly summary's figures. Pure: dates and 0–10 pain answers in, frozen values out.

Weeks start on Monday (ISO). "Pain" means a 0–10 answer about the back: the morning check
and the question at the end of a routine are both readings of the same scale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from statistics import fmean

from content.model import Dose

__all__ = [
    "MAX_WEEKS",
    "MIN_POINTS",
    "MIN_WEEKS",
    "ChartData",
    "DoseChange",
    "PainChange",
    "PainPoint",
    "Tone",
    "WeekCount",
    "WeekNumbers",
    "chart_data",
    "monday",
    "pain_change",
    "plan_changes",
    "streak",
    "tone",
    "week_numbers",
]

MIN_WEEKS = 4
MAX_WEEKS = 8
# Fewer pain answers than this make a line that says nothing: the chart becomes a sentence.
MIN_POINTS = 3
# A change in the weekly average smaller than this is noise, not "better" or "worse".
MEANINGFUL_CHANGE = 1.0


@dataclass(frozen=True, slots=True)
class PainPoint:
    """One 0–10 pain answer on a local date."""

    day: date
    pain: int


@dataclass(frozen=True, slots=True)
class WeekCount:
    """Routines done in the week that starts on `week_start` (a Monday)."""

    week_start: date
    done: int


@dataclass(frozen=True, slots=True)
class PainChange:
    """Average pain of the first week with answers and of the latest one."""

    first_week: date
    first: float
    latest_week: date
    latest: float

    @property
    def delta(self) -> float:
        """Latest minus first: negative means less pain."""
        return self.latest - self.first


@dataclass(frozen=True, slots=True)
class ChartData:
    """Everything the progress picture shows, and nothing it does not."""

    start: date  # a Monday
    end: date  # today
    morning: tuple[PainPoint, ...]
    after_routine: tuple[PainPoint, ...]
    weeks: tuple[WeekCount, ...]
    streak: int
    change: PainChange | None

    @property
    def points(self) -> int:
        """How many pain answers the picture would draw."""
        return len(self.morning) + len(self.after_routine)

    @property
    def enough(self) -> bool:
        """Whether there is enough to draw (else the answer is a sentence)."""
        return self.points >= MIN_POINTS


def monday(day: date) -> date:
    """The Monday of the ISO week `day` is in."""
    return day - timedelta(days=day.weekday())


def _window(today: date, first: date | None) -> date:
    """The chart's first day: a Monday 4 to 8 weeks back, as far as the data goes."""
    earliest = monday(today) - timedelta(weeks=MAX_WEEKS - 1)
    latest = monday(today) - timedelta(weeks=MIN_WEEKS - 1)
    if first is None:
        return latest
    return min(max(monday(first), earliest), latest)


def chart_data(
    today: date,
    *,
    morning: Iterable[PainPoint],
    after_routine: Iterable[PainPoint],
    done: Iterable[date],
    planned: Iterable[date],
) -> ChartData:
    """The series behind /progress: pain answers, routines per week, streak and change.

    `done` holds one date per finished routine (two on a day count twice in the week's bar);
    `planned` the days a routine was planned (see `streak`).
    """
    mornings = sorted((p for p in morning if p.day <= today), key=_day)
    afters = sorted((p for p in after_routine if p.day <= today), key=_day)
    finished = sorted(d for d in done if d <= today)
    days = [p.day for p in (*mornings, *afters)] + finished
    start = _window(today, min(days) if days else None)
    counts: dict[date, int] = {}
    for day in finished:
        if day >= start:
            counts[monday(day)] = counts.get(monday(day), 0) + 1
    weeks = []
    week = start
    while week <= today:
        weeks.append(WeekCount(week, counts.get(week, 0)))
        week += timedelta(weeks=1)
    return ChartData(
        start=start,
        end=today,
        morning=tuple(p for p in mornings if p.day >= start),
        after_routine=tuple(p for p in afters if p.day >= start),
        weeks=tuple(weeks),
        streak=streak(today, planned=planned, done=finished),
        change=pain_change([*mornings, *afters]),
    )


def _day(point: PainPoint) -> date:
    return point.day


def streak(today: date, *, planned: Iterable[date], done: Iterable[date]) -> int:
    """Planned days kept in a row, counting back from today.

    Only planned days count: a rest day neither breaks the streak nor adds to it, and
    neither does a routine done on a rest day. Today, if planned and not yet done, is still
    open and breaks nothing; an earlier planned day without a routine ends the streak.
    """
    kept = set(done)
    count = 0
    for day in sorted({d for d in planned if d <= today}, reverse=True):
        if day in kept:
            count += 1
        elif day != today:
            break
    return count


def pain_change(points: Iterable[PainPoint]) -> PainChange | None:
    """Average pain of the first and of the latest week with answers; None within one week."""
    by_week: dict[date, list[int]] = {}
    for point in points:
        by_week.setdefault(monday(point.day), []).append(point.pain)
    if len(by_week) < 2:
        return None
    first, latest = min(by_week), max(by_week)
    return PainChange(first, fmean(by_week[first]), latest, fmean(by_week[latest]))


@dataclass(frozen=True, slots=True)
class WeekNumbers:
    """The weekly summary's figures: the 7 days ending on `end` against the 7 before."""

    end: date
    done: int
    planned: int
    pain: float | None
    pain_before: float | None

    @property
    def start(self) -> date:
        """The first day of the summarised week."""
        return self.end - timedelta(days=6)

    @property
    def pain_delta(self) -> float | None:
        """This week's average pain minus last week's; None without answers in both."""
        if self.pain is None or self.pain_before is None:
            return None
        return self.pain - self.pain_before


def week_numbers(
    end: date, *, pains: Iterable[PainPoint], done: Iterable[date], planned: Iterable[date]
) -> WeekNumbers:
    """Routines done, routines planned and average pain in the 7 days up to `end`, and before."""
    start, before = end - timedelta(days=6), end - timedelta(days=13)
    this_week: list[int] = []
    last_week: list[int] = []
    for point in pains:
        if start <= point.day <= end:
            this_week.append(point.pain)
        elif before <= point.day < start:
            last_week.append(point.pain)
    return WeekNumbers(
        end=end,
        done=sum(1 for d in done if start <= d <= end),
        planned=len({d for d in planned if start <= d <= end}),
        pain=fmean(this_week) if this_week else None,
        pain_before=fmean(last_week) if last_week else None,
    )


class Tone(StrEnum):
    """Which honest, encouraging sentence closes the weekly summary."""

    PAIN_UP = "pain_up"
    RESTART = "restart"
    ALL_KEPT = "all_kept"
    EASING = "easing"
    STEADY = "steady"


def tone(numbers: WeekNumbers) -> Tone:
    """The closing sentence that fits the week; rising pain is said first, never glossed over."""
    delta = numbers.pain_delta
    if delta is not None and delta >= MEANINGFUL_CHANGE:
        return Tone.PAIN_UP
    if numbers.done == 0:
        return Tone.RESTART
    if numbers.planned and numbers.done >= numbers.planned:
        return Tone.ALL_KEPT
    if delta is not None and delta <= -MEANINGFUL_CHANGE:
        return Tone.EASING
    return Tone.STEADY


@dataclass(frozen=True, slots=True)
class DoseChange:
    """An exercise new in the plan this week (`before` None), or one whose dose moved."""

    exercise_id: str
    before: Dose | None
    after: Dose


def plan_changes(
    before: Mapping[str, Dose], latest: Mapping[str, Dose]
) -> tuple[DoseChange, ...] | None:
    """What changed in the plan: each exercise's latest dose this week against its latest dose
    before it. None when there is no earlier week to compare with (the first week).

    Exercises that were not played this week are not "dropped": routines rotate exercises
    from day to day, so only what was played can be compared honestly.
    """
    if not before:
        return None
    return tuple(
        DoseChange(exercise_id, before.get(exercise_id), dose)
        for exercise_id, dose in latest.items()
        if before.get(exercise_id) != dose
    )
