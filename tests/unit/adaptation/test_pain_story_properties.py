"""The pain-monitoring model holds over random six-week histories of pain reports (issue 14).

Each simulated day may bring a morning answer, a score typed in the morning, a /settings
"Pain today", a routine (its exercises' pains and hurts, its end pain), the answer to "How
did that feel?" and a score typed in the evening. The plan is adapted after every event, and
each routine is built for the newest report of the stream, as the player does. Then:

* never a step up after a day whose pain during an exercise or at its end was above 5 (a hurt
  above 5 included), or whose next morning was worse than the baseline by any amount;
* never a routine that is not gentle on a day whose newest report is 7 or more;
* every step up follows two routines in a row said to feel easy, each with a settled morning.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from adaptation_kit import DAY0, LIB
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.adaptation import (
    Change,
    ChangeKind,
    Event,
    FeelReport,
    ItemRecord,
    MorningReport,
    Outcome,
    PainNote,
    Plan,
    RoutineRecord,
    adapt,
    routine_inputs,
)
from bot.domain.feel import Feel
from bot.domain.pain import SEVERE_PAIN, PainRecord, ReportKind, Source, day_load
from bot.domain.safety import PainKind
from content.model import Category, Dose
from content.routines import build_routine

DAYS = 42
POOL = ("bird_dog", "glute_bridge", "knee_plank", "prone_leg_lift", "cat_camel", "drawing_in")
PROGRESS = {ChangeKind.DOSE_UP, ChangeKind.LADDER_UP}
GENTLE = {Category.MOBILITY, Category.STRETCH, Category.AEROBIC, Category.WARM_UP}
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)


@dataclass(frozen=True)
class Item:
    pick: int
    outcome: Outcome
    kind: PainKind | None
    pain: int | None


@dataclass(frozen=True)
class Day:
    morning: int | None
    typed_am: int | None
    settings_pain: int | None
    items: tuple[Item, ...] | None  # None: no routine today
    end_pain: int | None
    feel: Feel | None
    typed_pm: tuple[ReportKind, int] | None


low = st.integers(0, 3)
any_pain = st.integers(0, 10)
items = st.builds(
    Item,
    pick=st.integers(0, len(POOL) - 1),
    outcome=st.sampled_from([Outcome.DONE] * 6 + [Outcome.HURT, Outcome.SKIPPED]),
    kind=st.sampled_from([None, PainKind.ACHE, PainKind.ACHE, PainKind.SHARP]),
    pain=st.one_of(low, low, any_pain, st.none()),
)
good_days = st.builds(
    Day,
    morning=st.one_of(st.integers(0, 3), st.none()),
    typed_am=st.none(),
    settings_pain=st.none(),
    items=st.lists(
        st.builds(Item, pick=st.integers(0, 2), outcome=st.just(Outcome.DONE), kind=st.none(),
                  pain=low),
        min_size=1, max_size=3,
    ).map(tuple),
    end_pain=low,
    feel=st.just(Feel.EASY),
    typed_pm=st.none(),
)  # fmt: skip
rest_days = st.builds(
    Day,
    morning=st.one_of(st.integers(0, 4), any_pain, st.none()),
    typed_am=st.one_of(st.none(), st.none(), any_pain),
    settings_pain=st.one_of(st.none(), st.none(), st.none(), any_pain),
    items=st.none(),
    end_pain=st.none(),
    feel=st.none(),
    typed_pm=st.none(),
)
any_days = st.builds(
    Day,
    morning=st.one_of(st.integers(0, 4), any_pain, st.none()),
    typed_am=st.one_of(st.none(), st.none(), any_pain),
    settings_pain=st.one_of(st.none(), st.none(), st.none(), any_pain),
    items=st.one_of(st.lists(items, min_size=1, max_size=4).map(tuple), st.none()),
    end_pain=st.one_of(low, any_pain, st.none()),
    feel=st.one_of(st.sampled_from(list(Feel)), st.just(Feel.EASY), st.none()),
    typed_pm=st.one_of(
        st.none(),
        st.none(),
        st.tuples(st.sampled_from([ReportKind.NOW, ReportKind.DURING]), any_pain),
    ),
)
histories = st.lists(
    st.one_of(good_days, good_days, rest_days, any_days), min_size=DAYS, max_size=DAYS
)


def at(on: date, hour: int, minute: int = 0) -> datetime:
    return datetime(on.year, on.month, on.day, hour, minute, tzinfo=UTC)


@dataclass
class Routine:
    """What the checks need to know about one routine."""

    on: date
    at: datetime
    too_much: bool
    feel: Feel | None = None


@dataclass
class Story:
    """The simulated person's reports so far, and the plan as it stands."""

    baseline: int
    plan: Plan = field(default_factory=lambda: Plan.start(2))
    events: list[Event] = field(default_factory=list)
    stream: list[PainRecord] = field(default_factory=list)
    routines: list[Routine] = field(default_factory=list)
    mornings: list[MorningReport] = field(default_factory=list)
    notes: list[PainNote] = field(default_factory=list)
    ups: list[Change] = field(default_factory=list)

    def report(self, when: datetime, kind: ReportKind, value: int, source: Source) -> None:
        self.stream.append(PainRecord(when, when.date(), kind, value, source))

    def add(self, event: Event) -> None:
        self.events.append(event)
        result = adapt(self.plan, LIB, self.events, self.baseline, event.local_date)
        self.plan = result.plan
        for change in result.changes:
            if change.kind in PROGRESS:
                self.check_step_up(event)
                self.ups.append(change)

    def check_step_up(self, event: Event) -> None:
        """A step up: a settled morning after two routines in a row said to feel easy."""
        assert isinstance(event, MorningReport)
        assert event.pain <= self.baseline, "a worse morning stepped up"
        judged = [r for r in self.routines if r.at < event.at]
        assert len(judged) >= 2
        earlier, last = judged[-2], judged[-1]
        for routine in (earlier, last):
            assert not routine.too_much, f"a step up after a day above 5 ({routine.on})"
            assert routine.feel is Feel.EASY, f"a step up without 'easy' ({routine.on})"
        # The morning after the earlier routine was answered, and settled.
        between = [
            m for m in self.mornings if earlier.at < m.at < last.at and m.local_date > earlier.on
        ]
        assert between, "a step up without a settled morning after the first easy routine"
        assert between[0].pain <= self.baseline
        worse_notes = [
            n
            for n in self.notes
            if earlier.at < n.at < event.at and n.local_date > earlier.on and n.pain > self.baseline
        ]
        assert not [n for n in worse_notes if n.at < between[0].at or n.local_date > last.on]

    def play(self, on: date, day: Day) -> None:
        if day.morning is not None:
            when = at(on, 7)
            self.report(when, ReportKind.MORNING, day.morning, Source.MORNING_QUESTION)
            morning = MorningReport(at=when, local_date=on, pain=day.morning)
            self.mornings.append(morning)
            self.add(morning)
        if day.typed_am is not None:
            self.typed(at(on, 7, 30), ReportKind.NOW, day.typed_am)
        if day.settings_pain is not None:
            # /settings "Pain today": a baseline report (the rules' baseline stays the usual).
            self.report(at(on, 12), ReportKind.BASELINE, day.settings_pain, Source.SETTINGS)
        if day.items is not None:
            self.routine(on, day)
        if day.typed_pm is not None:
            self.typed(at(on, 20), *day.typed_pm)

    def typed(self, when: datetime, kind: ReportKind, value: int) -> None:
        self.report(when, kind, value, Source.TYPED)
        note = PainNote(at=when, local_date=when.date(), kind=kind, pain=value)
        self.notes.append(note)
        if value > 5 and self.routines and self.routines[-1].on == when.date():
            self.routines[-1].too_much = True  # said after that day's routine: its day
        self.add(note)

    def routine(self, on: date, day: Day) -> None:
        assert day.items is not None
        # Built for the newest report, as the player does: 7+ is a gentle day.
        inputs = routine_inputs(self.plan, LIB, on)
        load = day_load(self.stream, self.baseline, plan_gentle=inputs.gentle_only)
        built = build_routine(LIB, inputs.request(pain=load.pain, minutes=15, seed=on.toordinal()))
        # Every report has its own instant here: the newest is the last by time.
        newest = sorted(self.stream, key=lambda r: r.at)[-1] if self.stream else None
        if newest is not None and newest.value >= SEVERE_PAIN:
            assert built.gentle
            assert {LIB.get(i.exercise_id).category for i in built.items} <= GENTLE
        allowed = [e for e in POOL if e not in inputs.excluded]
        records: list[ItemRecord] = []
        for item in day.items:
            exercise_id = allowed[item.pick % len(allowed)]
            if any(r.exercise_id == exercise_id for r in records):
                continue
            hurt = item.outcome is Outcome.HURT
            records.append(
                ItemRecord(
                    exercise_id=exercise_id,
                    outcome=item.outcome,
                    pain_kind=(item.kind or PainKind.ACHE) if hurt else None,
                    pain=item.pain,
                )
            )
        for index, record in enumerate(records):
            if record.pain is not None:
                when = at(on, 17, 40 + index)
                self.report(when, ReportKind.DURING, record.pain, Source.HURT)
        when = at(on, 18)
        if day.end_pain is not None:
            self.report(when, ReportKind.END, day.end_pain, Source.END_QUESTION)
        pains = [r.pain for r in records if r.pain is not None]
        if day.end_pain is not None:
            pains.append(day.end_pain)
        self.routines.append(Routine(on, when, too_much=any(p > 5 for p in pains)))
        self.add(RoutineRecord(at=when, local_date=on, items=tuple(records), end_pain=day.end_pain))
        if day.feel is not None:
            self.routines[-1].feel = day.feel
            self.add(FeelReport(at=at(on, 18, 5), local_date=on, feel=day.feel))


@SETTINGS
@given(histories, st.integers(0, 5))
def test_six_weeks_of_reports_never_step_up_against_the_model(
    days: list[Day], baseline: int
) -> None:
    story = Story(baseline)
    for n, day in enumerate(days):
        story.play(DAY0 + timedelta(days=n), day)


@SETTINGS
@given(st.lists(good_days.map(lambda d: replace(d, morning=d.morning or 0)), min_size=DAYS,
                max_size=DAYS))  # fmt: skip
def test_six_weeks_of_easy_days_and_settled_mornings_step_up_in_small_steps(
    days: list[Day],
) -> None:
    # The other side: the model is strict, not stuck.
    story = Story(baseline=3)
    for n, day in enumerate(days):
        story.play(DAY0 + timedelta(days=n), day)
    assert len(story.ups) >= DAYS // 4
    for change in story.ups:
        if change.kind is ChangeKind.DOSE_UP:
            assert isinstance(change.before, Dose) and isinstance(change.after, Dose)
            assert small_step(change.before, change.after), change


def small_step(before: Dose, after: Dose) -> bool:
    """+1-2 reps or +5 s, or one more hold or set (starting again from the first amount)."""
    more = after.amount - before.amount
    if (after.sets, after.reps) == (before.sets, before.reps):
        return 0 < more <= (5 if before.kind == "hold" else 2)
    return (after.sets, after.reps) in {
        (before.sets + 1, before.reps),
        (before.sets, before.reps + 1),
    }
