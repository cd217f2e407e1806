"""Helpers for the adaptation tests: the real library, item shorthands and a history builder."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.domain.adaptation import (
    Adaptation,
    Event,
    ExercisePlan,
    FeelReport,
    ItemRecord,
    MorningReport,
    Outcome,
    PainNote,
    Plan,
    RoutineRecord,
    Symptom,
    SymptomReport,
    adapt,
)
from bot.domain.adaptation_dose import dose_steps
from bot.domain.feel import Feel
from bot.domain.pain import ReportKind
from bot.domain.safety import PainKind
from content.library import Library, load_library
from content.model import Dose

LIB: Library = load_library()
DAY0 = date(2024, 3, 4)  # a Monday
BASELINE = 3


def day(n: int) -> date:
    """The local date ``n`` days after DAY0."""
    return DAY0 + timedelta(days=n)


def done(exercise_id: str, pain: int | None = 1) -> ItemRecord:
    return ItemRecord(exercise_id=exercise_id, outcome=Outcome.DONE, pain=pain)


def skipped(exercise_id: str) -> ItemRecord:
    return ItemRecord(exercise_id=exercise_id, outcome=Outcome.SKIPPED)


def hurt(exercise_id: str, kind: PainKind | None, pain: int | None = 4) -> ItemRecord:
    return ItemRecord(exercise_id=exercise_id, outcome=Outcome.HURT, pain_kind=kind, pain=pain)


def step(exercise_id: str, index: int) -> Dose:
    """The exercise's dose step number ``index`` (0 is the start, -1 the ceiling)."""
    return dose_steps(LIB.get(exercise_id))[index]


def plan_with(*entries: tuple[str, int], level: int = 2, **fields: object) -> Plan:
    """A plan with these (exercise id, dose step index) entries."""
    exercises = {
        some_id: ExercisePlan(exercise_id=some_id, dose=step(some_id, index))
        for some_id, index in entries
    }
    return Plan.model_validate({"level": level, "exercises": exercises, **fields})


class Story:
    """A user's history, day by day: morning answers at 07:00, routines at 18:00 and how they
    felt at 18:05, typed scores at 20:00 (or as given)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    @staticmethod
    def at(n: int, hour: int) -> datetime:
        d = day(n)
        return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)

    def routine(self, n: int, *items: ItemRecord, end_pain: int | None = None) -> Story:
        self.events.append(
            RoutineRecord(at=self.at(n, 18), local_date=day(n), items=items, end_pain=end_pain)
        )
        return self

    def morning(self, n: int, pain: int, hour: int = 7) -> Story:
        self.events.append(MorningReport(at=self.at(n, hour), local_date=day(n), pain=pain))
        return self

    def feel(self, n: int, feel: Feel = Feel.EASY) -> Story:
        """The answer to "How did that feel?" about day ``n``'s routine, right after it."""
        at = self.at(n, 18) + timedelta(minutes=5)
        self.events.append(FeelReport(at=at, local_date=day(n), feel=feel))
        return self

    def note(self, n: int, pain: int, kind: ReportKind = ReportKind.NOW, hour: int = 20) -> Story:
        """A score typed outside the questions."""
        self.events.append(PainNote(at=self.at(n, hour), local_date=day(n), kind=kind, pain=pain))
        return self

    def symptom(self, n: int, symptom: Symptom) -> Story:
        self.events.append(SymptomReport(at=self.at(n, 12), local_date=day(n), symptom=symptom))
        return self

    def easy_run(self, n: int, exercise_id: str, times: int = 2, pain: int = 1) -> Story:
        """``times`` routines two days apart, each done with ``pain``, said to feel easy, and
        followed by a settled morning."""
        for k in range(times):
            self.routine(n + 2 * k, done(exercise_id, pain)).feel(n + 2 * k)
            self.morning(n + 2 * k + 1, BASELINE)
        return self

    def last_day(self) -> int:
        return max((e.local_date - DAY0).days for e in self.events) if self.events else 0


def run(plan: Plan, story: Story, today: int | None = None, baseline: int = BASELINE) -> Adaptation:
    """Adapt ``plan`` to the whole story, judged on day ``today`` (default: its last day)."""
    return adapt(
        plan, LIB, story.events, baseline, day(story.last_day() if today is None else today)
    )
