"""Dose steps: from the start to the ceiling in small steps, and back the same way."""

from __future__ import annotations

from itertools import pairwise

import pytest
from adaptation_kit import LIB

from bot.domain.adaptation_dose import at_ceiling, dose_steps, heavier, lighter, snap
from content.model import Dose, Exercise

ALL = LIB.all()


def fields(dose: Dose) -> tuple[int, int, int]:
    return (dose.amount, dose.reps, dose.sets)


@pytest.mark.parametrize("exercise", ALL, ids=lambda ex: ex.id)
def test_steps_run_from_start_to_ceiling_within_bounds(exercise: Exercise) -> None:
    steps = dose_steps(exercise)
    start, ceiling = exercise.dose_start, exercise.dose_ceiling
    assert steps[0] == start
    assert fields(steps[-1]) == fields(ceiling)
    for dose in steps:
        assert (dose.kind, dose.per_side) == (start.kind, start.per_side)
        assert start.amount <= dose.amount <= ceiling.amount
        assert start.reps <= dose.reps <= ceiling.reps
        assert start.sets <= dose.sets <= ceiling.sets


@pytest.mark.parametrize("exercise", ALL, ids=lambda ex: ex.id)
def test_each_step_is_small(exercise: Exercise) -> None:
    """+dose_step (clipped at the ceiling), or one more hold or set from the starting amount."""
    steps = dose_steps(exercise)
    for low, high in pairwise(steps):
        grew_amount = 0 < high.amount - low.amount <= exercise.dose_step and (
            high.reps,
            high.sets,
        ) == (low.reps, low.sets)
        one_more = (high.reps + high.sets) - (low.reps + low.sets) == 1
        restarted = one_more and high.amount == exercise.dose_start.amount
        assert grew_amount or restarted, (low, high)


def test_a_worked_example() -> None:
    bird_dog = LIB.get("bird_dog")  # 8 reps x 2 sets up to 12 x 3, step 2
    assert [fields(d) for d in dose_steps(bird_dog)] == [
        (8, 1, 2),
        (10, 1, 2),
        (12, 1, 2),
        (8, 1, 3),
        (10, 1, 3),
        (12, 1, 3),
    ]


def test_heavier_and_lighter_walk_the_same_list() -> None:
    plank = LIB.get("knee_plank")
    steps = dose_steps(plank)
    assert lighter(plank, steps[0]) is None
    assert heavier(plank, steps[-1]) is None
    assert at_ceiling(plank, steps[-1])
    assert not at_ceiling(plank, steps[0])
    for low, high in pairwise(steps):
        assert heavier(plank, low) == high
        assert lighter(plank, high) == low


def test_stale_doses_snap_down_onto_a_step() -> None:
    bird_dog = LIB.get("bird_dog")
    start, ceiling = bird_dog.dose_start, bird_dog.dose_ceiling
    assert snap(bird_dog, start.model_copy(update={"amount": 11})) == dose_steps(bird_dog)[1]
    assert snap(bird_dog, start.model_copy(update={"amount": 4})) == start
    assert snap(bird_dog, ceiling.model_copy(update={"amount": 40, "sets": 9})) == ceiling
    # Another kind of dose (the library changed under a stored plan): back to the start.
    assert snap(bird_dog, Dose(kind="hold", amount=30, per_side=True)) == start
    assert snap(bird_dog, start.model_copy(update={"per_side": False})) == start
