"""Progress rules as tables: streaks, the chart's window and series, weekly figures, tone."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.progress import (
    MAX_WEEKS,
    MIN_WEEKS,
    DoseChange,
    PainPoint,
    Tone,
    WeekCount,
    WeekNumbers,
    chart_data,
    monday,
    pain_change,
    plan_changes,
    streak,
    tone,
    week_numbers,
)
from content.model import Dose

# A Saturday, like the tests' frozen clock.
TODAY = date(2026, 11, 21)


def d(offset: int) -> date:
    """TODAY plus `offset` days."""
    return TODAY + timedelta(days=offset)


def mwf(weeks: int, end: date = TODAY) -> set[date]:
    """Every Monday, Wednesday and Friday of the last `weeks` weeks up to `end`."""
    days = (end - timedelta(days=n) for n in range(weeks * 7))
    return {day for day in days if day.weekday() in (0, 2, 4)}


# --------------------------------------------------------------------------- streaks


@pytest.mark.parametrize(
    ("planned", "done", "expected"),
    [
        # nothing planned or nothing done
        (set(), set(), 0),
        (mwf(2), set(), 0),
        # every planned day kept: rest days (Tue, Thu, weekends) never break it
        (mwf(2), mwf(2), 6),
        # the newest planned day (Fri) missed: the streak is over
        (mwf(2), mwf(2) - {d(-1)}, 0),
        # an older miss ends the count there
        (mwf(2), mwf(2) - {d(-8)}, 3),
        # a routine on a rest day neither adds nor rescues
        (mwf(1), {d(-1), d(-2), d(-4)}, 1),
        (mwf(2), (mwf(2) - {d(-3)}) | {d(-2)}, 1),
    ],
)
def test_streak_counts_planned_days_kept(
    planned: set[date], done: set[date], expected: int
) -> None:
    assert streak(TODAY, planned=planned, done=done) == expected


def test_today_planned_but_not_done_yet_breaks_nothing() -> None:
    monday_ = date(2026, 11, 23)
    planned = mwf(2, end=monday_)
    done = planned - {monday_}
    assert len(planned) == 6
    assert streak(monday_, planned=planned, done=done) == 5
    assert streak(monday_, planned=planned, done=planned) == 6


def test_future_planned_days_are_ignored() -> None:
    assert streak(TODAY, planned={d(-1), d(2)}, done={d(-1)}) == 1


def test_a_long_gap_of_rest_days_keeps_the_streak() -> None:
    # Two planned days a month apart (a pause between them): nothing missed, streak 2.
    assert streak(TODAY, planned={d(-40), d(-1)}, done={d(-40), d(-1)}) == 2


# --------------------------------------------------------------------------- chart window


def test_no_data_shows_the_minimum_window() -> None:
    data = chart_data(TODAY, morning=[], after_routine=[], done=[], planned=[])
    assert data.start == monday(TODAY) - timedelta(weeks=MIN_WEEKS - 1)
    assert len(data.weeks) == MIN_WEEKS
    assert data.points == 0 and not data.enough and data.change is None


@pytest.mark.parametrize(
    ("first_offset", "weeks"),
    [(0, MIN_WEEKS), (-10, MIN_WEEKS), (-30, 5), (-45, 7), (-52, 8), (-200, MAX_WEEKS)],
)
def test_the_window_follows_the_data_between_four_and_eight_weeks(
    first_offset: int, weeks: int
) -> None:
    data = chart_data(
        TODAY, morning=[PainPoint(d(first_offset), 5)], after_routine=[], done=[], planned=[]
    )
    assert len(data.weeks) == weeks
    assert data.start.weekday() == 0 and data.start == data.weeks[0].week_start
    assert data.weeks[-1].week_start == monday(TODAY)


def test_series_are_sorted_clipped_to_the_window_and_today() -> None:
    morning = [PainPoint(d(-2), 4), PainPoint(d(-300), 9), PainPoint(d(-9), 6), PainPoint(d(1), 1)]
    after = [PainPoint(d(-1), 3), PainPoint(d(-8), 5)]
    data = chart_data(TODAY, morning=morning, after_routine=after, done=[], planned=[])
    assert data.start == monday(TODAY) - timedelta(weeks=MAX_WEEKS - 1)
    assert data.morning == (PainPoint(d(-9), 6), PainPoint(d(-2), 4))
    assert data.after_routine == (PainPoint(d(-8), 5), PainPoint(d(-1), 3))
    assert data.points == 4 and data.enough


def test_routines_per_week_count_every_routine_in_its_iso_week() -> None:
    # Mon 16, Wed 18 twice, Fri 20; Fri 13; Sun 1 Nov; and Tue 24, still to come.
    done = [d(-5), d(-3), d(-3), d(-1), d(-8), d(-20), d(3)]
    data = chart_data(TODAY, morning=[], after_routine=[], done=done, planned=[])
    assert data.weeks == (
        WeekCount(date(2026, 10, 26), 1),
        WeekCount(date(2026, 11, 2), 0),
        WeekCount(date(2026, 11, 9), 1),
        WeekCount(date(2026, 11, 16), 4),
    )
    assert sum(w.done for w in data.weeks) == 6  # the future one is not counted


def test_two_points_are_not_enough_three_are() -> None:
    two = chart_data(
        TODAY,
        morning=[PainPoint(d(-1), 3)],
        after_routine=[PainPoint(d(-1), 2)],
        done=[],
        planned=[],
    )
    assert not two.enough
    three = chart_data(
        TODAY,
        morning=[PainPoint(d(-1), 3), PainPoint(d(-3), 4)],
        after_routine=[PainPoint(d(-1), 2)],
        done=[],
        planned=[],
    )
    assert three.enough


# --------------------------------------------------------------------------- change


def test_change_compares_the_first_and_the_latest_week_with_answers() -> None:
    points = [
        PainPoint(date(2026, 10, 5), 6),
        PainPoint(date(2026, 10, 7), 4),  # first week: 5.0
        PainPoint(date(2026, 10, 20), 9),  # a week in between does not matter
        PainPoint(date(2026, 11, 16), 3),
        PainPoint(date(2026, 11, 20), 2),  # latest week: 2.5
    ]
    change = pain_change(points)
    assert change is not None
    assert (change.first_week, change.first) == (date(2026, 10, 5), 5.0)
    assert (change.latest_week, change.latest) == (date(2026, 11, 16), 2.5)
    assert change.delta == -2.5


def test_no_change_within_a_single_week() -> None:
    assert pain_change([PainPoint(d(-1), 3), PainPoint(d(-3), 5)]) is None
    assert pain_change([]) is None


# --------------------------------------------------------------------------- weekly


def test_week_numbers_cover_the_seven_days_up_to_the_summary_day() -> None:
    sunday = date(2026, 11, 22)
    pains = [
        PainPoint(date(2026, 11, 16), 4),  # Mon: this week
        PainPoint(date(2026, 11, 22), 2),  # Sun: this week
        PainPoint(date(2026, 11, 15), 6),  # last Sunday: last week
        PainPoint(date(2026, 11, 9), 5),  # last Monday: last week
        PainPoint(date(2026, 11, 8), 9),  # two weeks ago: neither
        PainPoint(date(2026, 11, 23), 9),  # after the summary day: neither
    ]
    done = [date(2026, 11, 16), date(2026, 11, 18), date(2026, 11, 15)]
    planned = mwf(2, end=sunday)
    numbers = week_numbers(sunday, pains=pains, done=done, planned=planned)
    assert numbers.start == date(2026, 11, 16)
    assert (numbers.done, numbers.planned) == (2, 3)
    assert (numbers.pain, numbers.pain_before) == (3.0, 5.5)
    assert numbers.pain_delta == -2.5


def test_week_numbers_without_answers() -> None:
    numbers = week_numbers(TODAY, pains=[], done=[], planned=[])
    assert numbers == WeekNumbers(TODAY, 0, 0, None, None)
    assert numbers.pain_delta is None


@pytest.mark.parametrize(
    ("done", "planned", "pain", "before", "expected"),
    [
        (3, 3, 5.0, 3.0, Tone.PAIN_UP),  # rising pain is said first, even in a perfect week
        (0, 3, 5.0, 4.5, Tone.RESTART),
        (0, 0, None, None, Tone.RESTART),
        (3, 3, 3.0, 3.0, Tone.ALL_KEPT),
        (4, 3, None, None, Tone.ALL_KEPT),
        (1, 3, 2.0, 4.0, Tone.EASING),
        (2, 3, 3.5, 4.0, Tone.STEADY),
        (2, 3, None, 4.0, Tone.STEADY),
        (1, 0, None, None, Tone.STEADY),
    ],
)
def test_tone_is_honest_first(
    done: int, planned: int, pain: float | None, before: float | None, expected: Tone
) -> None:
    assert tone(WeekNumbers(TODAY, done, planned, pain, before)) is expected


# --------------------------------------------------------------------------- plan changes


def test_plan_changes_name_new_exercises_and_moved_doses_only() -> None:
    eight = Dose(kind="reps", amount=8)
    ten = Dose(kind="reps", amount=10)
    hold = Dose(kind="hold", amount=10, reps=5)
    before = {"bird_dog": eight, "bridge": eight, "cat_cow": hold}
    latest = {"bird_dog": ten, "bridge": eight, "dead_bug": eight}  # cat_cow not played
    assert plan_changes(before, latest) == (
        DoseChange("bird_dog", eight, ten),
        DoseChange("dead_bug", None, eight),
    )
    assert plan_changes(before, {"bridge": eight}) == ()


def test_the_first_week_has_nothing_to_compare_with() -> None:
    assert plan_changes({}, {"bird_dog": Dose(kind="reps", amount=8)}) is None
