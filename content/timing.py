"""Turn an exercise and a dose into timed segments for the player, and estimate durations.

Sequencing rules of :func:`segments`, per set ``1..sets``:

* Hold dose: ``reps`` holds of ``amount`` s. Per side, ``alternate_sides`` exercises go
  left 1, right 1, left 2, right 2 ...; the others do every hold on the left, then on the right.
  Between two holds of a set comes a ``rep_s`` rest (release and set up again).
* Reps dose: one block of ``amount`` reps. Per side, ``alternate_sides`` exercises get one
  alternating block (``amount`` reps each side, ``side=None``); the others a left block and
  then a right block. A block lasts ``reps x rep_s`` (times two sides when alternating).
* Between two sets comes a ``rest_s`` rest; there is no rest after the last set.

:func:`estimate_seconds` is the sum of the segments plus :data:`TRANSITION_S` for reading the
card and getting into position, so the two always agree.
"""

from __future__ import annotations

from content.model import Dose, Exercise, Segment, Side

TRANSITION_S = 15
"""Allowance per exercise for reading the card and getting into position."""

_SIDES: tuple[Side, Side] = ("left", "right")


def segments(exercise: Exercise, dose: Dose) -> tuple[Segment, ...]:
    """The timed parts of one exercise at this dose, in play order."""
    out: list[Segment] = []
    for set_index in range(1, dose.sets + 1):
        if dose.kind == "hold":
            out += _hold_set(exercise, dose, set_index)
        else:
            out += _reps_set(exercise, dose, set_index)
        if set_index < dose.sets and dose.rest_s > 0:
            out.append(_rest(dose.rest_s, set_index, dose.sets))
    return tuple(out)


def estimate_seconds(exercise: Exercise, dose: Dose) -> int:
    """Estimated seconds for the exercise at this dose, transition included."""
    return sum(segment.seconds for segment in segments(exercise, dose)) + TRANSITION_S


def _hold_set(exercise: Exercise, dose: Dose, set_index: int) -> list[Segment]:
    order: list[tuple[int, Side | None]]
    holds = range(1, dose.reps + 1)
    if not dose.per_side:
        order = [(i, None) for i in holds]
    elif exercise.alternate_sides:
        order = [(i, side) for i in holds for side in _SIDES]
    else:
        order = [(i, side) for side in _SIDES for i in holds]
    out: list[Segment] = []
    for position, (rep_index, side) in enumerate(order):
        if position and exercise.rep_s:
            out.append(_rest(exercise.rep_s, set_index, dose.sets))
        out.append(
            Segment(
                kind="hold",
                seconds=dose.amount,
                set_index=set_index,
                sets=dose.sets,
                rep_index=rep_index,
                reps=dose.reps,
                side=side,
            )
        )
    return out


def _reps_set(exercise: Exercise, dose: Dose, set_index: int) -> list[Segment]:
    def block(side: Side | None, alternating: bool = False) -> Segment:
        sides = 2 if alternating else 1
        return Segment(
            kind="reps",
            seconds=dose.amount * exercise.rep_s * sides,
            set_index=set_index,
            sets=dose.sets,
            reps=dose.amount,
            side=side,
            alternating=alternating,
        )

    if not dose.per_side:
        return [block(None)]
    if exercise.alternate_sides:
        return [block(None, alternating=True)]
    return [block(side) for side in _SIDES]


def _rest(seconds: int, set_index: int, sets: int) -> Segment:
    return Segment(kind="rest", seconds=seconds, set_index=set_index, sets=sets, reps=0)
