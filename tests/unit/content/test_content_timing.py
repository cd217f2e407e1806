"""Segments give the player every hold, block of reps and rest in order, with sides and sets."""

from __future__ import annotations

import pytest

from content.library import Library
from content.model import Dose, Segment
from content.routines import estimate_seconds, segments
from content.timing import TRANSITION_S


def brief(parts: tuple[Segment, ...]) -> list[tuple[object, ...]]:
    """(kind, seconds, set, rep, side) per segment, for readable expectations."""
    return [(s.kind, s.seconds, s.set_index, s.rep_index, s.side) for s in parts]


def test_holds_without_sides_rest_between_holds_only(library: Library) -> None:
    drawing_in = library.get("drawing_in")  # hold 5 s x 8, 3 s to reset
    parts = segments(drawing_in, Dose(kind="hold", amount=5, reps=3))
    assert brief(parts) == [
        ("hold", 5, 1, 1, None),
        ("rest", 3, 1, None, None),
        ("hold", 5, 1, 2, None),
        ("rest", 3, 1, None, None),
        ("hold", 5, 1, 3, None),
    ]
    assert all(s.reps == 3 and s.sets == 1 for s in parts if s.kind == "hold")


def test_alternating_holds_switch_side_every_hold(library: Library) -> None:
    knee_to_chest = library.get("knee_to_chest")  # 20 s x 2 each side, alternating
    holds = [s for s in segments(knee_to_chest, knee_to_chest.dose_start) if s.kind == "hold"]
    assert [(s.rep_index, s.side) for s in holds] == [
        (1, "left"),
        (1, "right"),
        (2, "left"),
        (2, "right"),
    ]


def test_one_side_at_a_time_holds_finish_left_first(library: Library) -> None:
    stretch = library.get("knee_to_chest").model_copy(update={"alternate_sides": False})
    holds = [s for s in segments(stretch, stretch.dose_start) if s.kind == "hold"]
    assert [(s.rep_index, s.side) for s in holds] == [
        (1, "left"),
        (2, "left"),
        (1, "right"),
        (2, "right"),
    ]


def test_sets_are_separated_by_rest_and_none_after_the_last(library: Library) -> None:
    plank = library.get("front_plank")
    parts = segments(plank, Dose(kind="hold", amount=20, sets=3, rest_s=30))
    assert brief(parts) == [
        ("hold", 20, 1, 1, None),
        ("rest", 30, 1, None, None),
        ("hold", 20, 2, 1, None),
        ("rest", 30, 2, None, None),
        ("hold", 20, 3, 1, None),
    ]
    assert {s.sets for s in parts} == {3}


def test_side_plank_round_goes_left_then_right_then_rests(library: Library) -> None:
    side_plank = library.get("side_plank")  # 10 s each side, 2 sets, 20 s rest, 5 s to switch
    assert brief(segments(side_plank, side_plank.dose_start)) == [
        ("hold", 10, 1, 1, "left"),
        ("rest", 5, 1, None, None),
        ("hold", 10, 1, 1, "right"),
        ("rest", 20, 1, None, None),
        ("hold", 10, 2, 1, "left"),
        ("rest", 5, 2, None, None),
        ("hold", 10, 2, 1, "right"),
    ]


def test_one_leg_reps_come_as_a_left_then_a_right_block(library: Library) -> None:
    bridge = library.get("single_leg_bridge")  # 8 each side x 2 sets, 5 s a rep
    parts = segments(bridge, bridge.dose_start)
    assert [(s.kind, s.seconds, s.reps, s.side) for s in parts] == [
        ("reps", 40, 8, "left"),
        ("reps", 40, 8, "right"),
        ("rest", 30, 0, None),
        ("reps", 40, 8, "left"),
        ("reps", 40, 8, "right"),
    ]
    assert not any(s.alternating for s in parts)


def test_alternating_reps_are_one_block_covering_both_sides(library: Library) -> None:
    dead_bug = library.get("dead_bug")  # 8 each side, alternating, 4 s a rep
    (block,) = segments(dead_bug, dead_bug.dose_start)
    assert (block.kind, block.reps, block.side, block.alternating) == ("reps", 8, None, True)
    assert block.seconds == 8 * 2 * 4


def test_no_rest_segment_when_rest_is_zero(library: Library) -> None:
    squat = library.get("bodyweight_squat")
    parts = segments(squat, Dose(kind="reps", amount=10, sets=2, rest_s=0))
    assert [s.kind for s in parts] == ["reps", "reps"]


@pytest.mark.parametrize("exercise_id", ["drawing_in", "side_plank", "bird_dog", "walking"])
def test_estimate_is_the_segments_plus_a_transition(library: Library, exercise_id: str) -> None:
    ex = library.get(exercise_id)
    for dose in (ex.dose_start, ex.dose_ceiling):
        total = sum(s.seconds for s in segments(ex, dose))
        assert estimate_seconds(ex, dose) == total + TRANSITION_S


def test_estimate_grows_with_the_dose(library: Library) -> None:
    for ex in library.all():
        assert estimate_seconds(ex, ex.dose_ceiling) >= estimate_seconds(ex, ex.dose_start)
    bridge = library.get("glute_bridge")
    assert estimate_seconds(bridge, bridge.dose_start) == 2 * 10 * 6 + 30 + TRANSITION_S
