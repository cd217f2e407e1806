"""Dose steps of one exercise: the ordered doses from its starting dose up to its ceiling.

Progress is a double progression: ``amount`` grows by the exercise's ``dose_step`` (+1-2
reps or +5 s of hold, the last step clipped to the ceiling); once it reaches the ceiling's
amount, the next step adds one hold (or one set) and starts the amount again from the
starting dose, so no step adds more than a little work. Steps are ordered by (sets, holds,
amount). Going lighter walks the same list back, so every dose the plan holds is one of
these steps and lies between ``dose_start`` and ``dose_ceiling`` field by field.
"""

from __future__ import annotations

from functools import cache

from content.model import Dose, Exercise

__all__ = ["at_ceiling", "dose_steps", "heavier", "lighter", "snap"]


@cache
def dose_steps(exercise: Exercise) -> tuple[Dose, ...]:
    """Every dose from the start to the ceiling, lightest first, one step apart."""
    start, ceiling = exercise.dose_start, exercise.dose_ceiling
    amounts = [*range(start.amount, ceiling.amount, exercise.dose_step), ceiling.amount]
    return tuple(
        start.model_copy(update={"amount": amount, "reps": reps, "sets": sets})
        for sets in range(start.sets, ceiling.sets + 1)
        for reps in range(start.reps, ceiling.reps + 1)
        for amount in amounts
    )


def _index(exercise: Exercise, dose: Dose) -> int:
    """The highest step at or below ``dose`` in (sets, holds, amount) order; 0 if foreign."""
    if (dose.kind, dose.per_side) != (exercise.dose_start.kind, exercise.dose_start.per_side):
        return 0
    found = 0
    for index, step in enumerate(dose_steps(exercise)):
        if (step.sets, step.reps, step.amount) <= (dose.sets, dose.reps, dose.amount):
            found = index
    return found


def snap(exercise: Exercise, dose: Dose) -> Dose:
    """The dose as one of the exercise's steps (stale or hand-made doses round down)."""
    return dose_steps(exercise)[_index(exercise, dose)]


def heavier(exercise: Exercise, dose: Dose) -> Dose | None:
    """The next step up, or None at the ceiling."""
    steps = dose_steps(exercise)
    index = _index(exercise, dose)
    return steps[index + 1] if index + 1 < len(steps) else None


def lighter(exercise: Exercise, dose: Dose) -> Dose | None:
    """The next step down, or None at the starting dose."""
    index = _index(exercise, dose)
    return dose_steps(exercise)[index - 1] if index > 0 else None


def at_ceiling(exercise: Exercise, dose: Dose) -> bool:
    """True when no dose step is left: the next progress is up the ladder."""
    return heavier(exercise, dose) is None
