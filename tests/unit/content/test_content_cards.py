"""Exercise cards read well on a phone: name, dose, numbered steps, one caution, plain text."""

from __future__ import annotations

import re

import pytest

from content.cards import CARD_MAX_CHARS, dose_text, exercise_card
from content.library import Library
from content.model import Dose


@pytest.mark.parametrize(
    ("exercise_id", "dose", "expected"),
    [
        ("drawing_in", Dose(kind="hold", amount=10, reps=8), "hold 10 s × 8"),
        (
            "glute_bridge",
            Dose(kind="reps", amount=10, sets=2, rest_s=30),
            "10 reps × 2 sets, rest 30 s",
        ),
        ("glute_bridge", Dose(kind="reps", amount=12), "12 reps"),
        (
            "single_leg_bridge",
            Dose(kind="reps", amount=8, per_side=True, sets=2, rest_s=30),
            "8 reps × 2 sets, each side, rest 30 s",
        ),
        (
            "dead_bug",
            Dose(kind="reps", amount=8, per_side=True),
            "8 reps, each side, alternating",
        ),
        (
            "knee_to_chest",
            Dose(kind="hold", amount=20, reps=2, per_side=True),
            "hold 20 s × 2, each side",
        ),
        (
            "front_plank",
            Dose(kind="hold", amount=15, sets=3, rest_s=30),
            "hold 15 s × 3 sets, rest 30 s",
        ),
        (
            "drawing_in",
            Dose(kind="hold", amount=10, reps=8, sets=2),
            "hold 10 s × 8, 2 sets",
        ),
        ("walking", Dose(kind="hold", amount=600), "10 min"),
        ("easy_walk_or_cycle", Dose(kind="hold", amount=150), "2 min 30 s"),
        ("cat_camel", Dose(kind="reps", amount=1), "1 rep"),
    ],
)
def test_dose_text(library: Library, exercise_id: str, dose: Dose, expected: str) -> None:
    assert dose_text(library.get(exercise_id), dose) == expected


def test_card_layout(library: Library) -> None:
    bridge = library.get("glute_bridge")
    lines = exercise_card(bridge, bridge.dose_start).splitlines()
    assert lines[0] == "Glute bridge"
    assert lines[1] == bridge.purpose
    assert lines[2] == "10 reps × 2 sets, rest 30 s"
    numbered = [line for line in lines if re.match(r"^\d\. ", line)]
    assert numbered == [f"{n}. {step}" for n, step in enumerate(bridge.steps, start=1)]
    assert lines[-1] == f"Caution: {bridge.cautions[0]}"
    assert sum(line.startswith("Caution:") for line in lines) == 1


def test_every_card_is_short_plain_text(library: Library) -> None:
    for ex in library.all():
        for dose in (ex.dose_start, ex.dose_ceiling):
            card = exercise_card(ex, dose)
            assert len(card) < CARD_MAX_CHARS, ex.id
            assert not set(card) & set("*_`[]<>"), ex.id
            assert max(len(line) for line in card.splitlines()) <= 90, ex.id
