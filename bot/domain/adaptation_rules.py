"""The rules of plan adaptation, applied one event at a time.

The rules themselves are listed in ``bot.domain.adaptation``; the numbers are the constants
below. :class:`Fold` holds a working copy of the plan while events are applied in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Literal

from bot.domain.adaptation_dose import heavier, lighter, snap
from bot.domain.adaptation_inputs import alternatives, ladder_root
from bot.domain.adaptation_model import (
    Change,
    ChangeKind,
    Event,
    EventKey,
    ExercisePlan,
    FeelReport,
    ItemRecord,
    MorningReport,
    Offer,
    OfferKind,
    Outcome,
    PainNote,
    PendingRoutine,
    Plan,
    Reason,
    RoutineRecord,
    RoutineSummary,
    SymptomReport,
    Verdict,
)
from bot.domain.feel import Feel
from bot.domain.pain import SEVERE_PAIN
from bot.domain.player import LEG_KINDS
from bot.domain.safety import needs_rescreen
from content.library import Library
from content.model import Category, Dose

__all__ = [
    "CALM_MORNING",
    "CALM_MORNINGS_TO_LEAVE",
    "EARN_AFTER",
    "FINE_PAIN",
    "HOLD_DAYS",
    "LEVEL_DOWN_HURTS",
    "LEVEL_UP_DAYS",
    "LEVEL_UP_DONE_SHARE",
    "LEVEL_WINDOW",
    "MAX_LEVEL",
    "NEXT_MORNING_DAYS",
    "SEE_PROFESSIONAL_DAYS",
    "SEVERE_MORNING",
    "SKIPS_FOR_OFFER",
    "SWAP_ALTERNATIVES",
    "TOO_MUCH_PAIN",
    "WORSE_BY",
    "Fold",
]

FINE_PAIN = 3
"""Pain up to this during or right after an exercise is fine and can earn progress."""
TOO_MUCH_PAIN = 5
"""Pain above this is too much."""
WORSE_BY = 2
"""A next morning this many points above the baseline (or more) makes the plan lighter; any
amount above the baseline is not settled (no step up)."""
NEXT_MORNING_DAYS = 2
"""A morning answer this many days after a routine, at most, still judges it."""
EARN_AFTER = 2
"""Routines in a row said to feel easy (each with a settled next morning) that earn a step."""
HOLD_DAYS = 7
"""After a hurt, the exercise stays down (or out) at least this long."""
SKIPS_FOR_OFFER = 3
SWAP_ALTERNATIVES = 3
SEVERE_MORNING = SEVERE_PAIN
"""Morning pain from which only gentle days are planned."""
CALM_MORNING = 5
CALM_MORNINGS_TO_LEAVE = 2
SEE_PROFESSIONAL_DAYS = 14
LEVEL_WINDOW = 6
"""Routines the level rules look at."""
LEVEL_UP_DAYS = 11
LEVEL_UP_DONE_SHARE = 0.8
LEVEL_DOWN_HURTS = 3
"""Routines with a hurt, within the level window, that move the level down."""
MAX_LEVEL = 3

_OUTCOME_RANK = {Outcome.DONE: 0, Outcome.STOPPED: 1, Outcome.SKIPPED: 2, Outcome.HURT: 3}


def _worst_items(record: RoutineRecord) -> dict[str, ItemRecord]:
    """One item per exercise, its pain filled in from the routine's end pain where missing.

    The worst report wins: hurt > skipped > stopped > done, then sharp, then the higher pain.
    """

    def badness(item: ItemRecord) -> tuple[int, int, int]:
        sharp = item.pain_kind is not None and needs_rescreen(item.pain_kind)
        pain = -1 if item.pain is None else item.pain
        return (_OUTCOME_RANK[item.outcome], int(sharp), pain)

    worst: dict[str, ItemRecord] = {}
    for item in record.items:
        if item.pain is None and record.end_pain is not None:
            item = item.model_copy(update={"pain": record.end_pain})
        current = worst.get(item.exercise_id)
        if current is None or badness(item) > badness(current):
            worst[item.exercise_id] = item
    return worst


def _too_much(record: RoutineRecord) -> bool:
    """Whether any pain of the routine, during an exercise or at its end, was above 5."""
    pains = [item.pain for item in record.items if item.pain is not None]
    if record.end_pain is not None:
        pains.append(record.end_pain)
    return any(pain > TOO_MUCH_PAIN for pain in pains)


class Fold:
    """Mutable working copy of a plan while events are applied; ``plan()`` freezes it."""

    def __init__(self, plan: Plan, library: Library, baseline: int) -> None:
        self.library = library
        self.baseline = baseline
        self.level = plan.level
        self.excluded = dict(plan.excluded)
        self.swaps = dict(plan.swaps)
        self.gentle_since = plan.gentle_since
        self.calm = plan.calm_mornings
        self.blocked = plan.blocked_for_rescreen
        self.pending = plan.pending
        self.verdict = plan.verdict
        self.morning_on = plan.morning_on
        self.recent = plan.recent
        self.level_since = plan.level_since
        self.cursor = plan.applied_through
        self.pins = self._pins(plan.exercises.values())
        self.changes: list[Change] = []
        self.offers: list[Offer] = []

    def _pins(self, entries: Iterable[ExercisePlan]) -> dict[str, ExercisePlan]:
        """Entries by ladder (its easiest rung); doses snapped onto their steps."""
        pins: dict[str, ExercisePlan] = {}
        for entry in sorted(entries, key=lambda e: e.exercise_id):
            if entry.exercise_id not in self.library:
                continue  # gone from the library: the builder cannot pick it either
            exercise = self.library.get(entry.exercise_id)
            entry = entry.model_copy(update={"dose": snap(exercise, entry.dose)})
            root = ladder_root(self.library, entry.exercise_id)
            other = pins.get(root)
            # Two rungs of one ladder (stale data): keep the easier one, it is the safe side.
            if other is None or self._rung(entry.exercise_id) < self._rung(other.exercise_id):
                pins[root] = entry
        return pins

    def plan(self) -> Plan:
        """The plan as it stands after the events applied so far."""
        return Plan(
            level=self.level,
            exercises={pin.exercise_id: pin for _, pin in sorted(self.pins.items())},
            excluded=dict(sorted(self.excluded.items())),
            swaps=self.swaps,
            gentle_since=self.gentle_since,
            calm_mornings=self.calm,
            blocked_for_rescreen=self.blocked,
            pending=self.pending,
            verdict=self.verdict,
            morning_on=self.morning_on,
            recent=self.recent,
            level_since=self.level_since,
            applied_through=self.cursor,
        )

    # -- events ------------------------------------------------------------------------

    def apply(self, key: EventKey, event: Event) -> None:
        """Apply one event (the caller passes them in key order, each once)."""
        self.cursor = key
        on = event.local_date
        self.excluded = {some_id: until for some_id, until in self.excluded.items() if on < until}
        if isinstance(event, SymptomReport):
            self._block(on, Reason.RED_FLAG_SYMPTOM, {"symptom": event.symptom.value})
        elif isinstance(event, MorningReport):
            self._morning(event)
        elif isinstance(event, FeelReport):
            self._feel(event)
        elif isinstance(event, PainNote):
            self._note(event)
        else:
            self._routine(event)

    def _morning(self, report: MorningReport) -> None:
        on, pain = report.local_date, report.pain
        # A routine done on a gentle day earns nothing, even if this morning ends them.
        gentle = self.gentle_since is not None
        self._gentle(on, pain, again=on == self.morning_on)
        gentle = gentle or self.gentle_since is not None
        self.morning_on = on
        pending = self.pending
        if pending is None or on <= pending.local_date:
            # Nothing to judge, or an answer given later on the routine's own day; a second,
            # worse answer about a morning that judged a routine judges it again.
            self._rejudge(on, pain)
            return
        self.pending = None
        if (on - pending.local_date).days > NEXT_MORNING_DAYS:
            self._reset_all()  # too late to speak for that routine: the run is broken
            return
        self.verdict = Verdict(local_date=on, pain=pain)
        if pain >= self.baseline + WORSE_BY:
            self._worse(pending, on, pain)
        elif pain > self.baseline:
            self._reset_all()  # not settled: no step up for any exercise
        elif gentle:
            self._reset_all()
        else:
            self._settled(pending, on)

    def _rejudge(self, on: date, pain: int) -> None:
        verdict = self.verdict
        if verdict is None or verdict.local_date != on or pain <= verdict.pain:
            return
        self.verdict = Verdict(local_date=on, pain=pain)
        if pain >= self.baseline + WORSE_BY > verdict.pain:
            self._worse(PendingRoutine(local_date=on), on, pain)
        elif pain > self.baseline >= verdict.pain:
            self._reset_all()

    def _feel(self, report: FeelReport) -> None:
        """ "How did that feel?" answered: it belongs to the routine of its date (first counts)."""
        pending = self.pending
        if pending is not None and pending.local_date == report.local_date and not pending.feel:
            self.pending = pending.model_copy(update={"feel": report.feel})

    def _note(self, note: PainNote) -> None:
        """A typed score: on the routine's day, above 5 stops any step up from it; on a later
        day it is how the back is since, judged as the next morning is (never as settled).
        """
        pending, on, pain = self.pending, note.local_date, note.pain
        if pending is None or on < pending.local_date:
            return
        if on == pending.local_date:
            if pain > TOO_MUCH_PAIN:
                self._reset_all()
                self.pending = pending.model_copy(update={"easy": ()})
            return
        if pain <= self.baseline:
            return  # only the morning answer can say "settled"
        self.pending = None
        if (on - pending.local_date).days <= NEXT_MORNING_DAYS and pain >= (
            self.baseline + WORSE_BY
        ):
            self.verdict = Verdict(local_date=on, pain=pain)
            self._worse(pending, on, pain)
        else:
            self._reset_all()

    def _gentle(self, on: date, pain: int, *, again: bool) -> None:
        """Gentle days from a morning at 7+ until two calm mornings in a row.

        ``again``: a second answer about the same morning; it can end a calm run, not add to it.
        """
        if pain >= SEVERE_MORNING:
            self.calm = 0
            if self.gentle_since is None:
                self.gentle_since = on
                self._change(ChangeKind.GENTLE_ON, Reason.MORNING_SEVERE, on, params={"pain": pain})
        elif self.gentle_since is not None:
            if pain > CALM_MORNING:
                self.calm = 0
            elif not again:
                self.calm += 1
            if self.calm >= CALM_MORNINGS_TO_LEAVE:
                self.gentle_since = None
                self.calm = 0
                self._change(ChangeKind.GENTLE_OFF, Reason.MORNING_EASED, on, params={"pain": pain})

    def _worse(self, pending: PendingRoutine, on: date, pain: int) -> None:
        params = {"morning": pain, "baseline": self.baseline}
        moved: set[str] = set()
        for exercise_id in pending.ached:
            root = ladder_root(self.library, exercise_id)
            pin = self.pins.get(root)
            if pin is not None and pin.exercise_id == exercise_id:
                self._regress(exercise_id, on, Reason.MORNING_WORSE, params, drop=False)
                moved.add(root)
        for root, pin in sorted(self.pins.items()):
            exercise = self.library.get(pin.exercise_id)
            if root not in moved and exercise.category is Category.STRENGTH:
                self._lighter(root, on, Reason.MORNING_WORSE, params)
        self._reset_all()

    def _settled(self, pending: PendingRoutine, on: date) -> None:
        if pending.feel is not Feel.EASY:
            # Progress is asked, not guessed: "about right", "hard" or no answer earn nothing,
            # and the two "easy" answers a step needs come in a row.
            self._reset_all()
            return
        for exercise_id in pending.easy:
            root = ladder_root(self.library, exercise_id)
            pin = self.pins.get(root)
            if pin is None or pin.exercise_id != exercise_id:
                continue
            streak = pin.easy_streak + 1
            self.pins[root] = pin.model_copy(update={"easy_streak": streak})
            if streak >= EARN_AFTER:
                self._progress(root, on, streak)

    def _routine(self, record: RoutineRecord) -> None:
        on = record.local_date
        if self.pending is not None:
            # No morning answer between the two routines: not settled, the run is broken.
            self._reset_all()
            self.pending = None
        easy: list[str] = []
        ached: list[str] = []
        items = _worst_items(record)
        for exercise_id, item in sorted(items.items()):
            if exercise_id not in self.library:
                continue
            verdict = self._item(exercise_id, item, on)
            if verdict == "easy":
                easy.append(exercise_id)
            elif verdict == "ached":
                ached.append(exercise_id)
        if _too_much(record):
            # During or end pain above 5 (a hurt above 5 included): no step up for any exercise
            # after this day, and every run starts again.
            self._reset_all()
            easy = []
        self.pending = PendingRoutine(local_date=on, easy=tuple(easy), ached=tuple(ached))
        self._level(record, items, on)

    def _item(
        self, exercise_id: str, item: ItemRecord, on: date
    ) -> Literal["easy", "ached"] | None:
        """Apply the at-once rules to one exercise; "easy" or "ached" if the morning decides."""
        pain = item.pain
        root = ladder_root(self.library, exercise_id)
        pin = self.pins.get(root)
        if pin is None:
            pin = ExercisePlan(
                exercise_id=exercise_id, dose=self.library.get(exercise_id).dose_start
            )
            self.pins[root] = pin
        on_plan = pin.exercise_id == exercise_id
        params: dict[str, str | int] = {} if pain is None else {"pain": pain}
        if item.outcome is Outcome.HURT:
            kind = item.pain_kind
            if kind is not None:
                params["pain_kind"] = kind.value
            if kind is not None and needs_rescreen(kind):
                # Only symptoms in the leg bring the red-flag screen back (the player asks it
                # at once); sharp or shooting pain in the back moves the exercise down.
                if kind in LEG_KINDS:
                    self._block(on, Reason.RED_FLAG_SYMPTOM, {**params, "symptom": kind.value})
                self._regress(exercise_id, on, Reason.HURT_SHARP, params, drop=True)
                return None
            if pain is not None and pain > TOO_MUCH_PAIN:
                self._regress(exercise_id, on, Reason.HURT_TOO_MUCH, params, drop=True)
                return None
            if not on_plan:
                return None
            self._lighter(root, on, Reason.HURT_ACHE, params)
            self._update(root, easy_streak=0, skip_streak=0)
            return "ached"
        if not on_plan:
            return None  # a rung the plan did not pick: only the safety rules above apply
        if item.outcome is Outcome.SKIPPED:
            self._skipped(root, exercise_id, on)
            return None
        if item.outcome is Outcome.STOPPED:
            self._update(root, easy_streak=0)
            return None
        self._update(root, skip_streak=0)
        if pain is not None and pain > TOO_MUCH_PAIN:
            self._lighter(root, on, Reason.PAIN_TOO_HIGH, params)
        if pain is None or pain > FINE_PAIN:
            self._update(root, easy_streak=0)
            return None
        return "easy"

    def _skipped(self, root: str, exercise_id: str, on: date) -> None:
        skips = self.pins[root].skip_streak + 1
        self._update(root, easy_streak=0, skip_streak=0 if skips >= SKIPS_FOR_OFFER else skips)
        if skips < SKIPS_FOR_OFFER:
            return
        options = alternatives(self.plan(), self.library, exercise_id, on, SWAP_ALTERNATIVES)
        if options:
            self.offers.append(
                Offer(
                    kind=OfferKind.SWAP,
                    reason=Reason.SKIPPED_OFTEN,
                    on=on,
                    exercise_id=exercise_id,
                    alternatives=options,
                )
            )

    def _level(self, record: RoutineRecord, items: Mapping[str, ItemRecord], on: date) -> None:
        pains = [item.pain for item in items.values() if item.pain is not None]
        if record.end_pain is not None:
            pains.append(record.end_pain)
        summary = RoutineSummary(
            local_date=on,
            items=len(items),
            done=sum(item.outcome is Outcome.DONE for item in items.values()),
            hurts=sum(item.outcome is Outcome.HURT for item in items.values()),
            max_pain=max(pains, default=None),
        )
        if self.level_since is None:
            self.level_since = on
        self.recent = (*self.recent, summary)[-LEVEL_WINDOW:]
        # Routines with a hurt, not hurt items: one bad day is not "repeated".
        hurts = sum(1 for s in self.recent if s.hurts)
        if self.level > 1 and hurts >= LEVEL_DOWN_HURTS:
            self._change(
                ChangeKind.LEVEL_DOWN,
                Reason.REPEATED_HURTS,
                on,
                before=self.level,
                after=self.level - 1,
                params={"hurts": hurts, "routines": len(self.recent)},
            )
            self.level -= 1
            self.recent, self.level_since = (), None
        elif self._earned_level_up(on):
            self.offers.append(
                Offer(kind=OfferKind.LEVEL_UP, reason=Reason.STEADY, on=on, level=self.level + 1)
            )
            self.recent, self.level_since = (), None

    def _earned_level_up(self, on: date) -> bool:
        recent = self.recent
        if (
            self.level >= MAX_LEVEL
            or self.blocked
            or self.gentle_since is not None
            or self.level_since is None
            or len(recent) < LEVEL_WINDOW
            or (on - self.level_since).days < LEVEL_UP_DAYS
        ):
            return False
        items = sum(s.items for s in recent)
        done = sum(s.done for s in recent)
        return (
            items > 0
            and done >= LEVEL_UP_DONE_SHARE * items
            and all(s.hurts == 0 for s in recent)
            and all(s.max_pain is not None and s.max_pain <= FINE_PAIN for s in recent)
        )

    # -- plan edits ----------------------------------------------------------------------

    def _rung(self, exercise_id: str) -> int:
        ids = [ex.id for ex in self.library.ladder(exercise_id)]
        return ids.index(exercise_id)

    def _update(self, root: str, **fields: int) -> None:
        self.pins[root] = self.pins[root].model_copy(update=fields)

    def _reset_all(self) -> None:
        """Every run of easy routines starts again (runs count routines in a row)."""
        for root, pin in self.pins.items():
            if pin.easy_streak:
                self._update(root, easy_streak=0)

    def _block(self, on: date, reason: Reason, params: Mapping[str, str | int]) -> None:
        if not self.blocked:
            self.blocked = True
            self._change(ChangeKind.BLOCKED, reason, on, params=params)

    def _lighter(
        self, root: str, on: date, reason: Reason, params: Mapping[str, str | int]
    ) -> None:
        pin = self.pins[root]
        exercise = self.library.get(pin.exercise_id)
        dose = lighter(exercise, pin.dose)
        if dose is None:
            return  # already at the starting dose: nothing lighter on this rung
        self.pins[root] = pin.model_copy(update={"dose": dose, "easy_streak": 0})
        self._change(
            ChangeKind.DOSE_DOWN,
            reason,
            on,
            exercise_id=pin.exercise_id,
            before=pin.dose,
            after=dose,
            params=params,
        )

    def _regress(
        self,
        exercise_id: str,
        on: date,
        reason: Reason,
        params: Mapping[str, str | int],
        *,
        drop: bool,
    ) -> None:
        """One rung down from ``exercise_id`` and held there; at the bottom, out (or lighter)."""
        root = ladder_root(self.library, exercise_id)
        pin = self.pins[root]
        until = on + timedelta(days=HOLD_DAYS)
        if self._rung(pin.exercise_id) < self._rung(exercise_id):
            # The plan already stands below the rung that hurt: keep it there, and hold it.
            held = max(until, pin.held_until or until)
            self.pins[root] = pin.model_copy(update={"held_until": held, "easy_streak": 0})
            return
        exercise = self.library.get(exercise_id)
        easier = self.library.easier(exercise_id)
        if easier is not None:
            self.pins[root] = ExercisePlan(
                exercise_id=easier.id, dose=easier.dose_start, held_until=until
            )
            self._change(
                ChangeKind.LADDER_DOWN,
                reason,
                on,
                exercise_id=exercise_id,
                before=exercise_id,
                after=easier.id,
                until=until,
                params=params,
            )
        elif drop:
            self.excluded[exercise_id] = max(until, self.excluded.get(exercise_id, until))
            self.pins[root] = ExercisePlan(
                exercise_id=exercise_id, dose=exercise.dose_start, held_until=until
            )
            self._change(
                ChangeKind.EXCLUDED,
                reason,
                on,
                exercise_id=exercise_id,
                before=exercise_id,
                until=until,
                params=params,
            )
        else:
            self._lighter(root, on, reason, params)

    def _progress(self, root: str, on: date, streak: int) -> None:
        """One earned step: the next dose, or at the ceiling the next rung at its start."""
        pin = self.pins[root]
        self._update(root, easy_streak=0)
        exercise = self.library.get(pin.exercise_id)
        if exercise.fills_time:
            # The builder sets this one's length to fit the time budget: a dose step would be
            # announced to the user and then never played.
            return
        dose = heavier(exercise, pin.dose)
        if dose is not None:
            self.pins[root] = pin.model_copy(update={"dose": dose, "easy_streak": 0})
            self._change(
                ChangeKind.DOSE_UP,
                Reason.EARNED,
                on,
                exercise_id=pin.exercise_id,
                before=pin.dose,
                after=dose,
                params={"streak": streak},
            )
            return
        harder = self.library.harder(pin.exercise_id)
        held = pin.held_until is not None and on < pin.held_until
        if harder is None or held or self.excluded.get(harder.id, on) > on:
            return
        self.pins[root] = ExercisePlan(exercise_id=harder.id, dose=harder.dose_start)
        self._change(
            ChangeKind.LADDER_UP,
            Reason.EARNED,
            on,
            exercise_id=pin.exercise_id,
            before=pin.exercise_id,
            after=harder.id,
            params={"streak": streak},
        )

    def _change(
        self,
        kind: ChangeKind,
        reason: Reason,
        on: date,
        *,
        exercise_id: str | None = None,
        before: Dose | str | int | None = None,
        after: Dose | str | int | None = None,
        until: date | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> None:
        self.changes.append(
            Change(
                kind=kind,
                reason=reason,
                on=on,
                exercise_id=exercise_id,
                before=before,
                after=after,
                until=until,
                params=dict(params or {}),
            )
        )
