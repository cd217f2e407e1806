"""Build the day's routine from level, today's pain, a time budget, recent history and doses.

Input is a :class:`RoutineRequest`: level 1-3, pain 0-10, a budget of 10, 15 or 20 minutes,
the user's local ``today``, ``history`` (exercises done, each with its local date), ``excluded``
ids, ``swaps`` (id -> id), ``doses`` (id -> current :class:`Dose`) and a ``seed`` for variety
across days (defaults to ``today.toordinal()``).

Rules:

* Pain 7 or more is a gentle day: a walk, then level-1 mobility and stretches, nothing else.
  Pain 4-6 works one level below the user's (never below 1); pain 0-3 at the user's level.
* No strength work for a muscle that a strength exercise in ``history`` worked today or
  yesterday. Activation drills (drawing-in, dead bug ...) are light motor control and exempt.
* Nothing excluded ever appears. Avoid-list items are not exercises (the library checks
  their ids apart), so they cannot be picked, and a swap to one is ignored.
* A swap takes its source out of the routine and prefers its target. The target must pass
  the same rules, except that on a pain 0-3 day it may sit above the user's level (the swap
  records where this user stands on that ladder). An unusable target leaves the source out.
* At most one exercise per ladder: a swap target if any, else the hardest rung allowed.
* Exercises done in the last 48 h come after fresh ones; ties break on a hash of (seed, id),
  so the same request always gives the same routine.
* A dose override is used when its kind and per_side match the exercise; otherwise (stale
  data) the starting dose is. Fitting the budget may drop whole sets, never reps or hold time.

Shape, as in the seeds' sample routine: warm-up (an easy walk plus prep moves, ~5 min),
core activation, strength, then mobility and stretches. Within a section items are grouped
by body position (standing first, lying on the back last) to save getting up and down.
The walk is sized last, in 30 s steps between 1 min and its dose ceiling, so the estimated
total lands on the budget; when it cannot absorb the gap, items are added or dropped first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from content.library import Library
from content.model import (
    Category,
    Done,
    Dose,
    Exercise,
    Muscle,
    Position,
    Routine,
    RoutineItem,
    Section,
)
from content.timing import TRANSITION_S, estimate_seconds, segments

__all__ = [
    "RoutineRequest",
    "build_routine",
    "effective_level",
    "estimate_seconds",
    "segments",
]

GENTLE_PAIN = 7
"""From this pain score on, the day is gentle: walking, mobility and stretches only."""

MODERATE_PAIN = 4
"""From this pain score on, exercises are picked one level below the user's."""

_WARM_UP_S = {10: 180, 15: 300, 20: 360}
_GENTLE_WALK_S = {10: 180, 15: 240, 20: 300}
_PREP_MOVES = {10: 1, 15: 2, 20: 2}
# Shares of the time left after the warm-up, close to the seeds' sample routine.
_SHARES = {Section.ACTIVATION: 0.2, Section.STRENGTH: 0.5, Section.STRETCH: 0.3}
_SLACK_S = 30  # a section may run this far past its target rather than stay one item short
_FIT_S = 60  # aim inside +-1 min of the budget, well within the promised +-2 min
_FILLER_MIN_S = 60
_FILLER_STEP_S = 30
_GENTLE_CATEGORIES = frozenset({Category.MOBILITY, Category.STRETCH, Category.AEROBIC})
_POSITION_ORDER = (
    Position.STANDING,
    Position.SITTING,
    Position.HANDS_KNEES,
    Position.FACE_DOWN,
    Position.ON_SIDE,
    Position.ON_BACK,
)


class RoutineRequest(BaseModel):
    """What the builder needs to know about the user today (see module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: int = Field(ge=1, le=3)
    pain: int = Field(ge=0, le=10)
    minutes: Literal[10, 15, 20]
    today: date
    history: tuple[Done, ...] = ()
    excluded: frozenset[str] = frozenset()
    swaps: dict[str, str] = Field(default_factory=dict)
    doses: dict[str, Dose] = Field(default_factory=dict)
    seed: int | None = None


def effective_level(level: int, pain: int) -> int:
    """The exercise level today's pain allows for a user of this level."""
    if pain >= GENTLE_PAIN:
        return 1
    if pain >= MODERATE_PAIN:
        return max(1, level - 1)
    return level


@dataclass(frozen=True)
class _Pick:
    exercise: Exercise
    dose: Dose
    seconds: int


@dataclass
class _Section:
    name: Section
    target: int
    candidates: list[Exercise]
    picks: list[_Pick] = field(default_factory=list)

    @property
    def seconds(self) -> int:
        return sum(pick.seconds for pick in self.picks)


def build_routine(library: Library, request: RoutineRequest) -> Routine:
    """The day's routine for this request; the same request always gives the same routine."""
    builder = _Builder(library, request)
    return builder.build()


class _Builder:
    def __init__(self, library: Library, request: RoutineRequest) -> None:
        self.library = library
        self.request = request
        self.gentle = request.pain >= GENTLE_PAIN
        self.level = effective_level(request.level, request.pain)
        self.budget = request.minutes * 60
        self.seed = request.today.toordinal() if request.seed is None else request.seed
        self._picks: dict[str, _Pick] = {}  # estimates are asked for again and again

    def build(self) -> Routine:
        candidates = self._candidates()
        fillers = [ex for ex in candidates if ex.fills_time]
        # Normal days warm up with the warm-up walk; walking proper is the fallback.
        fillers.sort(key=lambda ex: ex.category is not Category.WARM_UP)
        filler = fillers[0] if fillers else None
        sections = self._sections([ex for ex in candidates if not ex.fills_time])
        for section in sections:
            if section.name is not Section.WARM_UP:
                self._fill(section)
        filler_span = (
            (0, 0)
            if filler is None
            else (_FILLER_MIN_S + TRANSITION_S, filler.dose_ceiling.amount + TRANSITION_S)
        )
        self._grow(sections, filler_span)
        self._shrink(sections, filler_span)
        items: list[RoutineItem] = []
        if filler is not None:
            items.append(self._filler_item(filler, sections))
        for section in sections:
            ordered = sorted(
                section.picks, key=lambda p: _POSITION_ORDER.index(p.exercise.position)
            )
            items += [
                RoutineItem(
                    exercise_id=p.exercise.id,
                    section=section.name,
                    dose=p.dose,
                    est_seconds=p.seconds,
                )
                for p in ordered
            ]
        return Routine(
            items=tuple(items),
            budget_minutes=self.request.minutes,
            effective_level=self.level,
            gentle=self.gentle,
        )

    # -- choosing what is allowed today --------------------------------------------------

    def _candidates(self) -> list[Exercise]:
        """Allowed exercises, one per ladder, best first."""
        request = self.request
        targets = {t for t in request.swaps.values() if t in self.library}
        blocked = self._blocked_muscles()
        allowed = [
            ex
            for ex in self.library.all()
            if ex.id not in request.swaps
            and ex.id not in request.excluded
            and self._allowed(ex, blocked, swapped_in=ex.id in targets)
        ]
        recent = self._recent_ids()
        allowed.sort(key=lambda ex: (ex.id not in targets, ex.id in recent, self._tiebreak(ex)))
        by_ladder: dict[str, Exercise] = {}
        for ex in allowed:
            ladder = self.library.ladder(ex.id)[0].id
            best = by_ladder.get(ladder)
            # A swap target (sorted first) keeps its ladder; otherwise the hardest rung wins.
            if best is None or (best.id not in targets and ex.level > best.level):
                by_ladder[ladder] = ex
        chosen = {ex.id for ex in by_ladder.values()}
        return [ex for ex in allowed if ex.id in chosen]

    def _allowed(self, ex: Exercise, blocked: set[Muscle], swapped_in: bool) -> bool:
        if self.gentle and (ex.category not in _GENTLE_CATEGORIES or ex.level > 1):
            return False
        level_ok = ex.level <= self.level or (swapped_in and self.request.pain < MODERATE_PAIN)
        if not level_ok:
            return False
        return not (ex.category is Category.STRENGTH and blocked.intersection(ex.muscles))

    def _blocked_muscles(self) -> set[Muscle]:
        """Muscles a strength exercise worked yesterday or today."""
        days = {self.request.today, self.request.today - timedelta(days=1)}
        blocked: set[Muscle] = set()
        for done in self.request.history:
            if done.on in days and done.exercise_id in self.library:
                ex = self.library.get(done.exercise_id)
                if ex.category is Category.STRENGTH:
                    blocked.update(ex.muscles)
        return blocked

    def _recent_ids(self) -> set[str]:
        since = self.request.today - timedelta(days=2)
        return {d.exercise_id for d in self.request.history if since <= d.on <= self.request.today}

    def _tiebreak(self, ex: Exercise) -> str:
        # A hash, not random.shuffle, so the order never depends on the Python version.
        return hashlib.sha256(f"{self.seed}:{ex.id}".encode()).hexdigest()

    # -- sizing ----------------------------------------------------------------------------

    def _sections(self, candidates: list[Exercise]) -> list[_Section]:
        def of(name: Section) -> list[Exercise]:
            return [ex for ex in candidates if ex.section is name]

        minutes = self.request.minutes
        warm_up = _Section(Section.WARM_UP, 0, of(Section.WARM_UP))
        if self.gentle:
            rest = self.budget - _GENTLE_WALK_S[minutes]
            return [warm_up, _Section(Section.STRETCH, rest, of(Section.STRETCH))]
        warm_up.picks += [self._pick(ex) for ex in warm_up.candidates[: _PREP_MOVES[minutes]]]
        # Prep moves are the shape of the warm-up, not a surplus to trim first.
        warm_up.target = warm_up.seconds
        rest = self.budget - _WARM_UP_S[minutes]
        return [warm_up] + [
            _Section(name, round(rest * share), of(name)) for name, share in _SHARES.items()
        ]

    def _pick(self, ex: Exercise) -> _Pick:
        if ex.id not in self._picks:
            dose = self.request.doses.get(ex.id, ex.dose_start)
            if (dose.kind, dose.per_side) != (ex.dose_start.kind, ex.dose_start.per_side):
                dose = ex.dose_start
            self._picks[ex.id] = _Pick(ex, dose, estimate_seconds(ex, dose))
        return self._picks[ex.id]

    def _next(self, section: _Section, limit: int) -> _Pick | None:
        """The best unused candidate that fits in ``limit`` seconds."""
        used = {p.exercise.id for p in section.picks}
        worked = {m for p in section.picks for m in p.exercise.muscles}
        fitting = [
            pick
            for pick in (self._pick(ex) for ex in section.candidates if ex.id not in used)
            if pick.seconds <= limit
        ]
        # Prefer muscles this section has not worked yet, so strength is spread over the body.
        fresh = [p for p in fitting if not worked.intersection(p.exercise.muscles)]
        best = fresh or fitting
        return best[0] if best else None

    def _fill(self, section: _Section) -> None:
        while True:
            # The first pick of a section is taken whatever its length: the shape matters.
            limit = section.target + _SLACK_S - section.seconds if section.picks else self.budget
            pick = self._next(section, limit)
            if pick is None:
                return
            section.picks.append(pick)

    def _total(self, sections: Iterable[_Section]) -> int:
        return sum(section.seconds for section in sections)

    def _grow(self, sections: list[_Section], filler_span: tuple[int, int]) -> None:
        """Add items while even the longest walk would leave the routine short."""
        while self._total(sections) + filler_span[1] < self.budget - _FIT_S:
            room = self.budget + _FIT_S - self._total(sections) - filler_span[0]
            options = [
                (section.seconds - section.target, index, section, pick)
                for index, section in enumerate(sections)
                if section.name is not Section.WARM_UP
                and (pick := self._next(section, room)) is not None
            ]
            if not options:
                return
            *_, section, pick = min(options, key=lambda option: option[:2])
            section.picks.append(pick)

    def _shrink(self, sections: list[_Section], filler_span: tuple[int, int]) -> None:
        """Drop items, then sets, while even the shortest walk would overrun the budget."""
        while self._total(sections) + filler_span[0] > self.budget + _FIT_S:
            crowded = [s for s in sections if len(s.picks) > 1]
            if crowded:
                fullest = max(crowded, key=lambda s: s.seconds - s.target)
                fullest.picks.pop()
                continue
            multi_set = [
                (p.seconds, i, s, p)
                for i, s in enumerate(sections)
                for p in s.picks
                if p.dose.sets > 1
            ]
            if not multi_set:
                return
            *_, section, longest = max(multi_set, key=lambda option: option[:2])
            dose = longest.dose.model_copy(update={"sets": longest.dose.sets - 1})
            section.picks[section.picks.index(longest)] = _Pick(
                longest.exercise, dose, estimate_seconds(longest.exercise, dose)
            )

    def _filler_item(self, filler: Exercise, sections: list[_Section]) -> RoutineItem:
        room = self.budget - self._total(sections) - TRANSITION_S
        amount = round(room / _FILLER_STEP_S) * _FILLER_STEP_S
        amount = min(max(amount, _FILLER_MIN_S), filler.dose_ceiling.amount)
        dose = filler.dose_start.model_copy(update={"amount": amount})
        return RoutineItem(
            exercise_id=filler.id,
            section=Section.WARM_UP,
            dose=dose,
            est_seconds=estimate_seconds(filler, dose),
        )
