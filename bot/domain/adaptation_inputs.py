"""From a plan to the routine builder's request, and the swap alternatives it allows.

:func:`routine_inputs` pins every ladder the plan has met to its current rung: the other
rungs are excluded, and a rung above the user's level goes in as a swap target (the builder
lets a swap target sit above the level on a pain 0-3 day). Exclusions apply while
``today`` is before their date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict

from bot.domain.adaptation_model import Plan
from bot.domain.pain import builder_pain
from content.library import Library
from content.model import Done, Dose
from content.routines import RoutineRequest

__all__ = [
    "RescreenRequiredError",
    "RoutineInputs",
    "alternatives",
    "ladder_root",
    "routine_inputs",
    "same_ladder",
]


class RescreenRequiredError(ValueError):
    """A routine was asked for while the plan waits for the red-flag screen."""


class RoutineInputs(BaseModel):
    """What the plan tells the routine builder today (``content.routines.RoutineRequest``).

    ``gentle_only`` has no field of its own in the request: :meth:`request` raises the pain
    to the builder's gentle threshold instead (as any day at pain 7+ is). ``blocked``: build
    nothing, screen first.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    today: date
    level: int
    doses: dict[str, Dose]
    excluded: frozenset[str]
    swaps: dict[str, str]
    gentle_only: bool
    blocked: bool

    def request(
        self,
        pain: int,
        minutes: int,
        history: Iterable[Done] = (),
        seed: int | None = None,
    ) -> RoutineRequest:
        """The builder's request for today; RescreenRequiredError while blocked."""
        if self.blocked:
            raise RescreenRequiredError("the red-flag screen must be clear first")
        return RoutineRequest.model_validate(
            {
                "level": self.level,
                "pain": builder_pain(pain, plan_gentle=self.gentle_only),
                "minutes": minutes,
                "today": self.today,
                "history": tuple(history),
                "excluded": self.excluded,
                "swaps": self.swaps,
                "doses": self.doses,
                "seed": seed,
            }
        )


def routine_inputs(plan: Plan, library: Library, today: date) -> RoutineInputs:
    """Doses, exclusions, swaps and modes for today's routine."""
    excluded = {some_id for some_id, until in plan.excluded.items() if today < until}
    swaps = dict(plan.swaps)
    for entry in plan.exercises.values():
        if entry.exercise_id not in library:
            continue
        rung = library.get(entry.exercise_id)
        excluded.update(ex.id for ex in library.ladder(rung.id) if ex.id != rung.id)
        # The builder only lets a rung above the user's level in as a swap target.
        if rung.level > plan.level and rung.easier is not None and rung.id not in swaps:
            swaps.setdefault(rung.easier, rung.id)
    return RoutineInputs(
        today=today,
        level=plan.level,
        doses={key: entry.dose for key, entry in plan.exercises.items()},
        excluded=frozenset(excluded),
        swaps=swaps,
        gentle_only=plan.gentle,
        blocked=plan.blocked_for_rescreen,
    )


def same_ladder(library: Library, one: str, other: str) -> bool:
    """True if both exercises exist and sit on one ladder."""
    return (
        one in library
        and other in library
        and ladder_root(library, one) == ladder_root(library, other)
    )


def ladder_root(library: Library, exercise_id: str) -> str:
    """The easiest rung of the exercise's ladder; it names the ladder."""
    return library.ladder(exercise_id)[0].id


def alternatives(
    plan: Plan, library: Library, exercise_id: str, on: date, limit: int | None
) -> tuple[str, ...]:
    """Same-category exercises on other ladders that today's routine could use."""
    if exercise_id not in library:
        return ()
    exercise = library.get(exercise_id)
    inputs = routine_inputs(plan, library, on)
    pinned = set(plan.exercises)
    candidates = sorted(
        (
            ex
            for ex in library.all()
            if ex.category is exercise.category
            and not same_ladder(library, ex.id, exercise_id)
            and ex.id not in inputs.excluded
            and ex.id not in plan.swaps
            and not library.is_avoided(ex.id)
            and (ex.level <= plan.level or ex.id in pinned)
        ),
        key=lambda ex: (-ex.level, ex.id),
    )
    return tuple(ex.id for ex in candidates[:limit])
