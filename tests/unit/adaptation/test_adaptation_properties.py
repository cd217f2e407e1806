"""The safety invariants of plan adaptation hold over random histories of a simulated user.

The user does routines made of exercises the plan allows today, answers mornings, reports
symptoms, says how routines felt, clears the red-flag screen and accepts offers, in random
order and with random pain. After every step: a red flag blocks until cleared; nothing
progresses without two routines in a row said to feel easy (with pain 0-3) and a settled
morning (at or below the baseline); sharp pain (or any hurt above 5) moves the
exercise down or out for 7 days; doses stay between start and ceiling; ladders move one rung
at a time; applying the same history again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from adaptation_kit import BASELINE, LIB, day
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.adaptation import (
    Adaptation,
    ChangeKind,
    Event,
    ExercisePlan,
    FeelReport,
    ItemRecord,
    MorningReport,
    OfferKind,
    Outcome,
    Plan,
    RoutineRecord,
    Symptom,
    SymptomReport,
    accept_level_up,
    accept_swap,
    adapt,
    clear_rescreen,
    routine_inputs,
)
from bot.domain.adaptation_dose import dose_steps
from bot.domain.feel import Feel
from bot.domain.player import LEG_KINDS
from bot.domain.safety import PainKind, needs_rescreen

POOL = (
    "bird_dog_toes_down",
    "bird_dog",
    "superman",
    "glute_bridge",
    "figure_four_bridge",
    "single_leg_bridge",
    "prone_leg_lift",
    "knee_plank",
    "front_plank",
    "drawing_in",
    "leg_slide",
    "cat_camel",
    "supine_hamstring_stretch",
)
PROGRESS = {ChangeKind.DOSE_UP, ChangeKind.LADDER_UP}
SETTINGS = settings(max_examples=80, deadline=None, derandomize=True)

# Mostly low pain, mostly "done" and few red flags, so runs of easy routines (and so progress,
# ladders and level offers) actually happen; every kind of report still comes up.
pains = st.one_of(st.integers(0, 3), st.integers(0, 3), st.integers(0, 10), st.none())
settled = st.integers(0, BASELINE + 1)
mornings = st.one_of(settled, settled, settled, st.integers(0, 10))


@dataclass(frozen=True)
class Item:
    pick: int
    outcome: Outcome
    kind: PainKind | None
    pain: int | None


@dataclass(frozen=True)
class DoRoutine:
    gap: int
    items: tuple[Item, ...]
    end_pain: int | None


@dataclass(frozen=True)
class AnswerMorning:
    gap: int
    pain: int


@dataclass(frozen=True)
class AnswerFeel:
    feel: Feel


@dataclass(frozen=True)
class ReportSymptom:
    gap: int
    symptom: Symptom


@dataclass(frozen=True)
class ClearScreen:
    pass


@dataclass(frozen=True)
class AcceptOffer:
    pass


Step = DoRoutine | AnswerMorning | AnswerFeel | ReportSymptom | ClearScreen | AcceptOffer

items = st.builds(
    Item,
    # The first few allowed exercises come up again and again, so they can earn their steps.
    pick=st.one_of(st.integers(0, 2), st.integers(0, 100)),
    outcome=st.sampled_from(
        [Outcome.DONE] * 5 + [Outcome.SKIPPED] * 2 + [Outcome.HURT, Outcome.STOPPED]
    ),
    kind=st.one_of(
        st.none(), st.sampled_from([PainKind.ACHE, PainKind.STIFF]), st.sampled_from(list(PainKind))
    ),
    pain=pains,
)
routines = st.builds(
    DoRoutine,
    gap=st.integers(0, 3),
    items=st.lists(items, min_size=1, max_size=3).map(tuple),
    end_pain=pains,
)
good_items = st.builds(
    Item,
    pick=st.integers(0, 2),
    outcome=st.just(Outcome.DONE),
    kind=st.none(),
    pain=st.integers(0, 3),
)
feels = st.builds(AnswerFeel, feel=st.sampled_from(list(Feel)))
good_days = st.tuples(
    st.builds(
        DoRoutine,
        gap=st.integers(1, 2),
        items=st.lists(good_items, min_size=1, max_size=3).map(tuple),
        end_pain=st.integers(0, 3),
    ),
    st.just(AnswerFeel(Feel.EASY)),
    st.builds(AnswerMorning, gap=st.just(1), pain=settled),
).map(list)
day_steps: st.SearchStrategy[list[Step]] = st.one_of(
    good_days,
    good_days,
    # A routine, usually followed by how it felt and the next morning's answer.
    st.tuples(routines, feels, st.builds(AnswerMorning, gap=st.integers(1, 2), pain=mornings)).map(
        list
    ),
    st.tuples(routines, st.builds(AnswerMorning, gap=st.integers(1, 2), pain=mornings)).map(list),
    st.tuples(routines, feels).map(list),
    st.tuples(st.builds(AnswerMorning, gap=st.integers(0, 3), pain=mornings)).map(list),
)
rare_steps: st.SearchStrategy[list[Step]] = st.one_of(
    st.tuples(
        st.builds(ReportSymptom, gap=st.integers(0, 2), symptom=st.sampled_from(list(Symptom)))
    ).map(list),
    st.just([ClearScreen()]),
    st.just([ClearScreen()]),
    st.just([AcceptOffer()]),
    st.just([AcceptOffer()]),
)


def histories(steps: st.SearchStrategy[list[Step]]) -> st.SearchStrategy[list[Step]]:
    return st.lists(steps, min_size=10, max_size=30).map(lambda days: [s for d in days for s in d])


all_steps = histories(st.one_of(day_steps, day_steps, day_steps, day_steps, rare_steps))
event_steps = histories(
    st.one_of(
        day_steps,
        day_steps,
        day_steps,
        day_steps,
        st.tuples(
            st.builds(ReportSymptom, gap=st.integers(0, 2), symptom=st.sampled_from(list(Symptom)))
        ).map(list),
    )
)


LADDERS = sorted({LIB.ladder(some_id)[0].id for some_id in POOL})


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    """A level and, for some ladders, a rung and a dose step anywhere on it."""
    exercises: dict[str, ExercisePlan] = {}
    for root in draw(st.lists(st.sampled_from(LADDERS), min_size=2, unique=True)):
        rungs = LIB.ladder(root)
        exercise = rungs[draw(st.integers(0, len(rungs) - 1))]
        steps = dose_steps(exercise)
        dose = steps[draw(st.one_of(st.just(len(steps) - 1), st.integers(0, len(steps) - 1)))]
        exercises[exercise.id] = ExercisePlan(exercise_id=exercise.id, dose=dose)
    return Plan(level=draw(st.integers(1, 3)), exercises=exercises)


@dataclass
class Sim:
    """The simulated user and what the test expects of the plan."""

    plan: Plan
    n: int = 0
    events: list[Event] = field(default_factory=list)
    last_at: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    blocked: bool = False
    banned: dict[str, date] = field(default_factory=dict)
    seen: dict[str, list[tuple[date, bool]]] = field(default_factory=dict)
    feels: dict[date, Feel] = field(default_factory=dict)
    routine_days: list[date] = field(default_factory=list)
    offers: list[Adaptation] = field(default_factory=list)

    @property
    def today(self) -> date:
        return day(self.n)

    def at(self, hour: int) -> datetime:
        """Event times strictly increase, as the server records them."""
        today = self.today
        natural = datetime(today.year, today.month, today.day, hour, tzinfo=UTC)
        self.last_at = max(natural, self.last_at + timedelta(seconds=1))
        return self.last_at

    def event(self, step: Step) -> Event | None:
        if isinstance(step, DoRoutine):
            self.n += step.gap
            if self.blocked:
                return None  # no routine until the screen is clear
            excluded = routine_inputs(self.plan, LIB, self.today).excluded
            allowed = [some_id for some_id in POOL if some_id not in excluded]
            records: list[ItemRecord] = []
            for item in step.items:
                some_id = allowed[item.pick % len(allowed)]
                # Like the builder: one rung per ladder (the same exercise may come twice).
                if any(
                    r.exercise_id != some_id and rung(r.exercise_id)[0] == rung(some_id)[0]
                    for r in records
                ):
                    continue
                records.append(
                    ItemRecord(
                        exercise_id=some_id,
                        outcome=item.outcome,
                        pain_kind=item.kind if item.outcome is Outcome.HURT else None,
                        pain=item.pain,
                    )
                )
            return RoutineRecord(
                at=self.at(18), local_date=self.today, items=tuple(records), end_pain=step.end_pain
            )
        if isinstance(step, AnswerMorning):
            self.n += step.gap
            return MorningReport(at=self.at(7), local_date=self.today, pain=step.pain)
        if isinstance(step, AnswerFeel):
            if not self.routine_days or self.routine_days[-1] != self.today:
                return None  # no routine today to say it about
            self.feels.setdefault(self.today, step.feel)  # the first answer counts
            return FeelReport(at=self.at(18), local_date=self.today, feel=step.feel)
        if isinstance(step, ReportSymptom):
            self.n += step.gap
            return SymptomReport(at=self.at(12), local_date=self.today, symptom=step.symptom)
        return None

    def confirm(self, step: Step) -> Adaptation | None:
        """The steps that are not events: the screen is clear, an offer is accepted."""
        if isinstance(step, ClearScreen):
            self.blocked = False
            return clear_rescreen(self.plan, self.today)
        if isinstance(step, AcceptOffer) and self.offers and self.offers[-1].offers:
            offer = self.offers[-1].offers[-1]
            if offer.kind is OfferKind.LEVEL_UP:
                return accept_level_up(self.plan, self.today)
            assert offer.exercise_id is not None
            try:
                return accept_swap(
                    self.plan, LIB, offer.exercise_id, offer.alternatives[0], self.today
                )
            except ValueError:
                return None  # the plan moved on since the offer
        return None


def rung(exercise_id: str) -> tuple[str, int]:
    ladder = [ex.id for ex in LIB.ladder(exercise_id)]
    return ladder[0], ladder.index(exercise_id)


def effective_pain(item: ItemRecord, record: RoutineRecord) -> int | None:
    return item.pain if item.pain is not None else record.end_pain


def check_plan(plan: Plan, sim: Sim) -> None:
    """Invariants of any plan: bounds, one rung per ladder, bans, the block."""
    assert 1 <= plan.level <= 3
    roots = [rung(some_id)[0] for some_id in plan.exercises]
    assert len(roots) == len(set(roots)), plan.exercises
    for some_id, entry in plan.exercises.items():
        exercise = LIB.get(some_id)
        start, ceiling, dose = exercise.dose_start, exercise.dose_ceiling, entry.dose
        assert (dose.kind, dose.per_side) == (start.kind, start.per_side)
        assert start.amount <= dose.amount <= ceiling.amount
        assert start.reps <= dose.reps <= ceiling.reps
        assert start.sets <= dose.sets <= ceiling.sets
    inputs = routine_inputs(plan, LIB, sim.today)
    assert plan.blocked_for_rescreen == sim.blocked == inputs.blocked
    for some_id, until in sim.banned.items():
        if sim.today < until:
            assert some_id in inputs.excluded, (some_id, until, sim.today)


def check_changes(before: Plan, result: Adaptation, event: Event | None, sim: Sim) -> None:
    """Invariants of one step's changes."""
    for change in result.changes:
        if change.kind is ChangeKind.LADDER_UP:
            assert isinstance(change.before, str)
            assert change.after == LIB.get(change.before).harder
        if change.kind is ChangeKind.LADDER_DOWN:
            assert isinstance(change.before, str)
            assert change.after == LIB.get(change.before).easier
        if change.kind in PROGRESS:
            # Only a settled morning (not above the baseline) after two routines in a row said
            # to feel easy, each done with pain 0-3, earns a step.
            assert isinstance(event, MorningReport)
            assert event.pain <= BASELINE
            assert not before.gentle and not result.plan.gentle
            assert change.exercise_id is not None
            last_two = sim.seen[change.exercise_id][-2:]
            assert [easy for _, easy in last_two] == [True, True]
            assert [sim.feels.get(on) for on, _ in last_two] == [Feel.EASY, Feel.EASY]
    # The plan moves at most one rung per ladder per event.
    old = {rung(i)[0]: rung(i)[1] for i in before.exercises}
    for some_id in result.plan.exercises:
        root, index = rung(some_id)
        if root in old:
            assert abs(index - old[root]) <= 1


def record_routine(record: RoutineRecord, result: Adaptation, sim: Sim) -> None:
    """Remember the evidence for progress and the bans that sharp pain must cause."""
    for some_id in {item.exercise_id for item in record.items}:
        mine = [item for item in record.items if item.exercise_id == some_id]
        # An appearance is easy when every report of it is "done" with pain 0-3 (its own, or
        # the routine's end pain).
        pains = [effective_pain(i, record) for i in mine]
        easy = all(i.outcome is Outcome.DONE for i in mine) and all(
            pain is not None and pain <= 3 for pain in pains
        )
        sim.seen.setdefault(some_id, []).append((record.local_date, easy))
        sharp = any(
            i.outcome is Outcome.HURT and i.pain_kind is not None and needs_rescreen(i.pain_kind)
            for i in mine
        )
        too_much = any(
            i.outcome is Outcome.HURT and (effective_pain(i, record) or 0) > 5 for i in mine
        )
        if sharp or too_much:
            moved = {
                (c.kind, c.exercise_id)
                for c in result.changes
                if c.kind in {ChangeKind.LADDER_DOWN, ChangeKind.EXCLUDED}
            }
            assert moved & {(ChangeKind.LADDER_DOWN, some_id), (ChangeKind.EXCLUDED, some_id)}
            sim.banned[some_id] = record.local_date + timedelta(days=7)
        if any(i.outcome is Outcome.HURT and i.pain_kind in LEG_KINDS for i in mine):
            # Only leg symptoms bring the red-flag screen back.
            sim.blocked = True


def play(steps: list[Step], start: Plan, baseline: int = BASELINE) -> Sim:
    sim = Sim(plan=start)
    for step in steps:
        before = sim.plan
        event = sim.event(step)
        if event is not None:
            sim.events.append(event)
            result = adapt(sim.plan, LIB, sim.events, baseline, sim.today)
            if isinstance(event, SymptomReport):
                sim.blocked = True
            if isinstance(event, RoutineRecord):
                sim.routine_days.append(event.local_date)
                record_routine(event, result, sim)
            # The same history again changes nothing: it is all applied already.
            again = adapt(result.plan, LIB, sim.events, baseline, sim.today)
            assert (again.plan, again.changes, again.offers) == (result.plan, (), ())
        else:
            confirmed = sim.confirm(step)
            if confirmed is None:
                continue
            result = confirmed
        check_changes(before, result, event, sim)
        sim.plan = result.plan
        sim.offers.append(result)
        check_plan(sim.plan, sim)
        assert result.rescreen_required == sim.blocked
    return sim


@SETTINGS
@given(all_steps, plans())
def test_invariants_hold_over_random_histories(steps: list[Step], start: Plan) -> None:
    play(steps, start)


@settings(SETTINGS, max_examples=40)
@given(event_steps, plans())
def test_one_call_for_all_events_equals_one_call_per_event(steps: list[Step], start: Plan) -> None:
    sim = play(steps, start)
    batch = adapt(start, LIB, sim.events, BASELINE, sim.today)
    assert batch.plan == sim.plan
    stepwise = [c for result in sim.offers for c in result.changes]
    assert list(batch.changes) == stepwise
    assert list(batch.offers) == [o for result in sim.offers for o in result.offers]
