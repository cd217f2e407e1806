"""The pain stream's pure rules: the newest report counts, 7+ is a gentle day, the next
morning is asked after every routine, and how a typed score is filed; and "How did that
feel?" read from a short reply."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain.feel import Feel, parse_feel
from bot.domain.pain import (
    DayLoad,
    PainRecord,
    ReportKind,
    Source,
    asks_next_morning,
    builder_pain,
    day_load,
    gentle_day,
    newest,
    typed_kind,
)
from bot.domain.understanding import When

DAY = date(2026, 11, 23)


def at(hour: int, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def report(
    hour: int, value: int, kind: ReportKind = ReportKind.MORNING, day: int = 23
) -> PainRecord:
    return PainRecord(at(hour, day), date(2026, 11, day), kind, value, Source.TYPED)


# --------------------------------------------------------------------------- the newest counts


def test_the_newest_report_counts_whatever_its_kind() -> None:
    # Issue 14: a /settings "Pain today" of 8 was ignored once any morning answer existed.
    old_morning = report(7, 2, day=16)
    settings = PainRecord(at(12), DAY, ReportKind.BASELINE, 8, Source.SETTINGS)
    assert newest([settings, old_morning]) == settings
    assert day_load([old_morning, settings], 0, plan_gentle=False) == DayLoad(8, gentle=True)


def test_last_nights_end_pain_counts_when_the_morning_is_silent() -> None:
    # Issue 14: a routine ended at 9/10, the next morning unanswered, then not a gentle day.
    end = PainRecord(at(19, 22), date(2026, 11, 22), ReportKind.END, 9, Source.END_QUESTION)
    assert day_load([report(7, 2, day=20), end], 2, plan_gentle=False) == DayLoad(9, True)


@pytest.mark.parametrize(
    ("records", "fallback", "plan_gentle", "expected"),
    [
        ([], 3, False, DayLoad(3, False)),
        ([], 7, False, DayLoad(7, True)),
        ([report(7, 8), report(8, 2, ReportKind.NOW)], 0, False, DayLoad(2, False)),
        ([report(7, 2), report(8, 7, ReportKind.NOW)], 0, False, DayLoad(7, True)),
        ([report(7, 6)], 0, False, DayLoad(6, False)),
        ([report(7, 1)], 0, True, DayLoad(1, True)),
    ],
)
def test_todays_load(
    records: list[PainRecord], fallback: int, plan_gentle: bool, expected: DayLoad
) -> None:
    assert day_load(records, fallback, plan_gentle=plan_gentle) == expected


def test_two_reports_at_one_instant_the_later_given_wins() -> None:
    first, second = report(7, 2), report(7, 5)
    assert newest([first, second]) is second
    assert newest([]) is None


@pytest.mark.parametrize(
    ("pain", "plan_gentle", "gentle", "builder"),
    [(0, False, False, 0), (6, False, False, 6), (7, False, True, 7), (10, False, True, 10),
     (2, True, True, 7)],
)  # fmt: skip
def test_7_or_more_is_a_gentle_day_and_the_builder_is_told_so(
    pain: int, plan_gentle: bool, gentle: bool, builder: int
) -> None:
    assert gentle_day(pain, plan_gentle=plan_gentle) is gentle
    assert builder_pain(pain, plan_gentle=plan_gentle) == builder


def test_a_report_is_0_to_10() -> None:
    with pytest.raises(ValueError, match="pain must be"):
        PainRecord(at(7), DAY, ReportKind.NOW, 11, Source.TYPED)
    with pytest.raises(ValueError, match="pain must be"):
        PainRecord(at(7), DAY, ReportKind.NOW, -1, Source.TYPED)


@pytest.mark.parametrize(
    ("when", "kind"),
    [(None, ReportKind.NOW), (When.NOW, ReportKind.NOW), (When.MORNING, ReportKind.MORNING),
     (When.DURING, ReportKind.DURING)],
)  # fmt: skip
def test_a_typed_score_is_filed_as_said(when: When | None, kind: ReportKind) -> None:
    assert typed_kind(when) is kind


# --------------------------------------------------------------------------- the next morning


@pytest.mark.parametrize(
    ("latest", "morning_at", "routine_at", "asks"),
    [
        # Issue 14: after routines ending at 0-3 the next morning was never asked about.
        (report(19, 0, ReportKind.END, day=22), None, at(19, 22), True),
        (report(19, 3, ReportKind.END, day=22), at(7, 22), at(19, 22), True),
        # Answered since the routine: only a sore newest report asks.
        (report(7, 2), at(7), at(19, 22), False),
        (report(7, 4), at(7), at(19, 22), True),
        # No routine yet: the newest report decides (onboarding's pain, say).
        (PainRecord(at(9, 20), DAY, ReportKind.BASELINE, 6, Source.ONBOARDING), None, None, True),
        (PainRecord(at(9, 20), DAY, ReportKind.BASELINE, 3, Source.ONBOARDING), None, None, False),
        (None, None, None, False),
    ],
)
def test_the_next_morning_is_asked_after_every_routine(
    latest: PainRecord | None, morning_at: datetime | None, routine_at: datetime | None, asks: bool
) -> None:
    assert asks_next_morning(latest, morning_at, routine_at) is asks


# --------------------------------------------------------------------------- how did it feel


@pytest.mark.parametrize(
    ("text", "feel"),
    [
        ("easy", Feel.EASY),
        ("Easy!", Feel.EASY),
        ("too easy", Feel.EASY),
        ("way too easy 😄", Feel.EASY),
        ("It felt really easy", Feel.EASY),
        ("easy enough", Feel.EASY),
        ("about right", Feel.RIGHT),
        ("About right.", Feel.RIGHT),
        ("just right", Feel.RIGHT),
        ("fine, thanks", Feel.RIGHT),
        ("not too bad", Feel.RIGHT),
        ("not too hard", Feel.RIGHT),
        ("not too easy", Feel.RIGHT),
        ("it wasn't hard", Feel.RIGHT),
        ("hard", Feel.HARD),
        ("too hard", Feel.HARD),
        ("a bit hard", Feel.HARD),
        ("It was tough", Feel.HARD),
        ("it wasn’t easy", Feel.HARD),
        ("too much", Feel.HARD),
    ],
)
def test_how_it_felt_in_a_short_reply(text: str, feel: Feel) -> None:
    assert parse_feel(text) is feel


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "easy but hard",
        "easy, but my back hurts",
        "done",
        "4",
        "I did the whole routine this morning and it was easy for me",
    ],
)
def test_anything_else_is_not_an_answer(text: str) -> None:
    assert parse_feel(text) is None
