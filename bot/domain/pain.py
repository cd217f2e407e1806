"""One pain stream: every 0–10 report is one record, and the newest one counts.

A report has a kind (what it is about: the usual baseline, this morning, an exercise, the end
of a routine, or right now) and a source (what brought it: onboarding, /settings, the morning
or rest-day question, a typed message, the end-of-routine question, an exercise's "it hurt").
Whatever the kind or source, the newest report is how the back is as far as the bot knows:
today's routine is built for it, and from 7 on the day is gentle only (DESIGN.md, "pain 7+
today from any source"). Nothing older shadows a newer one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.domain.understanding import When
from content.routines import GENTLE_PAIN

__all__ = [
    "MORNING_CHECK_PAIN",
    "SEVERE_PAIN",
    "DayLoad",
    "PainRecord",
    "ReportKind",
    "Source",
    "asks_next_morning",
    "builder_pain",
    "day_load",
    "gentle_day",
    "newest",
    "typed_kind",
]

SEVERE_PAIN = GENTLE_PAIN
"""From this pain on (the newest report, from any source) the day is gentle only (7)."""
MORNING_CHECK_PAIN = 4
"""From this pain on, the morning push asks how the back is even with no routine to judge."""


class ReportKind(StrEnum):
    """What a pain report is about."""

    BASELINE = "baseline"  # the usual pain: onboarding's "pain now", /settings "Pain today"
    MORNING = "morning"  # how the back is this morning
    DURING = "during"  # during an exercise
    END = "end"  # at the end of a routine
    NOW = "now"  # right now, typed at any time


class Source(StrEnum):
    """What brought a pain report."""

    ONBOARDING = "onboarding"
    SETTINGS = "settings"
    MORNING_QUESTION = "morning_question"
    REST_DAY_QUESTION = "rest_day_question"
    TYPED = "typed"
    END_QUESTION = "end_question"
    HURT = "hurt"


@dataclass(frozen=True, slots=True)
class PainRecord:
    """One pain report: when (UTC), the local date it is about, its kind, 0–10, its source."""

    at: datetime
    local_date: date
    kind: ReportKind
    value: int
    source: Source

    def __post_init__(self) -> None:
        if not 0 <= self.value <= 10:
            raise ValueError(f"pain must be 0..10, got {self.value}")


@dataclass(frozen=True, slots=True)
class DayLoad:
    """What today's routine is built for: the pain, and whether only gentle movement fits."""

    pain: int
    gentle: bool


def newest(records: Iterable[PainRecord]) -> PainRecord | None:
    """The newest report (the later one of two at the same instant, in the order given)."""
    found: PainRecord | None = None
    for record in records:
        if found is None or record.at >= found.at:
            found = record
    return found


def gentle_day(pain: int, *, plan_gentle: bool) -> bool:
    """Whether a day at this pain gets gentle movement only (7+, or the plan's gentle days).

    `plan_gentle`: the plan's own gentle days (mornings at 7+, until two calm ones in a row).
    """
    return plan_gentle or pain >= SEVERE_PAIN


def builder_pain(pain: int, *, plan_gentle: bool) -> int:
    """The pain to give the routine builder: raised to its gentle threshold on a gentle day."""
    return max(pain, GENTLE_PAIN) if gentle_day(pain, plan_gentle=plan_gentle) else pain


def day_load(records: Iterable[PainRecord], fallback: int, *, plan_gentle: bool) -> DayLoad:
    """Today's pain is the newest report (else `fallback`), and its day is gentle from 7 on."""
    latest = newest(records)
    pain = latest.value if latest is not None else fallback
    return DayLoad(pain=pain, gentle=gentle_day(pain, plan_gentle=plan_gentle))


def typed_kind(when: When | None) -> ReportKind:
    """The kind of a score typed outside any question: as the person said, else "now"."""
    if when is When.MORNING:
        return ReportKind.MORNING
    if when is When.DURING:
        return ReportKind.DURING
    return ReportKind.NOW


def asks_next_morning(
    newest_report: PainRecord | None,
    last_morning_at: datetime | None,
    last_routine_at: datetime | None,
) -> bool:
    """Whether a morning push first asks "How is your back this morning?".

    Always after a routine that no morning answer has followed yet (the next morning judges
    every routine, and no answer is not "settled"); otherwise when the newest report is 4+.
    """
    if last_routine_at is not None and (
        last_morning_at is None or last_morning_at < last_routine_at
    ):
        return True
    return newest_report is not None and newest_report.value >= MORNING_CHECK_PAIN
